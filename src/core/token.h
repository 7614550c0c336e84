/* token.h - access tokens: minting in Twilio and VideoSDK formats, and the
 * validation rules both share.
 *
 * Pure: the current time, the randomness and the key material are passed in.
 * A token is a compact JWS (header.payload.signature, base64url).  Minting
 * always uses HS256; validation accepts HS256/HS384/HS512 and nothing else. */
#ifndef RG_CORE_TOKEN_H
#define RG_CORE_TOKEN_H

#include <jansson.h>
#include <stdint.h>

#include "core/hmac.h"
#include "core/sid.h"

#define RG_TOKEN_MAX_TTL 86400 /* seconds; longer lifetimes are refused */
#define RG_TOKEN_LEEWAY 60     /* seconds of clock skew tolerated on exp/nbf */
#define RG_TOKEN_MAX_LEN 8192  /* longer strings are rejected before parsing */
#define RG_SECRET_MAX 64       /* bytes of an API key secret */
#define RG_IDENTITY_MAX 256    /* bytes of an identity, a room name, an id */

/* Validation outcome codes: Twilio's, so the shell can return them as-is. */
typedef enum {
    RG_TOK_VALID = 0,
    RG_TOK_INVALID = 20101,       /* malformed, non-canonical base64url, bad JSON, alg not HS*,
                                     too long, empty room, nbf before iat */
    RG_TOK_BAD_ISSUER = 20103,    /* unknown iss/apikey, sub not the key's account */
    RG_TOK_EXPIRED = 20104,       /* exp passed, exp missing/invalid, lifetime > 24 h */
    RG_TOK_NOT_YET_VALID = 20105, /* nbf or iat in the future beyond leeway */
    RG_TOK_REVOKED = 20106,       /* issued before a kick from the room it names (the shell) */
    /* Twilio's 20106 is "Invalid Access Token grants": also a join's token
     * without a video grant (core/sigadmit.c); no message of its own */
    RG_TOK_BAD_GRANTS = 20106,
    RG_TOK_BAD_SIGNATURE = 20107, /* HMAC mismatch */
} rg_tok_code;

/* Human-readable message for a code (static string). */
const char *rg_tok_message(rg_tok_code code);

/* VideoSDK permissions and roles, as bit masks. */
enum { RG_PERM_ALLOW_JOIN = 1, RG_PERM_ASK_JOIN = 2, RG_PERM_ALLOW_MOD = 4 };
enum { RG_ROLE_CRAWLER = 1, RG_ROLE_RTC = 2 };

/* Parses a comma-separated list ("allow_join,allow_mod").  Returns RG_OK, or
 * RG_EINVAL for an unknown name, an empty list, or ask_join combined with
 * allow_join/allow_mod (VideoSDK code 4008). */
int rg_perm_parse(const char *csv, unsigned *mask);
int rg_roles_parse(const char *csv, unsigned *mask); /* "crawler", "rtc" */

typedef struct {
    const char *account_sid; /* sub */
    const char *key_sid;     /* iss, and the jti prefix */
    const uint8_t *secret;
    size_t secret_len;
    const char *identity; /* grants.identity, required */
    const char *room;     /* grants.video.room, NULL = video grant for any room */
    int64_t now;          /* iat = nbf = now */
    int64_t ttl;          /* 1..RG_TOKEN_MAX_TTL */
} rg_twilio_claims;

typedef struct {
    const char *key_sid; /* apikey */
    const uint8_t *secret;
    size_t secret_len;
    unsigned permissions;       /* RG_PERM_* */
    unsigned roles;             /* RG_ROLE_*, 0 means the default crawler|rtc */
    const char *room_id;        /* optional roomId claim */
    const char *participant_id; /* optional participantId claim */
    int64_t now;
    int64_t ttl;
    uint8_t jti_rand[16]; /* randomness for the UUIDv4 jti */
} rg_videosdk_claims;

