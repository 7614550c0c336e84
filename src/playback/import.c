/* import.c - opening an import's file confined to its account's
 * subdirectory (see import.h). */
#include "playback/import.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/errors.h"

/* No symbolic links at all (not even ones that stay inside: a file is
 * imported as what it is), no magic links, nothing outside the start. */
#define CONFINED (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

static int openat2_confined(int dir, const char *path, uint64_t flags)
{
    struct open_how how = {.flags = flags, .resolve = CONFINED};
    return (int)syscall(SYS_openat2, dir, path, &how, sizeof how);
}

static const char *open_failure(int err)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
        return "no such file";
    case ELOOP:
        return "a symbolic link (name the file itself)";
    case EXDEV:
        return "outside your import directory";
    case ENXIO: /* a socket */
    case EWOULDBLOCK:
        return "not a regular file";
    default:
        return "cannot be opened";
    }
}

int rg_import_open(int dir_fd, const char *account_sid, const char *rel, int *fd, uint64_t *size,
                   const char **why)
{
    struct stat sb;
    int acct, f;
    *fd = -1;
    acct = openat2_confined(dir_fd, account_sid, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (acct < 0) {
        *why = errno == ENOENT ? "this account has no import directory (<import-dir>/<AccountSid>/)"
                               : "this account's import directory cannot be opened";
        return RG_ENOTFOUND;
    }
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
     * writer, holding an import thread for as long as nobody comes */
    f = openat2_confined(acct, rel, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (f < 0) *why = open_failure(errno);
    close(acct);
    if (f < 0) return RG_EINVAL;
    if (fstat(f, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        *why = "not a regular file";
    } else if (sb.st_nlink != 1) {
        /* a hard link made inside the directory to a file from elsewhere
         * is indistinguishable from the file: refuse every shared inode */
        *why = "the file has more than one hard link";
    } else {
        *fd = f;
        *size = (uint64_t)sb.st_size;
        return RG_OK;
    }
    close(f);
    return RG_EINVAL;
}
