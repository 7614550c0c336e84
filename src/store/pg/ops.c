/* ops.c - the PostgreSQL back end's table of operations (store/ops.h).
 * An operation not written yet stays NULL: the dispatcher answers RG_EIO
 * ("not supported by the PostgreSQL back end yet").  Add each new
 * rg_pgsql_<op> here. */
#include "store/pg/pg.h"

const rg_store_ops rg_pgsql_ops = {
    .name = "PostgreSQL",
    .close = rg_pgsql_close,
    .schema_version = rg_pgsql_schema_version,
    .change_mark = rg_pgsql_change_mark,
    .set_timer = rg_pgsql_set_timer,
    .ping = rg_pgsql_ping,
    .reachable = rg_pg_reachable,
    .links = rg_pgsql_links,
    /* accounts and keys (keys.c) */
    .account_insert = rg_pgsql_account_insert,
    .account_get = rg_pgsql_account_get,
    .account_each = rg_pgsql_account_each,
    .key_insert = rg_pgsql_key_insert,
    .key_get = rg_pgsql_key_get,
    .key_list = rg_pgsql_key_list,
    .key_rename = rg_pgsql_key_rename,
    .key_delete = rg_pgsql_key_delete,
    .key_newest = rg_pgsql_key_newest,
    .key_each = rg_pgsql_key_each,
    /* rooms (rooms.c) and participants (participants.c) */
    .room_create = rg_pgsql_room_create,
    .room_get = rg_pgsql_room_get,
    .room_get_or_create = rg_pgsql_room_get_or_create,
    /* no lighter commit than get_or_create's here (rooms.c) */
    .room_open_for_join = rg_pgsql_room_get_or_create,
    .room_list = rg_pgsql_room_list,
    .room_complete = rg_pgsql_room_complete,
    .room_sweep = rg_pgsql_room_sweep,
    .participant_join = rg_pgsql_participant_join,
    .participant_join_batch = rg_pgsql_participant_join_batch,
    .participant_leave = rg_pgsql_participant_leave,
    .participant_leave_batch = rg_pgsql_participant_leave_batch,
    .live_ended = rg_pgsql_live_ended, /* live.c */
    .participant_disconnect_all = rg_pgsql_participant_disconnect_all,
    .participant_get = rg_pgsql_participant_get,
    .participant_list = rg_pgsql_participant_list,
    .participant_kick = rg_pgsql_participant_kick,
    .participant_was_in = rg_pgsql_participant_was_in,
    .track_events = rg_pgsql_track_events,
    /* the nodes' heartbeat and the dead nodes' sweeper (nodes.c) */
    .node_beat = rg_pgsql_node_beat,
    .node_sweep = rg_pgsql_node_sweep,
    /* VideoSDK rooms (meetings.c) */
    .meeting_create = rg_pgsql_meeting_create,
    .meeting_get = rg_pgsql_meeting_get,
    .meeting_any = rg_pgsql_meeting_any,
    .meeting_list = rg_pgsql_meeting_list,
    .meeting_disable = rg_pgsql_meeting_disable,
    /* consultations (consultations.c) */
    .consultation_insert = rg_pgsql_consultation_insert,
    .consultation_get = rg_pgsql_consultation_get,
    .consultation_cancel = rg_pgsql_consultation_cancel,
    /* the audit chain (audit.c) */
    .audit_append = rg_pgsql_audit_append,
    .audit_list = rg_pgsql_audit_list,
    .audit_each = rg_pgsql_audit_each,
    .audit_head_start = rg_pgsql_audit_head_start,
    .audit_verify = rg_pgsql_audit_verify,
    /* recordings (recordings.c) */
    .recording_insert = rg_pgsql_recording_insert,
    .recording_get = rg_pgsql_recording_get,
    .recording_list = rg_pgsql_recording_list,
    .recording_mark_deleted = rg_pgsql_recording_mark_deleted,
    /* revocations (revocations.c) */
    .revocation_add = rg_pgsql_revocation_add,
    .revoked = rg_pgsql_revoked,
    .revocation_each = rg_pgsql_revocation_each,
    /* the outbox's dispatcher side and the account settings (outbox.c) */
    .account_set_callback = rg_pgsql_account_set_callback,
    .account_get_callback = rg_pgsql_account_get_callback,
    .account_set_token = rg_pgsql_account_set_token,
    .outbox_heads = rg_pgsql_outbox_heads,
    .outbox_ack = rg_pgsql_outbox_ack,
    .outbox_ack_many = rg_pgsql_outbox_ack_many,
    .outbox_retry = rg_pgsql_outbox_retry,
    .outbox_depth = rg_pgsql_outbox_depth,
};
