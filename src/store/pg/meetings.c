/* meetings.c - VideoSDK rooms on PostgreSQL (store/meetings.h), with the
 * SQLite back end's semantics (src/store/sqlite/meetings.c).
 *
 * customRoomId reuse needs no lock: the partial unique index on
 * (account_sid, custom_room_id) arbitrates, and ON CONFLICT DO NOTHING
 * waits for a racing insert to commit and then yields to it, so the
 * loser reads the winner's row. */
#include "store/meetings.h"

#include <stdint.h>
#include <string.h>

#include "core/errors.h"
#include "store/pg/call.h"

/* The room id first: a customRoomId that looks like another room's id
 * never shadows it. */
#define BY_KEY                                                                                     \
    "SELECT " RG_SQL_MEETING_COLS                                                                  \
    " FROM meetings WHERE account_sid = $1 AND (room_id = $2 OR custom_room_id = "                 \
    "$2) ORDER BY room_id = $2 DESC LIMIT 1"

/* Columns in RG_SQL_MEETING_COLS order (store/cols.c). */
static int read_row(const PGresult *r, int i, void *row)
{
    return rg_pg_read_cols(r, i, row, &rg_cols_meeting);
}

static int get_custom_locked(rg_store *st, const rg_meeting *m, rg_meeting *out)
{
    return rg_pg_get_locked(
        st,
        "SELECT " RG_SQL_MEETING_COLS
        " FROM meetings WHERE account_sid = $1 AND custom_room_id = $2",
        RG_PG_ARGS(RG_PG_SID(m->account_sid), RG_PG_TEXT(m->custom_room_id, RG_IDENTITY_MAX)),
        read_row, out);
}

int rg_pgsql_meeting_create(rg_store *st, rg_meeting *m, int *created)
{
    int64_t rows = 0;
    *created = 0;
    uint64_t t0 = rg_pg_lock(st);
    int rc = m->custom_room_id[0] ? get_custom_locked(st, m, m) : RG_ENOTFOUND;
    if (rc == RG_ENOTFOUND) {
        rc = rg_pg_insert_locked(
            st,
            "INSERT INTO meetings(" RG_SQL_MEETING_COLS ") VALUES($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (account_sid, custom_room_id) WHERE custom_room_id IS NOT NULL "
            "DO NOTHING",
            &rg_cols_meeting, m, &rows);
        if (rc == RG_OK && rows == 1)
            *created = 1;
        else if (rc == RG_OK) /* another node took the customRoomId since the read */
            rc = get_custom_locked(st, m, m);
    }
    rg_pg_unlock(st, t0, *created);
    return rc;
}

int rg_pgsql_meeting_get(rg_store *st, const char *account_sid, const char *key, rg_meeting *out)
{
    return rg_pg_get(st, BY_KEY,
                     RG_PG_ARGS(RG_PG_SID(account_sid), RG_PG_TEXT(key, RG_IDENTITY_MAX)), read_row,
                     out);
}

int rg_pgsql_meeting_any(rg_store *st, const char *account_sid, int *any)
{
    int64_t one = 0;
    uint64_t t0 = rg_pg_lock(st);
    /* count(*) is int8, as rg_pg_int reads; LIMIT 1: it stops at one */
    int rc = rg_pg_int_locked(
        st, "SELECT count(*) FROM (SELECT 1 FROM meetings WHERE account_sid = $1 LIMIT 1) AS m",
        RG_PG_ARGS(RG_PG_SID(account_sid)), &one);
    rg_pg_unlock(st, t0, 0);
    *any = rc == RG_OK && one != 0;
    return rc;
}

/* The count and the page in one REPEATABLE READ transaction: they see
 * the same rows. */
int rg_pgsql_meeting_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                          rg_meeting *out, size_t *count, int64_t *total)
{
    PGresult *r = NULL;
    *count = 0;
    *total = 0;
    if (limit >= (size_t)INT64_MAX || offset >= (size_t)INT64_MAX || (limit && !out))
        return RG_EINVAL;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_put_locked(st, "BEGIN ISOLATION LEVEL REPEATABLE READ", NULL, 0, NULL);
    if (rc != RG_OK) {
        rg_pg_unlock(st, t0, 0);
        return rc;
    }
    rc = rg_pg_int_locked(st, "SELECT COUNT(*) FROM meetings WHERE account_sid = $1",
                          RG_PG_ARGS(RG_PG_SID(account_sid)), total);
    if (rc == RG_OK)
        rc = rg_pg_query(st,
                         "SELECT " RG_SQL_MEETING_COLS " FROM meetings WHERE account_sid = $1 "
                         "ORDER BY date_created DESC, seq DESC LIMIT $2 OFFSET $3",
                         RG_PG_ARGS(RG_PG_SID(account_sid), RG_PG_INT(limit), RG_PG_INT(offset)),
                         &r);
    for (int i = 0; rc == RG_OK && i < PQntuples(r) && (size_t)i < limit; i++)
        if ((rc = read_row(r, i, &out[i])) == RG_OK) *count = (size_t)i + 1;
    PQclear(r);
    rc = rg_pg_end(st, rc);
    rg_pg_unlock(st, t0, 0);
    if (rc != RG_OK) *count = 0;
    return rc;
}

/* The row, read under its row lock (rg_pg_get_then), is disabled unless
 * it is already: two nodes disabling at once move date_updated once. */
static int disable_locked(rg_store *st, void *row, void *now)
{
    rg_meeting *m = row;
    int64_t t = *(const int64_t *)now;
    if (m->disabled) return RG_OK;
    int rc = rg_pg_put_locked(
        st,
        "UPDATE meetings SET disabled = 1, date_updated = $3 "
        "WHERE room_id = $1 AND account_sid = $2",
        RG_PG_ARGS(RG_PG_TEXT(m->room_id, RG_ROOMID_LEN), RG_PG_SID(m->account_sid), RG_PG_INT(t)),
        NULL);
    if (rc == RG_OK) m->disabled = 1, m->date_updated = t;
    return rc;
}

int rg_pgsql_meeting_disable(rg_store *st, const char *account_sid, const char *key, int64_t now,
                             rg_meeting *out)
{
    return rg_pg_get_then(st, BY_KEY " FOR UPDATE",
                          RG_PG_ARGS(RG_PG_SID(account_sid), RG_PG_TEXT(key, RG_IDENTITY_MAX)),
                          read_row, out, disable_locked, &now);
}
