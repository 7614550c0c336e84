/* auditchain.c - canonical row encoding and hashing (see auditchain.h). */
#include "core/auditchain.h"

#include <string.h>

#include <openssl/evp.h>

#include "core/errors.h"

static int put_int(EVP_MD_CTX *md, uint64_t v)
{
    uint8_t b[8];
    for (int i = 7; i >= 0; i--, v >>= 8)
        b[i] = (uint8_t)v;
    return EVP_DigestUpdate(md, b, 8);
}

static int put_text(EVP_MD_CTX *md, const char *s)
{
    uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
    uint8_t b[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    return EVP_DigestUpdate(md, b, 4) && (!s || EVP_DigestUpdate(md, s, n));
}

int rg_audit_hash(int64_t seq, int64_t ts_ms, const uint8_t prev[RG_AUDIT_HASH_LEN],
                  const rg_audit_fields *f, uint8_t out[RG_AUDIT_HASH_LEN])
{
    const char *const fields[] = {f->action,        f->outcome,   f->reason,        f->account_sid,
                                  f->recording_sid, f->identity,  f->realm_user_id, f->roles,
                                  f->client_ip,     f->user_agent};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(md, "rg-audit-v1", 11) && put_int(md, (uint64_t)seq) &&
             put_int(md, (uint64_t)ts_ms) && EVP_DigestUpdate(md, prev, RG_AUDIT_HASH_LEN);
    for (size_t i = 0; ok && i < sizeof fields / sizeof fields[0]; i++)
        ok = put_text(md, fields[i]);
    ok = ok && EVP_DigestFinal_ex(md, out, &len) && len == RG_AUDIT_HASH_LEN;
    EVP_MD_CTX_free(md);
    return ok ? RG_OK : RG_ECRYPTO;
}
