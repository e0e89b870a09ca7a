/*
 * json: one request of the control protocol, a JSON object on one line,
 * read into members.  A value is a string, an integer, true, false, null,
 * or an array of strings: what a request needs.  Any other value (an
 * object, an array of other things, a fraction) is checked and skipped,
 * at most ECG_JSON_DEPTH deep: a client cannot make the reader work hard.  Strings are UTF-8 with their escapes resolved (\u too, with
 * surrogate pairs); a NUL inside one is refused.  Anything else is an
 * error that says where and what.
 */
#ifndef ECG_JSON_H
#define ECG_JSON_H

#include <stddef.h>

#include "base/buf.h"

#define ECG_JSON_DEPTH 32

enum ecg_json_type {
	ECG_JSON_NULL,
	ECG_JSON_BOOL,
	ECG_JSON_INT,
	ECG_JSON_STRING,
	ECG_JSON_STRINGS,	/* an array of strings */
	ECG_JSON_OTHER,		/* anything else (an object, another array, a fraction): skipped */
};

struct ecg_json_member {
	char *key;
	enum ecg_json_type type;
	long long num;		/* INT; BOOL: 0 or 1 */
	char *str;		/* STRING (NUL-terminated; may hold NULs: see len) */
	size_t len;		/* STRING: its length */
	char **items;		/* STRINGS */
	size_t nitems;
};

struct ecg_json_object {
	struct ecg_json_member *m;
	size_t n;
};

/*
 * Reads the len bytes at text (blanks around the object allowed) into o:
 * 0, or -1 with why ("at byte N: what").  A key given twice is an error.
 */
int ecg_json_parse(const char *text, size_t len, struct ecg_json_object *o, struct ecg_buf *why);
void ecg_json_free(struct ecg_json_object *o);
/* The member named key, or NULL. */
const struct ecg_json_member *ecg_json_get(const struct ecg_json_object *o, const char *key);

#endif
