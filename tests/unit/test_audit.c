/* test_audit.c - chain hashing and the audit store: batches, nonce
 * consumption, verify finding edits, deletions and reordering. */
#include "unit.h"

#include <stdio.h>
#include <sys/stat.h>

#include "backend.h"
#include "core/auditchain.h"
#include "core/errors.h"
#include "store/audit.h"

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

static const uint8_t KEY[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static char dir[64], head_path[128], db_path[128];

/* A fresh database, and the path of its head file, in a fresh directory;
 * not anchored. */
static rg_store *open_unanchored(void)
{
    rg_store *st;
    strcpy(dir, "/tmp/rg-test-audit-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(head_path, sizeof head_path, "%s/audit.head", dir);
    snprintf(db_path, sizeof db_path, "%s/roomgate.db", dir);
    assert_int_equal(rg_store_open(db_path, &st), RG_OK);
    return st;
}

static rg_store *open_db(void)
{
    rg_store *st = open_unanchored();
    assert_int_equal(rg_store_audit_anchor(st, KEY, head_path), RG_OK);
    return st;
}

static void close_db(rg_store *st)
{
    char p[160];
    rg_store_close(st);
    rg_test_remove_db(db_path);
    unlink(head_path);
    snprintf(p, sizeof p, "%s.lock", head_path);
    unlink(p);
    rmdir(dir);
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
    assert_int_equal(rg_tb_audit_edit(st, 2, "mallory"), 0);
    assert_int_equal(rg_store_audit_verify(st, &v), RG_OK);
    assert_int_equal(v.bad_seq, 2);
    assert_int_equal(v.rows, 1);
    close_db(st);
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
    assert_int_not_equal(rg_tb_audit_delete(st, 2, 2, 1), 0);
    assert_int_equal(rg_tb_audit_delete(st, 2, 2, 0), 0);
    assert_int_equal(rg_store_audit_verify(st, &v), RG_OK);
    assert_int_equal(v.bad_seq, 3);
    close_db(st);
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
    assert_int_equal(rg_tb_nonce_count(st), 1);
    item(&a, "y");
    assert_int_equal(rg_store_audit_append(st, one, 1, 2100000000), RG_OK);
    assert_int_equal(rg_tb_nonce_count(st), 0);
    close_db(st);
}

/* ---- the chain head ------------------------------------------------- */

static void test_head_text(void **state)
{
    rg_audit_head h = {.seq = 42}, back;
    char text[RG_AUDIT_HEAD_TEXT];
    size_t n;
    (void)state;
    memset(h.hash, 0xab, sizeof h.hash);
    assert_int_equal(rg_audit_head_seal(KEY, &h), RG_OK);
    assert_true(rg_audit_head_valid(KEY, &h));
    n = rg_audit_head_format(&h, text);
    assert_true(n > 0 && text[n - 1] == '\n');
    assert_int_equal(rg_audit_head_parse(text, n, &back), 0);
    assert_memory_equal(&back, &h, sizeof h);
    /* every part is bound: seq, hash, key */
    back.seq = 41;
    assert_false(rg_audit_head_valid(KEY, &back));
    back = h;
    back.hash[0] ^= 1;
    assert_false(rg_audit_head_valid(KEY, &back));
    uint8_t other[32] = {9};
    assert_false(rg_audit_head_valid(other, &h));
    /* exact text only */
    assert_int_equal(rg_audit_head_parse(text, n - 1, &back), -1);
    text[17] = '+';
    assert_int_equal(rg_audit_head_parse(text, n, &back), -1);
    assert_int_equal(rg_audit_head_parse("rg-audit-head-v1 1 00 00\n", 25, &back), -1);
}

static void append_n(rg_store *st, int n)
{
    for (int i = 0; i < n; i++) {
        rg_audit_item it;
        rg_audit_item *one[] = {&it};
        item(&it, "someone");
        assert_int_equal(rg_store_audit_append(st, one, 1, 1700000000), RG_OK);
    }
}

static rg_audit_verdict verdict(rg_store *st)
{
    rg_audit_verdict v;
    assert_int_equal(rg_store_audit_verify(st, &v), RG_OK);
    return v;
}

static void test_tail_removed(void **state)
{
    (void)state;
    rg_store *st = open_db();
    append_n(st, 5);
    rg_audit_verdict v = verdict(st);
    assert_true(v.ok);
    assert_int_equal(v.rows, 5);
    assert_int_equal(v.head_seq, 5);
    assert_true(v.head_file);
    assert_int_equal(rg_tb_audit_delete(st, 3, INT64_MAX, 0), 0);
    v = verdict(st);
    assert_false(v.ok);
    assert_int_equal(v.rows, 2);
    assert_int_equal(v.bad_seq, 0);
    assert_int_equal(v.missing_rows, 3);
    assert_int_equal(v.head_seq, 5);
    assert_non_null(strstr(v.why, "missing"));
    /* the writer continues after the head: the gap is never built over */
    append_n(st, 1);
    v = verdict(st);
    assert_false(v.ok);
    assert_int_equal(v.bad_seq, 6);
    close_db(st);
}

static void test_head_row_deleted_too(void **state)
{
    (void)state;
    rg_store *st = open_db();
    append_n(st, 4);
    assert_int_not_equal(rg_tb_head_delete(st, 1), 0);
    assert_int_equal(rg_tb_audit_delete(st, 4, 4, 0), 0);
    assert_int_equal(rg_tb_head_delete(st, 0), 0);
    rg_audit_verdict v = verdict(st);
    assert_false(v.ok);
    assert_int_equal(v.missing_rows, 1); /* the head file still names row 4 */
    assert_int_equal(v.head_seq, 4);
    append_n(st, 1); /* continues after the file's head: row 5, a gap at 4 */
    v = verdict(st);
    assert_false(v.ok);
    assert_int_equal(v.bad_seq, 5);
    close_db(st);
}

static void test_only_head_row_deleted(void **state)
{
    (void)state;
    rg_store *st = open_db();
    append_n(st, 2);
    assert_int_equal(rg_tb_head_delete(st, 0), 0);
    rg_audit_verdict v = verdict(st);
    assert_false(v.ok);
    assert_int_equal(v.missing_rows, 0);
    assert_non_null(strstr(v.why, "head row is missing"));
    close_db(st);
}

/* The attacker replays an older head row with the tail it covered: the
 * database is consistent again, the head file is not. */
static void test_rollback_replayed_head(void **state)
{
    (void)state;
    rg_store *st = open_db();
    append_n(st, 3);
    rg_tb_head saved;
    rg_tb_head_get(st, &saved);
    assert_int_equal(saved.seq, 3);
    append_n(st, 2);
    assert_int_equal(rg_tb_audit_delete(st, 4, INT64_MAX, 0), 0);
    rg_tb_head_put(st, &saved);
    rg_audit_verdict v = verdict(st);
    assert_false(v.ok);
    assert_int_equal(v.rows, 3);
    assert_int_equal(v.missing_rows, 2);
    assert_int_equal(v.head_seq, 5);
    close_db(st);
}

static void test_forged_head(void **state)
{
    (void)state;
    rg_store *st = open_db();
    append_n(st, 3);
    assert_int_equal(rg_tb_audit_delete(st, 3, 3, 0), 0);
    rg_tb_head_forge(st, 2);
    rg_audit_verdict v = verdict(st);
    assert_false(v.ok);
    assert_int_equal(v.missing_rows, 1);
    /* and without the file the forged row is still caught */
    unlink(head_path);
    v = verdict(st);
    assert_false(v.ok);
    assert_false(v.head_file);
    assert_non_null(strstr(v.why, "does not verify"));
    close_db(st);
}

/* A database from before heads: the placeholder is started at the tail. */
static void test_start_at_tail(void **state)
{
    (void)state;
    rg_store *st = open_db();
    append_n(st, 3);
    rg_tb_head_clear(st);
    unlink(head_path);
    rg_audit_verdict v = verdict(st);
    assert_true(v.ok); /* nothing to compare with yet */
    assert_int_equal(v.head_seq, -1);
    assert_int_equal(rg_store_audit_head_start(st), RG_OK);
    v = verdict(st);
    assert_true(v.ok);
    assert_int_equal(v.head_seq, 3);
    assert_true(v.head_file);
    assert_int_equal(rg_store_audit_head_start(st), RG_OK); /* idempotent */
    assert_int_equal(rg_tb_audit_delete(st, 3, 3, 0), 0);
    v = verdict(st);
    assert_false(v.ok);
    assert_int_equal(v.missing_rows, 1);
    close_db(st);
}

/* A head file that does not verify is reported and never overwritten,
 * while appends go on (the database's head still covers them). */
static void test_bad_head_file_kept(void **state)
{
    (void)state;
    rg_store *st = open_db();
    append_n(st, 2);
    FILE *f = fopen(head_path, "w");
    assert_non_null(f);
    fputs("rg-audit-head-v1 9 garbage\n", f);
    fclose(f);
    rg_audit_verdict v = verdict(st);
    assert_false(v.ok);
    assert_true(v.head_file);
    assert_non_null(strstr(v.why, "head file does not verify"));
    append_n(st, 1);
    char text[64] = "";
    f = fopen(head_path, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    assert_string_equal(text, "rg-audit-head-v1 9 garbage\n");
    v = verdict(st);
    assert_false(v.ok);
    assert_int_equal(v.rows, 3);
    close_db(st);
}

/* The head file's slot i (core/auditchain.h); -1 when it does not parse
 * or verify. */
static int64_t slot_seq(int i)
{
    char text[RG_AUDIT_HEAD_FILE];
    rg_audit_head h;
    FILE *f = fopen(head_path, "r");
    assert_non_null(f);
    assert_int_equal(fread(text, 1, sizeof text, f), sizeof text);
    fclose(f);
    if (rg_audit_head_slot_parse(text + i * RG_AUDIT_HEAD_SLOT, &h) != 0 ||
        !rg_audit_head_valid(KEY, &h))
        return -1;
    return h.seq;
}

static ino_t head_inode(void)
{
    struct stat sb;
    assert_int_equal(stat(head_path, &sb), 0);
    assert_int_equal(sb.st_size, RG_AUDIT_HEAD_FILE);
    return sb.st_ino;
}

static void overwrite_slot(int i, const char *bytes)
{
    FILE *f = fopen(head_path, "r+");
    assert_non_null(f);
    assert_int_equal(fseek(f, i * RG_AUDIT_HEAD_SLOT, SEEK_SET), 0);
    assert_int_equal(fwrite(bytes, 1, strlen(bytes), f), strlen(bytes));
    fclose(f);
}

/* The file is created whole once, then each batch overwrites the older
 * slot in place (same inode: no temporary file, no rename). */
static void test_head_slots_in_place(void **state)
{
    (void)state;
    rg_store *st = open_db();
    append_n(st, 1);
    ino_t ino = head_inode();
    assert_int_equal(slot_seq(0), 1);
    assert_int_equal(slot_seq(1), 1);
    append_n(st, 1);
    assert_int_equal(slot_seq(0), 1);
    assert_int_equal(slot_seq(1), 2);
    append_n(st, 1);
    assert_int_equal(slot_seq(0), 3);
    assert_int_equal(slot_seq(1), 2);
    assert_true(head_inode() == ino);
    rg_audit_verdict v = verdict(st);
    assert_true(v.ok);
    assert_int_equal(v.head_seq, 3);
    close_db(st);
}

/* A write torn by a crash spoils the slot being replaced only: the file
 * lags by that head (accepted) and the next batch writes over it.  Both
 * slots spoiled is a file that does not verify. */
static void test_head_torn_slot(void **state)
{
    (void)state;
    rg_store *st = open_db();
    append_n(st, 3); /* slot 0: 3, slot 1: 2 */
    overwrite_slot(0, "rg-audit-head-v1 3 0f0f");
    assert_int_equal(slot_seq(0), -1);
    rg_audit_verdict v = verdict(st);
    assert_true(v.ok);
    assert_int_equal(v.rows, 3);
    append_n(st, 1);
    assert_int_equal(slot_seq(0), 4);
    assert_int_equal(slot_seq(1), 2);
    overwrite_slot(0, "x");
    overwrite_slot(1, "x");
    v = verdict(st);
    assert_false(v.ok);
    assert_non_null(strstr(v.why, "head file does not verify"));
    close_db(st);
}

/* The one-line file of earlier versions is read, and replaced by the two
 * slots at the next batch. */
static void test_head_one_line_upgraded(void **state)
{
    (void)state;
    rg_store *st = open_db();
    append_n(st, 2);
    rg_audit_verdict v = verdict(st);
    rg_audit_head h = {.seq = 2};
    char text[RG_AUDIT_HEAD_TEXT], slot[RG_AUDIT_HEAD_SLOT];
    FILE *f = fopen(head_path, "r");
    assert_non_null(f);
    assert_int_equal(fread(slot, 1, sizeof slot, f), sizeof slot);
    fclose(f);
    assert_int_equal(rg_audit_head_slot_parse(slot, &h), 0);
    size_t n = rg_audit_head_format(&h, text);
    f = fopen(head_path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
    v = verdict(st);
    assert_true(v.ok);
    assert_int_equal(v.head_seq, 2);
    append_n(st, 1);
    head_inode();
    assert_int_equal(slot_seq(0), 3);
    assert_int_equal(slot_seq(1), 3);
    assert_true(verdict(st).ok);
    close_db(st);
}

static void test_needs_anchor(void **state)
{
    (void)state;
    rg_store *st;
    rg_audit_item it;
    rg_audit_item *one[] = {&it};
    rg_audit_verdict v;
    item(&it, "x");
    st = open_unanchored();
    assert_int_equal(rg_store_audit_append(st, one, 1, 1), RG_EINVAL);
    assert_int_equal(rg_store_audit_verify(st, &v), RG_EINVAL);
    close_db(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_append_verify),
        cmocka_unit_test(test_triggers_and_delete),
        cmocka_unit_test(test_nonce_once),
        cmocka_unit_test(test_head_text),
        cmocka_unit_test(test_tail_removed),
        cmocka_unit_test(test_head_row_deleted_too),
        cmocka_unit_test(test_only_head_row_deleted),
        cmocka_unit_test(test_rollback_replayed_head),
        cmocka_unit_test(test_forged_head),
        cmocka_unit_test(test_start_at_tail),
        cmocka_unit_test(test_bad_head_file_kept),
        cmocka_unit_test(test_head_slots_in_place),
        cmocka_unit_test(test_head_torn_slot),
        cmocka_unit_test(test_head_one_line_upgraded),
        cmocka_unit_test(test_needs_anchor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
