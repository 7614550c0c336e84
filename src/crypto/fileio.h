/* fileio.h - the two steps of a durable file write that recfile.c,
 * seal.c and tus_store.c share: writing a whole buffer through short
 * writes and EINTR, and syncing a directory so that a new or renamed
 * entry survives a crash. */
#ifndef RG_CRYPTO_FILEIO_H
#define RG_CRYPTO_FILEIO_H

#include <stddef.h>

/* Writes p[n] to fd: RG_OK, or RG_EIO on an error or a zero-length write. */
int rg_write_all(int fd, const void *p, size_t n);
/* fsync of the directory dir.  Best effort: nothing to report to. */
void rg_sync_dir(const char *dir);

#endif
