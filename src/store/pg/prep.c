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
 * statement for the server).  The table is open addressing, at most 3/4
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

struct entry {
    uint64_t hash;
    char *sql; /* NULL: a free slot */
    int n;
    unsigned types[TYPES_MAX];
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

/* Prepares sql as e->name on the connection: 0, or -1 (not prepared). */
static int prepare(rg_store *st, struct entry *e, const char *sql, int n, const unsigned *types,
                   int64_t deadline, int *late)
{
    if (rg_pg_nonblocking(st->conn) != 0 || !PQsendPrepare(st->conn, e->name, sql, n, types))
        return -1;
    PGresult *r = rg_pg_await(st->conn, deadline, late);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : -1;
}

const char *rg_pg_prepared(rg_store *st, const char *sql, int n, const unsigned *types,
                           int64_t deadline, int *late)
{
    *late = 0;
    if (n <= 0 || n > TYPES_MAX) return NULL; /* BEGIN, COMMIT, ...: nothing to plan */
    if (st->prep == NULL && (st->prep = calloc(1, sizeof *st->prep)) == NULL) return NULL;
    struct rg_pg_prep *p = st->prep;
    uint64_t h = hash_of(sql, n, types);
    size_t i = (size_t)h & (SLOTS - 1);
    for (; p->e[i].sql != NULL; i = (i + 1) & (SLOTS - 1))
        if (same(&p->e[i], h, sql, n, types)) return p->e[i].name;
    if (p->used >= KEEP_MAX) return NULL;
    struct entry *e = &p->e[i];
    snprintf(e->name, sizeof e->name, "rg%zu", p->named++);
    if (prepare(st, e, sql, n, types, deadline, late) != 0) return NULL;
    if ((e->sql = strdup(sql)) == NULL) return NULL; /* prepared, unused: harmless */
    e->hash = h;
    e->n = n;
    memcpy(e->types, types, (size_t)n * sizeof *types);
    p->used++;
    return e->name;
}

void rg_pg_prepared_forget(rg_store *st)
{
    struct rg_pg_prep *p = st->prep;
    if (p == NULL) return;
    for (size_t i = 0; i < SLOTS; i++)
        free(p->e[i].sql);
    memset(p, 0, sizeof *p);
}

void rg_pg_prepared_free(rg_store *st)
{
    rg_pg_prepared_forget(st);
    free(st->prep);
    st->prep = NULL;
}
