/* random.h - the process's randomness: bytes from OpenSSL's CSPRNG, and
 * fresh SIDs made of them.  The shell's side of core/sid.h, whose
 * formatting takes its random bytes as a parameter. */
#ifndef RG_CRYPTO_RANDOM_H
#define RG_CRYPTO_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "core/sid.h"

/* Random bytes from the CSPRNG; RG_ECRYPTO if it fails. */
int rg_random(void *buf, size_t n);
/* A fresh random SID with the given prefix ("RM", "PA"...); RG_ECRYPTO. */
int rg_new_sid(char sid[RG_SID_SIZE], const char prefix[2]);
/* A fresh SID that starts with the time (rg_sid_format_at: `now`, then
 * the wall clock's fraction of its second): rooms and participants;
 * RG_ECRYPTO. */
int rg_new_sid_at(char sid[RG_SID_SIZE], const char prefix[2], int64_t now);
/* n uniform alphanumerics and a NUL into out (n + 1 bytes); RG_ECRYPTO. */
int rg_random_alnum(char *out, size_t n);

#endif
