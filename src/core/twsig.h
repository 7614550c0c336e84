/* twsig.h - Twilio's request signature (X-Twilio-Signature) and the form
 * encoding of a status callback's parameters.
 *
 * The signature is base64(HMAC-SHA1(auth token, URL followed by each
 * parameter's name and value, sorted by name)), exactly what the `twilio`
 * helper libraries' validateRequest recomputes.  A GET request carries its
 * parameters in the URL's query and signs that URL with no parameters. */
#ifndef RG_CORE_TWSIG_H
#define RG_CORE_TWSIG_H

#include <stddef.h>

#define RG_TWSIG_SIZE 29 /* base64 of a 20-byte SHA-1 MAC + NUL */

typedef struct {
    const char *name, *value;
} rg_kv;

/* Sorts pairs by name (byte order, as JavaScript sorts ASCII keys). */
void rg_kv_sort(rg_kv *kv, size_t n);

/* The signature of url + the n pairs (sorted by the caller) under token.
 * Returns 0, or -1 when the MAC cannot be computed. */
int rg_twsig(const char *url, const rg_kv *kv, size_t n, const char *token, size_t toklen,
             char out[RG_TWSIG_SIZE]);

/* application/x-www-form-urlencoded text of the pairs, appended after
 * prefix (may be "", e.g. a URL and its "?" for GET); malloc'd, NULL when
 * out of memory. */
char *rg_form_encode(const char *prefix, const rg_kv *kv, size_t n);

#endif
