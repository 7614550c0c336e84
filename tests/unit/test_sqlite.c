/* test_sqlite.c - the SQLite back end's own promises, beyond the store
 * interface (test_store.c): its schema and migrations, the file's mode and
 * journal, deleted secrets wiped from the file, rows edited outside
 * roomgate.  These read and write the file with SQLite directly. */
#include "store_fixture.h"

#include <sqlite3.h>

#include "store/sqlite/migrate.h"

/* Runs a one-value query through a separate raw connection. */
static int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_open_creates_schema(void **state)
{
    fixture *f = *state;
    assert_true(rg_store_schema_version(f->st) >= 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                      "('accounts', 'api_keys', 'schema_migrations')"),
                     3);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                                      "AND tbl_name = 'api_keys' AND sql IS NOT NULL"),
                     1);
    assert_int_equal(raw_int(f->path, "SELECT MAX(version) FROM schema_migrations"),
                     rg_store_schema_version(f->st));
    assert_int_equal(raw_int(f->path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
}

static void test_file_mode(void **state)
{
    fixture *f = *state;
    add_account(f->st, 1); /* a write, so -wal and -shm exist too */
    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    char wal[128];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    assert_int_equal(stat(wal, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_newer_schema_refused(void **state)
{
    fixture *f = *state;
    raw_exec(f->path, "INSERT INTO schema_migrations(version, applied_at) VALUES(999, 0)");
    rg_store *st = NULL;
    assert_int_equal(rg_store_open(f->path, &st), RG_EIO);
    assert_null(st);
}

/* Issue 10 item 5: a database from before key types (schema 4) keeps its
 * keys working with their old powers: they come out 'main'.  New keys
 * carry the type they were given. */
static void test_key_type_migration(void **state)
{
    fixture *f = *state;
    char old_path[128];
    snprintf(old_path, sizeof old_path, "%s/old.db", f->dir);
    sqlite3 *db = NULL;
    int version = 0;
    assert_int_equal(sqlite3_open(old_path, &db), SQLITE_OK);
    assert_int_equal(rg_sqlite_migrate_upto(db, 4, &version), RG_OK);
    assert_int_equal(version, 4);
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO accounts VALUES('AC00000000000000000000000000000001',"
                     " 'old', zeroblob(32), 1);"
                     "INSERT INTO api_keys VALUES('SK00000000000000000000000000000001',"
                     " 'AC00000000000000000000000000000001', 'old key', x'4142', 5, 5);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);

    rg_store *st = NULL;
    assert_int_equal(rg_store_open(old_path, &st), RG_OK);
    assert_true(rg_store_schema_version(st) >= 5);
    rg_key_row k;
    assert_int_equal(rg_store_key_get(st, "SK00000000000000000000000000000001", &k), RG_OK);
    assert_int_equal(k.key_type, RG_KEY_MAIN);
    assert_string_equal(k.friendly_name, "old key");

    rg_key_row n = make_key(2, "AC00000000000000000000000000000001", 6);
    n.key_type = RG_KEY_STANDARD;
    assert_int_equal(rg_store_key_insert(st, &n), RG_OK);
    n = make_key(3, "AC00000000000000000000000000000001", 7);
    n.key_type = RG_KEY_MAIN;
    assert_int_equal(rg_store_key_insert(st, &n), RG_OK);
    make_sid(n.sid, "SK", 2);
    assert_int_equal(rg_store_key_get(st, n.sid, &k), RG_OK);
    assert_int_equal(k.key_type, RG_KEY_STANDARD);
    make_sid(n.sid, "SK", 3);
    assert_int_equal(rg_store_key_get(st, n.sid, &k), RG_OK);
    assert_int_equal(k.key_type, RG_KEY_MAIN);
    rg_store_close(st);
    /* the column refuses anything else, and a bad value reads as an error */
    assert_int_equal(sqlite3_open(old_path, &db), SQLITE_OK);
    assert_int_not_equal(
        sqlite3_exec(db, "UPDATE api_keys SET key_type = 'root'", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    rg_test_remove_db(old_path);
    assert_string_equal(rg_key_type_name(RG_KEY_MAIN), "main");
    assert_string_equal(rg_key_type_name(RG_KEY_STANDARD), "standard");
    assert_int_equal(rg_key_type_parse("main"), RG_KEY_MAIN);
    assert_int_equal(rg_key_type_parse("standard"), RG_KEY_STANDARD);
    assert_int_equal(rg_key_type_parse("Main"), -1);
    assert_int_equal(rg_key_type_parse(""), -1);
}

/* After a delete and a checkpoint, the sealed blob's bytes are gone from the
 * database file (secure_delete), not just unlinked from the b-tree. */
static void test_delete_wipes_bytes(void **state)
{
    fixture *f = *state;
    char ac[RG_SID_SIZE];
    make_sid(ac, "AC", 1);
    add_account(f->st, 1);
    rg_key_row k = make_key(1, ac, 1);
    static const char marker[] = "SEALED-MARKER-0123456789";
    memcpy(k.sealed, marker, sizeof marker - 1);
    k.sealed_len = sizeof marker - 1;
    assert_int_equal(rg_store_key_insert(f->st, &k), RG_OK);
    add_key(f->st, 2, ac, 2); /* a neighbour on the same page */
    raw_exec(f->path, "PRAGMA wal_checkpoint(TRUNCATE)");
    FILE *fp = fopen(f->path, "rb");
    assert_non_null(fp);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    assert_non_null(memmem(buf, n, marker, sizeof marker - 1));

    assert_int_equal(rg_store_key_delete(f->st, k.sid), RG_OK);
    raw_exec(f->path, "PRAGMA wal_checkpoint(TRUNCATE)");
    fp = fopen(f->path, "rb");
    assert_non_null(fp);
    n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    assert_null(memmem(buf, n, marker, sizeof marker - 1));
}

/* A row edited outside roomgate to exceed the struct sizes is an error,
 * never a silent truncation. */
static void test_oversized_row(void **state)
{
    fixture *f = *state;
    char ac[RG_SID_SIZE];
    make_sid(ac, "AC", 1);
    add_account(f->st, 1);
    add_key(f->st, 1, ac, 1);
    raw_exec(f->path, "UPDATE api_keys SET friendly_name = hex(randomblob(200))");
    rg_key_row k;
    char sid[RG_SID_SIZE];
    make_sid(sid, "SK", 1);
    assert_int_equal(rg_store_key_get(f->st, sid, &k), RG_EIO);
    raw_exec(f->path, "UPDATE accounts SET token_hash = x'00'");
    rg_account a;
    assert_int_equal(rg_store_account_get(f->st, ac, &a), RG_EIO);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_open_creates_schema), T(test_file_mode),          T(test_newer_schema_refused),
        T(test_key_type_migration),  T(test_delete_wipes_bytes), T(test_oversized_row),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
