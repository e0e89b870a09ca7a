#include <stdlib.h>
#include <string.h>

#include "config/command.h"
#include "tap.h"

static int
split_is(const char *cmd, int n, const char *const *want)
{
	char **v;
	int got = ecg_command_split(cmd, &v), i, same = got == n;

	for (i = 0; same && i < n; i++)
		same = strcmp(v[i], want[i]) == 0;
	same = same && v[n] == NULL;
	free(v);
	return same;
}

int
main(void)
{
	static const char *const plain[] = {
		"sleep 1000", "/bin/true", "  ./serve --port=8080\t-v ", "/usr/bin/env",
		"node server.js", "a,b:c@d%e+f^g", "prog key=value",
	};
	static const char *const shell[] = {
		"", "   ", "echo $HOME", "a; b", "a && b", "a | b", "a > out", "a < in",
		"echo 'x'", "echo \"x\"", "echo \\x", "ls *.c", "ls ?", "ls [ab]", "ls ~",
		"echo `id`", "a &", "(a)", "{ a; }", "a\nb", "# comment", "FOO=1 prog",
		"exec sleep 1", "cd /tmp", "exit 3", "ulimit -n 10", "set -e", "wait",
		"! false", "echo hé", "trap x TERM", "time sleep 1", ". ./env.sh",
		/* builtins of dash, bash or busybox ash: the shell's own, not a program */
		"true", "false", "echo -e hello", "printf x%sy a", "pwd", "test -n x", "kill -l 15",
		"type ls", "command -v ls", "getopts ab x", "let x=1", "declare -x A", "source f",
		"shopt -s x", "enable -n x", "typeset x", "chdir /tmp", "help", "logout",
	};
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		ok(ecg_command_plain(plain[i]) == 1, "plain: '%s'", plain[i]);
	for (i = 0; i < sizeof(shell) / sizeof(shell[0]); i++)
		ok(ecg_command_plain(shell[i]) == 0, "needs the shell: '%s'", shell[i]);
	ok(split_is("sleep 1000", 2, (const char *const[]){ "sleep", "1000" }), "split in words");
	ok(split_is("  a \t b  c ", 3, (const char *const[]){ "a", "b", "c" }),
	    "blanks around and between words are dropped");
	ok(split_is("one", 1, (const char *const[]){ "one" }), "one word");
	return tap_done();
}
