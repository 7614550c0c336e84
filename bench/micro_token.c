/* micro_token.c - single-thread throughput of the token core: Twilio mint,
 * Twilio validate, VideoSDK mint, each run for about two seconds.  No I/O or
 * store in the loop: the key lookup is an in-memory copy, as the key cache's
 * is.  Times are the thread's CPU time, so the rates are per core and hold
 * on a machine other work shares.  Usage: micro_token [seconds per case,
 * default 2].
 *
 * `micro_token --count CASE N` runs CASE exactly N times and prints
 * nothing: for instruction counts under callgrind, which do not move with
 * the machine's load (bench/README.md, "Token validation, before and
 * after": run N and 2N, subtract, divide by N). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/errors.h"
#include "core/hmac.h"
#include "core/token.h"

#define SK "SK0123456789abcdef0123456789abcdef"
#define AC "AC0123456789abcdef0123456789abcdef"
#define SECRET "k3y-s3cret-0123456789abcdefghijk"
#define NOW 1700000000
#define BATCH 256

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int lookup(void *ud, const char *sid, rg_key_view *out)
{
    (void)ud;
    if (strcmp(sid, SK) != 0) return -1;
    memcpy(out->account_sid, AC, sizeof(AC));
    out->secret_len = sizeof(SECRET) - 1;
    memcpy(out->secret, SECRET, out->secret_len);
    return 0;
}

typedef int (*op_fn)(rg_hmac *h, unsigned long i, char *tok, size_t *len);

static int twilio_mint(rg_hmac *h, unsigned long i, char *tok, size_t *len)
{
    rg_twilio_claims c = {AC,          SK,       (const uint8_t *)SECRET,   sizeof(SECRET) - 1,
                          "user-1234", "room-1", NOW + (int64_t)(i & 1023), 3600};
    return rg_token_mint_twilio(h, &c, tok, 2048, len);
}

static int videosdk_mint(rg_hmac *h, unsigned long i, char *tok, size_t *len)
{
    rg_videosdk_claims c = {SK,
                            (const uint8_t *)SECRET,
                            sizeof(SECRET) - 1,
                            RG_PERM_ALLOW_JOIN,
                            0,
                            "room-1",
                            "participant-1",
                            NOW,
                            3600,
                            {0}};
    memcpy(c.jti_rand, &i, sizeof(i));
    return rg_token_mint_videosdk(h, &c, tok, 2048, len);
}

/* Validates the token already in tok (minted once before the loop), as
 * POST validate does (rg_token_check: the rules, no DOM). */
static int twilio_validate(rg_hmac *h, unsigned long i, char *tok, size_t *len)
{
    (void)i;
    rg_token_result r;
    rg_tok_code c = rg_token_check(h, tok, *len, NOW + 10, lookup, NULL, &r);
    return c == RG_TOK_VALID ? RG_OK : RG_EINVAL;
}

/* The same with the claims also parsed by jansson (rg_token_validate, as a
 * signaling join needs the payload's jti). */
static int twilio_validate_dom(rg_hmac *h, unsigned long i, char *tok, size_t *len)
{
    (void)i;
    rg_token_result r;
    rg_tok_code c = rg_token_validate(h, tok, *len, NOW + 10, lookup, NULL, &r);
    rg_token_result_clear(&r);
    return c == RG_TOK_VALID ? RG_OK : RG_EINVAL;
}

/* HMAC-SHA256 of a token-sized input alone: the floor of a validation. */
static int hmac_only(rg_hmac *h, unsigned long i, char *tok, size_t *len)
{
    uint8_t mac[RG_HMAC_MAX];
    size_t maclen;
    (void)i;
    return rg_hmac_compute(h, RG_ALG_HS256, (const uint8_t *)SECRET, sizeof(SECRET) - 1, tok,
                           *len - 44, mac, &maclen);
}

static int run(const char *name, rg_hmac *h, op_fn op, char *tok, size_t *len, double secs)
{
    unsigned long n = 0;
    double t0 = now_s(), t;
    do {
        for (int k = 0; k < BATCH; k++, n++) {
            if (op(h, n, tok, len) != RG_OK) {
                fprintf(stderr, "micro: %s failed\n", name);
                return 1;
            }
        }
        t = now_s() - t0;
    } while (t < secs);
    printf("micro: %-16s %.0f ops/s  (%.2f us/op)\n", name, (double)n / t, t * 1e6 / (double)n);
    fflush(stdout);
    return 0;
}

static const struct {
    const char *name;
    op_fn op;
} cases[] = {
    {"mint", twilio_mint},
    {"hmac", hmac_only},
    {"validate", twilio_validate},
    {"validate-dom", twilio_validate_dom},
    {"videosdk-mint", videosdk_mint},
};

/* --count CASE N: N operations of one case, no timing, no output. */
static int count(rg_hmac *h, const char *name, unsigned long n, char *tok, size_t *len)
{
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        if (strcmp(cases[c].name, name) != 0) continue;
        for (unsigned long i = 0; i < n; i++) {
            if (cases[c].op(h, i, tok, len) != RG_OK) return 1;
        }
        return 0;
    }
    fprintf(stderr, "micro: unknown case %s\n", name);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--count") == 0) {
        rg_hmac *h = rg_hmac_new();
        char tok[2048];
        size_t len = 0;
        int rc = h == NULL || twilio_mint(h, 0, tok, &len) != RG_OK
                     ? 1
                     : count(h, argv[2], strtoul(argv[3], NULL, 10), tok, &len);
        rg_hmac_free(h);
        return rc;
    }
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    rg_hmac *h = rg_hmac_new();
    char tok[2048];
    size_t len = 0;
    if (h == NULL || secs <= 0) {
        fprintf(stderr, "micro: setup failed\n");
        return 1;
    }
    int rc = run("twilio mint", h, twilio_mint, tok, &len, secs);
    rc = rc || twilio_mint(h, 0, tok, &len) != RG_OK;
    rc = rc || run("hmac-sha256 only", h, hmac_only, tok, &len, secs);
    rc = rc || run("twilio validate", h, twilio_validate, tok, &len, secs);
    rc = rc || run("validate + DOM", h, twilio_validate_dom, tok, &len, secs);
    rc = rc || run("videosdk mint", h, videosdk_mint, tok, &len, secs);
    rg_hmac_free(h);
    return rc;
}
