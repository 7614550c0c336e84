/* call.h - one HTTP request as the handlers see it, and the small API they
 * use to read parameters, authenticate and answer.
 *
 * Everything a call allocates lives in the request's h2o memory pool and is
 * released when h2o frees the request; handlers never free. */
#ifndef RG_HTTP_CALL_H
#define RG_HTTP_CALL_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <jansson.h>
#include <stdint.h>

#include "http/app.h"

#define RG_MAX_ARGS 4
#define RG_MAX_PARAMS 64

typedef struct {
    h2o_iovec_t name, value;
    int bad_type; /* a JSON value that is not a string, number or bool */
} rg_param_kv;

typedef struct rg_call {
    h2o_req_t *req;
    rg_worker *w;
    h2o_iovec_t args[RG_MAX_ARGS]; /* path captures, e.g. the AC and SK */
    size_t nargs;
    rg_param_kv params[RG_MAX_PARAMS];
    size_t nparams;
    int params_parsed;
    /* The request is gone (its client closed) while its handler waited on
     * a fiber (http/fiber.h): answers are dropped, nothing new is tied to
     * it (rg_defer_new says no). */
    int gone;
    int64_t now; /* unix seconds at dispatch */
} rg_call;

typedef void (*rg_handler_fn)(rg_call *c);

/* params.c: query string and body (form or JSON) merged; body wins.
 * rg_call_params() parses once; on malformed input it answers 400 and
 * returns -1, and the handler must return at once. */
int rg_call_params(rg_call *c);
/* The query string only, for routes whose body is not parameters (a raw
 * upload); same conventions. */
int rg_call_query_params(rg_call *c);
/* The parsing alone, for fuzz/: adds the parameters of s[0..n), a JSON
 * object (json != 0) or form data, to c->params (in c->req->pool); 0, or
 * -1 when malformed or too many.  Answers nothing. */
int rg_params_parse(rg_call *c, const char *s, size_t n, int json);
/* The first of the given names that is present (NULL-terminated list of
 * alternatives, e.g. "FriendlyName", "friendly_name"); NULL if none.  The
 * value is NUL-terminated. */
const char *rg_param(rg_call *c, const char *const *names, size_t *len);
/* Integer parameter in [min, max]; absent gives dflt.  Answers 400/21603
 * and returns -1 when present and not an integer in range. */
int rg_param_int(rg_call *c, const char *const *names, int64_t min, int64_t max, int64_t dflt,
                 int64_t *out);
/* A text parameter (identity, room, name): valid UTF-8, no control
 * characters, at most maxlen bytes.  `required` is one of RG_PARAM_*:
 * OPTIONAL takes an empty value as absent, NONEMPTY refuses it (a room
 * given as "" must not read as "no room", i.e. any room).  Answers 400
 * (21602 missing / 21603 bad) and returns -1 on failure; *out is NULL when
 * optional and absent. */
enum { RG_PARAM_OPTIONAL = 0, RG_PARAM_REQUIRED = 1, RG_PARAM_NONEMPTY = 2 };
int rg_param_text(rg_call *c, const char *const *names, int required, size_t maxlen,
                  const char **out);

/* Path capture i (already percent-decoded by h2o) as a NUL-terminated pool
 * string, when it is 1..maxlen bytes of UTF-8 without control characters;
 * NULL otherwise (no resource has such a name: the caller answers 404). */
const char *rg_arg_text(rg_call *c, size_t i, size_t maxlen);
/* Path capture i copied into sid when it is a SID with this prefix ("SK",
 * "RE"); -1 otherwise (no resource has such a name: the caller answers
 * 404). */
int rg_arg_sid(rg_call *c, size_t i, const char prefix[2], char sid[RG_SID_SIZE]);

/* reply.c */
void rg_reply_json(rg_call *c, int status, json_t *body); /* steals body */
/* Compact JSON of v in the request pool (NUL-terminated); returns its length. */
size_t rg_json_dump_pool(rg_call *c, json_t *v, char **out);
void rg_reply_raw(rg_call *c, int status, const char *json, size_t len); /* copies */
/* Sends body as it is (no copy): it must live in the request pool. */
void rg_reply_pooled(rg_call *c, int status, const char *body, size_t len);
void rg_reply_empty(rg_call *c, int status);
void rg_reply_error(rg_call *c, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 404/20404 naming the request's path (at most 128 bytes of it). */
void rg_reply_not_found(rg_call *c);
/* ISO 8601 with milliseconds, RFC 2822: into a pool-allocated string. */
const char *rg_fmt_iso8601(rg_call *c, int64_t t);
const char *rg_fmt_rfc2822(rg_call *c, int64_t t);

/* auth.c */
typedef enum { RG_PRINCIPAL_ACCOUNT = 1, RG_PRINCIPAL_KEY = 2 } rg_principal_kind;
typedef struct {
    rg_principal_kind kind;
    char account_sid[RG_SID_SIZE];
    char key_sid[RG_SID_SIZE]; /* for RG_PRINCIPAL_KEY */
} rg_principal;

/* HTTP Basic with AccountSid:AuthToken or KeySid:Secret.  When
 * path_account is non-NULL the principal must belong to it.  On failure
 * answers 401/20003 with WWW-Authenticate and returns -1. */
int rg_auth_basic(rg_call *c, const h2o_iovec_t *path_account, rg_principal *p);
/* Answers 401/20003 with WWW-Authenticate; returns -1. */
int rg_auth_deny(rg_call *c);
/* The raw credentials of a Basic header, decoded into the pool: user and
 * password NUL-terminated.  -1 when absent or malformed. */
int rg_auth_basic_parts(rg_call *c, const char **user, size_t *ulen, const char **pass,
                        size_t *plen);

/* The key that signs for a principal: its own key, or for an account its
 * newest key (answers 409/20409 and returns -1 when it has none). */
int rg_auth_signing_key(rg_call *c, const rg_principal *p, char key_sid[RG_SID_SIZE],
                        rg_key_view *key);

/* api/tokens.c: a Twilio-format token for the principal's signing key into
 * out (RG_TOKEN_BUF bytes).  Answers 409/400 itself and returns -1 on
 * failure. */
#define RG_TOKEN_BUF 4096
int rg_mint_twilio(rg_call *c, const rg_principal *p, const char *identity, const char *room,
                   int64_t ttl, char *out, size_t *len);
/* api/tokens.c: answers 200 {"identity", ["room",] "token"[, "expires_at"]}
 * for a minted token; room and expires_at are left out when NULL. */
void rg_reply_token(rg_call *c, const char *identity, const char *room, const char *tok, size_t len,
                    const char *expires_at);

static inline int rg_iov_eq(h2o_iovec_t v, const char *s)
{
    size_t n = strlen(s);
    return v.len == n && memcmp(v.base, s, n) == 0;
}

#endif
