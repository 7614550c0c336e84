/* core/roomtype.h - Twilio's room types and their capacities: the domain
 * rule the REST API (a room's default max_participants), the CLI and the
 * signaling joins (an auto-created room) share.  Pure. */
#ifndef RG_CORE_ROOMTYPE_H
#define RG_CORE_ROOMTYPE_H

#define RG_ROOM_MAX_PARTICIPANTS 50

typedef enum { RG_ROOM_GO = 1, RG_ROOM_PEER_TO_PEER = 2, RG_ROOM_GROUP = 3 } rg_room_type;

/* "go", "peer-to-peer", "group". */
const char *rg_room_type_name(rg_room_type t);
/* 0 and *out for one of those names, -1 otherwise. */
int rg_room_type_parse(const char *s, rg_room_type *out);
/* The default capacity of a type, as Twilio's: go 2, peer-to-peer 10,
 * group 50. */
int rg_room_type_default_max(rg_room_type t);
/* The capacity a type always has whatever was asked (go: 2, a one-to-one
 * call), or 0 when the room's creator chooses it. */
int rg_room_type_fixed_max(rg_room_type t);

#endif
