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
    pthread_mutex_lock(&st->lock);
    rg_pg_heal(st); /* between uses only: never inside a transaction */
    return st->timer ? now_micros() : 0;
}

void rg_pg_unlock(rg_store *st, uint64_t started, int write)
{
    if (st->timer) st->timer(st->timer_ud, write, now_micros() - started);
    pthread_mutex_unlock(&st->lock);
}

/* SQLSTATE classes the callers act on; anything else is logged (without
 * parameter values: they may be secrets) and is an RG_EIO.  A broken
 * connection is said once per outage (conn.c), not per statement. */
static int fail(rg_store *st, const PGresult *r)
{
    PGconn *conn = st->conn;
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

/* The statement sent (prepared once, then by its name: prep.c) and its
 * answer awaited until the handle's deadline (wait.c); NULL when there
 * is none (the connection's error, or given up at the deadline). */
static PGresult *send_and_await(rg_store *st, const char *sql, int n, const params *p)
{
    PGconn *c = st->conn;
    int late = 0;
    int64_t deadline = rg_pg_deadline(st->deadline_ms);
    const char *name = rg_pg_prepared(st, sql, n, p->types, deadline, &late);
    PGresult *r = NULL;
    if (late) {
        rg_pg_late(st);
        return NULL;
    }
    if (rg_pg_nonblocking(c) != 0) return NULL;
    int sent = name ? PQsendQueryPrepared(c, name, n, p->values, p->lengths, p->formats, 1)
                    : PQsendQueryParams(c, sql, n, p->types, p->values, p->lengths, p->formats, 1);
    if (!sent) return PQgetResult(c); /* NULL, or the error */
    r = rg_pg_await(c, deadline, &late);
    if (late) rg_pg_late(st);
    return r;
}

int rg_pg_query(rg_store *st, const char *sql, const rg_pg_arg *args, int n, PGresult **res)
{
    params p;
    *res = NULL;
    if (n < 0 || n > ARGS_MAX) return RG_EINVAL;
    memset(&p, 0, sizeof p);
    for (int i = 0; i < n; i++) {
        int rc = put_param(&p, i, &args[i]);
        if (rc != RG_OK) return rc;
    }
    if (PQstatus(st->conn) != CONNECTION_OK) { /* down: no round trip (conn.c) */
        rg_pg_lost(st);
        return RG_EIO;
    }
    PGresult *r = send_and_await(st, sql, n, &p);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
        int rc = fail(st, r);
        PQclear(r);
        return rc;
    }
    *res = r;
    return RG_OK;
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
