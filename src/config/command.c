#define _GNU_SOURCE
#include "config/command.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Bytes that mean nothing to a POSIX shell inside a word. */
static int
plain_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    strchr("_-./:,+@%=^", c) != NULL;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Builtins and keywords: run by the shell itself, even where a program of
 * the same name exists (echo -e means one thing to dash's echo and another
 * to /bin/echo), so that the command means what it says there.  This is
 * every builtin and reserved word of dash, bash and busybox ash, whichever
 * of them /bin/sh is.
 */
static const char *const shell_words[] = {
	"!", ".", ":", "[", "[[", "alias", "bg", "bind", "break", "builtin", "caller", "case",
	"cd", "chdir", "command", "compgen", "complete", "compopt", "continue", "coproc",
	"declare", "dirs", "disown", "do", "done", "echo", "elif", "else", "enable", "esac",
	"eval", "exec", "exit", "export", "false", "fc", "fg", "fi", "for", "function",
	"getopts", "hash", "help", "history", "if", "in", "jobs", "kill", "let", "local",
	"logout", "mapfile", "popd", "printf", "pushd", "pwd", "read", "readarray",
	"readonly", "return", "select", "set", "shift", "shopt", "source", "suspend", "test",
	"then", "time", "times", "trap", "true", "type", "typeset", "ulimit", "umask",
	"unalias", "unset", "until", "wait", "while",
};

int
ecg_command_plain(const char *cmd)
{
	const char *p = cmd, *first;
	size_t len, i;

	while (blank(*p))
		p++;
	if (*p == '\0')
		return 0;
	first = p;
	for (; *p != '\0'; p++)
		if (!blank(*p) && !plain_byte((unsigned char)*p))
			return 0;
	len = strcspn(first, " \t");
	/* NAME=value in front is an assignment for the command's environment */
	if (memchr(first, '=', len) != NULL)
		return 0;
	for (i = 0; i < sizeof(shell_words) / sizeof(shell_words[0]); i++)
		if (strlen(shell_words[i]) == len && memcmp(shell_words[i], first, len) == 0)
			return 0;
	return 1;
}

int
ecg_command_split(const char *cmd, char ***argv)
{
	size_t words = 0, len = strlen(cmd), i;
	const char *p;
	char **v, *text;
	int in = 0;

	for (p = cmd; *p != '\0'; p++) {
		if (!blank(*p) && !in)
			words++;
		in = !blank(*p);
	}
	/* the pointers, then a copy of the text with a NUL after each word */
	v = malloc((words + 1) * sizeof(*v) + len + 1);
	if (v == NULL)
		return -ENOMEM;
	text = (char *)(v + words + 1);
	memcpy(text, cmd, len + 1);
	words = 0;
	in = 0;
	for (i = 0; i < len; i++) {
		if (blank(text[i])) {
			text[i] = '\0';
			in = 0;
		} else if (!in) {
			v[words++] = &text[i];
			in = 1;
		}
	}
	v[words] = NULL;
	*argv = v;
	return (int)words;
}
