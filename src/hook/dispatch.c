/* hook/dispatch.c - the status callback dispatcher (hook/hook.h).
 *
 * The thread loops: when the outbox may have changed (a commit through the
 * server's connection), a retry fell due or a second passed, it reads the due heads of the rooms'
 * queues and starts a transfer for each; curl_multi_poll waits for the transfers (at most POLL_MS,
 * so new events start quickly); each finished transfer is acknowledged, rescheduled or given up.  A
 * room's next event is read only after its head is acknowledged or given up, so a room's events
 * arrive in order; rooms do not wait for each other. */
#include "hook/hook.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/netaddr.h"
#include "hook/request.h"
#include "hook/tokens.h"
#include "http/bgsync.h"
#include "http/metrics.h"
#include "playback/playback.h"
#include "store/outbox.h"
#include "app/provision.h"
#include "crypto/random.h"

#define POLL_MS 50
#define SCAN_EVERY_MS 1000
#define SCAN_GAP_MS 20 /* between two scans a commit elsewhere asks for */
/* The same after a scan that started nothing (every slot busy, or what
 * waits is over its account's share): the commits of a burst of joins to
 * a receiver that does not answer would otherwise have the dispatcher read
 * the queue heads 50 times a second for nothing, beside the joins
 * (bench/README.md "Status callbacks").  A slot freed by a delivery asks
 * for its own scan (ACK_GAP_MS). */
#define SCAN_IDLE_GAP_MS 100
/* A delivered event's room may have its next event waiting: it is read at
 * the next scan, at most ACK_GAP_MS after the last one, so that the
 * transfers finishing meanwhile share one scan and one acknowledging
 * commit (bench/README.md "Status callbacks": a scan and a commit per
 * finished transfer were a third of the dispatcher's CPU, under the store's
 * lock). */
#define ACK_GAP_MS 5
#define RESPONSE_MAX 65536              /* bytes of a receiver's answer read at most */
#define BACKOFF_MAX_MS (10 * 60 * 1000) /* the longest wait between two attempts */

typedef struct {
    struct rg_hook *h;
    /* Kept from one transfer to the next (curl_easy_reset): one made and
     * freed per delivery cost 3.4 % more of the dispatcher's instructions
     * per event (bench/README.md "Where a delivery's CPU goes").  The
     * kept-alive connections live in the multi handle, not here. */
    CURL *easy;
    int busy; /* a transfer is under way; 0: a free slot */
    struct curl_slist *headers;
    rg_hook_request req;
    rg_outbox_row row;
    size_t got;  /* response bytes read */
    int refused; /* an address was refused by the SSRF rule */
} xfer;

typedef struct rg_hook {
    rg_app *app;
    /* a connection of its own, only to notice commits by the server's
     * (rg_store_change_mark moves on other connections' commits); reads
     * and writes go through the server's app->store, whose mutex orders
     * them with the loops' without SQLite's busy waits (sleeps of 1 ms
     * and more whenever two connections want the write lock) */
    rg_store *st;
    rg_hook_tokens *tokens; /* auth tokens unsealed, for signing */
    rg_hook_config cfg;
    CURLM *multi;
    xfer *xf;             /* cfg.max_inflight slots */
    rg_outbox_row *heads; /* scan buffer, cfg.max_inflight rows */
    rg_outbox_busy *busy; /* in flight, for the scan */
    int64_t *acks;        /* delivered, to delete in one commit (reap) */
    size_t nacks;
    pthread_t tid;
    int started;
    atomic_int stop;
    int64_t version, next_scan_ms, last_scan_ms, next_depth_ms;
    int64_t scan_gap_ms; /* SCAN_GAP_MS, or SCAN_IDLE_GAP_MS after a scan that started nothing */
} rg_hook;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- outcomes ----------------------------------------------------------- */

