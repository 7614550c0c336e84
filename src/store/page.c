/* page.c - the parameters of a page (see page.h). */
#include "store/page.h"

#include <stdint.h>
#include <string.h>

#include "core/errors.h"

int rg_page_args(rg_arg *all, int max, const rg_arg *args, int n, size_t offset, size_t limit,
                 const void *out)
{
    if (n < 0 || n > max || limit >= (uint64_t)INT64_MAX || offset > (uint64_t)INT64_MAX ||
        (limit > 0 && !out))
        return RG_EINVAL;
    if (n > 0) memcpy(all, args, (size_t)n * sizeof *args);
    all[n] = (rg_arg){'i', NULL, 0, (int64_t)limit + 1}; /* the extra row: are there more? */
    all[n + 1] = (rg_arg){'i', NULL, 0, (int64_t)offset};
    return n + 2;
}
