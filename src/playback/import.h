/* import.h - opening the file of a {"path"} import (POST /v1/Recordings).
 *
 * Each account imports from its own subdirectory, <import-dir>/<AccountSid>/,
 * and only a regular file with a single link, reached without a symbolic
 * link, below it.  The kernel enforces the confinement (openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, from the account directory, so a
 * path can never reach another account's files or anything outside), the
 * open never blocks (O_NONBLOCK: a FIFO is refused at once instead of
 * waiting for a writer), and a hard link, the one way to bring a file from
 * elsewhere under the directory, is refused.  docs/security.md "Imports". */
#ifndef RG_PLAYBACK_IMPORT_H
#define RG_PLAYBACK_IMPORT_H

#include <stdint.h>

/* Opens rel (relative, already free of "..") under dir_fd/account_sid/.
 * RG_OK with *fd (read-only, close-on-exec) and *size; otherwise a
 * negative code and *why, a static text for the 400 message ("no such
 * file", "not a regular file", ...). */
int rg_import_open(int dir_fd, const char *account_sid, const char *rel, int *fd, uint64_t *size,
                   const char **why);

#endif
