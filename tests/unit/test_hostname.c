/* test_hostname.c - core/hostname.c: exact Host parsing, loopback, lists. */
#include "unit.h"

#include "core/hostname.h"

static int parse(const char *s, rg_host *h)
{
    return rg_host_parse(s, strlen(s), h);
}

static int loopback(const char *s)
{
    rg_host h;
    return parse(s, &h) == 0 && rg_host_is_loopback(&h);
}

static void test_parse_forms(void **state)
{
    rg_host h;
    (void)state;
    assert_int_equal(parse("LocalHost:8080", &h), 0);
    assert_string_equal(h.name, "localhost");
    assert_int_equal(h.port, 8080);
    assert_int_equal(h.ipv6, 0);
    assert_int_equal(parse("example.com", &h), 0);
    assert_int_equal(h.port, 0);
    assert_int_equal(parse("[::1]:443", &h), 0);
    assert_string_equal(h.name, "::1");
    assert_int_equal(h.port, 443);
    assert_int_equal(h.ipv6, 1);
    assert_int_equal(parse("[0:0:0:0:0:0:0:1]", &h), 0);
    assert_string_equal(h.name, "::1");
    assert_int_equal(h.port, 0);
}

static void test_parse_refuses(void **state)
{
    static const char *const bad[] = {
        "",
        ":80",
        "host:",
        "host:0",
        "host:65536",
        "host:123456",
        "host:8a",
        "host:+80",
        "localhost.",
        ".localhost",
        "a..b",
        "user@localhost",
        "local host",
        "host/x",
        "[::1",
        "::1",
        "[::1]x",
        "[::1]:",
        "[fe80::1%25eth0]",
        "[127.0.0.1]",
        "h_st",
        "127.0.0.1:80:80",
        "[::1]:80:80",
    };
    rg_host h;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rg_host_parse(bad[i], strlen(bad[i]), &h), -1);
    assert_int_equal(rg_host_parse(NULL, 0, &h), -1);
    /* a label of 64 bytes */
    char longlabel[80];
    memset(longlabel, 'a', 64);
    longlabel[64] = '\0';
    assert_int_equal(parse(longlabel, &h), -1);
    longlabel[63] = '\0';
    assert_int_equal(parse(longlabel, &h), 0);
}

static void test_loopback(void **state)
{
    (void)state;
    assert_true(loopback("localhost"));
    assert_true(loopback("LOCALHOST:1"));
    assert_true(loopback("127.0.0.1"));
    assert_true(loopback("127.0.0.1:8080"));
    assert_true(loopback("127.255.3.4"));
    assert_true(loopback("[::1]"));
    assert_true(loopback("[::1]:8080"));
    assert_true(loopback("[::ffff:127.0.0.1]"));
    /* names that only start or end like loopback, and other addresses */
    assert_false(loopback("localhost.attacker.example"));
    assert_false(loopback("attacker.localhost.example"));
    assert_false(loopback("127.0.0.1.nip.io"));
    assert_false(loopback("127.0.0.1.nip.io:8080"));
    assert_false(loopback("localhost.:8080"));
    assert_false(loopback("127.1"));
    assert_false(loopback("2130706433"));
    assert_false(loopback("0x7f.0.0.1"));
    assert_false(loopback("128.0.0.1"));
    assert_false(loopback("10.0.0.1"));
    assert_false(loopback("[::2]"));
    assert_false(loopback("[::ffff:10.0.0.1]"));
    assert_false(loopback("attacker.example"));
    assert_false(loopback(""));
}

static void test_is_listen_host(void **state)
{
    rg_host h;
    (void)state;
    assert_int_equal(parse("192.168.1.5:8080", &h), 0);
    assert_true(rg_host_is(&h, "192.168.1.5"));
    assert_false(rg_host_is(&h, "192.168.1.50"));
    assert_int_equal(parse("[2001:db8::1]:8080", &h), 0);
    assert_true(rg_host_is(&h, "2001:db8::1"));
    assert_true(rg_host_is(&h, "2001:db8:0::1"));
    assert_int_equal(parse("0.0.0.0", &h), 0);
    assert_false(rg_host_is(&h, "0.0.0.0"));
    assert_int_equal(parse("[::]", &h), 0);
    assert_false(rg_host_is(&h, "::"));
}

static void test_list(void **state)
{
    const char *list = " media.example.com , app.example.org:8443,[2001:db8::2]";
    rg_host h;
    (void)state;
    assert_true(rg_host_list_valid(list));
    assert_int_equal(parse("MEDIA.example.com:1234", &h), 0);
    assert_true(rg_host_in_list(&h, list));
    assert_int_equal(parse("app.example.org:8443", &h), 0);
    assert_true(rg_host_in_list(&h, list));
    assert_int_equal(parse("app.example.org", &h), 0);
    assert_false(rg_host_in_list(&h, list));
    assert_int_equal(parse("[2001:db8::2]:80", &h), 0);
    assert_true(rg_host_in_list(&h, list));
    assert_int_equal(parse("media.example.com.attacker.example", &h), 0);
    assert_false(rg_host_in_list(&h, list));
    assert_int_equal(parse("example.com", &h), 0);
    assert_false(rg_host_in_list(&h, list));
    assert_false(rg_host_in_list(&h, ""));
    assert_false(rg_host_list_valid(""));
    assert_false(rg_host_list_valid("a.example,,b.example"));
    assert_false(rg_host_list_valid("https://a.example"));
    assert_false(rg_host_list_valid("a.example:99999"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms), cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_loopback),    cmocka_unit_test(test_is_listen_host),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
