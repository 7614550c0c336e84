/* roomnew.c - a new room's defaults and checks, shared by the back ends
 * (see roomnew.h). */
#include "store/roomnew.h"

#include <string.h>

#include "core/errors.h"
#include "crypto/random.h"

static int in_range(int v, int lo, int hi)
{
    return v >= lo && v <= hi;
}

int rg_room_prepare_new(rg_room *r)
{
    if (r->sid[0] == '\0' && rg_new_sid_at(r->sid, "RM", r->date_created) != RG_OK)
        return RG_ECRYPTO;
    if (!rg_sid_valid(r->sid, strnlen(r->sid, RG_SID_SIZE), "RM") ||
        !rg_sid_valid(r->account_sid, strnlen(r->account_sid, RG_SID_SIZE), "AC"))
        return RG_EINVAL;
    if (r->unique_name[0] == '\0') memcpy(r->unique_name, r->sid, RG_SID_SIZE);
    int fixed = rg_room_type_fixed_max(r->type);
    if (fixed) r->max_participants = fixed;
    if (!in_range((int)r->type, RG_ROOM_GO, RG_ROOM_GROUP) ||
        !in_range(r->max_participants, 1, RG_ROOM_MAX_PARTICIPANTS) ||
        !in_range(r->empty_room_timeout, 1, RG_ROOM_MAX_TIMEOUT) ||
        !in_range(r->unused_room_timeout, 1, RG_ROOM_MAX_TIMEOUT) ||
        memchr(r->unique_name, '\0', sizeof r->unique_name) == NULL ||
        memchr(r->status_callback, '\0', sizeof r->status_callback) == NULL)
        return RG_EINVAL;
    r->status = RG_ROOM_IN_PROGRESS;
    r->date_updated = r->date_created;
    r->end_time = r->last_left = 0;
    r->ever_joined = 0;
    return RG_OK;
}

int rg_room_for_name(rg_room *r, const char *account_sid, const char *unique_name,
                     rg_room_type type, int max_participants, int64_t now)
{
    if (!unique_name || !unique_name[0] || strlen(unique_name) > RG_IDENTITY_MAX || !account_sid ||
        strlen(account_sid) > RG_SID_LEN)
        return RG_EINVAL;
    memset(r, 0, sizeof *r);
    strcpy(r->account_sid, account_sid);
    strcpy(r->unique_name, unique_name);
    r->type = type;
    r->max_participants = max_participants;
    r->empty_room_timeout = r->unused_room_timeout = RG_ROOM_DEFAULT_TIMEOUT;
    r->date_created = now;
    return rg_room_prepare_new(r);
}

void rg_room_mark_completed(rg_room *r, int64_t now)
{
    r->status = RG_ROOM_COMPLETED;
    r->end_time = r->date_updated = now;
}
