/* room_json.h - rooms and participants as Twilio's Video v1 API writes
 * them (snake_case fields, whole-second ISO 8601 dates), shared by the REST
 * handlers and the `roomgate room` CLI so both print the same objects. */
#ifndef RG_HTTP_ROOM_JSON_H
#define RG_HTTP_ROOM_JSON_H

#include <jansson.h>

#include "store/rooms.h"

/* "go", "peer-to-peer", "group". */
const char *rg_room_type_name(rg_room_type t);
/* 0 and *out for one of those names, -1 otherwise. */
int rg_room_type_parse(const char *s, rg_room_type *out);
/* The default capacity of a type, as Twilio's: go 2, peer-to-peer 10,
 * group 50. */
int rg_room_type_default_max(rg_room_type t);

/* base ("https://host:port") prefixes url and links; NULL leaves them out
 * (the CLI has no host to name). */
json_t *rg_room_json(const rg_room *r, const char *base);
json_t *rg_participant_json(const rg_participant *p, const char *base);

#endif
