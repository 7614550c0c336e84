/* signal/proto_roomgate_msg.h - roomgate's protocol: what each checked
 * client message does (docs/signaling.md), in hub terms. */
#ifndef RG_SIGNAL_PROTO_ROOMGATE_MSG_H
#define RG_SIGNAL_PROTO_ROOMGATE_MSG_H

#include "core/signal_msg.h"
#include "signal/conn.h"

void rg_sig_on_signal(sig_conn *c, const rg_sig_msg *m);
void rg_sig_on_entry_response(sig_conn *c, const rg_sig_msg *m);
void rg_sig_on_mute(sig_conn *c, const rg_sig_msg *m);
void rg_sig_on_kick(sig_conn *c, const rg_sig_msg *m);

#endif
