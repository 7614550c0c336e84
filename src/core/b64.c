/* b64.c - base64 / base64url: encoding on top of EVP_EncodeBlock, strict
 * decoding by table.
 *
 * OpenSSL only speaks the standard padded alphabet and is lenient about
 * whitespace, so decoding is done here: it validates every character, the
 * length and the padding (base64url takes none) and rejects non-zero
 * trailing bits (so every byte string has exactly one accepted encoding,
 * which matters when a signature is compared or a token is a cache key). */
#include "core/b64.h"
#include "core/swar.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/errors.h"

#define CHUNK 1024 /* 3-byte groups per EVP_EncodeBlock call */

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
 * (size_t)-1 when the padding or length is impossible.  '=' left in a
 * base64url string is then refused as a char outside the alphabet. */
static size_t data_len(const char *src, size_t len, bool url)
{
    size_t pads = 0;

    /* base64url is the JWS spelling (RFC 7515 section 2): never padded.
     * Accepting "=" would give one token several spellings. */
    if (url) return len % 4 == 1 ? (size_t)-1 : len;
    while (pads < len && pads < 3 && src[len - 1 - pads] == '=')
        pads++;
    size_t m = len - pads;
    if (len % 4 != 0) return (size_t)-1;
    /* The pads must be exactly those the data length calls for. */
    if (pads > 0 && (pads > 2 || m % 4 != 4 - pads)) return (size_t)-1;
    return m;
}

/* char -> its 6-bit value, 255 outside the alphabet.  A table lookup per
 * char is the cheapest strict validation (base64 chars are random enough to
 * defeat any branch).  Why not EVP_DecodeBlock: it skips whitespace we must
 * refuse, so every char would need checking first anyway, and checking,
 * translating '-_' to '+/' and then calling it costs about three times the
 * instructions of decoding straight from this table (callgrind, 10,000
 * decodes of a 40-char segment: 417 against 1,120 instructions each; of a
 * 400-char one: 3,346 against 10,098).  A token validation decodes its three
 * segments on every request.
 *
 * The tables are computed by the compiler from the alphabet (VAL), not
 * written out: the two differ only in the chars of 62 and 63. */
#define VAL(c, c62, c63)                                                                           \
    ((c) >= 'A' && (c) <= 'Z'   ? (c) - 'A'                                                        \
     : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26                                                   \
     : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52                                                   \
     : (c) == (c62)             ? 62                                                               \
     : (c) == (c63)             ? 63                                                               \
                                : 255)
#define VAL4(c, x, y) VAL(c, x, y), VAL((c) + 1, x, y), VAL((c) + 2, x, y), VAL((c) + 3, x, y)
#define VAL16(c, x, y) VAL4(c, x, y), VAL4((c) + 4, x, y), VAL4((c) + 8, x, y), VAL4((c) + 12, x, y)
#define VAL64(c, x, y)                                                                             \
    VAL16(c, x, y), VAL16((c) + 16, x, y), VAL16((c) + 32, x, y), VAL16((c) + 48, x, y)
#define TABLE(x, y)                                                                                \
    {                                                                                              \
        VAL64(0, x, y), VAL64(64, x, y), VAL64(128, x, y), VAL64(192, x, y)                        \
    }

static const uint8_t url_val[256] = TABLE('-', '_');
static const uint8_t std_val[256] = TABLE('+', '/');

/* The same values already shifted to their place in a quad's 24 bits
 * (SHIFTED), BAD outside the alphabet: a whole quad is then four lookups
 * and three ORs, and one OR collects the validity of all four chars (bit
 * 31 is never set by a valid value).  Fewer instructions than shifting each
 * 6-bit value in the loop: 3,134 -> 1,717 per token validation (callgrind,
 * bench/micro_token --count validate). */
