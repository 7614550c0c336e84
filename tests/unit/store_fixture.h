/* store_fixture.h - a fresh store in a temporary directory for each test,
 * and distinct well-formed rows to put in it (test_store.c, test_sqlite.c). */
#ifndef RG_TESTS_STORE_FIXTURE_H
#define RG_TESTS_STORE_FIXTURE_H

#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.h"
#include "store/store.h"

typedef struct {
    char dir[64];
    char path[96];
    rg_store *st;
} fixture;

static inline int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    strcpy(f->dir, "/tmp/rg_store_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/roomgate.db", f->dir);
    mode_t old = umask(0); /* the file must come out 0600 regardless */
    int rc = rg_store_open(f->path, &f->st);
    umask(old);
    if (rc != RG_OK) {
        rmdir(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    fixture *f = *state;
    rg_store_close(f->st);
    rg_test_remove_db(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Distinct, well-formed SIDs: prefix + 32 hex digits. */
/* The store's change mark once it is no longer `from`, within 5 s: on
 * PostgreSQL it learns of other sessions' commits from notifications that
 * arrive just after the commit (store/pg/listen.c). */
static inline int64_t moved_from(rg_store *st, int64_t from)
{
    int64_t v = from;
    for (int i = 0; i < 500 && (v = rg_store_change_mark(st)) == from; i++)
        usleep(10000);
    return v;
}

static inline void make_sid(char out[RG_SID_SIZE], const char *prefix, unsigned n)
{
    snprintf(out, RG_SID_SIZE, "%s%032x", prefix, n);
}

static inline rg_account make_account(unsigned n, const char *name)
{
    rg_account a;
    memset(&a, 0, sizeof a);
    make_sid(a.sid, "AC", n);
    snprintf(a.friendly_name, sizeof a.friendly_name, "%s", name);
    memset(a.token_hash, (int)n, sizeof a.token_hash);
    a.date_created = 1000 + n;
    return a;
}

static inline rg_key_row make_key(unsigned n, const char *account_sid, int64_t created)
{
    rg_key_row k;
    memset(&k, 0, sizeof k);
    make_sid(k.sid, "SK", n);
    memcpy(k.account_sid, account_sid, RG_SID_SIZE);
    snprintf(k.friendly_name, sizeof k.friendly_name, "key %u", n);
    k.sealed_len = 30 + n % 10;
    memset(k.sealed, 0x40 + (int)n, k.sealed_len);
    k.date_created = k.date_updated = created;
    return k;
}

static inline void add_account(rg_store *st, unsigned n)
{
    rg_account a = make_account(n, "acct");
    assert_int_equal(rg_store_account_insert(st, &a), RG_OK);
}

static inline void add_key(rg_store *st, unsigned n, const char *account_sid, int64_t created)
{
    rg_key_row k = make_key(n, account_sid, created);
    assert_int_equal(rg_store_key_insert(st, &k), RG_OK);
}

#endif
