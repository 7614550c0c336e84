/* store.h - the only interface that speaks SQL.
 *
 * One rg_store is one database connection guarded by its own mutex, so a
 * handle may be shared by threads; the hot paths never call it (they use the
 * key cache).  Every string column has a fixed maximum length so rows can
 * live in plain structs without ownership questions. */
#ifndef RG_STORE_STORE_H
#define RG_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/sid.h"

#define RG_NAME_MAX 255  /* bytes of a friendly name */
#define RG_SEALED_MAX 128 /* bytes of a sealed API key secret */

typedef struct rg_store rg_store;

/* Opens (creating if needed) the SQLite database at path, sets WAL,
 * synchronous=FULL, busy_timeout, foreign keys, and runs the schema
 * migrations up to the current version.  Returns RG_OK/RG_EIO. */
int rg_store_open(const char *path, rg_store **out);
void rg_store_close(rg_store *st);
int rg_store_schema_version(rg_store *st);

/* Changes whenever another connection (another process, the CLI) commits.
 * Cheap: reads the WAL index, not the disk. */
int64_t rg_store_data_version(rg_store *st);

typedef struct {
    char sid[RG_SID_SIZE];
    char friendly_name[RG_NAME_MAX + 1];
    uint8_t token_hash[32];
    int64_t date_created; /* unix seconds */
} rg_account;

int rg_store_account_insert(rg_store *st, const rg_account *a); /* RG_EEXIST */
int rg_store_account_get(rg_store *st, const char *sid, rg_account *out); /* RG_ENOTFOUND */

typedef struct {
    char sid[RG_SID_SIZE];
    char account_sid[RG_SID_SIZE];
    char friendly_name[RG_NAME_MAX + 1];
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
