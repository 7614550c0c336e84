/* fileio.c - rg_write_all (the whole buffer through short writes and
 * EINTR) and rg_sync_dir (fsync of a directory so a new or renamed entry
 * survives a crash) (fileio.h). */
#include "crypto/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "core/errors.h"

int rg_write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return RG_EIO;
        b += w, n -= (size_t)w;
    }
    return RG_OK;
}

void rg_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)fsync(fd);
    close(fd);
}
