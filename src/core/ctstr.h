/* ctstr.h - equality of two NUL-terminated strings in time that depends on
 * their lengths only, never on where they first differ: for secrets a
 * client guesses at (a consultation's detail id, a Twilio session to
 * resume).  Pure. */
#ifndef RG_CORE_CTSTR_H
#define RG_CORE_CTSTR_H

#include <stdbool.h>
#include <string.h>

static inline bool rg_str_equal_ct(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

#endif
