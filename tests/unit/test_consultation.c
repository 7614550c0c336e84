/* test_consultation.c - the 1:1 consultation rules: who, detail id, window,
 * TTL cap, and the checks on a new consultation. */
#include "unit.h"

#include <stdio.h>

#include "core/consultation.h"

#define START 1795428000 /* 2026-11-23T10:00:00Z */
#define END (START + 3600)
#define MARGIN 600

static rg_consult_terms terms(void)
{
    return (rg_consult_terms){.client_identity = "client-1",
                              .provider_identity = "dr-who",
                              .detail_id = "detail-9",
                              .starts_at = START,
                              .ends_at = END,
                              .cancelled = false};
}

static rg_consult_verdict admit(const rg_consult_terms *t, const char *identity, const char *detail,
                                int64_t now, int64_t *ttl)
{
    *ttl = -1;
    return rg_consult_admit(t, identity, detail, now, MARGIN, RG_CONSULT_DEFAULT_TTL, ttl);
}

static void test_admits_both_parties(void **state)
{
    (void)state;
    rg_consult_terms t = terms();
    int64_t ttl;
    assert_int_equal(admit(&t, "client-1", "detail-9", START, &ttl), RG_CONSULT_ADMIT);
    assert_int_equal(ttl, RG_CONSULT_DEFAULT_TTL);
    assert_int_equal(admit(&t, "dr-who", "detail-9", START + 10, &ttl), RG_CONSULT_ADMIT);
    assert_string_equal(rg_consult_role(&t, "client-1"), "client");
    assert_string_equal(rg_consult_role(&t, "dr-who"), "provider");
    assert_null(rg_consult_role(&t, "eve"));
    assert_null(rg_consult_role(&t, NULL));
}

static void test_refuses_others(void **state)
{
    (void)state;
    rg_consult_terms t = terms();
    int64_t ttl;
    assert_int_equal(admit(&t, "eve", "detail-9", START, &ttl), RG_CONSULT_NOT_PARTICIPANT);
    assert_int_equal(ttl, -1);
    assert_int_equal(admit(&t, "client-1 ", "detail-9", START, &ttl), RG_CONSULT_NOT_PARTICIPANT);
    assert_int_equal(admit(&t, "Client-1", "detail-9", START, &ttl), RG_CONSULT_NOT_PARTICIPANT);
    assert_int_equal(admit(&t, "", "detail-9", START, &ttl), RG_CONSULT_NOT_PARTICIPANT);
    assert_int_equal(admit(&t, NULL, "detail-9", START, &ttl), RG_CONSULT_NOT_PARTICIPANT);
    assert_int_equal(admit(&t, "client-1", "detail-8", START, &ttl), RG_CONSULT_WRONG_DETAIL);
    assert_int_equal(admit(&t, "client-1", "detail-9x", START, &ttl), RG_CONSULT_WRONG_DETAIL);
    assert_int_equal(admit(&t, "client-1", "detail-", START, &ttl), RG_CONSULT_WRONG_DETAIL);
    assert_int_equal(admit(&t, "client-1", "", START, &ttl), RG_CONSULT_WRONG_DETAIL);
    assert_int_equal(admit(&t, "client-1", NULL, START, &ttl), RG_CONSULT_WRONG_DETAIL);
    assert_int_equal(ttl, -1);
}

static void test_window(void **state)
{
    (void)state;
    rg_consult_terms t = terms();
    int64_t ttl;
    assert_int_equal(admit(&t, "client-1", "detail-9", START - MARGIN - 1, &ttl),
                     RG_CONSULT_TOO_EARLY);
    assert_int_equal(admit(&t, "client-1", "detail-9", START - MARGIN, &ttl), RG_CONSULT_ADMIT);
    assert_int_equal(admit(&t, "client-1", "detail-9", END - 1, &ttl), RG_CONSULT_ADMIT);
    assert_int_equal(admit(&t, "client-1", "detail-9", END, &ttl), RG_CONSULT_TOO_LATE);
    assert_int_equal(admit(&t, "client-1", "detail-9", END + MARGIN + 5, &ttl),
                     RG_CONSULT_TOO_LATE);
    /* Margin 0: exactly [starts_at, ends_at). */
    assert_int_equal(rg_consult_admit(&t, "dr-who", "detail-9", START - 1, 0, 900, &ttl),
                     RG_CONSULT_TOO_EARLY);
    assert_int_equal(rg_consult_admit(&t, "dr-who", "detail-9", START, 0, 900, &ttl),
                     RG_CONSULT_ADMIT);
    /* A negative margin counts as 0. */
    assert_int_equal(rg_consult_admit(&t, "dr-who", "detail-9", START - 1, -5, 900, &ttl),
                     RG_CONSULT_TOO_EARLY);
}

/* Identity and detail id are checked before the clock: a stranger learns
 * nothing about the schedule. */
static void test_order(void **state)
{
    (void)state;
    rg_consult_terms t = terms();
    int64_t ttl;
    assert_int_equal(admit(&t, "eve", "nope", START - 86400, &ttl), RG_CONSULT_NOT_PARTICIPANT);
    assert_int_equal(admit(&t, "dr-who", "nope", END + 86400, &ttl), RG_CONSULT_WRONG_DETAIL);
    t.cancelled = true;
    assert_int_equal(admit(&t, "client-1", "detail-9", START, &ttl), RG_CONSULT_CANCELLED);
    assert_int_equal(admit(&t, "eve", "nope", START, &ttl), RG_CONSULT_CANCELLED);
}

