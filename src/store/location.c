/* location.c - where the store lives (store.h): --db as given, or the
 * SQLite file in the data directory; and the form of a location that may
 * be printed, without the password a postgres:// URL can carry. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/errors.h"

int rg_store_location(const char *db, const char *data_dir, char *out, size_t cap)
{
    int n = db && *db ? snprintf(out, cap, "%s", db)
                      : snprintf(out, cap, "%s/roomgate.db", data_dir ? data_dir : ".");
    return n >= 0 && (size_t)n < cap ? RG_OK : RG_ETOOBIG;
}

/* Appends [s, s + n) to out (cap bytes, *len used), truncating. */
static void put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + 1 >= cap) return;
    if (n > cap - 1 - *len) n = cap - 1 - *len;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
}

/* The query string a=b&c=d with the value of every password= key hidden
 * (up to the next '&': the value cannot hold one unencoded). */
static void put_query(char *out, size_t cap, size_t *len, const char *q)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        const char *eq = memchr(q, '=', n);
        if (eq && (size_t)(eq - q) == 8 && strncmp(q, "password", 8) == 0) {
            put(out, cap, len, q, 9);
            put(out, cap, len, "***", 3);
        } else {
            put(out, cap, len, q, n);
        }
        q += n;
        if (*q == '&') put(out, cap, len, q++, 1);
    }
}

/* A user name worth showing: plain characters only (anything else may be
 * a mistyped password or a query that libpq would read as user info). */
static int plain_user(const char *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", u[i]))
            return 0;
    return 1;
}

void rg_store_location_safe(const char *loc, char *out, size_t cap)
{
    size_t len = 0;
    if (cap == 0) return;
    out[0] = '\0';
    if (!rg_store_is_postgres(loc)) {
        put(out, cap, &len, loc ? loc : "", loc ? strlen(loc) : 0);
        return;
    }
    const char *rest = strstr(loc, "://") + 3;
    put(out, cap, &len, loc, (size_t)(rest - loc));
    /* as libpq reads it, the authority ends at the first '/'; the user info
     * ends at an '@' in it (the last one: a password may hold '@') */
    const char *at = NULL;
    for (const char *p = rest; *p && *p != '/'; p++)
        if (*p == '@') at = p;
    if (at) {
        size_t user = strcspn(rest, ":@");
        if (plain_user(rest, user))
            put(out, cap, &len, rest, user);
        else
            put(out, cap, &len, "***", 3);
        if (rest + user < at) put(out, cap, &len, ":***", 4);
        rest = at; /* from the '@' on */
    }
    const char *q = strchr(rest, '?');
    if (!q) {
        put(out, cap, &len, rest, strlen(rest));
        return;
    }
    put(out, cap, &len, rest, (size_t)(q + 1 - rest));
    put_query(out, cap, &len, q + 1);
}
