/* cols.c - the row types' column tables both back ends read (see
 * cols.h). */
#include "store/cols.h"

#include <string.h>

#include "core/errors.h"
#include "store/audit.h"
#include "store/consultations.h"
#include "store/meetings.h"
#include "store/recordings.h"
#include "store/store.h"

int rg_col_put_int(void *row, const rg_col *c, int64_t v)
{
    int wide = c->kind == 'i' || c->kind == 'z' || c->kind == 'd';
    int n = c->kind == 'y' ? v != 0 : (int)v;
    if (c->cap != (wide ? sizeof v : sizeof n)) return RG_EINVAL;
    memcpy((char *)row + c->off, wide ? (const void *)&v : (const void *)&n, c->cap);
    return RG_OK;
}

/* The INSERT parameters of each row type (below) */
static int args_account(const void *row, rg_arg *a);
static int args_audit(const void *row, rg_arg *a);
static int args_consultation(const void *row, rg_arg *a);
static int args_key(const void *row, rg_arg *a);
static int args_meeting(const void *row, rg_arg *a);
static int args_recording(const void *row, rg_arg *a);
static int args_room(const void *row, rg_arg *a);

#define TABLE(T, name, cols, argf, ...)                                                            \
    const rg_cols name = {                                                                         \
        .col = (cols), .n = RG_NCOLS(cols), .size = sizeof(T), .args = (argf), __VA_ARGS__}

static const rg_col ACCOUNT[] = {
    RG_COL_TEXT(rg_account, sid), RG_COL_TEXT(rg_account, friendly_name),
    RG_COL_HASH(rg_account, token_hash), RG_COL_I64(rg_account, date_created)};
TABLE(rg_account, rg_cols_account, ACCOUNT, args_account);

/* seq, ts_ms, the ten texts (empty ones are NULL), prev_hash, hash */
static const rg_col AUDIT[] = {
    RG_COL_I64(rg_audit_row, seq),           RG_COL_I64(rg_audit_row, ts_ms),
    RG_COL_OPT(rg_audit_row, action),        RG_COL_OPT(rg_audit_row, outcome),
    RG_COL_OPT(rg_audit_row, reason),        RG_COL_OPT(rg_audit_row, account_sid),
    RG_COL_OPT(rg_audit_row, recording_sid), RG_COL_OPT(rg_audit_row, identity),
    RG_COL_OPT(rg_audit_row, realm_user_id), RG_COL_OPT(rg_audit_row, roles),
    RG_COL_OPT(rg_audit_row, client_ip),     RG_COL_OPT(rg_audit_row, user_agent),
    RG_COL_HASH(rg_audit_row, prev_hash),    RG_COL_HASH(rg_audit_row, hash)};
TABLE(rg_audit_row, rg_cols_audit, AUDIT, args_audit);

static const rg_col CONSULTATION[] = {RG_COL_TEXT(rg_consultation, sid),
                                      RG_COL_TEXT(rg_consultation, account_sid),
                                      RG_COL_TEXT(rg_consultation, consultation_id),
                                      RG_COL_TEXT(rg_consultation, detail_id),
                                      RG_COL_TEXT(rg_consultation, client_identity),
                                      RG_COL_TEXT(rg_consultation, provider_identity),
                                      RG_COL_I64(rg_consultation, starts_at),
                                      RG_COL_I64(rg_consultation, ends_at),
                                      RG_COL_INT(rg_consultation, status),
                                      RG_COL_I64(rg_consultation, date_created),
                                      RG_COL_I64(rg_consultation, date_updated)};
/* as it always read: the row says cancelled or it is scheduled */
static void fix_consultation(void *row)
{
    rg_consultation *c = row;
    if (c->status != RG_CONSULT_STATUS_CANCELLED) c->status = RG_CONSULT_SCHEDULED;
}
TABLE(rg_consultation, rg_cols_consultation, CONSULTATION, args_consultation,
      .fix = fix_consultation);

/* custom_room_id is NULL when not given */
static const rg_col MEETING[] = {
    RG_COL_TEXT(rg_meeting, room_id),     RG_COL_TEXT(rg_meeting, id),
    RG_COL_TEXT(rg_meeting, account_sid), RG_COL_OPT(rg_meeting, custom_room_id),
    RG_COL_TEXT(rg_meeting, api_key),     RG_COL_BOOL(rg_meeting, disabled),
    RG_COL_I64(rg_meeting, date_created), RG_COL_I64(rg_meeting, date_updated)};
