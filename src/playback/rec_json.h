/* rec_json.h - the JSON of recordings and audit rows, and filling an audit
 * row from a request (shared by the recording, /sec_rec and /media
 * handlers). */
#ifndef RG_PLAYBACK_REC_JSON_H
#define RG_PLAYBACK_REC_JSON_H

#include "http/call.h"
#include "store/audit.h"
#include "store/recordings.h"

json_t *rg_recording_json(rg_call *c, const rg_recording *r);
json_t *rg_audit_row_json(rg_call *c, const rg_audit_row *r);
/* Same fields as the API's access log, for `roomgate audit export`. */
json_t *rg_audit_row_export(const rg_audit_row *r);

/* Fills row: action, outcome, reason (may be NULL), the recording, the
 * caller (a principal's SID as identity; may be NULL), client IP, user
 * agent, time. */
void rg_rec_audit_row(rg_call *c, rg_audit_row *row, const char *action, const char *outcome,
                      const char *reason, const rg_recording *r, const rg_principal *p);

/* playback/rec_create.c: recording metadata from a JSON object (tus
 * Upload-Metadata, playback/tus.c), checked exactly as POST /v1/Recordings checks
 * its JSON body: content_type, room_sid, consultation_id, duration,
 * allowed_identities, allowed_roles; the room and the consultation must
 * be r->account_sid's (set it first).  Answers 400 (404 for another
 * account's room or consultation) and returns -1 when one is bad. */
int rg_rec_meta_from_json(rg_call *c, json_t *obj, rg_recording *r);

#endif
