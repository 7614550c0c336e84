/* test_seal.c - AES-GCM sealing, token hashing, master key loading. */
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.h"
#include "crypto/seal.h"

static const uint8_t KEY[RG_MASTER_KEY_LEN] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                               12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                               23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t NONCE[12] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                  0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
static const char AAD[] = "SK0123456789abcdef0123456789abcdef";
static const char SECRET[] = "s3cr3t-value-0123456789abcdefghij";

#define BLOB_CAP (64 + RG_SEAL_OVERHEAD)

static void seal_secret(uint8_t *blob, size_t *len)
{
    assert_int_equal(rg_seal(KEY, NONCE, AAD, strlen(AAD), (const uint8_t *)SECRET, strlen(SECRET),
                             blob, BLOB_CAP, len),
                     RG_OK);
    assert_int_equal(*len, strlen(SECRET) + RG_SEAL_OVERHEAD);
}

/* Unseals and expects failure with no plaintext left in out. */
static void expect_crypto_error(const uint8_t *key, const void *aad, size_t aadlen,
                                const uint8_t *blob, size_t n)
{
    uint8_t out[64];
    size_t outlen = 99;
    memset(out, 0, sizeof out);
    assert_int_equal(rg_unseal(key, aad, aadlen, blob, n, out, sizeof out, &outlen), RG_ECRYPTO);
    assert_int_equal(outlen, 0);
    assert_null(memmem(out, sizeof out, "s3cr3t", 6));
}

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t n = 0; n <= 64; n += 16) {
        uint8_t pt[64], blob[BLOB_CAP], out[64];
        size_t blen = 0, olen = 0;
        for (size_t i = 0; i < n; i++)
            pt[i] = (uint8_t)(i * 7 + 3);
        assert_int_equal(rg_seal(KEY, NONCE, AAD, strlen(AAD), pt, n, blob, sizeof blob, &blen),
                         RG_OK);
        assert_int_equal(blen, n + RG_SEAL_OVERHEAD);
        assert_int_equal(blob[0], 1);
        assert_memory_equal(blob + 1, NONCE, 12);
        assert_int_equal(rg_unseal(KEY, AAD, strlen(AAD), blob, blen, out, sizeof out, &olen),
                         RG_OK);
        assert_int_equal(olen, n);
        if (n > 0) assert_memory_equal(out, pt, n);
    }
}

static void test_no_aad(void **state)
{
    (void)state;
    uint8_t blob[BLOB_CAP], out[64];
    size_t blen = 0, olen = 0;
    assert_int_equal(
        rg_seal(KEY, NONCE, NULL, 0, (const uint8_t *)"abc", 3, blob, sizeof blob, &blen), RG_OK);
    assert_int_equal(rg_unseal(KEY, NULL, 0, blob, blen, out, sizeof out, &olen), RG_OK);
    assert_memory_equal(out, "abc", 3);
    expect_crypto_error(KEY, "x", 1, blob, blen); /* aad where there was none */
}

static void test_ciphertext_hides_plaintext(void **state)
{
    (void)state;
    uint8_t blob[BLOB_CAP];
    size_t blen = 0;
    seal_secret(blob, &blen);
    assert_null(memmem(blob, blen, "s3cr3t", 6));
}

static void test_wrong_key(void **state)
{
    (void)state;
    uint8_t blob[BLOB_CAP], other[RG_MASTER_KEY_LEN];
    size_t blen = 0;
    seal_secret(blob, &blen);
    memcpy(other, KEY, sizeof other);
    other[31] ^= 1;
    expect_crypto_error(other, AAD, strlen(AAD), blob, blen);
}

static void test_wrong_aad(void **state)
{
    (void)state;
    uint8_t blob[BLOB_CAP];
    size_t blen = 0;
    seal_secret(blob, &blen);
    char aad[sizeof AAD];
    memcpy(aad, AAD, sizeof aad);
    aad[5] = aad[5] == '0' ? '1' : '0';
    expect_crypto_error(KEY, aad, strlen(aad), blob, blen);
    expect_crypto_error(KEY, AAD, strlen(AAD) - 1, blob, blen);
    expect_crypto_error(KEY, NULL, 0, blob, blen);
}

/* Every single-byte change anywhere in the blob must be detected. */
static void test_flipped_bytes(void **state)
{
    (void)state;
    uint8_t blob[BLOB_CAP];
    size_t blen = 0;
    seal_secret(blob, &blen);
    for (size_t i = 0; i < blen; i++) {
        uint8_t copy[BLOB_CAP];
        memcpy(copy, blob, blen);
        copy[i] ^= 0x01;
        expect_crypto_error(KEY, AAD, strlen(AAD), copy, blen);
    }
}

