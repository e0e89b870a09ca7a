/*
 * json: the control protocol's requests.  What a request needs is read
 * (strings with every escape, integers, booleans, null, arrays of
 * strings); everything else is refused with where and what, and nothing
 * leaks on any path.
 */
#define _GNU_SOURCE
#include <string.h>

#include "control/json.h"
#include "tap.h"

static struct ecg_buf why = ECG_BUF_INIT;

static int
refused(const char *text, const char *what)
{
	struct ecg_json_object o;
	int rc = ecg_json_parse(text, strlen(text), &o, &why);

	if (rc == 0) {
		ecg_json_free(&o);
		return 0;
	}
	if (strstr(ecg_buf_str(&why), what) == NULL) {
		printf("# %s: said '%s', want '%s'\n", text, ecg_buf_str(&why), what);
		return 0;
	}
	return o.n == 0 && o.m == NULL;
}

int
main(void)
{
	struct ecg_json_object o;
	const struct ecg_json_member *m;
	static const char req[] = " {\"cmd\": \"restart\", \"tasks\": [\"web\", \"db\"], "
	    "\"wait\": true, \"timeout_ms\": -1500, \"json\": false, \"x\": null, \"e\": []} ";
	static const char esc[] = "{\"s\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\"}";

	ok(ecg_json_parse(req, strlen(req), &o, &why) == 0 && o.n == 7, "a request is read");
	m = ecg_json_get(&o, "cmd");
	ok(m != NULL && m->type == ECG_JSON_STRING && strcmp(m->str, "restart") == 0, "a string");
	m = ecg_json_get(&o, "tasks");
	ok(m != NULL && m->type == ECG_JSON_STRINGS && m->nitems == 2 &&
	    strcmp(m->items[0], "web") == 0 && strcmp(m->items[1], "db") == 0, "an array of strings");
	m = ecg_json_get(&o, "wait");
	ok(m != NULL && m->type == ECG_JSON_BOOL && m->num == 1 &&
	    ecg_json_get(&o, "json")->num == 0, "booleans");
	m = ecg_json_get(&o, "timeout_ms");
	ok(m != NULL && m->type == ECG_JSON_INT && m->num == -1500, "an integer");
	ok(ecg_json_get(&o, "x")->type == ECG_JSON_NULL && ecg_json_get(&o, "e")->nitems == 0 &&
	    ecg_json_get(&o, "nope") == NULL, "null, an empty array, a missing key");
	ecg_json_free(&o);
	ok(ecg_json_parse(esc, strlen(esc), &o, &why) == 0 &&
	    strcmp(ecg_json_get(&o, "s")->str, "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 0,
	    "escapes, \\u in UTF-8, a surrogate pair");
	ecg_json_free(&o);
	ok(ecg_json_parse("{}", 2, &o, &why) == 0 && o.n == 0, "an empty object");
	ecg_json_free(&o);

	ok(refused("", "'{' was expected"), "nothing");
	ok(refused("[\"status\"]", "a request is a JSON object"), "not an object");
	ok(refused("{\"a\":1,\"a\":2}", "given twice"), "a key twice");
	{
		static const char other[] = "{\"a\":{\"b\":[1,{\"c\":null}],\"d\":\"x\"},\"e\":[1,2.5e3],"
		    "\"f\":-0.25,\"g\":\"kept\"}";
		ok(ecg_json_parse(other, strlen(other), &o, &why) == 0 && o.n == 4 &&
		    ecg_json_get(&o, "a")->type == ECG_JSON_OTHER &&
		    ecg_json_get(&o, "e")->type == ECG_JSON_OTHER &&
		    ecg_json_get(&o, "f")->type == ECG_JSON_OTHER &&
		    strcmp(ecg_json_get(&o, "g")->str, "kept") == 0,
		    "objects, other arrays and fractions are checked and skipped (%s)", ecg_buf_str(&why));
		ecg_json_free(&o);
	}
	{
		char deep[200];
		int i, n = 0;
		n += sprintf(deep + n, "{\"a\":");
		for (i = 0; i < 40; i++)
			deep[n++] = '[';
		for (i = 0; i < 40; i++)
			deep[n++] = ']';
		deep[n++] = '}';
		deep[n] = '\0';
		ok(refused(deep, "nested deeper than 32"), "nesting is bounded");
	}
	ok(refused("{\"a\":{\"b\" 1}}", "':' was expected"), "a skipped value is still checked");
	ok(refused("{\"a\":[\"x\",1]}", "strings only"), "an array of strings, then not");
	ok(refused("{\"a\":[\"x\" \"y\"]}", "',' or ']'"), "an array without commas");
	ok(refused("{\"a\":99999999999999999999}", "out of range"), "a number out of range");
	ok(refused("{\"a\":\"x}", "closing quote"), "an open string");
	ok(refused("{\"a\":\"\\q\"}", "unknown escape"), "a bad escape");
	ok(refused("{\"a\":\"\\u12\"}", "4 hex digits"), "a short \\u");
	ok(refused("{\"a\":\"\\ud83d\"}", "lone surrogate"), "a lone high surrogate");
	ok(refused("{\"a\":\"\\ude00\"}", "lone surrogate"), "a lone low surrogate");
	ok(refused("{\"\\u0000\":1}", "NUL"), "a NUL by escape in a key");
	ok(refused("{\"a\":[\"\\u0000\"]}", "NUL"), "a NUL by escape in a name of an array");
	{
		struct ecg_json_object on;
		struct ecg_buf whyn = ECG_BUF_INIT;
		const char *line = "{\"a\":\"x\\u0000y\"}";
		const struct ecg_json_member *mn;
		int rc = ecg_json_parse(line, strlen(line), &on, &whyn);
		mn = rc == 0 ? ecg_json_get(&on, "a") : NULL;
		ok(mn != NULL && mn->len == 3 && memcmp(mn->str, "x\0y", 4) == 0,
		    "a NUL by escape in a string value: kept, with the length");
		if (rc == 0)
			ecg_json_free(&on);
		ecg_buf_free(&whyn);
	}
	ok(refused("{\"a\":\"x\ty\"}", "control byte"), "a raw control byte");
	ok(refused("{\"a\" 1}", "':' was expected"), "no colon");
	ok(refused("{\"a\":1 \"b\":2}", "',' or '}'"), "no comma");
	ok(refused("{\"a\":1} x", "more after"), "trailing bytes");
	ok(refused("{\"a\":tru}", "a value was expected"), "a broken word");
	ok(refused("{a:1}", "a string was expected"), "a bare key");
	{
		static const char nul[] = "{\"a\":\"x\"}\0";
		ok(ecg_json_parse(nul, sizeof(nul) - 1, &o, &why) < 0 &&
		    strstr(ecg_buf_str(&why), "NUL") != NULL, "a NUL byte in the line");
	}
	ok(refused("{\"a\":\"x\"", "',' or '}'"), "an open object");
	ecg_buf_free(&why);
	return tap_done();
}
