/* test_hmac.c - HMAC-SHA2 against the RFC 4231 vectors, the
 * per-thread key memo, and the JWT algorithm names. */
#include "unit.h"

#include "token_fixtures.h"

/* ---- HMAC ------------------------------------------------------------------ */

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    static const char *const want[6][3] = {
        {"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
         "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b"
         "2fa9cb6",
         "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274ea"
         "ea3f4e4be9d914eeb61f1702e696c203a126854"},
        {"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
         "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecf"
         "ab21649",
         "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f"
         "8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
        {"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
         "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e10"
         "1a34f27",
         "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47"
         "e67c807b946a337bee8942674278859e13292fb"},
        {"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
         "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c"
         "674cffb",
         "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc"
         "5788063a5f19741120c4f2de2adebeb10a298dd"},
        {"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
         "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df16"
         "3f44952",
         "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215"
         "d6a1e5295e64f73f63f0aec8b915a985d786598"},
        {"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
         "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110"
         "c46523e",
         "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c"
         "3e4de15134676fb6de0446065c97440fa8c6a58"},
    };
    uint8_t k1[20], k3[20], k4[25], k6[131], d3[50], d4[50];
    memset(k1, 0x0b, 20);
    memset(k3, 0xaa, 20);
    memset(k6, 0xaa, 131); /* longer than both block sizes: hashed first */
    memset(d3, 0xdd, 50);
    memset(d4, 0xcd, 50);
    for (int i = 0; i < 25; i++)
        k4[i] = (uint8_t)(i + 1);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    const char *m7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm.";
    const struct {
        const uint8_t *key;
        size_t klen;
        const void *msg;
        size_t mlen;
    } cases[6] = {
        {k1, 20, "Hi There", 8},   {(const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28},
        {k3, 20, d3, 50},          {k4, 25, d4, 50},
        {k6, 131, m6, strlen(m6)}, {k6, 131, m7, strlen(m7)},
    };
    /* Each vector three times in a row: a new key (direct path), then the
     * same key (primes the states), then the primed states; and the next
     * vector changes the key again. */
    for (int i = 0; i < 6; i++) {
        for (int a = 0; a < 3; a++) {
            for (int rep = 0; rep < 3; rep++) {
                uint8_t mac[RG_HMAC_MAX];
                char hex[2 * RG_HMAC_MAX + 1];
                size_t n = 0;
                assert_int_equal(rg_hmac_compute(H, (rg_alg)a, cases[i].key, cases[i].klen,
                                                 cases[i].msg, cases[i].mlen, mac, &n),
                                 RG_OK);
                assert_int_equal(n, 32 + 16 * a);
                rg_hex_encode(hex, mac, n);
                assert_string_equal(hex, want[i][a]);
            }
        }
    }
}

static void test_hmac_key_cache(void **state)
{
    (void)state;
    /* Keys that differ only in length or in the last byte must not share
     * remembered or primed state, whatever the order. */
    static const char *const keys[] = {"key1", "key2", "key", "key1", "key1", "key", "key"};
    uint8_t mac[7][RG_HMAC_MAX];
    size_t n;
    for (int i = 0; i < 7; i++) {
        assert_int_equal(rg_hmac_compute(H, RG_ALG_HS256, (const uint8_t *)keys[i], strlen(keys[i]),
                                         "m", 1, mac[i], &n),
                         RG_OK);
        for (int j = 0; j < i; j++) {
            if (strcmp(keys[i], keys[j]) == 0)
                assert_memory_equal(mac[i], mac[j], 32);
            else
                assert_memory_not_equal(mac[i], mac[j], 32);
        }
    }
    uint8_t a[RG_HMAC_MAX];
    assert_int_equal(rg_hmac_compute(H, RG_ALG_HS256, NULL, 0, "", 0, a, &n), RG_OK);
    assert_int_equal(rg_hmac_compute(H, RG_ALG_HS256, NULL, 0, "", 0, a, &n), RG_OK);
    assert_int_equal(rg_hmac_compute(H, (rg_alg)7, NULL, 0, "", 0, a, &n), RG_ECRYPTO);
}

static void test_alg_names(void **state)
{
    (void)state;
    assert_int_equal(rg_alg_from_name("HS256", 5), RG_ALG_HS256);
    assert_int_equal(rg_alg_from_name("HS384", 5), RG_ALG_HS384);
    assert_int_equal(rg_alg_from_name("HS512", 5), RG_ALG_HS512);
    static const char *const bad[] = {"none", "hs256", "RS256", "ES256", "PS256", "HS1024", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(rg_alg_from_name(bad[i], strlen(bad[i])), -1);
    assert_int_equal(rg_alg_from_name("HS2567", 5), RG_ALG_HS256); /* reads len bytes */
    assert_string_equal(rg_alg_name(RG_ALG_HS512), "HS512");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hmac_key_cache),
        cmocka_unit_test(test_alg_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
