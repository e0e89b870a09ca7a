#include "config/inilex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ecg_inilex_init(struct ecg_inilex *lx, char *text, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->text = text;
	lx->len = len;
	/* A UTF-8 byte order mark is not part of the first line. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		lx->pos = 3;
}

void
ecg_inilex_destroy(struct ecg_inilex *lx)
{
	free(lx->text);
	lx->text = NULL;
}

void
ecg_inilex_stop(struct ecg_inilex *lx)
{
	lx->pos = lx->len;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char *
rtrim(char *s, char *end)
{
	while (end > s && (is_blank(end[-1]) || end[-1] == '\r'))
		end--;
	*end = '\0';
	return end;
}

static void
fail(struct ecg_inilex *lx, const char *why)
{
	lx->error = why;
	lx->error_line = lx->line;
	lx->pos = lx->len;
}

/*
 * Reads one raw line into a record.  Returns 1 for a record, 0 for a line
 * that carries none (blank or comment), -1 on a lexical error.
 */
static int
lex_line(struct ecg_inilex *lx, char *line, char *end)
{
	char *start = line, *eq;

	if (memchr(line, '\0', (size_t)(end - line)) != NULL) {
		fail(lx, "NUL byte in line");
		return -1;
	}
	end = rtrim(line, end);
	while (is_blank(*start))
		start++;
	/*
	 * After a KEY = VALUE line, an indented line belongs to the value,
	 * whatever it starts with (";;" ends a case in a shell script), and so
	 * does a blank line; the loader trims what they have in common.
	 */
	if (lx->key_open && (start > line || *start == '\0')) {
		lx->rec.kind = ECG_INILEX_MORE;
		lx->rec.name = NULL;
		lx->rec.value = line;
		return 1;
	}
	if (*start == '\0' || *start == ';' || *start == '#')
		return 0;
	if (*start == '[') {
		char *close = end - 1;
		if (*close != ']' || close == start) {
			fail(lx, "section header without closing ']'");
			return -1;
		}
		*close = '\0';
		start++;
		while (is_blank(*start))
			start++;
		rtrim(start, close);
		lx->rec.kind = ECG_INILEX_SECTION;
		lx->rec.name = start;
		lx->rec.value = NULL;
		lx->key_open = 0;
		return 1;
	}
	eq = strchr(start, '=');
	if (eq == NULL) {
		fail(lx, "expected KEY = VALUE, a [section] or a comment");
		return -1;
	}
	if (eq == start) {
		fail(lx, "'=' without a key before it");
		return -1;
	}
	rtrim(start, eq);
	eq++;
	while (is_blank(*eq))
		eq++;
	lx->rec.kind = ECG_INILEX_KEY;
	lx->rec.name = start;
	lx->rec.value = eq;
	lx->key_open = 1;
	return 1;
}

char *
ecg_inilex_reader(char *str, int num, void *stream)
{
	struct ecg_inilex *lx = stream;
	char *line, *nl, *end;
	int r;

	if (lx->pos >= lx->len || num < 16)
		return NULL;
	line = lx->text + lx->pos;
	nl = memchr(line, '\n', lx->len - lx->pos);
	end = nl != NULL ? nl : lx->text + lx->len;
	lx->pos = (size_t)(end - lx->text) + (nl != NULL);
	lx->line++;
	r = lex_line(lx, line, end);
	if (r < 0)
		return NULL;
	/*
	 * The stand-in keeps inih's line count equal to ours: one line out for
	 * every line in.  A record becomes "r=LINE" so that inih calls the
	 * handler, which then takes the record from lx->rec.
	 */
	if (r == 0)
		snprintf(str, (size_t)num, "\n");
	else
		snprintf(str, (size_t)num, "r=%u\n", lx->line);
	return str;
}