/* Mint into out (capacity cap, NUL-terminated), *outlen = token length.
 * h is the calling thread's HMAC context.  RG_EINVAL for bad claims (ttl out
 * of range, empty identity, strings over RG_IDENTITY_MAX, bad permissions),
 * RG_ETOOBIG if out is too small (2048 bytes always suffices). */
int rg_token_mint_twilio(rg_hmac *h, const rg_twilio_claims *c, char *out, size_t cap,
                         size_t *outlen);
int rg_token_mint_videosdk(rg_hmac *h, const rg_videosdk_claims *c, char *out, size_t cap,
                           size_t *outlen);

/* What the validator needs to know about a key.  Filled by the caller's
 * lookup callback (the shell's key cache). */
typedef struct {
    char account_sid[RG_SID_SIZE];
    uint8_t secret[RG_SECRET_MAX];
    size_t secret_len;
} rg_key_view;

/* Returns 0 and fills *out when key_sid names a live key, -1 otherwise. */
typedef int (*rg_key_lookup_fn)(void *ud, const char *key_sid, rg_key_view *out);

typedef enum { RG_TOKEN_TWILIO = 1, RG_TOKEN_VIDEOSDK = 2 } rg_token_kind;

/* What an answer may echo of the payload without parsing it again. */
#define RG_TOKEN_ECHO_MAX 1024

/* Result of a validation.  On RG_TOK_VALID every field is set; on failure
 * the fields that could be read before the failure may be set.  payload is
 * owned by the result (set by rg_token_validate only): release with
 * rg_token_result_clear. */
typedef struct {
    rg_tok_code code;
    rg_token_kind kind;
    rg_alg alg;
    char key_sid[RG_SID_SIZE];
    char account_sid[RG_SID_SIZE];
    char identity[RG_IDENTITY_MAX + 1]; /* Twilio grants.identity or VideoSDK participantId */
    char room[RG_IDENTITY_MAX + 1];     /* grants.video.room or roomId; "" if none */
    int has_video_grant;                /* Twilio: grants.video present */
    unsigned permissions;               /* VideoSDK */
    unsigned roles;                     /* VideoSDK; crawler|rtc when absent */
    int64_t iat, nbf, exp;              /* 0 when absent */
    int64_t issued;                     /* iat, else nbf, else INT64_MIN: what a kick revokes */
    /* The jti claim when it is a string of at most RG_IDENTITY_MAX bytes,
     * else "": a VideoSDK join without participantId is this identity. */
    char jti[RG_IDENTITY_MAX + 1];
    json_t *payload; /* the decoded claims (owned), rg_token_validate only */
    /* On RG_TOK_VALID, when echo_len > 0: the Twilio grants object or the
     * VideoSDK permissions array exactly as jansson's JSON_COMPACT dump of
     * the claim writes it (the token wrote it so: no whitespace, escape or
     * real inside).  echo_len 0: read it from rg_token_payload_json.  Last
     * member: not cleared by a validation. */
    size_t echo_len;
    char echo[RG_TOKEN_ECHO_MAX];
} rg_token_result;

/* Validates token (len bytes) at time now.  Kind is detected from the
 * claims: "iss"+"grants" = Twilio, "apikey" = VideoSDK.  Always returns a
 * code in r->code (also the return value).  Also parses the payload with
 * jansson into r->payload: for tests and the fuzz target, which hold the
 * claim reader to jansson's reading; the server's paths use rg_token_check. */
rg_tok_code rg_token_validate(rg_hmac *h, const char *token, size_t len, int64_t now,
                              rg_key_lookup_fn lookup, void *ud, rg_token_result *r);
/* The same rules and codes without the DOM (r->payload stays NULL): no
 * allocation at all, for the paths that need only the result's fields. */
rg_tok_code rg_token_check(rg_hmac *h, const char *token, size_t len, int64_t now,
                           rg_key_lookup_fn lookup, void *ud, rg_token_result *r);
void rg_token_result_clear(rg_token_result *r);

/* The payload of a token as a jansson object (the caller owns it), or NULL
 * when the token is malformed.  No signature check: for a token that
 * rg_token_check has already accepted. */
json_t *rg_token_payload_json(const char *token, size_t len);

#endif
