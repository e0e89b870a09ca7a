#define _GNU_SOURCE
#include "config/dotenv.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
name_byte(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* One line (without its newline): 0 (a variable given to fn, or none), -1 malformed, else fn's. */
static int
one_line(const char *p, const char *end, ecg_dotenv_fn *fn, void *arg, unsigned line,
    struct ecg_buf *val, const char **why)
{
	const char *name, *q;
	size_t len;
	int expand = 1;

	while (p < end && blank(*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	if (end - p > 7 && strncmp(p, "export", 6) == 0 && blank(p[6])) {
		p += 7;
		while (p < end && blank(*p))
			p++;
	}
	name = p;
	if (p == end || !name_start(*p)) {
		*why = "a line is NAME=VALUE, NAME of A-Z a-z 0-9 _ not starting with a digit";
		return -1;
	}
	while (p < end && name_byte(*p))
		p++;
	len = (size_t)(p - name);
	while (p < end && blank(*p))
		p++;
	if (p == end || *p != '=') {
		*why = "a line is NAME=VALUE (this one has no '=' after its name)";
		return -1;
	}
	p++;
	while (p < end && blank(*p))
		p++;
	ecg_buf_reset(val);
	if (p < end && *p == '\'') {
		q = memchr(p + 1, '\'', (size_t)(end - p - 1));
		if (q == NULL) {
			*why = "a value in single quotes without its closing quote";
			return -1;
		}
		ecg_buf_put(val, p + 1, (size_t)(q - p - 1));
		expand = 0;
		p = q + 1;
	} else if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p != '\\' || p + 1 == end) {
				ecg_buf_putc(val, *p);
				continue;
			}
			switch (*++p) {
			case 'n': ecg_buf_putc(val, '\n'); break;
			case 't': ecg_buf_putc(val, '\t'); break;
			case 'r': ecg_buf_putc(val, '\r'); break;
			/* \$ stays escaped for the expansion that follows: $$ */
			case '$': ecg_buf_puts(val, "$$"); break;
			case '"': case '\\': ecg_buf_putc(val, *p); break;
			default:
				ecg_buf_putc(val, '\\');
				ecg_buf_putc(val, *p);
				break;
			}
		}
		if (p == end) {
			*why = "a value in double quotes without its closing quote";
			return -1;
		}
		p++;
	} else {
		/* Unquoted: to the end, or to a # after a blank; blanks at its end dropped. */
		for (q = p; q < end && !(*q == '#' && q > p && blank(q[-1])); q++)
			;
		while (q > p && blank(q[-1]))
			q--;
		ecg_buf_put(val, p, (size_t)(q - p));
		p = end;
	}
	while (p < end && blank(*p))
		p++;
	if (p < end && *p != '#') {
		*why = "something after the closing quote (a comment begins with #)";
		return -1;
	}
	if (ecg_buf_failed(val)) {
		*why = "out of memory";
		return -1;
	}
	return fn(arg, name, len, ecg_buf_str(val), expand, line);
}

int
ecg_dotenv_parse(const char *text, size_t len, ecg_dotenv_fn *fn, void *arg, unsigned *line,
    const char **why)
{
	const char *p = text, *end = text + len, *nl;
	struct ecg_buf val = ECG_BUF_INIT;
	int rc = 0;

	*line = 0;
	*why = NULL;
	while (p < end && rc == 0) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		++*line;
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL) {
			*why = "a NUL byte in the line";
			rc = -1;
			break;
		}
		rc = one_line(p, nl, fn, arg, *line, &val, why);
		p = nl + 1;
	}
	ecg_buf_free(&val);
	return rc;
}
