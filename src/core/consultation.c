/* consultation.c - the consultation rules: a new consultation's fields
 * checked, a caller's role by identity (compared in constant time), the
 * admit verdict for a token at a given time, and a consultation's JSON
 * (consultation.h). */
#include "core/consultation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctstr.h"
#include "core/jsonw.h"
#include "core/timefmt.h"

static bool id_char(unsigned char ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return true;
    return ch != '\0' && strchr("._~:@+=-", ch) != NULL;
}

bool rg_consult_id_valid(const char *s, size_t n)
{
    if (s == NULL || n == 0 || n > RG_CONSULT_ID_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (!id_char((unsigned char)s[i])) return false;
    return true;
}

static bool identity_ok(const char *s)
{
    size_t n = s != NULL ? strnlen(s, RG_IDENTITY_MAX + 1) : 0;
    return n > 0 && n <= RG_IDENTITY_MAX && rg_text_valid(s, n);
}

static bool id_ok(const char *s)
{
    return s != NULL && rg_consult_id_valid(s, strnlen(s, RG_CONSULT_ID_MAX + 1));
}

const char *rg_consult_check_new(const char *consultation_id, const rg_consult_terms *t)
{
    if (!id_ok(consultation_id))
        return "Invalid parameter consultation_id: 1 to 256 characters of A-Z a-z 0-9 . _ ~ : @ "
               "+ = -";
    if (!id_ok(t->detail_id))
        return "Invalid parameter detail_id: 1 to 256 characters of A-Z a-z 0-9 . _ ~ : @ + = -";
    if (!identity_ok(t->client_identity))
        return "Invalid parameter client_identity: 1 to 256 bytes of UTF-8 without control "
               "characters";
    if (!identity_ok(t->provider_identity))
        return "Invalid parameter provider_identity: 1 to 256 bytes of UTF-8 without control "
               "characters";
    if (strcmp(t->client_identity, t->provider_identity) == 0)
        return "Invalid parameter provider_identity: must differ from client_identity";
    if (t->ends_at <= t->starts_at) return "Invalid parameter ends_at: must be after starts_at";
    if (t->ends_at - t->starts_at > RG_CONSULT_MAX_WINDOW)
        return "Invalid parameter ends_at: a consultation lasts at most 24 hours";
    return NULL;
}

const char *rg_consult_role(const rg_consult_terms *t, const char *identity)
{
    if (identity == NULL) return NULL;
    if (strcmp(identity, t->client_identity) == 0) return "client";
    if (strcmp(identity, t->provider_identity) == 0) return "provider";
    return NULL;
}

rg_consult_verdict rg_consult_admit(const rg_consult_terms *t, const char *identity,
                                    const char *detail_id, int64_t now, int64_t margin,
                                    int64_t ttl_want, int64_t *ttl)
{
    int64_t cap;
    if (t->cancelled) return RG_CONSULT_CANCELLED;
    if (rg_consult_role(t, identity) == NULL) return RG_CONSULT_NOT_PARTICIPANT;
    if (detail_id == NULL || !rg_str_equal_ct(detail_id, t->detail_id))
        return RG_CONSULT_WRONG_DETAIL;
    if (margin < 0) margin = 0;
    if (now < t->starts_at - margin) return RG_CONSULT_TOO_EARLY;
    if (now >= t->ends_at) return RG_CONSULT_TOO_LATE;
    cap = t->ends_at + margin - now;
    *ttl = ttl_want < cap ? ttl_want : cap;
    if (*ttl > RG_TOKEN_MAX_TTL) *ttl = RG_TOKEN_MAX_TTL;
    if (*ttl < 1) *ttl = 1;
    return RG_CONSULT_ADMIT;
}

const char *rg_consult_message(rg_consult_verdict v)
{
    switch (v) {
    case RG_CONSULT_ADMIT:
        return "admitted";
    case RG_CONSULT_NOT_PARTICIPANT:
        return "This identity is neither the client nor the provider of the consultation";
    case RG_CONSULT_WRONG_DETAIL:
        return "The detail id does not match the consultation";
    case RG_CONSULT_TOO_EARLY:
        return "The consultation has not opened yet";
    case RG_CONSULT_TOO_LATE:
        return "The consultation has ended";
    case RG_CONSULT_CANCELLED:
        return "The consultation was cancelled";
    }
    return "refused";
}

rg_consult_terms rg_consult_terms_of(const rg_consultation *k)
{
    return (rg_consult_terms){.client_identity = k->client_identity,
                              .provider_identity = k->provider_identity,
                              .detail_id = k->detail_id,
                              .starts_at = k->starts_at,
                              .ends_at = k->ends_at,
                              .cancelled = k->status == RG_CONSULT_STATUS_CANCELLED};
}

json_t *rg_consult_to_json(const rg_consultation *k, const char *base)
{
    char starts[RG_TIMEFMT_SIZE], ends[RG_TIMEFMT_SIZE], created[RG_TIMEFMT_SIZE],
        updated[RG_TIMEFMT_SIZE];
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "sid", k->sid,
                  "account_sid", k->account_sid, "consultation_id", k->consultation_id, "detail_id",
                  k->detail_id, "client_identity", k->client_identity, "provider_identity",
                  k->provider_identity, "starts_at", rg_time_iso8601_s(k->starts_at, starts),
                  "ends_at", rg_time_iso8601_s(k->ends_at, ends), "status",
                  k->status == RG_CONSULT_STATUS_CANCELLED ? "cancelled" : "scheduled", "room_name",
                  k->consultation_id, "date_created", rg_time_iso8601_s(k->date_created, created),
                  "date_updated", rg_time_iso8601_s(k->date_updated, updated));
    if (o != NULL && base != NULL) {
        size_t cap = strlen(base) + RG_CONSULT_ID_MAX + 32;
        char *url = malloc(cap);
        if (url == NULL) {
            json_decref(o);
            return NULL;
        }
        snprintf(url, cap, "%s/v1/Consultations/%s", base, k->consultation_id);
        json_object_set_new(o, "url", json_string(url));
        free(url);
    }
    return o;
}
