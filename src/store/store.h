/* store.h - the store seam: the only way the rest of the program reaches
 * the database.  This header and the per-resource ones beside it (rooms.h,
 * meetings.h, consultations.h, recordings.h, audit.h) name operations and
 * plain row structs, never a database type; a back end implements them
 * (SQLite in src/store/sqlite/, PostgreSQL in src/store/pg/), behind the
 * table of operations of store/ops.h that rg_store_open picks.
 *
 * An rg_store handle may be shared by threads: each call is atomic with
 * respect to the others.  The hot paths never call it (they use the
 * caches).  Every string column has a fixed maximum length so rows can
 * live in plain structs without ownership questions. */
#ifndef RG_STORE_STORE_H
#define RG_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/sid.h"

#define RG_NAME_MAX 255   /* bytes of a friendly name */
#define RG_SEALED_MAX 128 /* bytes of a sealed API key secret */

typedef struct rg_store rg_store;

/* Opens the store at location and runs the schema migrations up to the
 * current version.  location is a file path (SQLite: the file is created
 * if needed, private to this user, durable commits) or a postgres:// /
 * postgresql:// URL (PostgreSQL, src/store/pg/).  Returns RG_OK/RG_EIO. */
int rg_store_open(const char *location, rg_store **out);
/* How long a PostgreSQL statement's answer is awaited (--db-timeout,
 * milliseconds; 10 s unless set; 0 or less: the default) in every handle
 * opened after the call.  Past it the connection is given up and the
 * store answers RG_EIO until a new one is made (pg/wait.c).  SQLite's
 * waits are its own busy timeout.  Call before any open. */
void rg_store_set_deadline(int ms);
#define RG_STORE_LINKS_MAX 10
/* Lets st keep a connection of its own for each of n threads (at most
 * RG_STORE_LINKS_MAX;
 * PostgreSQL: its location again; SQLite has one connection whatever n
 * says): a thread bound to slot k (rg_store_bind_thread) uses connection k
 * modulo n, so one event loop's statements never wait for another's; the
 * threads no loop binds share the first.  Before any other thread uses
 * st.  RG_OK, or RG_EIO with st as it was. */
int rg_store_links(rg_store *st, const char *location, int n);
/* The calling thread's slot for rg_store_links: an event loop binds its
 * index + 1 when it starts; unbound threads are slot 0. */
void rg_store_bind_thread(int slot);
int rg_store_thread_slot(void);
/* 1 when location names a PostgreSQL database (postgres:// or
 * postgresql://), else 0 (a file path). */
int rg_store_is_postgres(const char *location);
/* The store's location: db when set (--db: a file path or a postgres://
 * URL), else DATA_DIR/roomgate.db.  RG_OK, RG_ETOOBIG when out is short. */
int rg_store_location(const char *db, const char *data_dir, char *out, size_t cap);
/* location in a form that may be printed or logged: a postgres:// URL's
 * password (in the user info, or a password= parameter) is replaced by
 * "***".  Truncated to cap - 1 bytes. */
void rg_store_location_safe(const char *location, char *out, size_t cap);
void rg_store_close(rg_store *st);
int rg_store_schema_version(rg_store *st);

/* A mark that differs after another process (the CLI) committed: commits
 * through this handle leave it alone (their writers clear the caches
 * themselves).  A back end keeps it cheap enough for a cache miss (no disk
 * read, no round trip).  -1 on failure.  The server asks it once per tick,
 * through the change watcher (store/watch.h), which tells the caches. */
int64_t rg_store_change_mark(rg_store *st);

/* A read of the database file through this connection (its schema table):
 * RG_OK when it answers, RG_EIO when the file cannot be read or is not
 * roomgate's (e.g. replaced, truncated).  For /readyz. */
int rg_store_ping(rg_store *st);

/* 0 while the store's database server cannot be reached (PostgreSQL: the
 * connection broke and is not back yet; src/store/pg/conn.c), else 1.  No
 * I/O, any thread: for an answer that says why a call failed. */
int rg_store_reachable(rg_store *st);

/* Calls fn after every locked use of the store (each store call, a whole
 * transaction), with write = 1 when a transaction began in it and its
 * duration.  fn runs under the store's lock: keep it to a few adds.  Set
 * before the store is shared (for /metrics). */
void rg_store_set_timer(rg_store *st, void (*fn)(void *ud, int write, uint64_t micros), void *ud);

typedef struct {
    char sid[RG_SID_SIZE];
    char friendly_name[RG_NAME_MAX + 1];
    uint8_t token_hash[32];
    int64_t date_created; /* unix seconds */
    /* written by rg_store_account_insert only (signing status callbacks,
     * store/outbox.h): the auth token sealed under the master key, bound
     * to the SID; length 0 stores none */
    uint8_t token_sealed[RG_SEALED_MAX];
    size_t token_sealed_len;
} rg_account;

int rg_store_account_insert(rg_store *st, const rg_account *a);           /* RG_EEXIST */
int rg_store_account_get(rg_store *st, const char *sid, rg_account *out); /* RG_ENOTFOUND */

/* Twilio's key types: a standard key works everywhere except the Keys
 * resource; a main key (or the auth token) may also manage keys. */
typedef enum { RG_KEY_STANDARD = 0, RG_KEY_MAIN = 1 } rg_key_type;

/* "standard" / "main"; and back (-1 for anything else). */
const char *rg_key_type_name(rg_key_type t);
int rg_key_type_parse(const char *s);

typedef struct {
    char sid[RG_SID_SIZE];
    char account_sid[RG_SID_SIZE];
    char friendly_name[RG_NAME_MAX + 1];
    rg_key_type key_type;
    uint8_t sealed[RG_SEALED_MAX]; /* secret sealed with the master key */
    size_t sealed_len;
    int64_t date_created, date_updated;
    int64_t seq; /* insertion order (read only): breaks date_created ties */
} rg_key_row;

int rg_store_key_insert(rg_store *st, const rg_key_row *k);
int rg_store_key_get(rg_store *st, const char *sid, rg_key_row *out);
/* Keys of an account, newest first, rows [offset, offset+limit).  Fills up to
 * limit rows into out, sets *count; *more = 1 when further rows exist. */
int rg_store_key_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                      rg_key_row *out, size_t *count, int *more);
int rg_store_key_rename(rg_store *st, const char *sid, const char *name, int64_t now);
int rg_store_key_delete(rg_store *st, const char *sid); /* RG_ENOTFOUND */
/* The account's newest live key (for minting with the auth token). */
int rg_store_key_newest(rg_store *st, const char *account_sid, rg_key_row *out);

/* Calls fn for every live key / every account (cache loads).  Stops and
 * returns fn's value if it returns non-zero. */
int rg_store_key_each(rg_store *st, int (*fn)(void *ud, const rg_key_row *k), void *ud);
int rg_store_account_each(rg_store *st, int (*fn)(void *ud, const rg_account *a), void *ud);

#endif
