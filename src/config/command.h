/*
 * command: whether a task's command needs a shell at all.
 *
 * A command that is a plain list of words (letters, digits and a few
 * punctuation marks, separated by blanks: no quotes, variables, globs,
 * redirections, operators or line breaks) means the same to every shell:
 * run the first word as a program with the words as its arguments.  Such
 * a command is executed directly, as the shell would execute it, which
 * saves the shell's own start-up and leaves one process per task instead
 * of two; signals reach the program itself.  Anything else, and the
 * builtins and keywords of any common /bin/sh, go to "SHELL -c COMMAND".
 * The caller does what the shell would also do around the exec: PWD in
 * the environment, and a script without "#!" run by /bin/sh.
 */
#ifndef ECG_COMMAND_H
#define ECG_COMMAND_H

#include <stddef.h>

/* 1 if cmd is a plain list of words whose first word may be a program. */
int ecg_command_plain(const char *cmd);

/*
 * Splits a plain command into a NULL-terminated, malloc'd argv (one block:
 * free(argv) frees it all).  Returns the number of words, or -ENOMEM.
 */
int ecg_command_split(const char *cmd, char ***argv);

#endif
