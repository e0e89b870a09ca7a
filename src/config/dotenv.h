/*
 * dotenv: the lines of an env_file, as people write them for docker
 * compose, foreman/honcho and systemd's EnvironmentFile=, one variable a
 * line:
 *
 *   NAME=VALUE          the value to the end of the line, blanks around it
 *                       dropped; a # after a blank begins a comment
 *   export NAME=VALUE   the same (the export is dropped)
 *   NAME='VALUE'        as it is: no escapes, no variables
 *   NAME="VALUE"        \" \\ \$ \n \t \r escapes; variables are expanded
 *   # a comment, and blank lines
 *
 * NAME is a letter or _ then letters, digits and _.  Nothing is run: no
 * command substitution.  Whether a value's variables are expanded (an
 * unquoted or double-quoted one) is the caller's to do.
 */
#ifndef ECG_DOTENV_H
#define ECG_DOTENV_H

#include <stddef.h>

/* One variable: its name (len bytes) and value, and whether it takes ${...}. */
typedef int ecg_dotenv_fn(void *arg, const char *name, size_t len, const char *value,
    int expand, unsigned line);

/*
 * Reads text (len bytes), calling fn for each variable in order (fn may
 * stop it by returning non-zero: that is returned).  0, or -1 with *line
 * and *why (a static reason) for a malformed line.
 */
int ecg_dotenv_parse(const char *text, size_t len, ecg_dotenv_fn *fn, void *arg, unsigned *line,
    const char **why);

#endif
