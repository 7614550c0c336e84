/* room_json.h - rooms and participants as Twilio's Video v1 API writes
 * them (snake_case fields, whole-second ISO 8601 dates), shared by the REST
 * handlers and the `roomgate room` CLI so both print the same objects. */
#ifndef RG_API_ROOM_JSON_H
#define RG_API_ROOM_JSON_H

#include <jansson.h>

#include "core/roomtype.h"
#include "store/rooms.h"

/* base ("https://host:port") prefixes url and links; NULL leaves them out
 * (the CLI has no host to name). */
json_t *rg_room_json(const rg_room *r, const char *base);
json_t *rg_participant_json(const rg_participant *p, const char *base);

#endif
