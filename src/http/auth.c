/* auth.c - HTTP Basic authentication against the key cache.
 *
 * Credentials are checked in constant time by the cache and never copied
 * anywhere that outlives the request (the pool is wiped by h2o's free). */
#include <strings.h>

#include "core/b64.h"
#include "core/errors.h"
#include "http/call.h"
#include "http/limits.h"

#define MAX_AUTH_HEADER 12288 /* room for "token:" + a maximal JWT */

int rg_auth_basic_parts(rg_call *c, const char **user, size_t *ulen, const char **pass,
                        size_t *plen)
{
    ssize_t i = h2o_find_header(&c->req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    h2o_iovec_t v;
    uint8_t *dec;
    size_t n;
    char *colon;
    if (i == -1) return -1;
    v = c->req->headers.entries[i].value;
    if (v.len < 6 || v.len > MAX_AUTH_HEADER || strncasecmp(v.base, "Basic ", 6) != 0) return -1;
    v.base += 6, v.len -= 6;
    while (v.len > 0 && v.base[0] == ' ')
        v.base++, v.len--;
    dec = h2o_mem_alloc_pool(&c->req->pool, v.len + 4);
    if (rg_b64_decode(dec, v.len + 3, v.base, v.len, &n) != RG_OK) return -1;
    dec[n] = '\0';
    if (memchr(dec, '\0', n) != NULL) return -1;
    if ((colon = memchr(dec, ':', n)) == NULL) return -1;
    *colon = '\0';
    *user = (const char *)dec;
    *ulen = (size_t)(colon - (char *)dec);
    *pass = colon + 1;
    *plen = n - *ulen - 1;
    return 0;
}

int rg_auth_deny(rg_call *c)
{
    h2o_add_header(&c->req->pool, &c->req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                   H2O_STRLIT("Basic realm=\"roomgate\""));
    rg_reply_error(c, 401, 20003, "Authentication Error - invalid username or password");
    return -1;
}

int rg_auth_basic(rg_call *c, const h2o_iovec_t *path_account, rg_principal *p)
{
    rg_keycache *kc = c->w->app->keys;
    const char *user, *pass;
    size_t ulen, plen;
    int is_ac, is_sk;
    if (rg_auth_basic_parts(c, &user, &ulen, &pass, &plen) != 0) return rg_auth_deny(c);
    memset(p, 0, sizeof *p);
    is_ac = rg_sid_valid(user, ulen, "AC");
    is_sk = !is_ac && rg_sid_valid(user, ulen, "SK");
    if (!is_ac && !is_sk) return rg_auth_deny(c);
    /* A guess is a SID with a secret: those are limited (limits.h), before
     * the secret is even looked at, so a blocked guesser learns nothing. */
    if (rg_limit_auth_begin(c, user, ulen) != 0) return -1;
    if (is_ac) {
        if (rg_keycache_check_account(kc, user, pass, plen) != 0) goto failed;
        p->kind = RG_PRINCIPAL_ACCOUNT;
        memcpy(p->account_sid, user, RG_SID_SIZE);
    } else {
        if (rg_keycache_check_key(kc, user, pass, plen, p->account_sid) != 0) goto failed;
        p->kind = RG_PRINCIPAL_KEY;
        memcpy(p->key_sid, user, RG_SID_SIZE);
    }
    if (path_account != NULL && !rg_iov_eq(*path_account, p->account_sid)) return rg_auth_deny(c);
    return 0;
failed:
    rg_limit_auth_failed(c, user, ulen);
    return rg_auth_deny(c);
}

int rg_auth_signing_key(rg_call *c, const rg_principal *p, char key_sid[RG_SID_SIZE],
                        rg_key_view *key)
{
    rg_keycache *kc = c->w->app->keys;
    if (p->kind == RG_PRINCIPAL_KEY) {
        memcpy(key_sid, p->key_sid, RG_SID_SIZE);
        if (rg_keycache_lookup_key(kc, key_sid, key) == 0) return 0;
    } else if (rg_keycache_newest_key(kc, p->account_sid, key_sid, key) == 0) {
        return 0;
    }
    rg_reply_error(c, 409, 20409, "The account has no API key to sign with; create one first");
    return -1;
}
