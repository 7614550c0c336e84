/* page.h - the paging rule of every back end's listing, in one place: a
 * page is asked for with the caller's parameters followed by LIMIT
 * limit + 1 (the extra row only says whether there are more, so one query
 * answers both questions) and OFFSET offset.  The back ends' list helpers
 * (rg_sql_list_locked, rg_pg_list) build their parameters here and keep
 * only the stepping through their results. */
#ifndef RG_STORE_PAGE_H
#define RG_STORE_PAGE_H

#include <stddef.h>

#include "store/cols.h"

/* Checks a page request and writes its parameters into all (room for
 * max + 2): args[0..n), then limit + 1, then offset.  RG_EINVAL for more
 * than max parameters, a limit or offset SQL's int64 cannot hold, or no
 * rows to write into (out NULL) when limit > 0; otherwise how many
 * parameters all holds (n + 2). */
int rg_page_args(rg_arg *all, int max, const rg_arg *args, int n, size_t offset, size_t limit,
                 const void *out);

#endif
