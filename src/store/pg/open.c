/* open.c - a PostgreSQL store handle: the connection, the migrations, the
 * change mark and the readiness ping (store.h).  The location given to
 * rg_pgsql_open is a libpq connection string (a postgres:// URL from
 * rg_store_open; key=value from the unit tests).  Blocking calls: pg.h. */
#include "store/pg/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/errors.h"
#include "store/pg/pgrooms.h"

/* NOTICEs (e.g. from CREATE ... IF NOT EXISTS) are not errors: dropped
 * instead of libpq's default print to stderr. */
static void quiet(void *ud, const PGresult *r)
{
    (void)ud;
    (void)r;
}

/* libpq's error text, on stderr without the password: libpq quotes a
 * malformed piece of the location (which may be the password) in its
 * parse errors, so those are not repeated, and any other message that
 * holds the password verbatim is withheld too. */
static int check_location(const char *location, char *password, size_t cap)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(location, &err);
    password[0] = '\0';
    if (!opts) {
        fprintf(stderr, "roomgate: store: the PostgreSQL location is malformed (%s)\n",
                err ? "see the URL's syntax in docs/deploy.md" : "out of memory");
        PQfreemem(err);
        return RG_EINVAL;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val) snprintf(password, cap, "%s", o->val);
    PQconninfoFree(opts);
    return RG_OK;
}

static void say_failure(PGconn *conn, const char *password)
{
    const char *msg = conn ? PQerrorMessage(conn) : "out of memory\n";
    if (password[0] && strstr(msg, password))
        msg = "cannot connect (libpq's message is withheld: it quotes the password)\n";
    fprintf(stderr, "roomgate: store: %s", msg);
}

#define DEFAULT_DEADLINE_MS 10000
static atomic_int deadline_ms = DEFAULT_DEADLINE_MS;

void rg_pgsql_set_deadline(int ms)
{
    atomic_store(&deadline_ms, ms > 0 ? ms : DEFAULT_DEADLINE_MS);
}

/* Connects link l to location with its session; l->conn is set (maybe
 * broken) whatever the answer, for the close. */
static int link_open(rg_store *st, rg_pg_link *l, const char *location, int migrate)
{
    char password[256];
    rg_ylock_init(&l->lock);
    if (check_location(location, password, sizeof password) != RG_OK) return RG_EIO;
    l->conn = rg_pg_connect(location);
    if (!l->conn || PQstatus(l->conn) != CONNECTION_OK) {
        say_failure(l->conn, password);
        OPENSSL_cleanse(password, sizeof password);
        return RG_EIO;
    }
    OPENSSL_cleanse(password, sizeof password);
    PQsetNoticeReceiver(l->conn, quiet, NULL);
    if (migrate && rg_pg_migrate(l->conn, &st->schema_version) != RG_OK) return RG_EIO;
    return rg_pg_session_start(st, l);
}

static void link_close(rg_pg_link *l)
{
    PQfinish(l->conn);
    rg_pg_prepared_free(l);
    rg_ylock_destroy(&l->lock);
    memset(l, 0, sizeof *l);
}

int rg_pgsql_open(const char *location, rg_store **out)
{
    *out = NULL;
    rg_store *st = calloc(1, sizeof *st);
    if (!st) return RG_ENOMEM;
    st->head.ops = &rg_pgsql_ops;
    st->deadline_ms = atomic_load(&deadline_ms);
    st->nlinks = 1;
    if (link_open(st, &st->links[0], location, 1) != RG_OK ||
        rg_pg_listen_open(st, location) != RG_OK) {
        rg_pgsql_close(st);
        return RG_EIO;
    }
    *out = st;
    return RG_OK;
}

int rg_pgsql_links(rg_store *st, const char *location, int n)
{
    int have = st->nlinks;
    if (n > RG_PG_LINKS_MAX) n = RG_PG_LINKS_MAX;
    for (int i = have; i < n; i++)
        if (link_open(st, &st->links[i], location, 0) != RG_OK) {
            for (int k = have; k <= i; k++)
                link_close(&st->links[k]);
            return RG_EIO;
        }
    if (n > have) st->nlinks = n;
    return RG_OK;
}

void rg_pgsql_close(rg_store *st)
{
    if (!st) return;
    rg_pg_listen_close(st);
    for (int i = 0; i < st->nlinks; i++)
        link_close(&st->links[i]);
    OPENSSL_cleanse(st->head.audit.key, sizeof st->head.audit.key);
    free(st);
}

int rg_pgsql_schema_version(rg_store *st)
{
    return st->schema_version;
}

/* It moves only when someone else committed.  While the listening
 * connection listens (listen.c), the count of others' notifications, read
 * from its socket: odd numbers.  Otherwise a round trip: the count of
 * changes to the store's tables from every client, less this session's
 * own (counted by the same trigger in a setting of the session, migration
 * 2): even numbers.  The two never meet, so a switch from one to the other
 * reads as a change and the callers reload: nothing committed meanwhile is
 * missed. */
int64_t rg_pgsql_change_mark(rg_store *st)
{
    PGresult *r;
    int64_t n = -1;
    if (rg_pg_listen_mark(st, &n)) return n * 2 + 1;
    n = -1;
    uint64_t t0 = rg_pg_lock(st);
    if (rg_pg_query(st,
                    "SELECT n - COALESCE(NULLIF(current_setting('roomgate.own_changes', true), "
                    "''), '0')::bigint FROM store_changes",
                    NULL, 0, &r) == RG_OK) {
        if (PQntuples(r) != 1 || rg_pg_int(r, 0, 0, &n) != RG_OK) n = -1;
        PQclear(r);
    }
    rg_pg_unlock(st, t0, 0);
    return n < 0 ? -1 : n * 2;
}

/* The caller's link answers, and no other is down: each loop's link is
 * back before /readyz says so (rg_pg_heal_others). */
int rg_pgsql_ping(rg_store *st)
{
    PGresult *r;
    int others = rg_pg_heal_others(st);
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_query(st, "SELECT version FROM roomgate_schema", NULL, 0, &r);
    if (rc == RG_OK) {
        rc = PQntuples(r) == 1 ? RG_OK : RG_EIO;
        PQclear(r);
    }
    rg_pg_unlock(st, t0, 0);
    return rc == RG_OK && others == RG_OK ? RG_OK : RG_EIO;
}

void rg_pgsql_set_timer(rg_store *st, void (*fn)(void *ud, int write, uint64_t micros), void *ud)
{
    st->timer = fn;
    st->timer_ud = ud;
}
