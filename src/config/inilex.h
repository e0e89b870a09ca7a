/*
 * inilex: the raw-line side of reading an INI file.
 *
 * Debian's libinih keeps lines in a 200-byte buffer, cuts values at " ;"
 * (inline comments), truncates section names to 49 bytes and does not tell
 * its handler the line number.  None of that may touch a value, so inilex
 * reads every raw line itself, knows its number, splits it into a record
 * (a section header, a KEY = VALUE pair, or a continuation line) and hands
 * inih one short stand-in line per raw line.  inih then drives the handler
 * once per record, and the handler reads the record from the lexer.
 */
#ifndef ECG_INILEX_H
#define ECG_INILEX_H

#include <stddef.h>

enum ecg_inilex_kind {
	ECG_INILEX_SECTION,	/* "[name]": name holds the name */
	ECG_INILEX_KEY,		/* "key = value" */
	ECG_INILEX_MORE,	/* an indented or blank line after a KEY line: value holds it whole */
};

struct ecg_inilex_record {
	enum ecg_inilex_kind kind;
	unsigned line;		/* 1-based line number */
	char *name;		/* section or key name, NUL-terminated in place */
	char *value;		/* the value, trimmed, NUL-terminated in place */
};

struct ecg_inilex {
	char *text;		/* the whole input, owned; lines are cut in place */
	size_t len;
	size_t pos;		/* start of the next raw line */
	unsigned line;		/* number of the last line read */
	int key_open;		/* a KEY record may take continuation lines */
	struct ecg_inilex_record rec;	/* the record of the last line */
	const char *error;	/* set when a line cannot be read as INI */
	unsigned error_line;
};

/* Takes ownership of text (malloc'ed, len bytes). */
void ecg_inilex_init(struct ecg_inilex *lx, char *text, size_t len);
void ecg_inilex_destroy(struct ecg_inilex *lx);

/* The ini_reader for ini_parse_stream; stream is the struct ecg_inilex. */
char *ecg_inilex_reader(char *str, int num, void *stream);

/* Stops the input after the current line (the handler found an error). */
void ecg_inilex_stop(struct ecg_inilex *lx);

#endif
