/* limits.c - see limits.h; the per-key arithmetic is core/ratetab.c. */
#include "http/limits.h"
#include "http/metrics.h"
#include "http/module.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/rand.h>

#include "core/errors.h"
#include "core/ratetab.h"
#include "http/accesslog.h"
#include "playback/playback.h"
#include "store/audit.h"

#define TABLE_CAP 16384    /* entries per table: 48 bytes each */
#define SUMMARY_SLOTS 2048 /* open addressing, at most half full */
#define SUMMARY_MAX (SUMMARY_SLOTS / 2)

typedef struct {
    rg_ratekey key;
    char ip[RG_AUDIT_IP_MAX + 1];
    uint64_t count; /* 0: empty slot */
} summ_ent;

typedef struct rg_limits {
    pthread_mutex_t mu;
    rg_limit_config cfg;
    rg_ratetab fail_ip, fail_cred, playback, mint, anon;
    summ_ent summ[SUMMARY_SLOTS]; /* refused anonymous requests of this minute */
    size_t nsumm;
    uint64_t overflow; /* from addresses beyond SUMMARY_MAX: one "*" row */
    int64_t minute;    /* unix minute the counts belong to */
    rg_playback *pb;
} rg_limits;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The TCP peer as a rate key, and as text when ip is not NULL. */
static void peer_key(rg_call *c, rg_ratekey *k, char ip[RG_AUDIT_IP_MAX + 1])
{
    struct sockaddr_storage ss;
    socklen_t sl = c->req->conn->callbacks->get_peername(c->req->conn, (struct sockaddr *)&ss);
    memset(k, 0, sizeof *k);
    if (sl && ss.ss_family == AF_INET)
        rg_ratekey_ip(k, 4, (const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr);
    else if (sl && ss.ss_family == AF_INET6)
        rg_ratekey_ip(k, 6, (const uint8_t *)&((struct sockaddr_in6 *)&ss)->sin6_addr);
    if (ip) {
        char buf[NI_MAXHOST];
        size_t n = rg_req_peer(c->req, buf);
        if (n > RG_AUDIT_IP_MAX) n = RG_AUDIT_IP_MAX;
        memcpy(ip, buf, n);
        ip[n] = '\0';
    }
}

static int too_many(rg_call *c, int64_t wait_ms, const char *what, int limit)
{
    char ra[24];
    int64_t s = (wait_ms + 999) / 1000;
    int n = snprintf(ra, sizeof ra, "%lld", (long long)(s < 1 ? 1 : s));
    h2o_add_header(&c->req->pool, &c->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
                   h2o_strdup(&c->req->pool, ra, (size_t)n).base, (size_t)n);
    rg_metrics_limited(c->w->metrics, limit);
    rg_reply_error(c, 429, 20429, "Too many requests: %s; retry after %lld s", what,
                   (long long)(s < 1 ? 1 : s));
    return -1;
}

/* ---- summary rows ------------------------------------------------------ */

/* Counts one refused anonymous request of this minute; lock held. */
static void summary_count(rg_limits *l, const rg_ratekey *k, const char *ip)
{
    size_t i = 0;
    for (size_t j = 0; j < RG_RATEKEY_LEN; j++)
        i = (i * 31) ^ k->b[j];
    for (i &= SUMMARY_SLOTS - 1;; i = (i + 1) & (SUMMARY_SLOTS - 1)) {
        summ_ent *e = &l->summ[i];
        if (e->count > 0 && memcmp(&e->key, k, sizeof *k) == 0) {
            e->count++;
            return;
        }
        if (e->count == 0) {
            if (l->nsumm >= SUMMARY_MAX) break;
            e->key = *k;
            snprintf(e->ip, sizeof e->ip, "%s", ip);
            e->count = 1;
            l->nsumm++;
            return;
        }
    }
    l->overflow++;
}

static void summary_row(rg_audit_item *it, const char *ip, uint64_t count, int64_t minute,
                        int64_t now_ms)
{
    rg_audit_row *r = &it->row;
    memset(it, 0, sizeof *it);
    snprintf(r->action, sizeof r->action, "anon_summary");
    snprintf(r->outcome, sizeof r->outcome, "refused");
    snprintf(r->reason, sizeof r->reason,
             "%llu anonymous playback requests refused in the minute from %lld (unix), "
             "not logged one by one",
             (unsigned long long)count, (long long)(minute * 60));
    snprintf(r->client_ip, sizeof r->client_ip, "%s", ip);
    r->ts_ms = now_ms;
}

void rg_limits_flush(rg_app *app, int force)
{
    rg_limits *l = app->limits;
    int64_t now = (int64_t)time(NULL), minute = now / 60;
    size_t n = 0;
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    if ((!force && minute == l->minute) || (l->nsumm == 0 && l->overflow == 0)) {
        l->minute = minute;
        pthread_mutex_unlock(&l->mu);
        return;
    }
    rg_audit_item *items = calloc(l->nsumm + 1, sizeof *items);
    rg_audit_item **ptrs = calloc(l->nsumm + 1, sizeof *ptrs);
    for (size_t i = 0; items && ptrs && i < SUMMARY_SLOTS; i++)
        if (l->summ[i].count > 0)
            summary_row(&items[n++], l->summ[i].ip, l->summ[i].count, l->minute, now * 1000);
    if (items && ptrs && l->overflow > 0)
        summary_row(&items[n++], "*", l->overflow, l->minute, now * 1000);
    memset(l->summ, 0, sizeof l->summ);
    l->nsumm = 0;
    l->overflow = 0;
    l->minute = minute;
    pthread_mutex_unlock(&l->mu);
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &items[i];
    /* On the main thread (a poller), off the loops; the store serializes
     * with the audit writer. */
    if (n > 0 && rg_store_audit_append(l->pb->audit_store, ptrs, n, now) != RG_OK)
        fprintf(stderr, "roomgate: limits: cannot write %zu audit summary rows\n", n);
    free(items);
    free(ptrs);
}

static void flush_tick(void *ud, int64_t now)
{
    (void)now;
    rg_limits_flush(ud, 0);
}

/* ---- life cycle ------------------------------------------------------- */

int rg_limits_start(rg_app *app)
{
    const rg_limit_config *cfg = &app->cfg.limits;
    uint64_t seed[5];
    rg_limits *l = calloc(1, sizeof *l);
    if (!l) return RG_ENOMEM;
    if (RAND_bytes((unsigned char *)seed, sizeof seed) != 1 ||
        pthread_mutex_init(&l->mu, NULL) != 0) {
        free(l);
        return RG_ECRYPTO;
    }
    l->cfg = *cfg;
    l->pb = app->pb;
    l->minute = (int64_t)time(NULL) / 60;
    app->limits = l;
    uint32_t anon = cfg->anon_audit_rows > 0 ? (uint32_t)cfg->anon_audit_rows : 1;
    if (rg_ratetab_init(&l->fail_ip, TABLE_CAP, (uint32_t)cfg->auth_fail_limit, 60000, seed[0]) ||
        rg_ratetab_init(&l->fail_cred, TABLE_CAP, (uint32_t)cfg->auth_fail_limit, 60000, seed[1]) ||
        rg_ratetab_init(&l->playback, TABLE_CAP, (uint32_t)cfg->playback_rate, 60000, seed[2]) ||
        rg_ratetab_init(&l->mint, TABLE_CAP, (uint32_t)cfg->mint_rate, 60000, seed[3]) ||
        rg_ratetab_init(&l->anon, TABLE_CAP, anon, 60000, seed[4]) ||
        rg_app_add_poller(app, flush_tick, app, 1000) != 0) {
        rg_limits_stop(app);
        return RG_ENOMEM;
    }
    return RG_OK;
}

void rg_limits_stop(rg_app *app)
{
    rg_limits *l = app->limits;
    if (!l) return;
    rg_limits_flush(app, 1);
    rg_ratetab_free(&l->fail_ip);
    rg_ratetab_free(&l->fail_cred);
    rg_ratetab_free(&l->playback);
    rg_ratetab_free(&l->mint);
    rg_ratetab_free(&l->anon);
    pthread_mutex_destroy(&l->mu);
    free(l);
    app->limits = NULL;
}

/* ---- checks ----------------------------------------------------------- */

/* user NULL: a token, counted by the address only (see below). */
int rg_limit_auth_begin(rg_call *c, const char *user, size_t ulen)
{
    rg_limits *l = c->w->app->limits;
    rg_ratekey ip, cred;
    int64_t now = mono_ms(), w;
    if (!l || l->cfg.auth_fail_limit == 0) return 0;
    peer_key(c, &ip, NULL);
    if (user) rg_ratekey_name(&cred, 'C', user, ulen);
    pthread_mutex_lock(&l->mu);
    w = rg_ratetab_wait(&l->fail_ip, &ip, now);
    /* The credential's own limit stops a spread-out guesser (many
     * addresses, one credential) without locking out its owner: an
     * address with no recent failure still gets to try. */
    if (user && w == 0 && !rg_ratetab_idle(&l->fail_ip, &ip, now))
        w = rg_ratetab_wait(&l->fail_cred, &cred, now);
    pthread_mutex_unlock(&l->mu);
    return w > 0 ? too_many(c, w, "too many failed authentications", RG_MLIMIT_AUTH) : 0;
}

void rg_limit_auth_failed(rg_call *c, const char *user, size_t ulen)
{
    rg_limits *l = c->w->app->limits;
    rg_ratekey ip, cred;
    int64_t now = mono_ms();
    if (!l || l->cfg.auth_fail_limit == 0) return;
    peer_key(c, &ip, NULL);
    if (user) rg_ratekey_name(&cred, 'C', user, ulen);
    pthread_mutex_lock(&l->mu);
    rg_ratetab_charge(&l->fail_ip, &ip, now);
    if (user) rg_ratetab_charge(&l->fail_cred, &cred, now);
    pthread_mutex_unlock(&l->mu);
}

/* A token presented as the credential has no name to count by (every
 * forgery is a new one): its failures go to the address only, in the same
 * table as Basic failures, so one budget covers both kinds of guess. */
int rg_limit_token_begin(rg_call *c)
{
    return rg_limit_auth_begin(c, NULL, 0);
}

void rg_limit_token_failed(rg_call *c)
{
    rg_limit_auth_failed(c, NULL, 0);
}

int rg_limit_playback(rg_call *c)
{
    rg_limits *l = c->w->app->limits;
    rg_ratekey ip;
    char text[RG_AUDIT_IP_MAX + 1];
    int64_t w;
    if (!l || l->cfg.playback_rate == 0) return 0;
    peer_key(c, &ip, text);
    pthread_mutex_lock(&l->mu);
    w = rg_ratetab_take(&l->playback, &ip, mono_ms());
    if (w > 0) summary_count(l, &ip, text);
    pthread_mutex_unlock(&l->mu);
    return w > 0
               ? too_many(c, w, "too many playback requests from this address", RG_MLIMIT_PLAYBACK)
               : 0;
}

int rg_limit_mint(rg_call *c, const char *key_sid)
{
    rg_limits *l = c->w->app->limits;
    rg_ratekey k;
    int64_t w;
    if (!l || l->cfg.mint_rate == 0) return 0;
    rg_ratekey_name(&k, 'M', key_sid, strlen(key_sid));
    pthread_mutex_lock(&l->mu);
    w = rg_ratetab_take(&l->mint, &k, mono_ms());
    pthread_mutex_unlock(&l->mu);
    return w > 0 ? too_many(c, w, "too many tokens minted with this key", RG_MLIMIT_MINT) : 0;
}

int rg_limit_anon_row(rg_call *c)
{
    rg_limits *l = c->w->app->limits;
    rg_ratekey ip;
    char text[RG_AUDIT_IP_MAX + 1];
    int own;
    if (!l) return 1;
    peer_key(c, &ip, text);
    pthread_mutex_lock(&l->mu);
    own = l->cfg.anon_audit_rows > 0 && rg_ratetab_take(&l->anon, &ip, mono_ms()) == 0;
    if (!own) summary_count(l, &ip, text);
    pthread_mutex_unlock(&l->mu);
    return own;
}

/* ---- module ------------------------------------------------------------ */

const rg_opt_section rg_limits_options = {
    "rate limits (per client address = the TCP peer; IPv6 by /64)", "a rate limit option"};

static int limits_start(rg_app *app)
{
    if (rg_limits_start(app) == RG_OK) return 0;
    fprintf(stderr, "roomgate: cannot allocate the rate limit tables\n");
    return 1;
}

/* Stops before playback (after it in the list): its last summary rows go
 * to the audit store. */
const rg_module rg_mod_limits = {
    .name = "limits", .options = &rg_limits_options, .start = limits_start, .stop = rg_limits_stop};
