/* test_recfmt.c - the at-rest format: header layout, segment nonces,
 * segment/range math, and a sealed file round trip with tamper checks. */
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "core/errors.h"
#include "core/recfmt.h"
#include "crypto/recfile.h"

static const char *SID = "RE0123456789abcdef0123456789abcdef";

static void test_header_roundtrip(void **state)
{
    (void)state;
    rg_rec_header h = {0}, d;
    uint8_t buf[RG_REC_HEADER_MAX];
    strcpy(h.sid, SID);
    h.segment = RG_REC_SEGMENT;
    h.size = 1234567;
    memset(h.nonce, 7, sizeof h.nonce);
    memset(h.key_id, 9, sizeof h.key_id);
    h.wrapped_len = 384;
    memset(h.wrapped, 0xab, 384);
    size_t n = rg_rec_header_encode(&h, buf, sizeof buf);
    assert_int_equal(n, RG_REC_FIXED + 384);
    assert_memory_equal(buf, "RGREC01\n", 8);
    assert_int_equal(rg_rec_header_decode(buf, n, &d), n);
    assert_int_equal(d.size, 1234567);
    assert_int_equal(d.segment, RG_REC_SEGMENT);
    assert_string_equal(d.sid, SID);
    assert_memory_equal(d.wrapped, h.wrapped, 384);
    /* truncated, bad magic, bad sid, absurd lengths */
    assert_int_equal(rg_rec_header_decode(buf, n - 1, &d), 0);
    buf[0] = 'X';
    assert_int_equal(rg_rec_header_decode(buf, n, &d), 0);
    buf[0] = 'R';
    buf[36] = 'S';
    assert_int_equal(rg_rec_header_decode(buf, n, &d), 0);
    buf[36] = 'R';
    buf[102] = 0xff;
    assert_int_equal(rg_rec_header_decode(buf, n, &d), 0);
    /* refuses to encode a bad sid or an empty wrapped key */
    h.wrapped_len = 0;
    assert_int_equal(rg_rec_header_encode(&h, buf, sizeof buf), 0);
}

static void test_nonces(void **state)
{
    (void)state;
    uint8_t base[RG_REC_NONCE] = {0}, a[RG_REC_NONCE], b[RG_REC_NONCE];
    rg_rec_nonce(base, 0, 0, a);
    assert_memory_equal(a, base, RG_REC_NONCE);
    rg_rec_nonce(base, 0, 1, b);
    assert_memory_not_equal(a, b, RG_REC_NONCE); /* the last flag changes the nonce */
    assert_int_equal(b[11], 1);
    rg_rec_nonce(base, 0x0102030405060708ull, 0, a);
    assert_int_equal(a[3], 1);
    assert_int_equal(a[10], 8);
    /* distinct for every (index, last) pair over a range */
    for (uint64_t i = 0; i < 300; i++) {
        rg_rec_nonce(base, i, 0, a);
        rg_rec_nonce(base, i + 1, 0, b);
        assert_memory_not_equal(a, b, RG_REC_NONCE);
        rg_rec_nonce(base, i, 1, b);
        assert_memory_not_equal(a, b, RG_REC_NONCE);
    }
}

static void test_segment_math(void **state)
{
    (void)state;
    rg_rec_header h = {.header_len = 488, .segment = 65536, .size = 0};
    assert_int_equal(rg_rec_nsegments(0, 65536), 1);
    assert_int_equal(rg_rec_nsegments(1, 65536), 1);
    assert_int_equal(rg_rec_nsegments(65536, 65536), 1);
    assert_int_equal(rg_rec_nsegments(65537, 65536), 2);
    assert_int_equal(rg_rec_segment_plain(65537, 65536, 0), 65536);
    assert_int_equal(rg_rec_segment_plain(65537, 65536, 1), 1);
    assert_int_equal(rg_rec_segment_plain(65537, 65536, 2), 0);
    assert_int_equal(rg_rec_segment_offset(&h, 0), 488);
    assert_int_equal(rg_rec_segment_offset(&h, 2), 488 + 2 * (65536 + 16));
    assert_int_equal(rg_rec_file_size(&h), 488 + 16);
    h.size = 3 * 65536 + 5;
    assert_int_equal(rg_rec_file_size(&h), 488 + h.size + 4 * 16);
}