static void test_truncated_and_version(void **state)
{
    (void)state;
    uint8_t blob[BLOB_CAP];
    size_t blen = 0;
    seal_secret(blob, &blen);
    expect_crypto_error(KEY, AAD, strlen(AAD), blob, blen - 1);
    expect_crypto_error(KEY, AAD, strlen(AAD), blob, RG_SEAL_OVERHEAD);
    expect_crypto_error(KEY, AAD, strlen(AAD), blob, RG_SEAL_OVERHEAD - 1);
    expect_crypto_error(KEY, AAD, strlen(AAD), blob, 1);
    expect_crypto_error(KEY, AAD, strlen(AAD), blob, 0);
    blob[0] = 2;
    expect_crypto_error(KEY, AAD, strlen(AAD), blob, blen);
    blob[0] = 0;
    expect_crypto_error(KEY, AAD, strlen(AAD), blob, blen);
}

static void test_buffer_limits(void **state)
{
    (void)state;
    uint8_t blob[BLOB_CAP], out[64];
    size_t blen = 7, olen = 7;
    size_t n = strlen(SECRET);
    assert_int_equal(rg_seal(KEY, NONCE, AAD, strlen(AAD), (const uint8_t *)SECRET, n, blob,
                             n + RG_SEAL_OVERHEAD - 1, &blen),
                     RG_ETOOBIG);
    assert_int_equal(blen, 0);
    seal_secret(blob, &blen);
    assert_int_equal(rg_unseal(KEY, AAD, strlen(AAD), blob, blen, out, n - 1, &olen), RG_ETOOBIG);
    assert_int_equal(rg_unseal(KEY, AAD, strlen(AAD), blob, blen, out, n, &olen), RG_OK);
    assert_int_equal(olen, n);
}

static void test_token_hash(void **state)
{
    (void)state;
    /* FIPS 180-2 test vector. */
    static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                    0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                    0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    uint8_t h[32];
    rg_token_hash("abc", 3, h);
    assert_memory_equal(h, abc, 32);
    rg_token_hash("abcd", 3, h); /* only len bytes count */
    assert_memory_equal(h, abc, 32);
}

/* ---- master key ---- */

typedef struct {
    char dir[64];
    char path[96];
} tmpdir;