static void give_up(rg_hook *h, const rg_outbox_row *row, const char *why)
{
    fprintf(stderr, "roomgate: webhook: gave up %s (%s of %s) after %d attempt(s): %s\n",
            row->event_id, row->event, row->room_sid, row->attempts + 1, why);
    /* through the audit writer's connection: it holds the chain's key */
    if (rg_outbox_give_up(h->app->pb->audit_store, row, why, now_ms()) != RG_OK) {
        fprintf(stderr, "roomgate: webhook: cannot record giving up %s; it stays queued\n",
                row->event_id);
        h->next_scan_ms = now_ms() + SCAN_EVERY_MS;
    }
    rg_metrics_webhook(h->app->metrics, RG_MHOOK_FAILED);
}

/* Jittered exponential backoff: base * 2^(attempts-1), capped, then a
 * uniform pick in its upper half, so receivers coming back from an outage
 * are not hit by every event in the same instant. */
static int64_t backoff_ms(const rg_hook *h, int attempts)
{
    int64_t d = h->cfg.retry_base_ms;
    for (int i = 1; i < attempts && d < BACKOFF_MAX_MS; i++)
        d *= 2;
    if (d > BACKOFF_MAX_MS) d = BACKOFF_MAX_MS;
    uint32_t r = 0;
    rg_random(&r, sizeof r);
    return d / 2 + (int64_t)(r % (uint32_t)(d / 2 + 1));
}

static void retry(rg_hook *h, const rg_outbox_row *row, const char *why)
{
    int attempts = row->attempts + 1;
    int64_t now = now_ms();
    if (now / 1000 - row->created >= h->cfg.max_age) {
        char reason[160];
        snprintf(reason, sizeof reason, "older than %d s; last: %s", h->cfg.max_age, why);
        give_up(h, row, reason);
        return;
    }
    if (attempts == 1) /* once per event: an outage is not a log flood */
        fprintf(stderr, "roomgate: webhook: %s (%s of %s) will be retried: %s\n", row->event_id,
                row->event, row->room_sid, why);
    int64_t next = now + backoff_ms(h, attempts);
    if (rg_outbox_retry(h->app->store, row->id, attempts, next) != RG_OK)
        next = now + SCAN_EVERY_MS;
    if (next < h->next_scan_ms) h->next_scan_ms = next;
    rg_metrics_webhook(h->app->metrics, RG_MHOOK_RETRIED);
}

static void flush_acks(rg_hook *h)
{
    /* if it fails, those events are sent again, with their ids */
    if (rg_outbox_ack_many(h->app->store, h->acks, h->nacks) != RG_OK)
        fprintf(stderr, "roomgate: webhook: cannot delete %zu delivered event(s)\n", h->nacks);
    h->nacks = 0;
}

/* Row id goes off the queue: deleted with the others of this round by
 * flush_acks, which every scan runs first, so no scan reads it again. */
static void acknowledge(rg_hook *h, int64_t id)
{
    if (h->nacks == (size_t)h->cfg.max_inflight) flush_acks(h);
    h->acks[h->nacks++] = id;
    int64_t next = h->last_scan_ms + ACK_GAP_MS; /* the room's next event may be waiting */
    if (next < h->next_scan_ms) h->next_scan_ms = next;
}

static void delivered(rg_hook *h, const rg_outbox_row *row)
{
    acknowledge(h, row->id);
    rg_metrics_webhook(h->app->metrics, RG_MHOOK_DELIVERED);
}

/* 2xx: delivered; 408, 429, 5xx: again later; anything else is final. */
static void judge(rg_hook *h, xfer *x, CURLcode res)
{
    long status = 0;
    char why[96];
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status > 0 && (res == CURLE_OK || res == CURLE_WRITE_ERROR)) {
        snprintf(why, sizeof why, "HTTP %ld", status);
        if (status >= 200 && status < 300)
            delivered(h, &x->row);
        else if (status == 408 || status == 429 || status >= 500)
            retry(h, &x->row, why);
        else
            give_up(h, &x->row, why);
    } else if (x->refused) {
        give_up(h, &x->row, "loopback, private or link-local address refused");
    } else {
        retry(h, &x->row, curl_easy_strerror(res));
    }
}

/* ---- transfers ---------------------------------------------------------- */

/* Reads (and drops) the answer, up to RESPONSE_MAX bytes. */
static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    (void)p;
    x->got += size * n;
    return x->got > RESPONSE_MAX ? 0 : size * n;
}

