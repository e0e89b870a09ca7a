/*
 * adhoc: commands from the command line (ecg-run [OPTION]... -- CMD...),
 * as concurrently, multirun and GNU parallel take them, made into the INI
 * text of a group, so that they run with the file's semantics: each CMD a
 * task named 1, 2, ... (or by --names), run by the shell.
 */
#ifndef ECG_ADHOC_H
#define ECG_ADHOC_H

#include <stddef.h>

#include "base/buf.h"

/*
 * The group of n commands: names (comma-separated, or NULL), cancel_on
 * for every task (or NULL).  0, or -1 with why in err (a usage error).
 */
int ecg_adhoc_ini(char *const *cmds, size_t n, const char *names, const char *cancel_on,
    struct ecg_buf *ini, struct ecg_buf *err);

#endif