static int setup_dir(void **state)
{
    tmpdir *t = calloc(1, sizeof *t);
    if (!t) return -1;
    strcpy(t->dir, "/tmp/rg_seal_XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    snprintf(t->path, sizeof t->path, "%s/master.key", t->dir);
    unsetenv("ROOMGATE_MASTER_KEY");
    *state = t;
    return 0;
}

static int teardown_dir(void **state)
{
    tmpdir *t = *state;
    unlink(t->path);
    rmdir(t->dir);
    free(t);
    unsetenv("ROOMGATE_MASTER_KEY");
    return 0;
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static void test_master_create_and_reload(void **state)
{
    tmpdir *t = *state;
    uint8_t k1[RG_MASTER_KEY_LEN], k2[RG_MASTER_KEY_LEN], zero[RG_MASTER_KEY_LEN] = {0};
    assert_int_equal(rg_master_key_load(t->path, 0, k1), RG_ENOTFOUND);
    assert_int_equal(rg_master_key_load(t->path, 1, k1), RG_OK);
    assert_memory_not_equal(k1, zero, sizeof zero);
    struct stat sb;
    assert_int_equal(stat(t->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 65); /* 64 hex chars + newline */
    assert_int_equal(rg_master_key_load(t->path, 0, k2), RG_OK);
    assert_memory_equal(k1, k2, sizeof k1);
    assert_int_equal(rg_master_key_load(t->path, 1, k2), RG_OK); /* exists: not replaced */
    assert_memory_equal(k1, k2, sizeof k1);
}

/* Created 0600 even under a permissive umask; no temp file left behind. */
static void test_master_create_umask(void **state)
{
    tmpdir *t = *state;
    uint8_t k[RG_MASTER_KEY_LEN];
    mode_t old = umask(0);
    int rc = rg_master_key_load(t->path, 1, k);
    umask(old);
    assert_int_equal(rc, RG_OK);
    struct stat sb;
    assert_int_equal(stat(t->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(count_entries(t->dir), 1);
}

static void test_master_no_directories(void **state)
{
    tmpdir *t = *state;
    char path[160];
    uint8_t k[RG_MASTER_KEY_LEN];
    snprintf(path, sizeof path, "%s/missing/master.key", t->dir);
    assert_int_not_equal(rg_master_key_load(path, 1, k), RG_OK);
    snprintf(path, sizeof path, "%s/missing", t->dir);
    assert_int_not_equal(access(path, F_OK), 0);
}

static void test_master_raw_and_hex(void **state)
{
    tmpdir *t = *state;
    uint8_t k[RG_MASTER_KEY_LEN];
    write_file(t->path, KEY, sizeof KEY, 0600);
    assert_int_equal(rg_master_key_load(t->path, 0, k), RG_OK);
    assert_memory_equal(k, KEY, sizeof KEY);

    const char *hex = "0102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F20";
    write_file(t->path, hex, 64, 0600);
    memset(k, 0, sizeof k);
    assert_int_equal(rg_master_key_load(t->path, 0, k), RG_OK);
    assert_memory_equal(k, KEY, sizeof KEY);

    char line[66];
    memcpy(line, hex, 64);
    line[64] = '\n';
    write_file(t->path, line, 65, 0400);
    memset(k, 0, sizeof k);
    assert_int_equal(rg_master_key_load(t->path, 0, k), RG_OK);
    assert_memory_equal(k, KEY, sizeof KEY);
}

static void test_master_bad_files(void **state)
{
    tmpdir *t = *state;
    uint8_t k[RG_MASTER_KEY_LEN];
    write_file(t->path, KEY, 31, 0600);
    assert_int_equal(rg_master_key_load(t->path, 1, k), RG_EINVAL);
    write_file(t->path, "", 0, 0600);
    assert_int_equal(rg_master_key_load(t->path, 1, k), RG_EINVAL);
    char text[80];
    memset(text, 'a', sizeof text);
    write_file(t->path, text, 66, 0600); /* 66 hex chars */
    assert_int_equal(rg_master_key_load(t->path, 0, k), RG_EINVAL);
    text[10] = 'g';
    write_file(t->path, text, 64, 0600);
    assert_int_equal(rg_master_key_load(t->path, 0, k), RG_EINVAL);
    text[10] = 'a';
    text[64] = ' ';
    write_file(t->path, text, 65, 0600); /* only a newline may follow */
    assert_int_equal(rg_master_key_load(t->path, 0, k), RG_EINVAL);
}

static void test_master_permissions(void **state)
{
    tmpdir *t = *state;
    uint8_t k[RG_MASTER_KEY_LEN];
    write_file(t->path, KEY, sizeof KEY, 0644);
    assert_int_equal(rg_master_key_load(t->path, 1, k), RG_EINVAL);
    write_file(t->path, KEY, sizeof KEY, 0640);
    assert_int_equal(rg_master_key_load(t->path, 1, k), RG_EINVAL);
    write_file(t->path, KEY, sizeof KEY, 0604);
    assert_int_equal(rg_master_key_load(t->path, 1, k), RG_EINVAL);
    write_file(t->path, KEY, sizeof KEY, 0600);
    assert_int_equal(rg_master_key_load(t->path, 1, k), RG_OK);
}

static void test_master_env(void **state)
{
    tmpdir *t = *state;
    uint8_t k[RG_MASTER_KEY_LEN], other[RG_MASTER_KEY_LEN];
    memset(other, 0xee, sizeof other);
    write_file(t->path, other, sizeof other, 0600);
    setenv("ROOMGATE_MASTER_KEY",
           "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 1);
    assert_int_equal(rg_master_key_load(t->path, 0, k), RG_OK);
    assert_memory_equal(k, KEY, sizeof KEY);
    /* The variable wins even where no file exists, and creates none. */
    unlink(t->path);
    assert_int_equal(rg_master_key_load(t->path, 1, k), RG_OK);
    assert_memory_equal(k, KEY, sizeof KEY);
    assert_int_not_equal(access(t->path, F_OK), 0);

    setenv("ROOMGATE_MASTER_KEY", "0102", 1);
    assert_int_equal(rg_master_key_load(t->path, 1, k), RG_EINVAL);
    setenv("ROOMGATE_MASTER_KEY",
           "zz02030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 1);
    assert_int_equal(rg_master_key_load(t->path, 1, k), RG_EINVAL);
    setenv("ROOMGATE_MASTER_KEY", "", 1); /* empty = unset: the file is used */
    assert_int_equal(rg_master_key_load(t->path, 0, k), RG_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_no_aad),
        cmocka_unit_test(test_ciphertext_hides_plaintext),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_wrong_aad),
        cmocka_unit_test(test_flipped_bytes),
        cmocka_unit_test(test_truncated_and_version),
        cmocka_unit_test(test_buffer_limits),
        cmocka_unit_test(test_token_hash),
        cmocka_unit_test_setup_teardown(test_master_create_and_reload, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_master_create_umask, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_master_no_directories, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_master_raw_and_hex, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_master_bad_files, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_master_permissions, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_master_env, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
