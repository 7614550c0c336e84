/* query.c - the one way the PostgreSQL back end talks to the server: a
 * constant SQL text and its parameters (prepared once: prep.c), never SQL built
 * from values; binary results read with length checks; the server's
 * SQLSTATE turned into the store's error codes. */
#include "store/pg/pg.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/errors.h"

#define ARGS_MAX 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

static uint64_t now_micros(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t rg_pg_lock(rg_store *st)
{
    rg_ylock_take(&rg_pg_link_of(st)->lock);
    rg_pg_heal(st); /* between uses only: never inside a transaction */
    return st->timer ? now_micros() : 0;
}

void rg_pg_unlock(rg_store *st, uint64_t started, int write)
{
    if (st->timer) st->timer(st->timer_ud, write, now_micros() - started);
    rg_ylock_give(&rg_pg_link_of(st)->lock);
}

/* SQLSTATE classes the callers act on; anything else is logged (without
 * parameter values: they may be secrets) and is an RG_EIO.  A broken
 * connection is said once per outage (conn.c), not per statement. */
static int fail(rg_store *st, const PGresult *r)
{
    PGconn *conn = rg_pg_link_of(st)->conn;
    if (PQstatus(conn) == CONNECTION_BAD) {
        rg_pg_lost(st);
        return RG_EIO;
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state && strcmp(state, "23505") == 0) return RG_EEXIST;
    if (state && strcmp(state, "23503") == 0) return RG_ENOTFOUND;
    /* invalid byte sequence, untranslatable character, string too long */
    if (state &&
        (strcmp(state, "22021") == 0 || strcmp(state, "22P05") == 0 || strcmp(state, "22001") == 0))
        return RG_EINVAL;
    fprintf(stderr, "roomgate: store: %s", r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
    return RG_EIO;
}

typedef struct {
    const char *values[ARGS_MAX];
    int lengths[ARGS_MAX], formats[ARGS_MAX];
    unsigned types[ARGS_MAX];
    uint64_t ints[ARGS_MAX]; /* int8 parameters in network order */
} params;

static int put_param(params *p, int i, const rg_pg_arg *a)
{
    switch (a->kind) {
    case 't':
        if (!a->p || strlen(a->p) > a->n) return RG_EINVAL;
        p->values[i] = a->p;
        p->types[i] = OID_TEXT;
        return RG_OK;
    case 'l': /* RG_PG_LIST: text whose type the statement's cast says */
        if (!a->p || strlen(a->p) > a->n) return RG_EINVAL;
        p->values[i] = a->p;
        return RG_OK;
    case 'b':
        if (a->n > INT32_MAX) return RG_EINVAL;
        p->values[i] = a->n ? a->p : "";
        p->lengths[i] = (int)a->n;
        p->formats[i] = 1;
        p->types[i] = OID_BYTEA;
        return RG_OK;
    case 'i':
        p->ints[i] = htobe64((uint64_t)a->i);
        p->values[i] = (const char *)&p->ints[i];
        p->lengths[i] = 8;
        p->formats[i] = 1;
        p->types[i] = OID_INT8;
        return RG_OK;
    case 'n':
        return RG_OK; /* values[i] NULL: SQL NULL */
    default:
        return RG_EINVAL;
    }
}

static int params_of(params *p, const rg_pg_arg *args, int n)
{
    if (n < 0 || n > ARGS_MAX) return RG_EINVAL;
    memset(p, 0, sizeof *p);
    for (int i = 0; i < n; i++) {
        int rc = put_param(p, i, &args[i]);
        if (rc != RG_OK) return rc;
    }
    return RG_OK;
}

/* Sends the statement without waiting for its answer: by name when it is
 * prepared (prep.c: name NULL sends it unnamed).  1, or 0 (the
 * connection's error). */
static int send_one(PGconn *c, const char *name, const char *sql, int n, const params *p)
{
    return name ? PQsendQueryPrepared(c, name, n, p->values, p->lengths, p->formats, 1)
                : PQsendQueryParams(c, sql, n, p->types, p->values, p->lengths, p->formats, 1);
}

/* The statement sent (prepared once, then by its name: prep.c) and its
 * answer awaited until the handle's deadline (wait.c); NULL when there
 * is none (the connection's error, or given up at the deadline). */
static PGresult *send_and_await(rg_store *st, const char *sql, int n, const params *p)
{
    PGconn *c = rg_pg_link_of(st)->conn;
    int late = 0;
    int64_t deadline = rg_pg_deadline(st->deadline_ms);
    const char *name = rg_pg_prepared(rg_pg_link_of(st), sql, n, p->types, deadline, &late);
    PGresult *r = NULL;
    if (late) {
        rg_pg_late(st);
        return NULL;
    }
    if (rg_pg_nonblocking(c) != 0) return NULL;
    if (!send_one(c, name, sql, n, p)) return PQgetResult(c); /* NULL, or the error */
    r = rg_pg_await(c, deadline, &late);
    if (late) rg_pg_late(st);
    return r;
}

static int answered(const PGresult *r)
{
    ExecStatusType s = PQresultStatus(r);
    return s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK;
}

/* Down: no round trip (conn.c). */
static int up(rg_store *st)
{
    if (PQstatus(rg_pg_link_of(st)->conn) == CONNECTION_OK) return 1;
    rg_pg_lost(st);
    return 0;
}

int rg_pg_query(rg_store *st, const char *sql, const rg_pg_arg *args, int n, PGresult **res)
{
    params p;
    *res = NULL;
    int rc = params_of(&p, args, n);
    if (rc != RG_OK) return rc;
    if (!up(st)) return RG_EIO;
    PGresult *r = send_and_await(st, sql, n, &p);
    if (!answered(r)) {
        rc = fail(st, r);
        PQclear(r);
        return rc;
    }
    *res = r;
    return RG_OK;
}

/* ---- pipelines ---------------------------------------------------------
 *
 * Every statement is prepared first (prep.c may need a round trip for
 * that, which pipeline mode would not let it wait for), then all are
 * sent, with a sync after the last, and their answers read in order: one
 * round trip for the lot.  After a failed statement PostgreSQL skips the
 * rest up to the sync (PGRES_PIPELINE_ABORTED). */

/* The statements' names (NULL: sent unnamed); RG_OK, or an error with
 * nothing sent. */
static int prepare_all(rg_store *st, const rg_pg_stmt *s, int n, const char **names,
                       int64_t deadline)
{
    params p;
    for (int i = 0; i < n; i++) {
        int late = 0, rc = params_of(&p, s[i].args, s[i].n);
        if (rc != RG_OK) return rc;
        names[i] = rg_pg_prepared(rg_pg_link_of(st), s[i].sql, s[i].n, p.types, deadline, &late);
        if (late) {
            rg_pg_late(st);
            return RG_EIO;
        }
    }
    return RG_OK;
}

/* Sends the statements and the sync: how many were sent (n unless the
 * connection failed). */
static int send_all(PGconn *c, const rg_pg_stmt *s, int n, const char **names)
{
    params p;
    int i = 0;
    for (; i < n; i++)
        if (params_of(&p, s[i].args, s[i].n) != RG_OK ||
            !send_one(c, names[i], s[i].sql, s[i].n, &p))
            break;
    return PQpipelineSync(c) ? i : -1;
}

/* Reads the answers of sent statements and the sync's: RG_OK, or the
 * first failure's code.  A deadline passed gives the connection up. */
static int read_all(rg_store *st, int sent, PGresult **res, int64_t deadline)
{
    int rc = RG_OK, late = 0;
    for (int i = 0; i <= sent && !late; i++) {
        PGresult *r = rg_pg_await(rg_pg_link_of(st)->conn, deadline, &late);
        if (i == sent) { /* the sync */
            if (rc == RG_OK && !late && PQresultStatus(r) != PGRES_PIPELINE_SYNC) rc = fail(st, r);
            PQclear(r);
        } else if (rc == RG_OK && !late && !answered(r)) {
            rc = fail(st, r); /* the first failure: those after it were skipped */
            PQclear(r);
        } else if (rc == RG_OK && !late) {
            res[i] = r;
        } else {
            PQclear(r);
        }
    }
    if (late) {
        rg_pg_late(st);
        return RG_EIO;
    }
    return rc;
}

int rg_pg_pipeline(rg_store *st, const rg_pg_stmt *s, int n, PGresult **res)
{
    const char *names[RG_PG_PIPELINE_MAX];
    int64_t deadline = rg_pg_deadline(st->deadline_ms);
    memset(res, 0, (size_t)n * sizeof *res);
    if (n <= 0 || n > RG_PG_PIPELINE_MAX) return RG_EINVAL;
    if (!up(st)) return RG_EIO;
    int rc = prepare_all(st, s, n, names, deadline);
    if (rc != RG_OK) return rc;
    PGconn *c = rg_pg_link_of(st)->conn;
    if (rg_pg_nonblocking(c) != 0 || !PQenterPipelineMode(c)) return fail(st, NULL);
    int sent = send_all(c, s, n, names);
    rc = sent < 0 ? fail(st, NULL) : read_all(st, sent, res, deadline);
    if (rc == RG_OK && sent < n) rc = fail(st, NULL);
    if (!PQexitPipelineMode(c) && PQstatus(c) == CONNECTION_OK) {
        /* answers left unread (a send that failed half way): the session
         * is in no known state, so it is given up and remade (conn.c) */
        rg_pg_give_up(c);
        rg_pg_lost(st);
        if (rc == RG_OK) rc = RG_EIO;
    }
    if (rc != RG_OK)
        for (int i = 0; i < n; i++) {
            PQclear(res[i]);
            res[i] = NULL;
        }
    return rc;
}

int rg_pg_write(rg_store *st, const char *sql, const rg_pg_arg *args, int n, int64_t *rows)
{
    PGresult *r;
    int rc = rg_pg_query(st, sql, args, n, &r);
    if (rc != RG_OK) return rc;
    if (rows) *rows = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return RG_OK;
}

int rg_pg_text(const PGresult *r, int row, int col, char *dst, size_t cap)
{
    int n = PQgetlength(r, row, col);
    if (PQgetisnull(r, row, col) || n < 0 || (size_t)n >= cap) return RG_EIO;
    memcpy(dst, PQgetvalue(r, row, col), (size_t)n);
    dst[n] = '\0';
    return memchr(dst, '\0', (size_t)n) ? RG_EIO : RG_OK;
}

int rg_pg_blob(const PGresult *r, int row, int col, uint8_t *dst, size_t cap, size_t *len)
{
    int n = PQgetlength(r, row, col);
    *len = 0;
    if (PQgetisnull(r, row, col)) return RG_OK;
    if (n < 0 || (size_t)n > cap) return RG_EIO;
    memcpy(dst, PQgetvalue(r, row, col), (size_t)n);
    *len = (size_t)n;
    return RG_OK;
}

int rg_pg_int(const PGresult *r, int row, int col, int64_t *out)
{
    uint64_t v;
    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8) return RG_EIO;
    memcpy(&v, PQgetvalue(r, row, col), 8);
    *out = (int64_t)be64toh(v);
    return RG_OK;
}
