/* hook/tokens.c - the dispatcher's cache of unsealed auth tokens
 * (tokens.h): a small table indexed by a hash of the account SID; a
 * collision replaces, which only costs an unseal. */
#include "hook/tokens.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/fnv.h"

#define SLOTS 64     /* accounts whose events are signed at once, as a rule */
#define TTL_MS 60000 /* how long a token unsealed is used without unsealing again */

typedef struct {
    char account_sid[RG_SID_SIZE]; /* "" when empty */
    uint8_t sealed[RG_SEALED_MAX]; /* what token was unsealed from */
    size_t sealed_len, len;
    int64_t until_ms;
    char token[RG_AUTH_TOKEN_LEN];
} slot;

struct rg_hook_tokens {
    slot s[SLOTS];
};

rg_hook_tokens *rg_hook_tokens_new(void)
{
    return calloc(1, sizeof(rg_hook_tokens));
}

void rg_hook_tokens_free(rg_hook_tokens *c)
{
    if (!c) return;
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

static int hit(const slot *e, const rg_outbox_row *row, int64_t now_ms)
{
    return e->len > 0 && now_ms < e->until_ms && strcmp(e->account_sid, row->account_sid) == 0 &&
           e->sealed_len == row->token_sealed_len &&
           memcmp(e->sealed, row->token_sealed, e->sealed_len) == 0;
}

int rg_hook_token(rg_hook_tokens *c, const uint8_t master[RG_MASTER_KEY_LEN],
                  const rg_outbox_row *row, int64_t now_ms, char *token, size_t *len)
{
    slot *e = &c->s[rg_fnv1a_str(row->account_sid) % SLOTS];
    *len = 0;
    if (row->token_sealed_len == 0 || row->token_sealed_len > sizeof e->sealed) return RG_ECRYPTO;
    if (!hit(e, row, now_ms)) {
        OPENSSL_cleanse(e, sizeof *e); /* a rotated or expired token, or another account's */
        size_t n = 0;
        int rc = rg_unseal(master, row->account_sid, RG_SID_LEN, row->token_sealed,
                           row->token_sealed_len, (uint8_t *)e->token, sizeof e->token, &n);
        if (rc != RG_OK || n == 0) {
            OPENSSL_cleanse(e, sizeof *e);
            return RG_ECRYPTO;
        }
        memcpy(e->account_sid, row->account_sid, sizeof e->account_sid);
        e->account_sid[RG_SID_SIZE - 1] = '\0';
        memcpy(e->sealed, row->token_sealed, row->token_sealed_len);
        e->sealed_len = row->token_sealed_len;
        e->len = n;
        e->until_ms = now_ms + TTL_MS;
    }
    memcpy(token, e->token, e->len);
    *len = e->len;
    return RG_OK;
}