TABLE(rg_meeting, rg_cols_meeting, MEETING, args_meeting);

/* duration NULL (unknown) reads as -1, date_deleted NULL (live) as 0 */
static const rg_col RECORDING[] = {RG_COL_TEXT(rg_recording, sid),
                                   RG_COL_TEXT(rg_recording, account_sid),
                                   RG_COL_I64(rg_recording, size),
                                   RG_COL_TEXT(rg_recording, content_type),
                                   RG_COL_I64_ORM1(rg_recording, duration),
                                   RG_COL_OPT(rg_recording, room_sid),
                                   RG_COL_OPT(rg_recording, consultation_id),
                                   RG_COL_TEXT(rg_recording, allowed_identities),
                                   RG_COL_TEXT(rg_recording, allowed_roles),
                                   RG_COL_TEXT(rg_recording, source),
                                   RG_COL_HASH(rg_recording, key_id),
                                   RG_COL_I64(rg_recording, date_created),
                                   RG_COL_I64_OR0(rg_recording, date_deleted)};
TABLE(rg_recording, rg_cols_recording, RECORDING, args_recording);

static const rg_col REVOCATION[] = {
    RG_COL_TEXT(rg_revocation, account_sid), RG_COL_TEXT(rg_revocation, room_sid),
    RG_COL_TEXT(rg_revocation, room_name), RG_COL_TEXT(rg_revocation, identity),
    RG_COL_I64(rg_revocation, before)};
TABLE(rg_revocation, rg_cols_revocation, REVOCATION, NULL);

static const rg_col PARTICIPANT[] = {
    RG_COL_TEXT(rg_participant, sid),         RG_COL_TEXT(rg_participant, room_sid),
    RG_COL_TEXT(rg_participant, account_sid), RG_COL_TEXT(rg_participant, identity),
    RG_COL_BOOL(rg_participant, connected),   RG_COL_I64(rg_participant, start_time),
    RG_COL_I64(rg_participant, end_time)};
TABLE(rg_participant, rg_cols_participant, PARTICIPANT, NULL);

const rg_cols rg_cols_key = {.size = sizeof(rg_key_row), .args = args_key};
const rg_cols rg_cols_room = {.size = sizeof(rg_room), .args = args_room};

/* ---- INSERT parameters ------------------------------------------------ */

#define A_SID(v) ((rg_arg){'t', (v), RG_SID_LEN, 0})
#define A_TEXT(v, max) ((rg_arg){'t', (v), (max), 0})
#define A_OPT(v, max) ((v)[0] ? A_TEXT((v), (max)) : A_NULL)
#define A_INT(v) ((rg_arg){'i', NULL, 0, (int64_t)(v)})
#define A_BLOB(v, len) ((rg_arg){'b', (v), (len), 0})
#define A_NULL ((rg_arg){'n', NULL, 0, 0})
/* Copies the compound literal list into a; its count.  More than
 * RG_ARGS_MAX does not compile. */
#define PUT(a, ...)                                                                                \
    ((void)sizeof(                                                                                 \
         char[1 - 2 * (sizeof((const rg_arg[]){__VA_ARGS__}) > RG_ARGS_MAX * sizeof(rg_arg))]),    \
     memcpy((a), (const rg_arg[]){__VA_ARGS__}, sizeof((const rg_arg[]){__VA_ARGS__})),            \
     (int)(sizeof((const rg_arg[]){__VA_ARGS__}) / sizeof(rg_arg)))

static int args_account(const void *row, rg_arg *a)
{
    const rg_account *x = row;
    return PUT(a, A_SID(x->sid), A_TEXT(x->friendly_name, RG_NAME_MAX),
               A_BLOB(x->token_hash, sizeof x->token_hash), A_INT(x->date_created),
               x->token_sealed_len ? A_BLOB(x->token_sealed, x->token_sealed_len) : A_NULL);
}

static int args_key(const void *row, rg_arg *a)
{
    const rg_key_row *k = row;
    return PUT(a, A_SID(k->sid), A_SID(k->account_sid), A_TEXT(k->friendly_name, RG_NAME_MAX),
               A_BLOB(k->sealed, k->sealed_len), A_INT(k->date_created), A_INT(k->date_updated),
               A_TEXT(rg_key_type_name(k->key_type), 16));
}

