/* prep.c - the statements prepared on a connection (pg.h).
 *
 * Sent unnamed (PQexecParams, PQsendQueryParams), a statement is parsed
 * and planned by the server at every call.  For the store's writes that
 * was most of their cost: the status callback events' INSERT ... SELECT
 * (outbox_emit.c) spent about 0.55 ms of its 0.65 ms per call parsing
 * and planning it (log_min_duration_statement's parse/bind/execute times,
 * a join batch of micro_seats on a test cluster).  So a statement with
 * parameters is prepared once per connection (named rgN; parsed once, its
 * plan cached by the server) and then only bound and executed.
 *
 * A statement is known by its text and its parameters' types (a NULL has
 * no type: the same text with a NULL where a number was is another
 * statement for the server).
 *
 * A prepared statement's plan is made once, for the table sizes of that
 * moment, and kept until the server's statistics change (autovacuum's
 * ANALYZE).  On tables that grow from nothing within a minute (a new
 * deployment, a burst of rooms) a plan made on the empty table read every
 * room of the account for a lookup by SID: 0.04 ms growing to 0.9 ms with
 * 3,500 rooms in bench/multinode.sh.  So a statement is prepared again
 * after 8, 64, 512, ... uses (each step eight times the last, then every
 * REPLAN_MAX): its plan follows the tables' growth for a few round trips
 * in thousands of calls.
 *
 * A statement that takes a list (an array parameter: `= ANY($1::text[])`)
 * is not prepared: its best plan depends on the list's length, which a
 * generic plan cannot know; the one the server chose compared every row
 * with every SID (1.5 s for 1,000 SIDs against a few thousand rows,
 * live.c), where planning it for its values takes an index lookup per SID.
 *
 * The table is open addressing, at most 3/4
 * full: past that (more distinct statements than the back end has) a
 * statement is sent unnamed, as before.  A new session (a reconnect, conn.c)
 * has none: the table is forgotten then. */
#include "store/pg/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512 /* a power of two */
#define KEEP_MAX (SLOTS / 4 * 3)
#define TYPES_MAX 16 /* query.c's ARGS_MAX */
#define REPLAN_FIRST 8
#define REPLAN_MAX 32768

struct entry {
    uint64_t hash;
    char *sql; /* NULL: a free slot */
    int n;
    unsigned types[TYPES_MAX];
    int live;              /* prepared on the server under name */
    uint32_t uses, replan; /* prepared again when uses reaches replan */
    char name[16];
};

struct rg_pg_prep {
    size_t used;
    size_t named; /* names given on this session: each once, even a failed one's */
    struct entry e[SLOTS];
};

/* FNV-1a over the text and the types. */
static uint64_t hash_of(const char *sql, int n, const unsigned *types)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    for (int i = 0; i < n; i++)
        h = (h ^ types[i]) * 1099511628211ull;
    return h;
}

static int same(const struct entry *e, uint64_t h, const char *sql, int n, const unsigned *types)
{
    return e->hash == h && e->n == n && memcmp(e->types, types, (size_t)n * sizeof *types) == 0 &&
           strcmp(e->sql, sql) == 0;
}

/* The answer to what was just sent: 0 when the command succeeded, else -1. */
static int command_ok(PGconn *c, int64_t deadline, int *late)
{
    PGresult *r = rg_pg_await(c, deadline, late);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : -1;
}

/* Prepares sql as e->name on the connection: 0, or -1 (not prepared). */
static int prepare(PGconn *c, struct entry *e, const char *sql, int n, const unsigned *types,
                   int64_t deadline, int *late)
{
    if (rg_pg_nonblocking(c) != 0 || !PQsendPrepare(c, e->name, sql, n, types)) return -1;
    return command_ok(c, deadline, late);
}

/* Drops e's statement on the server (its name is ours: rgN), so that the
 * next prepare makes a plan for the tables as they are now: 0, or -1
 * (still prepared: an aborted transaction refuses it; the next use tries
 * again). */
static int deallocate(PGconn *c, struct entry *e, int64_t deadline, int *late)
{
    char sql[32];
    snprintf(sql, sizeof sql, "DEALLOCATE %s", e->name);
    if (!PQsendQuery(c, sql) || command_ok(c, deadline, late) != 0) return -1;
    e->live = 0;
    e->replan = e->replan >= REPLAN_MAX / 8 ? REPLAN_MAX : e->replan * 8;
    return 0;
}

/* e's statement prepared (again): its name, or NULL. */
static const char *ready(PGconn *c, struct entry *e, int64_t deadline, int *late)
{
    if (e->live && e->uses++ < e->replan) return e->name;
    if (e->live && deallocate(c, e, deadline, late) != 0) return NULL;
    if (*late || prepare(c, e, e->sql, e->n, e->types, deadline, late) != 0) return NULL;
    e->live = 1;
    e->uses = 1;
    return e->name;
}

const char *rg_pg_prepared(rg_pg_link *l, const char *sql, int n, const unsigned *types,
                           int64_t deadline, int *late)
{
    *late = 0;
    if (n <= 0 || n > TYPES_MAX) return NULL;    /* BEGIN, COMMIT, ...: nothing to plan */
    if (strstr(sql, "[])") != NULL) return NULL; /* a list: planned for its length */
    if (l->prep == NULL && (l->prep = calloc(1, sizeof *l->prep)) == NULL) return NULL;
    struct rg_pg_prep *p = l->prep;
    uint64_t h = hash_of(sql, n, types);
    size_t i = (size_t)h & (SLOTS - 1);
    for (; p->e[i].sql != NULL; i = (i + 1) & (SLOTS - 1))
        if (same(&p->e[i], h, sql, n, types)) return ready(l->conn, &p->e[i], deadline, late);
    if (p->used >= KEEP_MAX || (p->e[i].sql = strdup(sql)) == NULL) return NULL;
    struct entry *e = &p->e[i];
    snprintf(e->name, sizeof e->name, "rg%zu", p->named++);
    e->hash = h;
    e->n = n;
    memcpy(e->types, types, (size_t)n * sizeof *types);
    e->replan = REPLAN_FIRST;
    p->used++;
    return ready(l->conn, e, deadline, late);
}

void rg_pg_prepared_forget(rg_pg_link *l)
{
    struct rg_pg_prep *p = l->prep;
    if (p == NULL) return;
    for (size_t i = 0; i < SLOTS; i++)
        free(p->e[i].sql);
    memset(p, 0, sizeof *p);
}

void rg_pg_prepared_free(rg_pg_link *l)
{
    rg_pg_prepared_forget(l);
    free(l->prep);
    l->prep = NULL;
}