static void test_ranges(void **state)
{
    (void)state;
    uint64_t a = 0, b = 0;
#define R(s) rg_range_parse((s), strlen(s), 1000, &a, &b)
    assert_int_equal(rg_range_parse(NULL, 0, 1000, &a, &b), RG_RANGE_NONE);
    assert_int_equal(R("bytes=0-99"), RG_RANGE_OK);
    assert_true(a == 0 && b == 99);
    assert_int_equal(R("bytes=990-"), RG_RANGE_OK);
    assert_true(a == 990 && b == 999);
    assert_int_equal(R("bytes=-10"), RG_RANGE_OK);
    assert_true(a == 990 && b == 999);
    assert_int_equal(R("bytes=-5000"), RG_RANGE_OK);
    assert_true(a == 0 && b == 999);
    assert_int_equal(R("bytes=999-999"), RG_RANGE_OK);
    assert_int_equal(R("bytes=5-100000"), RG_RANGE_OK);
    assert_true(b == 999);
    assert_int_equal(R("bytes=1000-"), RG_RANGE_UNSATISFIABLE);
    assert_int_equal(R("bytes=-0"), RG_RANGE_UNSATISFIABLE);
    assert_int_equal(R("bytes=5-1"), RG_RANGE_NONE);
    assert_int_equal(R("bytes=0-1,3-4"), RG_RANGE_NONE);
    assert_int_equal(R("items=0-1"), RG_RANGE_NONE);
    assert_int_equal(R("bytes=a-b"), RG_RANGE_NONE);
    assert_int_equal(R("bytes=-"), RG_RANGE_NONE);
    assert_int_equal(R("bytes=99999999999999999999-"), RG_RANGE_NONE);
#undef R
    assert_int_equal(rg_range_parse("bytes=0-", 8, 0, &a, &b), RG_RANGE_UNSATISFIABLE);
}

/* A real file: write, read every segment, then tamper. */
static void test_file_roundtrip(void **state)
{
    (void)state;
    char dir[] = "/tmp/rg-recfmt-XXXXXX";
    assert_non_null(mkdtemp(dir));
    EVP_PKEY *k = EVP_RSA_gen(2048);
    assert_non_null(k);
    size_t n = 2 * RG_REC_SEGMENT + 100;
    uint8_t *plain = malloc(n), *buf = malloc(RG_REC_SEGMENT + RG_REC_TAG), key[32];
    for (size_t i = 0; i < n; i++)
        plain[i] = (uint8_t)(i * 31 + 7);
    rg_rec_writer *w;
    assert_int_equal(rg_rec_writer_open(dir, SID, k, n, &w), RG_OK);
    assert_int_equal(rg_rec_writer_write(w, plain, 1000), RG_OK);
    assert_int_equal(rg_rec_writer_write(w, plain + 1000, n - 1000), RG_OK);
    assert_int_equal(rg_rec_writer_write(w, plain, 1), RG_EINVAL); /* over the size */
    assert_int_equal(rg_rec_writer_finish(w), RG_OK);

    rg_rec_file f;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    assert_int_equal(rg_rec_file_open(dir, SID, &f), RG_OK);
    assert_int_equal(rg_rec_file_key(&f, k, key), RG_OK);
    for (uint64_t i = 0; i < 3; i++) {
        size_t plen = rg_rec_segment_plain(n, RG_REC_SEGMENT, i);
        assert_int_equal(pread(f.fd, buf, plen + 16, (off_t)rg_rec_segment_offset(&f.h, i)),
                         plen + 16);
        assert_int_equal(rg_rec_segment_open(ctx, &f, key, i, buf, plen + 16), RG_OK);
        assert_memory_equal(buf, plain + i * RG_REC_SEGMENT, plen);
        /* the same bytes claimed as another segment fail */
        if (i == 0) {
            pread(f.fd, buf, plen + 16, (off_t)rg_rec_segment_offset(&f.h, 0));
            assert_int_equal(rg_rec_segment_open(ctx, &f, key, 1, buf, plen + 16), RG_ECRYPTO);
        }
    }
    /* a flipped bit fails its segment */
    pread(f.fd, buf, RG_REC_SEGMENT + 16, (off_t)rg_rec_segment_offset(&f.h, 1));
    buf[5] ^= 1;
    assert_int_equal(rg_rec_segment_open(ctx, &f, key, 1, buf, RG_REC_SEGMENT + 16), RG_ECRYPTO);
    rg_rec_file_close(&f);

    /* truncation: the header's size no longer matches the file */
    char path[256];
    assert_int_equal(rg_rec_path(dir, SID, path, sizeof path), RG_OK);
    struct stat sb;
    stat(path, &sb);
    assert_int_equal(truncate(path, sb.st_size - 116), 0);
    assert_int_equal(rg_rec_file_open(dir, SID, &f), RG_EIO);

    assert_int_equal(rg_rec_destroy(dir, SID), RG_OK);
    assert_int_equal(rg_rec_file_open(dir, SID, &f), RG_ENOTFOUND);
    assert_int_equal(rg_rec_destroy(dir, SID), RG_ENOTFOUND);
    /* an aborted writer leaves nothing */
    assert_int_equal(rg_rec_writer_open(dir, SID, k, 10, &w), RG_OK);
    rg_rec_writer_abort(w);
    assert_int_equal(rmdir(dir), 0);
    EVP_CIPHER_CTX_free(ctx);
    EVP_PKEY_free(k);
    free(plain);
    free(buf);
}