/* The SSRF rule on the address curl is about to connect to (after DNS,
 * for each address it tries). */
static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    xfer *x = ud;
    (void)purpose;
    if (!x->h->cfg.allow_private && !rg_addr_public(&a->addr)) {
        x->refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Ends the slot's transfer; its handle stays for the next one. */
static void release(rg_hook *h, xfer *x)
{
    if (x->busy) curl_multi_remove_handle(h->multi, x->easy);
    curl_slist_free_all(x->headers);
    rg_hook_request_free(&x->req);
    x->busy = 0;
    x->headers = NULL;
}

static struct curl_slist *add_header(struct curl_slist *l, const char *name, const char *value,
                                     int *ok)
{
    char line[1024];
    snprintf(line, sizeof line, "%s: %s", name, value);
    struct curl_slist *n = *ok ? curl_slist_append(l, line) : NULL;
    if (!n) *ok = 0;
    return n ? n : l;
}

static int setup(rg_hook *h, xfer *x)
{
    CURL *e = x->easy;
    int ok = 1;
    if (x->req.jwt) {
        x->headers = add_header(x->headers, "Authorization", x->req.jwt, &ok);
        x->headers = add_header(x->headers, "Content-Type", "application/webhook+json", &ok);
    } else {
        x->headers = add_header(x->headers, "X-Twilio-Signature", x->req.signature, &ok);
        if (x->req.body)
            x->headers =
                add_header(x->headers, "Content-Type", "application/x-www-form-urlencoded", &ok);
    }
    x->headers = add_header(x->headers, "X-Roomgate-Event-Id", x->row.event_id, &ok);
    x->headers = add_header(x->headers, "I-Twilio-Idempotency-Token", x->row.event_id, &ok);
    x->headers = add_header(x->headers, "Expect", "", &ok);
    long tmo = h->cfg.timeout_ms;
    ok = ok && curl_easy_setopt(e, CURLOPT_URL, x->req.url) == CURLE_OK &&
         curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
         curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
         curl_easy_setopt(e, CURLOPT_PROXY, "") == CURLE_OK && /* no proxy from the env */
         curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
         curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo) == CURLE_OK &&
         curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, tmo < 5000 ? tmo : 5000L) == CURLE_OK &&
         curl_easy_setopt(e, CURLOPT_USERAGENT, "roomgate-webhooks/1") == CURLE_OK &&
         curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers) == CURLE_OK &&
         curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
         curl_easy_setopt(e, CURLOPT_WRITEDATA, x) == CURLE_OK &&
         curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket) == CURLE_OK &&
         curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x) == CURLE_OK &&
         curl_easy_setopt(e, CURLOPT_PRIVATE, x) == CURLE_OK;
    if (ok && x->req.body) ok = curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->req.body) == CURLE_OK;
    x->busy = ok && curl_multi_add_handle(h->multi, e) == CURLM_OK;
    return x->busy ? 0 : -1;
}

/* Twilio's format, signed with the account's auth token.  0 when x->req
 * is built; -1 when the event was rescheduled or given up instead.  An
 * account without a sealed token (made before tokens were sealed) cannot
 * sign: the event waits, retried, for `account seal-token`. */
static int build_twilio(rg_hook *h, xfer *x, const rg_outbox_row *row)
{
    char token[RG_AUTH_TOKEN_LEN + 1];
    size_t toklen = 0;
    const char *why = NULL;
    if (rg_hook_token(h->tokens, h->app->master, row, now_ms(), token, &toklen) != RG_OK) {
        retry(h, row, "the account's auth token is not sealed (roomgate account seal-token)");
        return -1;
    }
    int rc = rg_hook_request_build(row, token, toklen, &x->req, &why);
    OPENSSL_cleanse(token, sizeof token);
    if (rc != 0) give_up(h, row, why);
    return rc;
}

/* LiveKit's format, signed with the secret of the key the account chose.
 * An event LiveKit has no name for is acknowledged unsent; a key deleted
 * since gives the event up. */
