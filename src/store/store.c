/* store.c - what store.h defines beside the back ends' calls: the key
 * type names every back end stores and the REST layer shows.  The
 * dispatch to the back ends is dispatch.c: this file stays below
 * store/ops.h, which names every resource header (which include
 * store.h), so the two are not one circle. */
#include "store/store.h"

#include <string.h>

const char *rg_key_type_name(rg_key_type t)
{
    return t == RG_KEY_MAIN ? "main" : "standard";
}

int rg_key_type_parse(const char *s)
{
    if (strcmp(s, "main") == 0) return RG_KEY_MAIN;
    if (strcmp(s, "standard") == 0) return RG_KEY_STANDARD;
    return -1;
}
