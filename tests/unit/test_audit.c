/* test_audit.c - chain hashing and the audit store: batches, nonce
 * consumption, verify finding edits, deletions and reordering. */
#include "unit.h"

#include <sqlite3.h>
#include <stdio.h>

#include "core/auditchain.h"
#include "core/errors.h"
#include "store/audit.h"
#include "store/sql.h"

static void test_hash(void **state)
{
    (void)state;
    uint8_t zero[32] = {0}, h1[32], h2[32];
    rg_audit_fields f = {"sec_rec", "granted", NULL, "AC1",       "RE1",
                         "alice",   "alice",   "[]", "127.0.0.1", "ua"};
    assert_int_equal(rg_audit_hash(1, 1000, zero, &f, h1), RG_OK);
    assert_int_equal(rg_audit_hash(1, 1000, zero, &f, h2), RG_OK);
    assert_memory_equal(h1, h2, 32);
    /* every input matters: field, NULL vs "", seq, time, prev */
    f.identity = "alicf";
    rg_audit_hash(1, 1000, zero, &f, h2);
    assert_memory_not_equal(h1, h2, 32);
    f.identity = "alice";
    f.reason = "";
    rg_audit_hash(1, 1000, zero, &f, h2);
    assert_memory_not_equal(h1, h2, 32);
    f.reason = NULL;
    rg_audit_hash(2, 1000, zero, &f, h2);
    assert_memory_not_equal(h1, h2, 32);
    rg_audit_hash(1, 1001, zero, &f, h2);
    assert_memory_not_equal(h1, h2, 32);
    rg_audit_hash(1, 1000, h1, &f, h2);
    assert_memory_not_equal(h1, h2, 32);
    /* field boundaries are length-prefixed: "ab"+"c" != "a"+"bc" */
    rg_audit_fields g = f, g2 = f;
    g.identity = "ab", g.realm_user_id = "c";
    g2.identity = "a", g2.realm_user_id = "bc";
    rg_audit_hash(1, 1000, zero, &g, h1);
    rg_audit_hash(1, 1000, zero, &g2, h2);
    assert_memory_not_equal(h1, h2, 32);
}

static rg_store *open_db(void)
{
    rg_store *st;
    assert_int_equal(rg_store_open(":memory:", &st), RG_OK);
    return st;
}

static void item(rg_audit_item *it, const char *who)
{
    memset(it, 0, sizeof *it);
    strcpy(it->row.action, "sec_rec");
    strcpy(it->row.outcome, "granted");
    strcpy(it->row.recording_sid, "RE0123456789abcdef0123456789abcdef");
    snprintf(it->row.identity, sizeof it->row.identity, "%s", who);
    it->row.ts_ms = 1700000000000;
}

static void test_append_verify(void **state)
{
    (void)state;
    rg_store *st = open_db();
    rg_audit_item a, b, c;
    rg_audit_item *batch[] = {&a, &b}, *one[] = {&c};
    rg_audit_verdict v;
    item(&a, "alice"), item(&b, "bob"), item(&c, "carol");
    assert_int_equal(rg_store_audit_append(st, batch, 2, 1700000000), RG_OK);
    assert_int_equal(rg_store_audit_append(st, one, 1, 1700000000), RG_OK);
    assert_int_equal(a.row.seq, 1);
    assert_int_equal(c.row.seq, 3);
    assert_memory_equal(b.row.prev_hash, a.row.hash, 32);
    assert_memory_equal(c.row.prev_hash, b.row.hash, 32);
    assert_int_equal(rg_store_audit_verify(st, &v), RG_OK);
    assert_int_equal(v.rows, 3);
    assert_int_equal(v.bad_seq, 0);

    /* an edit (triggers dropped, as an attacker with the file would) */
    assert_int_equal(sqlite3_exec(st->db,
                                  "DROP TRIGGER audit_no_update; UPDATE audit_log SET identity = "
                                  "'mallory' WHERE seq = 2",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(rg_store_audit_verify(st, &v), RG_OK);
    assert_int_equal(v.bad_seq, 2);
    assert_int_equal(v.rows, 1);
    rg_store_close(st);
}

static void test_triggers_and_delete(void **state)
{
    (void)state;
    rg_store *st = open_db();
    rg_audit_item a, b, c;
    rg_audit_item *batch[] = {&a, &b, &c};
    rg_audit_verdict v;
    item(&a, "a"), item(&b, "b"), item(&c, "c");
    assert_int_equal(rg_store_audit_append(st, batch, 3, 1), RG_OK);
    assert_int_not_equal(
        sqlite3_exec(st->db, "DELETE FROM audit_log WHERE seq = 2", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(st->db, "DROP TRIGGER audit_no_delete; DELETE FROM audit_log WHERE seq = 2",
                     NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(rg_store_audit_verify(st, &v), RG_OK);
    assert_int_equal(v.bad_seq, 3);
    rg_store_close(st);
}

static void test_nonce_once(void **state)
{
    (void)state;
    rg_store *st = open_db();
    rg_audit_item a, b;
    rg_audit_item *one[] = {&a}, *two[] = {&b};
    item(&a, "x"), item(&b, "x");
    a.consume_nonce = b.consume_nonce = "nonce-123";
    a.nonce_exp = b.nonce_exp = 2000000000;
    assert_int_equal(rg_store_audit_append(st, one, 1, 1700000000), RG_OK);
    assert_int_equal(a.result, RG_OK);
    assert_int_equal(rg_store_audit_append(st, two, 1, 1700000000), RG_OK);
    assert_int_equal(b.result, RG_EEXIST);
    assert_string_equal(b.row.outcome, "refused");
    assert_string_equal(b.row.reason, "link already used");
    /* expired nonces are purged, so the table stays bounded */
    int64_t n = -1;
    assert_int_equal(
        rg_sql_int(st, "SELECT COUNT(*) FROM media_nonces", NULL, NULL, NULL, 0, &n, "count"),
        RG_OK);
    assert_int_equal(n, 1);
    item(&a, "y");
    assert_int_equal(rg_store_audit_append(st, one, 1, 2100000000), RG_OK);
    assert_int_equal(
        rg_sql_int(st, "SELECT COUNT(*) FROM media_nonces", NULL, NULL, NULL, 0, &n, "count"),
        RG_OK);
    assert_int_equal(n, 0);
    rg_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_append_verify),
        cmocka_unit_test(test_triggers_and_delete),
        cmocka_unit_test(test_nonce_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
