/* twsig.c - X-Twilio-Signature (HMAC-SHA1 through OpenSSL's EVP_MAC over
 * the URL and the sorted pairs, base64) and form encoding. */
#include "core/twsig.h"

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(((const rg_kv *)a)->name, ((const rg_kv *)b)->name);
}

void rg_kv_sort(rg_kv *kv, size_t n)
{
    if (n > 1) qsort(kv, n, sizeof *kv, by_name);
}

int rg_twsig(const char *url, const rg_kv *kv, size_t n, const char *token, size_t toklen,
             char out[RG_TWSIG_SIZE])
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    int ok = 0;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
        OSSL_PARAM_construct_end()};
    if (ctx && EVP_MAC_init(ctx, (const unsigned char *)token, toklen, params) == 1 &&
        EVP_MAC_update(ctx, (const unsigned char *)url, strlen(url)) == 1) {
        ok = 1;
        for (size_t i = 0; ok && i < n; i++)
            ok = EVP_MAC_update(ctx, (const unsigned char *)kv[i].name, strlen(kv[i].name)) == 1 &&
                 EVP_MAC_update(ctx, (const unsigned char *)kv[i].value, strlen(kv[i].value)) == 1;
        ok = ok && EVP_MAC_final(ctx, mac, &maclen, sizeof mac) == 1 && maclen == 20;
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    if (!ok) return -1;
    rg_b64_encode(out, mac, maclen);
    return 0;
}

/* Unreserved in a form body; space is '+', everything else %XX. */
static int plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '*';
}

static char *put_encoded(char *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (plain(c)) {
            *p++ = (char)c;
        } else if (c == ' ') {
            *p++ = '+';
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    return p;
}

char *rg_form_encode(const char *prefix, const rg_kv *kv, size_t n)
{
    size_t len = strlen(prefix) + 1;
    for (size_t i = 0; i < n; i++)
        len += 3 * (strlen(kv[i].name) + strlen(kv[i].value)) + 2;
    char *out = malloc(len), *p = out;
    if (!out) return NULL;
    memcpy(p, prefix, strlen(prefix));
    p += strlen(prefix);
    for (size_t i = 0; i < n; i++) {
        if (i) *p++ = '&';
        p = put_encoded(p, kv[i].name);
        *p++ = '=';
        p = put_encoded(p, kv[i].value);
    }
    *p = '\0';
    return out;
}
