/* test_hook_tokens.c - the dispatcher's cache of unsealed auth tokens
 * (hook/tokens.h): a token is unsealed once and reused for the same
 * sealed blob; a rotation (another blob) gets the new token at once; an
 * entry is reused only for its TTL; rows without a token, or whose blob
 * does not open, get none. */
#include "unit.h"

#include "core/errors.h"
#include "hook/tokens.h"

#define AC1 "AC00000000000000000000000000000001"
#define AC2 "AC00000000000000000000000000000002"

static void row_with(rg_outbox_row *row, const char *account, const uint8_t key[32],
                     const char *token, uint8_t nonce_byte)
{
    uint8_t nonce[12];
    memset(row, 0, sizeof *row);
    strcpy(row->account_sid, account);
    memset(nonce, nonce_byte, sizeof nonce);
    assert_int_equal(rg_seal(key, nonce, account, RG_SID_LEN, (const uint8_t *)token, strlen(token),
                             row->token_sealed, sizeof row->token_sealed, &row->token_sealed_len),
                     RG_OK);
}

static void token_is(rg_hook_tokens *c, const uint8_t key[32], const rg_outbox_row *row,
                     int64_t now, const char *want)
{
    char got[RG_AUTH_TOKEN_LEN + 1];
    size_t len = 0;
    assert_int_equal(rg_hook_token(c, key, row, now, got, &len), RG_OK);
    got[len] = '\0';
    assert_string_equal(got, want);
}

static void test_tokens(void **state)
{
    (void)state;
    uint8_t key[32], other[32];
    char got[RG_AUTH_TOKEN_LEN + 1];
    size_t len = 99;
    rg_outbox_row a, rotated, b, none;
    memset(key, 0x42, sizeof key);
    memset(other, 0x24, sizeof other);
    rg_hook_tokens *c = rg_hook_tokens_new();
    assert_non_null(c);
    row_with(&a, AC1, key, "0123456789abcdef0123456789abcdef", 1);
    row_with(&b, AC2, key, "fedcba9876543210fedcba9876543210", 2);
    token_is(c, key, &a, 1000, "0123456789abcdef0123456789abcdef");
    token_is(c, key, &b, 1000, "fedcba9876543210fedcba9876543210");
    /* kept: the same blob is not unsealed again (a wrong master key would
     * not open it), until the entry's TTL has passed */
    token_is(c, other, &a, 2000, "0123456789abcdef0123456789abcdef");
    assert_int_equal(rg_hook_token(c, other, &a, 1000 + 3600 * 1000, got, &len), RG_ECRYPTO);
    assert_int_equal(len, 0);
    token_is(c, key, &a, 1000 + 3600 * 1000, "0123456789abcdef0123456789abcdef");
    /* a rotation: another blob, the new token at once */
    row_with(&rotated, AC1, key, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 3);
    token_is(c, key, &rotated, 1000 + 3600 * 1000, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    /* ... and the old blob is unsealed again, not served from the entry */
    assert_int_equal(rg_hook_token(c, other, &a, 1000 + 3600 * 1000, got, &len), RG_ECRYPTO);
    /* an account without a sealed token; a blob sealed for another account */
    memset(&none, 0, sizeof none);
    strcpy(none.account_sid, AC2);
    assert_int_equal(rg_hook_token(c, key, &none, 1000, got, &len), RG_ECRYPTO);
    memcpy(b.account_sid, AC1, sizeof b.account_sid);
    assert_int_equal(rg_hook_token(c, key, &b, 1000, got, &len), RG_ECRYPTO);
    rg_hook_tokens_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tokens)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
