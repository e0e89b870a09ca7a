/*
 * procfile: a Procfile (foreman, honcho, overmind), "name: command" a
 * line, made into the INI text of a group: each line a task of that name,
 * run in the Procfile's directory, with the .env beside it when there is
 * one.  Blank lines and lines starting with # are skipped; any other line
 * that is not "name: command" is an error naming its line (honcho skips
 * it silently).
 */
#ifndef ECG_PROCFILE_H
#define ECG_PROCFILE_H

#include "base/buf.h"

/* Whether path names a Procfile by its name ("Procfile", "Procfile.dev"). */
int ecg_procfile_named(const char *path);
/*
 * path's group as INI text into ini, with cancel_on for every task (NULL:
 * the default): 0, or -1 with "PATH:LINE: why" in err.
 */
int ecg_procfile_ini(const char *path, const char *cancel_on, struct ecg_buf *ini,
    struct ecg_buf *err);

#endif
