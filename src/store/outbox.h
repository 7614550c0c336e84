/* outbox.h - status callback events waiting for delivery (issue 13), and
 * the account settings they need: the default callback and the sealed auth
 * token that signs them.
 *
 * An event is a row written in the same transaction as the change it
 * describes (room created or ended, participant connected or
 * disconnected), by the store function that makes the change, through the
 * calls of store/outbox_emit.h.  So a committed change always
 * has its event, and a rolled-back one never has.  The dispatcher
 * (hook/dispatch.c) reads the head of each room's queue, delivers it and
 * acknowledges it with rg_outbox_ack (the row is deleted), reschedules it
 * with rg_outbox_retry, or gives it up with rg_outbox_give_up (deleted with
 * an audit row).  Nothing is marked "in flight" on disk: after a crash
 * every row still there is sent again, with its event id. */
#ifndef RG_STORE_OUTBOX_H
#define RG_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define RG_OUTBOX_URL_MAX 2048    /* as a room's StatusCallback (RG_URL_MAX) */
#define RG_EVENT_ID_SIZE 35       /* "EV" + 32 hex + NUL */
#define RG_OUTBOX_PARAMS_MAX 4096 /* bytes of an event's parameters (JSON) */

typedef struct {
    int64_t id; /* order: a room's events are delivered in id order */
    char event_id[RG_EVENT_ID_SIZE];
    char account_sid[RG_SID_SIZE];
    char room_sid[RG_SID_SIZE];
    char event[32];
    char url[RG_OUTBOX_URL_MAX + 1];
    int get;                               /* StatusCallbackMethod=GET */
    int livekit;                           /* LiveKit's format (else Twilio's) */
    char key_sid[RG_SID_SIZE];             /* LiveKit: the API key that signs */
    char params[RG_OUTBOX_PARAMS_MAX + 1]; /* JSON: hook/params.h */
    int64_t seq;                           /* SequenceNumber within the room */
    int64_t created;                       /* unix seconds */
    int attempts;
    int64_t next_ms;                     /* unix ms of the next attempt */
    uint8_t token_sealed[RG_SEALED_MAX]; /* the account's auth token */
    size_t token_sealed_len;             /* 0: not sealed (older account) */
} rg_outbox_row;

/* An event in flight: passed over by the scan, and counted against its
 * account's share. */
typedef struct {
    int64_t id;
    char account_sid[RG_SID_SIZE];
} rg_outbox_busy;

/* The first waiting event of up to limit rooms whose next attempt is due at
 * now_ms, skipping those in flight (busy, nbusy).  Fair between accounts:
 * the events of accounts with fewer than per_account in flight (busy and
 * picked) come first, oldest first, then the others, oldest first, so one
 * account's slow receivers cannot keep every slot from the others' events.
 * RG_OK, *count, and *fair: how many of them (the first) are within their
 * account's share. */
int rg_outbox_heads(rg_store *st, int64_t now_ms, const rg_outbox_busy *busy, size_t nbusy,
                    size_t per_account, rg_outbox_row *out, size_t limit, size_t *count,
                    size_t *fair);
/* Delivered: the row is deleted (RG_OK also when it already was); the
 * batch in one transaction. */
int rg_outbox_ack(rg_store *st, int64_t id);
int rg_outbox_ack_many(rg_store *st, const int64_t *ids, size_t n);
/* Another attempt at next_ms; attempts is the count made so far. */
int rg_outbox_retry(rg_store *st, int64_t id, int attempts, int64_t next_ms);
/* Given up (too old, or refused for good): an audit row (action
 * "webhook", outcome "failed", reason) is appended, then the row deleted.
 * st must be an anchored audit writer (store/audit.h); now in unix ms. */
int rg_outbox_give_up(rg_store *st, const rg_outbox_row *row, const char *reason, int64_t now);
/* How many events wait, and the oldest one's creation (0 when none). */
int rg_outbox_depth(rg_store *st, int64_t *depth, int64_t *oldest);

/* The account's default status callback: used for every room of the
 * account that has no StatusCallback of its own (rooms a join creates).
 * url "" clears it.  In LiveKit's format (docs/webhooks.md), events are
 * signed with the secret of key_sid, one of the account's API keys. */
typedef struct {
    char url[RG_OUTBOX_URL_MAX + 1];
    int get;                   /* StatusCallbackMethod=GET (Twilio's format only) */
    int livekit;               /* StatusCallbackFormat=livekit */
    char key_sid[RG_SID_SIZE]; /* "" unless livekit */
} rg_account_callback;
/* RG_ENOTFOUND for an unknown account. */
int rg_store_account_set_callback(rg_store *st, const char *account_sid,
                                  const rg_account_callback *cb);
int rg_store_account_get_callback(rg_store *st, const char *account_sid, rg_account_callback *out);
/* Stores the account's auth token sealed under the master key (the blob
 * from rg_seal, bound to the account SID) with its hash, in one update.
 * RG_ENOTFOUND for an unknown account. */
int rg_store_account_set_token(rg_store *st, const char *account_sid, const uint8_t hash[32],
                               const uint8_t *sealed, size_t sealed_len);

#endif
