/* linkseen.c - see linkseen.h. */
#include "core/linkseen.h"

#include <stdio.h>
#include <string.h>

#include "core/fnv.h"

int rg_linkseen_key(char out[RG_LINKSEEN_KEY], const char *sid, const char *nonce, size_t nlen,
                    const char *client)
{
    int n = snprintf(out, RG_LINKSEEN_KEY, "%s %.*s %s", sid, (int)nlen, nonce, client);
    return n > 0 && n < RG_LINKSEEN_KEY && memchr(nonce, '\0', nlen) == NULL ? 0 : -1;
}

static size_t slot_of(const char *key)
{
    return rg_fnv1a_str(key) % RG_LINKSEEN_SLOTS;
}

int rg_linkseen_has(const rg_linkseen *s, const char *key, int64_t now)
{
    size_t i = slot_of(key);
    return s->e[i].exp > now && strcmp(s->e[i].key, key) == 0;
}

void rg_linkseen_add(rg_linkseen *s, const char *key, int64_t exp)
{
    size_t i = slot_of(key);
    snprintf(s->e[i].key, sizeof s->e[i].key, "%s", key);
    s->e[i].exp = exp;
}
