/* provision.c - creating accounts and API keys (provision.h). */
#include "app/provision.h"

#include <openssl/crypto.h>
#include <string.h>

#include "core/errors.h"
#include "crypto/random.h"

static void copy_name(char *dst, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n > RG_NAME_MAX) n = RG_NAME_MAX;
    memcpy(dst, name ? name : "", n);
    dst[n] = '\0';
}

int rg_provision_seal_token(const uint8_t master[RG_MASTER_KEY_LEN], const char *account_sid,
                            const char *auth_token, uint8_t *out, size_t cap, size_t *outlen)
{
    uint8_t nonce[12];
    if (rg_random(nonce, sizeof nonce) != RG_OK) return RG_ECRYPTO;
    return rg_seal(master, nonce, account_sid, RG_SID_LEN, (const uint8_t *)auth_token,
                   strlen(auth_token), out, cap, outlen);
}

int rg_provision_account(rg_store *st, const uint8_t master[RG_MASTER_KEY_LEN], const char *name,
                         int64_t now, char sid[RG_SID_SIZE], char auth_token[RG_AUTH_TOKEN_LEN + 1])
{
    rg_account a;
    uint8_t rnd[RG_AUTH_TOKEN_LEN / 2];
    int rc;
    memset(&a, 0, sizeof a);
    if (rg_new_sid(a.sid, "AC") != RG_OK || rg_random(rnd, sizeof rnd) != RG_OK) return RG_ECRYPTO;
    rg_hex_encode(auth_token, rnd, sizeof rnd);
    OPENSSL_cleanse(rnd, sizeof rnd);
    copy_name(a.friendly_name, name);
    rg_token_hash(auth_token, RG_AUTH_TOKEN_LEN, a.token_hash);
    a.date_created = now;
    rc = rg_provision_seal_token(master, a.sid, auth_token, a.token_sealed, sizeof a.token_sealed,
                                 &a.token_sealed_len);
    if (rc != RG_OK || (rc = rg_store_account_insert(st, &a)) != RG_OK) {
        OPENSSL_cleanse(auth_token, RG_AUTH_TOKEN_LEN);
        return rc;
    }
    memcpy(sid, a.sid, RG_SID_SIZE);
    return RG_OK;
}

int rg_provision_key(rg_store *st, const uint8_t master[RG_MASTER_KEY_LEN], const char *account_sid,
                     const char *name, rg_key_type type, int64_t now, rg_key_row *row,
                     char secret[RG_KEY_SECRET_LEN + 1])
{
    uint8_t nonce[12];
    int rc;
    memset(row, 0, sizeof *row);
    if (rg_new_sid(row->sid, "SK") != RG_OK ||
        rg_random_alnum(secret, RG_KEY_SECRET_LEN) != RG_OK ||
        rg_random(nonce, sizeof nonce) != RG_OK)
        return RG_ECRYPTO;
    memcpy(row->account_sid, account_sid, RG_SID_SIZE);
    copy_name(row->friendly_name, name);
    row->key_type = type;
    row->date_created = row->date_updated = now;
    rc = rg_seal(master, nonce, row->sid, RG_SID_LEN, (const uint8_t *)secret, RG_KEY_SECRET_LEN,
                 row->sealed, sizeof row->sealed, &row->sealed_len);
    if (rc == RG_OK) rc = rg_store_key_insert(st, row);
    if (rc != RG_OK) OPENSSL_cleanse(secret, RG_KEY_SECRET_LEN);
    return rc;
}
