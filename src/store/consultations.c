/* consultations.c - consultations on SQLite (see consultations.h). */
#include "store/consultations.h"

#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "store/sql.h"

#define COLS                                                                                       \
    "sid, account_sid, consultation_id, detail_id, client_identity, provider_identity, "           \
    "starts_at, ends_at, status, date_created, date_updated"

static int read_row(sqlite3_stmt *s, rg_consultation *c)
{
    int rc;
    memset(c, 0, sizeof *c);
    rc = rg_sql_col_text(s, 0, c->sid, sizeof c->sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 1, c->account_sid, sizeof c->account_sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 2, c->consultation_id, sizeof c->consultation_id);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 3, c->detail_id, sizeof c->detail_id);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 4, c->client_identity, sizeof c->client_identity);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 5, c->provider_identity, sizeof c->provider_identity);
    c->starts_at = (int64_t)sqlite3_column_int64(s, 6);
    c->ends_at = (int64_t)sqlite3_column_int64(s, 7);
    c->status = sqlite3_column_int(s, 8) == RG_CONSULT_STATUS_CANCELLED
                    ? RG_CONSULT_STATUS_CANCELLED
                    : RG_CONSULT_SCHEDULED;
    c->date_created = (int64_t)sqlite3_column_int64(s, 9);
    c->date_updated = (int64_t)sqlite3_column_int64(s, 10);
    return rc;
}

int rg_store_consultation_insert(rg_store *st, const rg_consultation *c)
{
    sqlite3_stmt *s = NULL;
    int rc;
    rg_sql_lock(st);
    rc = rg_sql_prepare(
        st, "INSERT INTO consultations(" COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)", &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, c->sid);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 2, c->account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 3, c->consultation_id, RG_CONSULT_ID_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 4, c->detail_id, RG_CONSULT_ID_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 5, c->client_identity, RG_IDENTITY_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 6, c->provider_identity, RG_IDENTITY_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 7, c->starts_at);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 8, c->ends_at);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 9, c->status);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 10, c->date_created);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 11, c->date_updated);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, "consultation insert");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

/* The caller holds the lock.  The consultation_id wins over a sid that
 * happens to be spelled the same. */
static int get_locked(rg_store *st, const char *account_sid, const char *id, rg_consultation *out)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_sql_prepare(st,
                            "SELECT " COLS " FROM consultations WHERE account_sid = ?1 AND "
                            "(consultation_id = ?2 OR sid = ?2) "
                            "ORDER BY consultation_id = ?2 DESC LIMIT 1",
                            &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 2, id, RG_CONSULT_ID_MAX);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "consultation get");
    if (rc == RG_OK) rc = read_row(s, out);
    rg_sql_release(st, s);
    return rc;
}

int rg_store_consultation_get(rg_store *st, const char *account_sid, const char *id,
                              rg_consultation *out)
{
    rg_sql_lock(st);
    int rc = get_locked(st, account_sid, id, out);
    rg_sql_unlock(st);
    return rc;
}

int rg_store_consultation_cancel(rg_store *st, const char *account_sid, const char *id, int64_t now,
                                 rg_consultation *out)
{
    int rc;
    rg_sql_lock(st);
    rc = get_locked(st, account_sid, id, out);
    if (rc == RG_OK && out->status != RG_CONSULT_STATUS_CANCELLED) {
        rc = rg_sql_run(st,
                        "UPDATE consultations SET status = 2, date_updated = ?4 "
                        "WHERE sid = ?1 AND account_sid = ?2",
                        out->sid, account_sid, NULL, now, NULL, "consultation cancel");
        if (rc == RG_OK) out->status = RG_CONSULT_STATUS_CANCELLED, out->date_updated = now;
    }
    rg_sql_unlock(st);
    return rc;
}

int rg_store_consultation_close_room(rg_store *st, const rg_consultation *k, int64_t now,
                                     rg_revocation rev[2], int *n)
{
    const char *who[2] = {k->client_identity, k->provider_identity};
    rg_room room;
    int rc = rg_store_room_get(st, k->account_sid, k->consultation_id, &room);
    *n = 0;
    if (rc == RG_ENOTFOUND) return RG_OK;
    if (rc == RG_OK && room.status == RG_ROOM_IN_PROGRESS)
        rc = rg_store_room_complete(st, k->account_sid, room.sid, now);
    for (int i = 0; i < 2 && rc == RG_OK; i++) {
        rc = rg_store_revocation_add(st, k->account_sid, room.sid, who[i], now);
        if (rc != RG_OK) break;
        memset(&rev[i], 0, sizeof rev[i]);
        memcpy(rev[i].account_sid, k->account_sid, RG_SID_SIZE);
        memcpy(rev[i].room_sid, room.sid, RG_SID_SIZE);
        snprintf(rev[i].room_name, sizeof rev[i].room_name, "%s", room.unique_name);
        snprintf(rev[i].identity, sizeof rev[i].identity, "%s", who[i]);
        rev[i].before = now;
        (*n)++;
    }
    return rc;
}
