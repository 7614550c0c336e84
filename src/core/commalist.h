/* commalist.h - walking a comma-separated option value ("a, b,c"): the one
 * splitter behind --cors-origins, --playback-validator-accounts and the
 * host lists (hostname.h), so that they all trim and split alike. */
#ifndef RG_CORE_COMMALIST_H
#define RG_CORE_COMMALIST_H

#include <stddef.h>

/* Calls fn on each entry of list (NULL is empty), spaces around it trimmed
 * (an empty entry comes as n == 0), until fn returns non-zero: returns
 * that value, else 0. */
int rg_commalist_each(const char *list, int (*fn)(void *ud, const char *s, size_t n), void *ud);

#endif