static void test_ttl_cap(void **state)
{
    (void)state;
    rg_consult_terms t = terms();
    int64_t ttl;
    /* Close to the end: expiry is ends_at + margin. */
    assert_int_equal(admit(&t, "client-1", "detail-9", END - 60, &ttl), RG_CONSULT_ADMIT);
    assert_int_equal(ttl, 60 + MARGIN);
    assert_int_equal(admit(&t, "client-1", "detail-9", END - 1, &ttl), RG_CONSULT_ADMIT);
    assert_int_equal(ttl, 1 + MARGIN);
    /* Margin 0, one second before the end: at least 1 s. */
    assert_int_equal(rg_consult_admit(&t, "client-1", "detail-9", END - 1, 0, 900, &ttl),
                     RG_CONSULT_ADMIT);
    assert_int_equal(ttl, 1);
    /* A shorter wish is kept; a longer one is capped. */
    assert_int_equal(rg_consult_admit(&t, "client-1", "detail-9", START, MARGIN, 30, &ttl),
                     RG_CONSULT_ADMIT);
    assert_int_equal(ttl, 30);
    assert_int_equal(rg_consult_admit(&t, "client-1", "detail-9", START, MARGIN, 86400, &ttl),
                     RG_CONSULT_ADMIT);
    assert_int_equal(ttl, END + MARGIN - START);
    /* Never over the token limit, never under 1. */
    t.ends_at = START + 86400;
    assert_int_equal(rg_consult_admit(&t, "client-1", "detail-9", START, 86400, 200000, &ttl),
                     RG_CONSULT_ADMIT);
    assert_int_equal(ttl, 86400);
    assert_int_equal(rg_consult_admit(&t, "client-1", "detail-9", START, 600, 0, &ttl),
                     RG_CONSULT_ADMIT);
    assert_int_equal(ttl, 1);
}

static void test_ids(void **state)
{
    (void)state;
    char big[RG_CONSULT_ID_MAX + 2];
    static const char *const good[] = {"consult-42", "a", "A.b_c~d:e@f+g=h-i", "123", "x=="};
    static const char *const bad[] = {"",     "a b",  "a/b",  "a?b", "a#b", "a%20", "caf\xc3\xa9",
                                      "a\nb", "a\"b", "a\\b", "<x>", "a,b", "a;b"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(rg_consult_id_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(rg_consult_id_valid(bad[i], strlen(bad[i])));
    memset(big, 'x', sizeof big);
    assert_true(rg_consult_id_valid(big, RG_CONSULT_ID_MAX));
    assert_false(rg_consult_id_valid(big, RG_CONSULT_ID_MAX + 1));
    assert_false(rg_consult_id_valid("ab\0c", 4));
    assert_false(rg_consult_id_valid(NULL, 1));
}

static void expect_refused(const char *id, rg_consult_terms t, const char *param)
{
    const char *msg = rg_consult_check_new(id, &t);
    assert_non_null(msg);
    if (strstr(msg, param) == NULL) fail_msg("message '%s' should name %s", msg, param);
}

static void test_check_new(void **state)
{
    (void)state;
    rg_consult_terms t = terms();
    char big[RG_CONSULT_ID_MAX + 2];
    assert_null(rg_consult_check_new("consult-42", &t));
    expect_refused("", t, "consultation_id");
    expect_refused("a/b", t, "consultation_id");
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    expect_refused(big, t, "consultation_id");
    expect_refused(NULL, t, "consultation_id");
    t.detail_id = "d e";
    expect_refused("c", t, "detail_id");
    t = terms();
    t.client_identity = "";
    expect_refused("c", t, "client_identity");
    t.client_identity = "a\x01";
    expect_refused("c", t, "client_identity");
    t = terms();
    t.provider_identity = NULL;
    expect_refused("c", t, "provider_identity");
    t.provider_identity = "client-1";
    expect_refused("c", t, "provider_identity");
    t = terms();
    t.ends_at = t.starts_at;
    expect_refused("c", t, "ends_at");
    t.ends_at = t.starts_at - 1;
    expect_refused("c", t, "ends_at");
    t.ends_at = t.starts_at + RG_CONSULT_MAX_WINDOW + 1;
    expect_refused("c", t, "ends_at");
    t.ends_at = t.starts_at + RG_CONSULT_MAX_WINDOW;
    assert_null(rg_consult_check_new("c", &t));
    /* Identities may be any text, including spaces and non-ASCII. */
    t = terms();
    t.client_identity = "Zoë Client";
    assert_null(rg_consult_check_new("c", &t));
}

static void test_messages(void **state)
{
    (void)state;
    static const rg_consult_verdict all[] = {RG_CONSULT_NOT_PARTICIPANT, RG_CONSULT_WRONG_DETAIL,
                                             RG_CONSULT_TOO_EARLY, RG_CONSULT_TOO_LATE,
                                             RG_CONSULT_CANCELLED};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        assert_non_null(rg_consult_message(all[i]));
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(all[i], all[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admits_both_parties),
        cmocka_unit_test(test_refuses_others),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_ttl_cap),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_check_new),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