static int args_consultation(const void *row, rg_arg *a)
{
    const rg_consultation *c = row;
    return PUT(a, A_SID(c->sid), A_SID(c->account_sid),
               A_TEXT(c->consultation_id, RG_CONSULT_ID_MAX),
               A_TEXT(c->detail_id, RG_CONSULT_ID_MAX), A_TEXT(c->client_identity, RG_IDENTITY_MAX),
               A_TEXT(c->provider_identity, RG_IDENTITY_MAX), A_INT(c->starts_at),
               A_INT(c->ends_at), A_INT(c->status), A_INT(c->date_created), A_INT(c->date_updated));
}

static int args_recording(const void *row, rg_arg *a)
{
    const rg_recording *r = row;
    return PUT(a, A_SID(r->sid), A_SID(r->account_sid), A_INT(r->size),
               A_TEXT(r->content_type, RG_CONTENT_TYPE_MAX),
               r->duration >= 0 ? A_INT(r->duration) : A_NULL, A_OPT(r->room_sid, RG_SID_LEN),
               A_OPT(r->consultation_id, RG_IDENTITY_MAX),
               A_TEXT(r->allowed_identities, RG_ACL_JSON_MAX - 1),
               A_TEXT(r->allowed_roles, RG_ACL_JSON_MAX - 1),
               A_TEXT(r->source, sizeof r->source - 1), A_BLOB(r->key_id, sizeof r->key_id),
               A_INT(r->date_created));
}

static int args_room(const void *row, rg_arg *a)
{
    const rg_room *r = row;
    return PUT(a, A_SID(r->sid), A_SID(r->account_sid), A_TEXT(r->unique_name, RG_IDENTITY_MAX),
               A_INT(r->type), A_INT(r->status), A_INT(r->max_participants),
               A_INT(r->empty_room_timeout), A_INT(r->unused_room_timeout),
               A_TEXT(r->status_callback, RG_URL_MAX), A_INT(r->date_created),
               A_INT(r->date_updated), A_INT(r->end_time), A_INT(r->last_left),
               A_INT(r->ever_joined), A_TEXT(r->callback_get ? "GET" : "POST", 4));
}

static int args_meeting(const void *row, rg_arg *a)
{
    const rg_meeting *m = row;
    return PUT(a, A_TEXT(m->room_id, RG_ROOMID_LEN), A_TEXT(m->id, RG_MEETING_OID_LEN),
               A_SID(m->account_sid), A_OPT(m->custom_room_id, RG_IDENTITY_MAX), A_SID(m->api_key),
               A_INT(m->disabled != 0), A_INT(m->date_created), A_INT(m->date_updated));
}

int rg_args_account_callback(const char *account_sid, const rg_account_callback *cb, rg_arg *a)
{
    if (strnlen(cb->url, RG_OUTBOX_URL_MAX + 1) > RG_OUTBOX_URL_MAX ||
        memchr(cb->key_sid, '\0', sizeof cb->key_sid) == NULL)
        return 0;
    return PUT(a, A_SID(account_sid), A_TEXT(cb->url, RG_OUTBOX_URL_MAX),
               A_TEXT(cb->get ? "GET" : "POST", 4), A_TEXT(cb->livekit ? "livekit" : "twilio", 7),
               A_TEXT(cb->key_sid, RG_SID_LEN));
}

void rg_callback_flags(const char *method, const char *format, int *get, int *livekit)
{
    *get = method != NULL && strcmp(method, "GET") == 0;
    *livekit = format != NULL && strcmp(format, "livekit") == 0;
}

/* An empty text is stored (and hashed) as NULL. */
#define A_FIELD(r, f) A_OPT((r)->f, sizeof((r)->f) - 1)

static int args_audit(const void *row, rg_arg *a)
{
    const rg_audit_row *r = row;
    return PUT(a, A_INT(r->seq), A_INT(r->ts_ms), A_FIELD(r, action), A_FIELD(r, outcome),
               A_FIELD(r, reason), A_FIELD(r, account_sid), A_FIELD(r, recording_sid),
               A_FIELD(r, identity), A_FIELD(r, realm_user_id), A_FIELD(r, roles),
               A_FIELD(r, client_ip), A_FIELD(r, user_agent),
               A_BLOB(r->prev_hash, RG_AUDIT_HASH_LEN), A_BLOB(r->hash, RG_AUDIT_HASH_LEN));
}
