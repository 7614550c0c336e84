/* b64.c - base64 / base64url on top of EVP_EncodeBlock and EVP_DecodeBlock.
 *
 * OpenSSL only speaks the standard padded alphabet and is lenient about
 * whitespace, so this file does the strict part itself: it validates every
 * character, the length and the padding, rejects non-zero trailing bits (so
 * every byte string has exactly one accepted encoding, which matters when a
 * signature is compared), and translates the url alphabet to the standard one
 * in a small stack buffer before handing chunks to OpenSSL. */
#include "core/b64.h"
#include "core/swar.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/errors.h"

#define CHUNK 1024 /* chars translated per EVP_DecodeBlock call; multiple of 4 */

/* Maps an input char to its 6-bit value, or -1 when it is outside the
 * alphabet.  '=' is never a data char: padding is stripped before this. */
static int b64_value(unsigned char ch, bool url)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == (url ? '-' : '+')) return 62;
    if (ch == (url ? '_' : '/')) return 63;
    return -1;
}


/* '+' -> '-' and '/' -> '_' in place.  This runs over every minted token
 * and a per-char branch mispredicts on exactly those chars (~3% each), so it
 * works on 8 chars at a time (SWAR): '-' is '+' + 2 and '_' is '/' + 0x30,
 * and no byte can carry into its neighbour. */
static void to_url_alphabet(char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        v += (rg_swar_eq(v, '+') >> 7) * ('-' - '+') + (rg_swar_eq(v, '/') >> 7) * ('_' - '/');
        memcpy(s + i, &v, 8);
    }
    for (; i < n; i++)
        s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
}

size_t rg_b64url_len(size_t n)
{
    return (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/* Standard padded encoding; dst needs 4 * ceil(n / 3) + 1 bytes. */
size_t rg_b64_encode(char *dst, const uint8_t *src, size_t n)
{
    size_t done = 0, len = 0;

    /* EVP_EncodeBlock takes an int length: feed it bounded chunks of whole
     * 3-byte groups so huge inputs cannot overflow it. */
    while (n - done > 3 * CHUNK) {
        len += (size_t)EVP_EncodeBlock((unsigned char *)dst + len, src + done, 3 * CHUNK);
        done += 3 * CHUNK;
    }
    len += (size_t)EVP_EncodeBlock((unsigned char *)dst + len, src + done, (int)(n - done));
    return len;
}

size_t rg_b64url_encode(char *dst, const uint8_t *src, size_t n)
{
    size_t whole = n - n % 3;
    size_t len = whole ? rg_b64_encode(dst, src, whole) : 0;

    /* The last 1-2 bytes would come out padded, which does not fit the
     * unpadded capacity: encode them aside and keep the data chars. */
    if (n % 3) {
        unsigned char tail[5];
        EVP_EncodeBlock(tail, src + whole, (int)(n % 3));
        memcpy(dst + len, tail, n % 3 + 1);
        len += n % 3 + 1;
    }
    to_url_alphabet(dst, len);
    dst[len] = '\0';
    return len;
}

/* Strips and checks padding.  Returns the number of data chars, or
 * (size_t)-1 when the padding or length is impossible. */
static size_t data_len(const char *src, size_t len, bool url)
{
    size_t pads = 0;

    while (pads < len && pads < 3 && src[len - 1 - pads] == '=')
        pads++;
    size_t m = len - pads;
    if (pads == 0) return (!url && len % 4) || m % 4 == 1 ? (size_t)-1 : m;
    /* Padded input (allowed for both): whole quads, and the pads must be
     * exactly those the data length calls for. */
    if (len % 4 != 0 || pads > 2 || m % 4 != 4 - pads) return (size_t)-1;
    return m;
}

/* char -> the same char in the standard alphabet, 0 when not in the
 * alphabet.  A table lookup per char is the cheapest strict validation: base64
 * chars are random enough to defeat any branch. */
#define S(c) [c] = c
// clang-format off
#define ALNUM \
    S('A'), S('B'), S('C'), S('D'), S('E'), S('F'), S('G'), S('H'), S('I'), S('J'), S('K'), \
    S('L'), S('M'), S('N'), S('O'), S('P'), S('Q'), S('R'), S('S'), S('T'), S('U'), S('V'), \
    S('W'), S('X'), S('Y'), S('Z'), S('a'), S('b'), S('c'), S('d'), S('e'), S('f'), S('g'), \
    S('h'), S('i'), S('j'), S('k'), S('l'), S('m'), S('n'), S('o'), S('p'), S('q'), S('r'), \
    S('s'), S('t'), S('u'), S('v'), S('w'), S('x'), S('y'), S('z'), S('0'), S('1'), S('2'), \
    S('3'), S('4'), S('5'), S('6'), S('7'), S('8'), S('9')
// clang-format on
static const char url_to_std[256] = {ALNUM, ['-'] = '+', ['_'] = '/'};
static const char std_to_std[256] = {ALNUM, ['+'] = '+', ['/'] = '/'};
#undef ALNUM
#undef S

/* Validates k data chars and writes them to buf in the standard alphabet,
 * padded to a whole quad.  Returns the quad-aligned length, or 0 if a char
 * is outside the alphabet. */
static size_t translate(char *buf, const char *src, size_t k, bool url)
{
    const char *map = url ? url_to_std : std_to_std;
    bool bad = false;

    for (size_t i = 0; i < k; i++) {
        char ch = map[(unsigned char)src[i]];
        bad |= ch == 0;
        buf[i] = ch;
    }
    if (bad) return 0;
    size_t q = (k + 3) & ~(size_t)3;
    memset(buf + k, '=', q - k);
    return q;
}

static int decode(uint8_t *dst, size_t cap, const char *src, size_t len, size_t *outlen, bool url)
{
    size_t m = data_len(src, len, url);
    if (m == (size_t)-1) return RG_EINVAL;
    size_t rem = m % 4;
    size_t need = m / 4 * 3 + (rem ? rem - 1 : 0);
    if (need > cap) return RG_ETOOBIG;
    char buf[CHUNK];
    uint8_t tmp[CHUNK / 4 * 3];
    size_t in = 0, out = 0;

    /* The last partial quad carries 2 or 4 spare bits that must be zero, or
     * two encodings would decode to the same bytes. */
    int last = m ? b64_value((unsigned char)src[m - 1], url) : 0;
    if ((rem == 2 && (last & 0x0f)) || (rem == 3 && (last & 0x03))) return RG_EINVAL;
    while (in < m) {
        size_t k = m - in < CHUNK ? m - in : CHUNK;
        size_t q = translate(buf, src + in, k, url);
        if (q == 0) return RG_EINVAL;
        size_t want = in + k == m ? need - out : k / 4 * 3;
        /* OpenSSL writes 3 bytes per quad, padding included: decode whole
         * quads in place, a final partial one aside. */
        uint8_t *to = want == q / 4 * 3 ? dst + out : tmp;
        if (EVP_DecodeBlock(to, (const unsigned char *)buf, (int)q) < 0) return RG_EINVAL;
        if (to == tmp) memcpy(dst + out, tmp, want);
        out += want;
        in += k;
    }
    *outlen = out;
    return RG_OK;
}

int rg_b64url_decode(uint8_t *dst, size_t cap, const char *src, size_t len, size_t *outlen)
{
    return decode(dst, cap, src, len, outlen, true);
}

int rg_b64_decode(uint8_t *dst, size_t cap, const char *src, size_t len, size_t *outlen)
{
    return decode(dst, cap, src, len, outlen, false);
}