static int build_livekit(rg_hook *h, xfer *x, const rg_outbox_row *row)
{
    rg_key_row k;
    char secret[RG_SEALED_MAX];
    size_t len = 0;
    const char *why = NULL;
    if (rg_store_key_get(h->app->store, row->key_sid, &k) != RG_OK ||
        strcmp(k.account_sid, row->account_sid) != 0) {
        give_up(h, row, "the LiveKit signing key is gone");
        return -1;
    }
    if (rg_unseal(h->app->master, k.sid, RG_SID_LEN, k.sealed, k.sealed_len, (uint8_t *)secret,
                  sizeof secret, &len) != RG_OK) {
        retry(h, row, "cannot unseal the LiveKit signing key");
        return -1;
    }
    int rc = rg_hook_request_livekit(row, secret, len, now_ms() / 1000, &x->req, &why);
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(&k, sizeof k);
    if (rc == 1) { /* nothing to send: off the queue, no delivery counted */
        acknowledge(h, row->id);
        return -1;
    }
    if (rc != 0) give_up(h, row, why);
    return rc;
}

/* Builds, signs and starts the request for row in slot x. */
static void start(rg_hook *h, xfer *x, const rg_outbox_row *row)
{
    CURL *easy = x->easy;
    memset(x, 0, sizeof *x);
    x->easy = easy;
    x->h = h;
    x->row = *row;
    if (now_ms() / 1000 - row->created >= h->cfg.max_age) {
        char reason[64];
        snprintf(reason, sizeof reason, "older than %d s (--webhook-max-age)", h->cfg.max_age);
        give_up(h, row, reason);
        return;
    }
    if ((row->livekit ? build_livekit(h, x, row) : build_twilio(h, x, row)) != 0) return;
    if (x->easy)
        curl_easy_reset(x->easy); /* nothing of the last event's options stays */
    else
        x->easy = curl_easy_init();
    if (x->easy == NULL || setup(h, x) != 0) {
        release(h, x);
        retry(h, row, "cannot start the request");
    }
}

/* ---- the loop ----------------------------------------------------------- */

static void scan(rg_hook *h, int64_t now)
{
    size_t nbusy = 0, nfree = 0, count = 0;
    flush_acks(h); /* acknowledged rows must not be read as heads again */
    for (int i = 0; i < h->cfg.max_inflight; i++)
        if (h->xf[i].busy) {
            h->busy[nbusy].id = h->xf[i].row.id;
            memcpy(h->busy[nbusy++].account_sid, h->xf[i].row.account_sid, RG_SID_SIZE);
        } else {
            nfree++;
        }
    h->next_scan_ms = now + SCAN_EVERY_MS;
    h->last_scan_ms = now;
    /* Fair between accounts (docs/security.md, "Status callbacks"): the
     * events of accounts with fewer than `share` in flight go first, and
     * the others never take the last `reserve` slots, so an account whose
     * receivers never answer leaves free slots for the other accounts. */
    size_t share = (size_t)(h->cfg.max_inflight > 8 ? h->cfg.max_inflight / 8 : 1);
    size_t reserve = h->cfg.max_inflight > 1 ? share : 0, fair = 0;
    if (nfree && rg_outbox_heads(h->app->store, now, h->busy, nbusy, share, h->heads, nfree, &count,
                                 &fair) != RG_OK)
        return;
    size_t room = (size_t)h->cfg.max_inflight - reserve, used = nbusy + fair;
    size_t over = count - fair, over_free = used < room ? room - used : 0;
    count = fair + (over < over_free ? over : over_free); /* the rest waits in the outbox */
    h->scan_gap_ms = count > 0 ? SCAN_GAP_MS : SCAN_IDLE_GAP_MS;
    for (size_t k = 0, i = 0; k < count; k++) {
        while (h->xf[i].busy)
            i++;
        start(h, &h->xf[i], &h->heads[k]);
    }
    int64_t depth = 0, oldest = 0;
    if (now < h->next_depth_ms) return;
    h->next_depth_ms = now + SCAN_EVERY_MS;
    if (rg_outbox_depth(h->app->store, &depth, &oldest) == RG_OK)
        rg_metrics_outbox(h->app->metrics, (uint64_t)depth,
                          oldest ? (uint64_t)(now / 1000 - oldest) : 0);
}