#define BAD 0x80000000u
#define SHIFTED(c, x, y, sh) (VAL(c, x, y) < 64 ? (uint32_t)VAL(c, x, y) << (sh) : BAD)
#define SH4(c, x, y, sh)                                                                           \
    SHIFTED(c, x, y, sh), SHIFTED((c) + 1, x, y, sh), SHIFTED((c) + 2, x, y, sh),                  \
        SHIFTED((c) + 3, x, y, sh)
#define SH16(c, x, y, sh)                                                                          \
    SH4(c, x, y, sh), SH4((c) + 4, x, y, sh), SH4((c) + 8, x, y, sh), SH4((c) + 12, x, y, sh)
#define SH64(c, x, y, sh)                                                                          \
    SH16(c, x, y, sh), SH16((c) + 16, x, y, sh), SH16((c) + 32, x, y, sh), SH16((c) + 48, x, y, sh)
#define SH256(x, y, sh)                                                                            \
    {                                                                                              \
        SH64(0, x, y, sh), SH64(64, x, y, sh), SH64(128, x, y, sh), SH64(192, x, y, sh)            \
    }
static const uint32_t url_sh[4][256] = {SH256('-', '_', 18), SH256('-', '_', 12),
                                        SH256('-', '_', 6), SH256('-', '_', 0)};
static const uint32_t std_sh[4][256] = {SH256('+', '/', 18), SH256('+', '/', 12),
                                        SH256('+', '/', 6), SH256('+', '/', 0)};

/* The 24 bits of a quad (BAD set if a char is outside the alphabet). */
static inline uint32_t quad(const uint32_t (*t)[256], const unsigned char *s)
{
    return t[0][s[0]] | t[1][s[1]] | t[2][s[2]] | t[3][s[3]];
}

/* The quad's three bytes and one more (which the next quad overwrites), in
 * one store. */
static inline void put4(uint8_t *d, uint32_t v)
{
    uint32_t w = v << 8;
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__
    w = __builtin_bswap32(w);
#endif
    memcpy(d, &w, 4);
}

static int decode(uint8_t *dst, size_t cap, const char *src, size_t len, size_t *outlen, bool url)
{
    const uint8_t *val = url ? url_val : std_val;
    const uint32_t(*sh)[256] = url ? url_sh : std_sh;
    const unsigned char *s = (const unsigned char *)src;
    size_t m = data_len(src, len, url);
    if (m == (size_t)-1) return RG_EINVAL;
    size_t rem = m % 4, whole = m - rem, out = 0;
    size_t need = m / 4 * 3 + (rem ? rem - 1 : 0);
    if (need > cap) return RG_ETOOBIG;
    uint32_t bad = 0;
    size_t i = 0;

    /* Every quad but the last is followed by another, which overwrites the
     * spare byte of put4: nothing is written past the decoded bytes. */
    for (; i + 4 < whole; i += 4, out += 3) {
        uint32_t v = quad(sh, s + i);
        bad |= v;
        put4(dst + out, v);
    }
    if (i < whole) {
        uint32_t v = quad(sh, s + i);
        bad |= v;
        dst[out++] = (uint8_t)(v >> 16);
        dst[out++] = (uint8_t)(v >> 8);
        dst[out++] = (uint8_t)v;
    }
    if (rem > 0) {
        unsigned a = val[s[whole]], b = val[s[whole + 1]], c = rem == 3 ? val[s[whole + 2]] : 0;
        /* 255 outside the alphabet: bit 7 -> BAD */
        bad |= (uint32_t)((a | b | c) & 0x80) << 24;
        /* The last partial quad carries 2 or 4 spare bits that must be zero,
         * or two encodings would decode to the same bytes. */
        if ((rem == 2 && (b & 0x0f)) || (rem == 3 && (c & 0x03))) return RG_EINVAL;
        dst[out++] = (uint8_t)(a << 2 | b >> 4);
        if (rem == 3) dst[out++] = (uint8_t)(b << 4 | c >> 2);
    }
    if (bad & BAD) return RG_EINVAL;
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
