/* test_webhook.c - the pure parts of status callbacks: Twilio's signature
 * (vectors from the `twilio` helper's getExpectedTwilioSignature), the
 * form encoding, the callback URL check and the address rule (SSRF). */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "core/netaddr.h"
#include "core/twsig.h"

/* Twilio's documented example: the URL, then the parameters sorted by name. */
static void test_signature_vector(void **state)
{
    (void)state;
    rg_kv kv[] = {{"To", "+18005551212"},
                  {"CallSid", "CA1234567890ABCDE"},
                  {"From", "+14158675310"},
                  {"Digits", "1234"},
                  {"Caller", "+14158675310"}};
    char sig[RG_TWSIG_SIZE];
    rg_kv_sort(kv, 5);
    assert_string_equal(kv[0].name, "CallSid");
    assert_string_equal(kv[4].name, "To");
    assert_int_equal(
        rg_twsig("https://mycompany.com/myapp.php?foo=1&bar=2", kv, 5, "12345", 5, sig), 0);
    assert_string_equal(sig, "GvWf1cFY/Q7PnoempGyD5oXAezc=");
    /* any change of the token, a value or the order of the text changes it */
    assert_int_equal(
        rg_twsig("https://mycompany.com/myapp.php?foo=1&bar=2", kv, 5, "12346", 5, sig), 0);
    assert_string_not_equal(sig, "GvWf1cFY/Q7PnoempGyD5oXAezc=");
    /* GET: the whole URL, no parameters */
    assert_int_equal(
        rg_twsig("https://x.example/cb?a=b c&RoomName=r%C3%A9union", NULL, 0, "12345", 5, sig), 0);
    assert_string_equal(sig, "OztQ18g1nwyfkqxzsR6muGRhRzk=");
}

static void test_form_encode(void **state)
{
    (void)state;
    rg_kv kv[] = {{"RoomName", "a b&c=d/é"}, {"Seq", "0"}, {"Empty", ""}};
    char *s = rg_form_encode("http://h/p?", kv, 3);
    assert_non_null(s);
    assert_string_equal(s, "http://h/p?RoomName=a+b%26c%3Dd%2F%C3%A9&Seq=0&Empty=");
    free(s);
    s = rg_form_encode("", kv, 0);
    assert_string_equal(s, "");
    free(s);
}

static void test_callback_url(void **state)
{
    (void)state;
    static const char *const good[] = {"http://a", "https://hooks.example.com/x?y=1",
                                       "HTTPS://Example.com:8443/p", "http://[2001:db8::1]/"};
    static const char *const bad[] = {"",
                                      "ftp://a/",
                                      "file:///etc/passwd",
                                      "http://",
                                      "http:///x",
                                      "https://a b/",
                                      "http://a\n",
                                      "http://@evil/",
                                      "gopher://x",
                                      "//a/b",
                                      "javascript:alert",
                                      "http://u:p@h/",
                                      "https://h@evil.example"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(rg_callback_url_ok(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(rg_callback_url_ok(bad[i]));
    char longu[2100];
    memset(longu, 'a', sizeof longu - 1);
    memcpy(longu, "http://", 7);
    longu[2048] = '\0';
    assert_true(rg_callback_url_ok(longu));
    longu[2048] = 'a';
    longu[2049] = '\0';
    assert_false(rg_callback_url_ok(longu));
}

static int public_addr(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
    }
    return rg_addr_public((struct sockaddr *)&ss);
}

static void test_address_rule(void **state)
{
    (void)state;
    static const char *const refused[] = {"127.0.0.1",
                                          "127.255.0.1",
                                          "10.1.2.3",
                                          "172.16.0.1",
                                          "172.31.255.255",
                                          "192.168.1.1",
                                          "169.254.169.254",
                                          "100.64.0.1",
                                          "0.0.0.0",
                                          "255.255.255.255",
                                          "224.0.0.1",
                                          "198.18.0.1",
                                          "::1",
                                          "::",
                                          "fe80::1",
                                          "fc00::1",
                                          "fd12:3456::1",
                                          "ff02::1",
                                          "::ffff:127.0.0.1",
                                          "::ffff:10.0.0.1",
                                          "64:ff9b::a00:1",
                                          "2002:7f00:1::",
                                          "2001:db8::1",
                                          "fec0::1"};
    static const char *const allowed[] = {"8.8.8.8",          "1.1.1.1",         "172.32.0.1",
                                          "100.128.0.1",      "2606:4700::1111", "::ffff:8.8.8.8",
                                          "64:ff9b::808:808", "2002:808:808::"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (public_addr(refused[i])) fail_msg("%s counted as public", refused[i]);
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (!public_addr(allowed[i])) fail_msg("%s refused", allowed[i]);
    struct sockaddr unix_sa = {.sa_family = AF_UNIX};
    assert_false(rg_addr_public(&unix_sa));
}

/* Security review: IPv6 forms that reach IPv4 or private networks through a
 * translator or tunnel, beyond the mapped and well-known NAT64 prefixes:
 * SIIT's IPv4-translated ::ffff:0:0/96, the local-use NAT64 prefix
 * 64:ff9b:1::/48 (RFC 8215, any IPv4 behind it, private ones too), Teredo
 * 2001::/32 (a tunnel whose server and client are IPv4), the discard-only
 * 100::/64.  Passed as public before. */
static void test_address_rule_translated(void **state)
{
    (void)state;
    static const char *const refused[] = {"::ffff:0:127.0.0.1",
                                          "::ffff:0:a00:1",
                                          "64:ff9b:1::a00:1",
                                          "64:ff9b:1:ffff::1",
                                          "2001::1",
                                          "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                                          "100::1"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (public_addr(refused[i])) fail_msg("%s counted as public", refused[i]);
    assert_true(public_addr("::ffff:0:808:808")); /* SIIT to a public IPv4 */
    assert_true(public_addr("2001:4860::8888"));  /* 2001::/16 outside Teredo */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_vector),
        cmocka_unit_test(test_form_encode),
        cmocka_unit_test(test_callback_url),
        cmocka_unit_test(test_address_rule),
        cmocka_unit_test(test_address_rule_translated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
