/* auditchain.c - canonical row encoding and hashing (see auditchain.h). */
#include "core/auditchain.h"

#include <string.h>

#include <inttypes.h>
#include <stdio.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

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

/* ---- the chain head ----------------------------------------------------- */

#define HEAD_TAG "rg-audit-head-v1"

static int head_mac(const uint8_t key[32], int64_t seq, const uint8_t hash[RG_AUDIT_HASH_LEN],
                    uint8_t out[RG_AUDIT_HASH_LEN])
{
    uint8_t msg[sizeof HEAD_TAG - 1 + 8 + RG_AUDIT_HASH_LEN];
    unsigned int len = 0;
    uint64_t v = (uint64_t)seq;
    memcpy(msg, HEAD_TAG, sizeof HEAD_TAG - 1);
    for (int i = 7; i >= 0; i--, v >>= 8)
        msg[sizeof HEAD_TAG - 1 + (size_t)i] = (uint8_t)v;
    memcpy(msg + sizeof HEAD_TAG - 1 + 8, hash, RG_AUDIT_HASH_LEN);
    if (HMAC(EVP_sha256(), key, 32, msg, sizeof msg, out, &len) == NULL || len != RG_AUDIT_HASH_LEN)
        return RG_ECRYPTO;
    return RG_OK;
}

int rg_audit_head_seal(const uint8_t key[32], rg_audit_head *h)
{
    return head_mac(key, h->seq, h->hash, h->mac);
}

int rg_audit_head_valid(const uint8_t key[32], const rg_audit_head *h)
{
    uint8_t want[RG_AUDIT_HASH_LEN];
    int ok = h->seq >= 0 && head_mac(key, h->seq, h->hash, want) == RG_OK &&
             CRYPTO_memcmp(want, h->mac, RG_AUDIT_HASH_LEN) == 0;
    OPENSSL_cleanse(want, sizeof want);
    return ok;
}

static void hex(char *out, const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < 2 * n; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) return -1;
        out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] << 4) | v : v);
    }
    return 0;
}

size_t rg_audit_head_format(const rg_audit_head *h, char out[RG_AUDIT_HEAD_TEXT])
{
    char hh[2 * RG_AUDIT_HASH_LEN + 1], mh[2 * RG_AUDIT_HASH_LEN + 1];
    hex(hh, h->hash, RG_AUDIT_HASH_LEN);
    hex(mh, h->mac, RG_AUDIT_HASH_LEN);
    int n = snprintf(out, RG_AUDIT_HEAD_TEXT, HEAD_TAG " %" PRId64 " %s %s\n", h->seq, hh, mh);
    return n > 0 && n < RG_AUDIT_HEAD_TEXT ? (size_t)n : 0;
}

int rg_audit_head_parse(const char *s, size_t len, rg_audit_head *out)
{
    const size_t tag = sizeof HEAD_TAG - 1, hexlen = 2 * RG_AUDIT_HASH_LEN;
    size_t i = tag + 1, digits = 0;
    int64_t seq = 0;
    memset(out, 0, sizeof *out);
    if (len < tag + 1 || memcmp(s, HEAD_TAG " ", tag + 1) != 0) return -1;
    while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 18) {
        seq = seq * 10 + (s[i++] - '0');
        digits++;
    }
    if (digits == 0 || (digits > 1 && s[tag + 1] == '0')) return -1;
    if (len != i + 1 + hexlen + 1 + hexlen + 1 || s[i] != ' ' || s[i + 1 + hexlen] != ' ' ||
        s[len - 1] != '\n')
        return -1;
    if (unhex(s + i + 1, out->hash, RG_AUDIT_HASH_LEN) != 0 ||
        unhex(s + i + 2 + hexlen, out->mac, RG_AUDIT_HASH_LEN) != 0)
        return -1;
    out->seq = seq;
    return 0;
}

int rg_audit_head_slot_format(const rg_audit_head *h, char out[RG_AUDIT_HEAD_SLOT])
{
    char text[RG_AUDIT_HEAD_TEXT];
    size_t n = rg_audit_head_format(h, text);
    if (n == 0) return -1;
    memset(out, ' ', RG_AUDIT_HEAD_SLOT);
    memcpy(out, text, n - 1); /* without its newline: the slot ends in one */
    out[RG_AUDIT_HEAD_SLOT - 1] = '\n';
    return 0;
}

int rg_audit_head_slot_parse(const char s[RG_AUDIT_HEAD_SLOT], rg_audit_head *out)
{
    char text[RG_AUDIT_HEAD_TEXT];
    size_t end = RG_AUDIT_HEAD_SLOT - 1;
    memset(out, 0, sizeof *out);
    if (s[end] != '\n') return -1;
    while (end > 0 && s[end - 1] == ' ')
        end--;
    if (end + 1 >= sizeof text) return -1;
    memcpy(text, s, end);
    text[end] = '\n';
    return rg_audit_head_parse(text, end + 1, out);
}