/* Resumable writing (tus): a file built at another path over several
 * writers, with uncommitted bytes cut on resume, ends up byte-identical
 * in plaintext and opens like any recording. */
static void test_file_resume(void **state)
{
    (void)state;
    char dir[] = "/tmp/rg-recfmt-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/building", dir);
    EVP_PKEY *k = EVP_RSA_gen(2048);
    assert_non_null(k);
    size_t n = 3 * RG_REC_SEGMENT + 5;
    uint8_t *plain = malloc(n), *buf = malloc(RG_REC_SEGMENT + RG_REC_TAG), key[32], fkey[32];
    uint8_t tail[RG_REC_SEGMENT];
    const uint8_t *t;
    size_t tlen;
    uint64_t seg;
    for (size_t i = 0; i < n; i++)
        plain[i] = (uint8_t)(i * 13 + 1);
    rg_rec_writer *w;
    assert_int_equal(rg_rec_writer_create(path, dir, SID, k, n, key, &w), RG_OK);
    assert_int_equal(rg_rec_writer_write(w, plain, 70000), RG_OK);
    assert_int_equal(rg_rec_writer_checkpoint(w, &seg, &t, &tlen), RG_OK);
    assert_int_equal(seg, 1);
    assert_int_equal(tlen, 70000 - RG_REC_SEGMENT);
    memcpy(tail, t, tlen);
    /* more is written (a second segment sealed) but never committed */
    assert_int_equal(rg_rec_writer_write(w, plain + 70000, 70000), RG_OK);
    rg_rec_writer_close(w);

    /* refusals: another sid, another size, more segments than the file has */
    static const char OTHER[] = "RE00000000000000000000000000000001";
    assert_int_equal(rg_rec_writer_resume(path, dir, OTHER, key, n, seg, tail, tlen, &w), RG_EIO);
    assert_int_equal(rg_rec_writer_resume(path, dir, SID, key, n + 1, seg, tail, tlen, &w), RG_EIO);
    assert_int_equal(rg_rec_writer_resume(path, dir, SID, key, n, 3, tail, 0, &w), RG_EIO);
    assert_int_equal(rg_rec_writer_resume(path, dir, SID, key, n, 1, tail, RG_REC_SEGMENT, &w),
                     RG_EINVAL);

    /* the committed state: one segment and the tail, then the rest */
    assert_int_equal(rg_rec_writer_resume(path, dir, SID, key, n, seg, tail, tlen, &w), RG_OK);
    assert_int_equal(rg_rec_writer_write(w, plain + 70000, n - 70000), RG_OK);
    assert_int_equal(rg_rec_writer_finish(w), RG_OK);
    assert_int_equal(access(path, F_OK), -1); /* renamed into place */

    rg_rec_file f;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    assert_int_equal(rg_rec_file_open(dir, SID, &f), RG_OK);
    assert_int_equal(rg_rec_file_key(&f, k, fkey), RG_OK);
    assert_memory_equal(fkey, key, 32);
    for (uint64_t i = 0; i < 4; i++) {
        size_t plen = rg_rec_segment_plain(n, RG_REC_SEGMENT, i);
        assert_int_equal(pread(f.fd, buf, plen + 16, (off_t)rg_rec_segment_offset(&f.h, i)),
                         plen + 16);
        assert_int_equal(rg_rec_segment_open(ctx, &f, key, i, buf, plen + 16), RG_OK);
        assert_memory_equal(buf, plain + i * RG_REC_SEGMENT, plen);
    }
    rg_rec_file_close(&f);
    assert_int_equal(rg_rec_destroy(dir, SID), RG_OK);
    assert_int_equal(rmdir(dir), 0);
    EVP_CIPHER_CTX_free(ctx);
    EVP_PKEY_free(k);
    free(plain);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_roundtrip), cmocka_unit_test(test_nonces),
        cmocka_unit_test(test_segment_math),     cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_file_roundtrip),   cmocka_unit_test(test_file_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
