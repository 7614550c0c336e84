/* core/roomtype.c - room type names and default capacities (Twilio's). */
#include "core/roomtype.h"

#include <string.h>

static const char *const type_names[] = {NULL, "go", "peer-to-peer", "group"};

const char *rg_room_type_name(rg_room_type t)
{
    return t >= RG_ROOM_GO && t <= RG_ROOM_GROUP ? type_names[t] : "group";
}

int rg_room_type_parse(const char *s, rg_room_type *out)
{
    for (int t = RG_ROOM_GO; s && t <= RG_ROOM_GROUP; t++)
        if (strcmp(s, type_names[t]) == 0) {
            *out = (rg_room_type)t;
            return 0;
        }
    return -1;
}

int rg_room_type_default_max(rg_room_type t)
{
    return t == RG_ROOM_GO ? 2 : t == RG_ROOM_PEER_TO_PEER ? 10 : RG_ROOM_MAX_PARTICIPANTS;
}

int rg_room_type_fixed_max(rg_room_type t)
{
    return t == RG_ROOM_GO ? rg_room_type_default_max(t) : 0;
}
