/* live.c - which of a node's live rooms and members ended (rooms.h
 * rg_store_live_ended): two statements for all of them, where one lookup
 * per room and per member cost a node with --redis a round trip each,
 * 3,000 of them for 1,000 two-party rooms, every time another node
 * committed (signal/sync.c).
 *
 * The SIDs travel as one text[] parameter ('{RM..,RM..}'); a SID is
 * letters and digits (core/sid.h), checked here, so none needs quoting in
 * the array's syntax.  CHUNK SIDs per statement, each planned for its
 * list (a statement with an array parameter is not prepared: prep.c):
 * an index lookup per SID. */
#include "store/pg/pg.h"

#include <stdlib.h>
#include <string.h>

#include "core/errors.h"

#define CHUNK 1024

static int plain_sid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= RG_SID_SIZE) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= 'A' && s[i] <= 'Z')))
            return 0;
    return 1;
}

static const char *sid_of(const rg_live_ref *r, int rooms)
{
    return rooms ? r->room_sid : r->participant_sid;
}

/* Marks ended[i] for each ref of the kind (rooms or members) in idx[0..k)
 * whose SID the statement answered. */
static int mark(const PGresult *r, const rg_live_ref *refs, const size_t *idx, size_t k, int rooms,
                unsigned char *ended)
{
    char sid[RG_SID_SIZE];
    for (int row = 0; row < PQntuples(r); row++) {
        if (rg_pg_text(r, row, 0, sid, sizeof sid) != RG_OK) return RG_EIO;
        for (size_t j = 0; j < k; j++)
            if (strcmp(sid_of(&refs[idx[j]], rooms), sid) == 0) ended[idx[j]] = 1;
    }
    return RG_OK;
}

/* One statement for up to CHUNK refs of one kind. */
static int check_chunk(rg_store *st, const rg_live_ref *refs, const size_t *idx, size_t k,
                       int rooms, unsigned char *ended)
{
    static const char members_sql[] =
        "SELECT sid FROM participants WHERE sid = ANY($1::text[]) AND connected = 0";
    static const char rooms_sql[] = "SELECT sid FROM rooms WHERE sid = ANY($1::text[]) AND "
                                    "status <> 1";
    char *arr = malloc(k * RG_SID_SIZE + 3), *p = arr;
    if (arr == NULL) return RG_ENOMEM;
    *p++ = '{';
    for (size_t j = 0; j < k; j++) {
        const char *s = sid_of(&refs[idx[j]], rooms);
        size_t n = strlen(s);
        if (j > 0) *p++ = ',';
        memcpy(p, s, n);
        p += n;
    }
    *p++ = '}';
    *p = '\0';
    PGresult *r = NULL;
    int rc = rg_pg_query(st, rooms ? rooms_sql : members_sql,
                         RG_PG_ARGS(RG_PG_LIST(arr, (size_t)(p - arr))), &r);
    free(arr);
    if (rc == RG_OK) rc = mark(r, refs, idx, k, rooms, ended);
    PQclear(r);
    return rc;
}

/* Every ref of one kind, in chunks. */
static int check_kind(rg_store *st, const rg_live_ref *refs, size_t n, int rooms,
                      unsigned char *ended, size_t *idx)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if ((refs[i].participant_sid[0] == '\0') != rooms) continue;
        if (!plain_sid(sid_of(&refs[i], rooms))) continue; /* no such row */
        idx[k++] = i;
        if (k == CHUNK) {
            int rc = check_chunk(st, refs, idx, k, rooms, ended);
            if (rc != RG_OK) return rc;
            k = 0;
        }
    }
    return k ? check_chunk(st, refs, idx, k, rooms, ended) : RG_OK;
}

int rg_pgsql_live_ended(rg_store *st, const rg_live_ref *refs, size_t n, unsigned char *ended)
{
    size_t *idx = malloc(CHUNK * sizeof *idx);
    if (idx == NULL) return RG_ENOMEM;
    uint64_t t0 = rg_pg_lock(st);
    int rc = check_kind(st, refs, n, 0, ended, idx); /* members first: rooms.h */
    if (rc == RG_OK) rc = check_kind(st, refs, n, 1, ended, idx);
    rg_pg_unlock(st, t0, 0);
    free(idx);
    return rc;
}