static void reap(rg_hook *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
        xfer *x = NULL;
        if (m->msg != CURLMSG_DONE) continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode res = m->data.result;
        judge(h, x, res);
        release(h, x);
    }
}

/* Deliveries are background work: on a machine short of CPU, request
 * handling (joins, API calls) goes first and deliveries take what is left,
 * later rather than at the joins' expense (docs/webhooks.md "Delivery").
 * Linux keeps a nice value per thread, so only this one is lowered.  The
 * store's lock is held only for short reads and batched commits, so a
 * preempted dispatcher holding it delays the loops little. */
static void lower_priority(const rg_hook *h)
{
    if (h->cfg.nice <= 0) return;
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, (id_t)gettid());
    if ((cur == -1 && errno != 0) ||
        setpriority(PRIO_PROCESS, (id_t)gettid(), cur + h->cfg.nice) != 0)
        fprintf(stderr, "roomgate: webhook: cannot lower the delivery thread's priority: %s\n",
                strerror(errno));
}

static void *run(void *arg)
{
    rg_hook *h = arg;
    int running;
    lower_priority(h);
    while (!atomic_load(&h->stop)) {
        int64_t now = now_ms(), v = rg_store_change_mark(h->st);
        if ((v != h->version && now - h->last_scan_ms >= h->scan_gap_ms) ||
            now >= h->next_scan_ms) {
            h->version = v;
            scan(h, now);
        }
        curl_multi_perform(h->multi, &running);
        reap(h);
        int64_t wait = h->next_scan_ms - now_ms();
        curl_multi_poll(h->multi, NULL, 0,
                        wait < 0         ? 0
                        : wait < POLL_MS ? (int)wait
                                         : POLL_MS,
                        NULL);
    }
    flush_acks(h); /* what was delivered is not sent again after a restart */
    return NULL;
}

static void free_hook(rg_hook *h)
{
    for (int i = 0; h->xf && i < h->cfg.max_inflight; i++) {
        release(h, &h->xf[i]);
        curl_easy_cleanup(h->xf[i].easy);
    }
    if (h->multi) curl_multi_cleanup(h->multi);
    if (h->st) rg_store_close(h->st);
    rg_hook_tokens_free(h->tokens);
    free(h->xf);
    free(h->heads);
    free(h->busy);
    free(h->acks);
    free(h);
    curl_global_cleanup();
}

int rg_hook_start(rg_app *app)
{
    char path[4096];
    rg_hook *h = calloc(1, sizeof *h);
    if (!h || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(h);
        return RG_ENOMEM;
    }
    h->app = app;
    h->cfg = app->cfg.hook;
    if (h->cfg.max_inflight < 1) h->cfg.max_inflight = 1;
    h->xf = calloc((size_t)h->cfg.max_inflight, sizeof *h->xf);
    h->heads = calloc((size_t)h->cfg.max_inflight, sizeof *h->heads);
    h->busy = calloc((size_t)h->cfg.max_inflight, sizeof *h->busy);
    h->acks = calloc((size_t)h->cfg.max_inflight, sizeof *h->acks);
    h->tokens = rg_hook_tokens_new();
    if (!h->xf || !h->heads || !h->busy || !h->acks || !h->tokens ||
        (h->multi = curl_multi_init()) == NULL ||
        rg_store_location(app->cfg.db, app->cfg.data_dir, path, sizeof path) != RG_OK ||
        rg_store_open(path, &h->st) != RG_OK ||
        rg_bgsync_thread(&h->tid, run, h, "rg-webhooks") != 0) {
        fprintf(stderr, "roomgate: webhook: cannot start the dispatcher\n");
        free_hook(h);
        return RG_EIO;
    }
    h->started = 1;
    app->hook = h;
    return RG_OK;
}

void rg_hook_stop(rg_app *app)
{
    rg_hook *h = app->hook;
    if (!h) return;
    atomic_store(&h->stop, 1);
    curl_multi_wakeup(h->multi);
    if (h->started) pthread_join(h->tid, NULL);
    free_hook(h);
    app->hook = NULL;
}
