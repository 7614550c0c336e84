/* signal/sync.c - live connections follow what another process (the CLI)
 * writes to the same database: a room completed or a participant ended
 * there is closed here within one tick (100 ms), as if done by REST.
 *
 * A listener of the change watcher (store/watch.h), so it costs nothing
 * until something outside the server writes.  Then every live room is
 * compared with its row; the rooms and members are copied out under the
 * locks and checked against the store without them (the store may wait on
 * the disk). */
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "signal/signal.h"
#include "signal/sync.h"
#include "store/watch.h"

typedef struct {
    char room[RG_SID_SIZE];
    char account[RG_SID_SIZE];
} room_ref;

/* The rooms with anyone in them; *n set, NULL when none (or no memory:
 * the next change retries). */
static room_ref *live_rooms(rg_sig_hub *hub, size_t *n)
{
    room_ref *out = NULL;
    size_t cap = 0;
    *n = 0;
    pthread_mutex_lock(&hub->lock);
    for (int i = 0; i < SIG_ROOM_BUCKETS; i++)
        for (rg_hub_room *r = hub->rooms[i]; r; r = r->next) {
            if (*n == cap) {
                room_ref *grown = realloc(out, (cap = cap ? cap * 2 : 16) * sizeof *out);
                if (grown == NULL) goto done;
                out = grown;
            }
            memcpy(out[*n].room, r->sid, RG_SID_SIZE);
            memcpy(out[*n].account, r->account_sid, RG_SID_SIZE);
            (*n)++;
        }
done:
    pthread_mutex_unlock(&hub->lock);
    return out;
}

/* The sids of the room's participants (not guests); *n set. */
static char (*members_of(rg_sig_hub *hub, const char *room_sid, size_t *n))[RG_SID_SIZE]
{
    char(*out)[RG_SID_SIZE] = NULL;
    size_t count = 0;
    rg_hub_room *room = rg_hub_room_find(hub, room_sid);
    *n = 0;
    if (room == NULL) return NULL;
    pthread_mutex_lock(&room->lock);
    for (rg_hub_member *m = room->members; m; m = m->next)
        count += m->lobby == 0;
    if (count && (out = malloc(count * sizeof *out)) != NULL)
        for (rg_hub_member *m = room->members; m; m = m->next)
            if (m->lobby == 0) memcpy(out[(*n)++], m->sid, RG_SID_SIZE);
    pthread_mutex_unlock(&room->lock);
    rg_hub_room_unref(hub, room);
    return out;
}

static void sync_room(rg_app *app, const room_ref *ref)
{
    rg_room row;
    size_t n;
    int rc = rg_store_room_get(app->store, ref->account, ref->room, &row);
    if (rc == RG_OK && row.status != RG_ROOM_IN_PROGRESS) {
        rg_hub_close_room(app->signal, ref->room, RG_SIG_E_ROOM_COMPLETED,
                          "The room was completed");
        return;
    }
    if (rc != RG_OK) return; /* unreadable now: the next change retries */
    char(*sids)[RG_SID_SIZE] = members_of(app->signal, ref->room, &n);
    for (size_t i = 0; i < n; i++) {
        rg_participant p;
        /* a member whose row is no longer connected was ended outside:
         * by a kick, or by a completion that committed between the room's
         * read above and this one (it ends the room and its seats in one
         * transaction), which the room, read again, then shows */
        if (rg_store_participant_get(app->store, ref->room, sids[i], &p) != RG_OK || p.connected)
            continue;
        if (rg_store_room_get(app->store, ref->account, ref->room, &row) == RG_OK &&
            row.status != RG_ROOM_IN_PROGRESS) {
            rg_hub_close_room(app->signal, ref->room, RG_SIG_E_ROOM_COMPLETED,
                              "The room was completed");
            break;
        }
        rg_hub_remove(app->signal, ref->room, sids[i], RG_SIG_E_REMOVED, "Removed from the room");
    }
    free(sids);
}

/* The change watcher's listener: another process committed. */
static void store_changed(void *ud, int64_t mark)
{
    rg_app *app = ud;
    size_t n;
    (void)mark;
    room_ref *rooms = live_rooms(app->signal, &n);
    for (size_t i = 0; i < n; i++)
        sync_room(app, &rooms[i]);
    free(rooms);
}

void rg_sig_sync_tick(void *app, int64_t now)
{
    store_changed(app, now);
}

int rg_sig_sync_start(rg_app *app)
{
    return rg_watch_listen(app->changes, store_changed, app);
}
