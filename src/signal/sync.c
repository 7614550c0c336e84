/* signal/sync.c - live connections follow what another process (the CLI)
 * writes to the same database: a room completed or a participant ended
 * there is closed here within one tick (100 ms), as if done by REST.
 *
 * A listener of the change watcher (store/watch.h), so it costs nothing
 * until something outside the server writes.  Then every live room and
 * member is compared with its row: they are copied out under the locks
 * and checked against the store without them (the store may wait on the
 * disk), all in one call (rg_store_live_ended: on PostgreSQL two
 * statements, not a round trip per room and per member). */
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "signal/signal.h"
#include "signal/sync.h"
#include "store/watch.h"

/* Appends a ref to *refs (grown as needed): 0, or -1 out of memory. */
static int push(rg_live_ref **refs, size_t *n, size_t *cap, const char *account, const char *room,
                const char *member)
{
    if (*n == *cap) {
        size_t want = *cap ? *cap * 2 : 64;
        rg_live_ref *grown = realloc(*refs, want * sizeof *grown);
        if (grown == NULL) return -1;
        *refs = grown;
        *cap = want;
    }
    rg_live_ref *r = &(*refs)[(*n)++];
    memcpy(r->account_sid, account, RG_SID_SIZE);
    memcpy(r->room_sid, room, RG_SID_SIZE);
    if (member)
        memcpy(r->participant_sid, member, RG_SID_SIZE);
    else
        r->participant_sid[0] = '\0';
    return 0;
}

/* The room's participants (not guests), after the room's own ref. */
static int push_members(rg_sig_hub *hub, const rg_live_ref *room, rg_live_ref **refs, size_t *n,
                        size_t *cap)
{
    char account[RG_SID_SIZE], sid[RG_SID_SIZE];
    memcpy(account, room->account_sid, RG_SID_SIZE);
    memcpy(sid, room->room_sid, RG_SID_SIZE);
    rg_hub_room *r = rg_hub_room_find(hub, sid);
    int rc = 0;
    if (r == NULL) return 0;
    pthread_mutex_lock(&r->lock);
    for (rg_hub_member *m = r->members; m && rc == 0; m = m->next)
        if (m->lobby == 0) rc = push(refs, n, cap, account, sid, m->sid);
    pthread_mutex_unlock(&r->lock);
    rg_hub_room_unref(hub, r);
    return rc;
}

/* Every live room (a ref each) and its members; NULL when none (or no
 * memory: the next change retries). */
static rg_live_ref *live_refs(rg_sig_hub *hub, size_t *n)
{
    rg_live_ref *refs = NULL;
    size_t cap = 0, rooms = 0;
    *n = 0;
    pthread_mutex_lock(&hub->lock);
    for (int i = 0; i < SIG_ROOM_BUCKETS; i++)
        for (rg_hub_room *r = hub->rooms[i]; r; r = r->next)
            if (push(&refs, n, &cap, r->account_sid, r->sid, NULL) != 0) goto fail;
    pthread_mutex_unlock(&hub->lock);
    /* the members under each room's own lock, the hub's released */
    rooms = *n;
    for (size_t i = 0; i < rooms; i++) {
        rg_live_ref room = refs[i]; /* refs may move as it grows */
        if (push_members(hub, &room, &refs, n, &cap) != 0) {
            free(refs);
            *n = 0;
            return NULL;
        }
    }
    return refs;
fail:
    pthread_mutex_unlock(&hub->lock);
    free(refs);
    *n = 0;
    return NULL;
}

/* Acts on what the store says ended: a room no longer in progress is
 * closed (its members with it); in a room still in progress a member
 * whose row is not connected was ended outside (a kick), and is removed.
 * The members were read before the rooms (rooms.h): a completion that
 * committed in between ended the room, and closes it. */
static void apply(rg_app *app, const rg_live_ref *refs, size_t n, const unsigned char *ended)
{
    for (size_t i = 0; i < n; i++) {
        const rg_live_ref *r = &refs[i];
        if (r->participant_sid[0] == '\0' && ended[i])
            rg_hub_close_room(app->signal, r->room_sid, RG_SIG_E_ROOM_COMPLETED,
                              "The room was completed");
    }
    for (size_t i = 0, room = 0; i < n; i++) {
        const rg_live_ref *r = &refs[i];
        if (r->participant_sid[0] == '\0' || !ended[i]) continue;
        /* the room's own ref: rooms come first, in order */
        while (room < n && strcmp(refs[room].room_sid, r->room_sid) != 0)
            room++;
        if (room < n && ended[room]) continue; /* closed above */
        rg_hub_remove(app->signal, r->room_sid, r->participant_sid, RG_SIG_E_REMOVED,
                      "Removed from the room");
    }
}

/* The change watcher's listener: another process committed. */
static void store_changed(void *ud, int64_t mark)
{
    rg_app *app = ud;
    size_t n;
    (void)mark;
    rg_live_ref *refs = live_refs(app->signal, &n);
    unsigned char *ended = n ? malloc(n) : NULL;
    /* unreadable now: the next change retries */
    if (ended != NULL && rg_store_live_ended(app->store, refs, n, ended) == RG_OK)
        apply(app, refs, n, ended);
    free(ended);
    free(refs);
}

void rg_sig_sync_tick(void *app, int64_t now)
{
    store_changed(app, now);
}

int rg_sig_sync_start(rg_app *app)
{
    return rg_watch_listen(app->changes, store_changed, app);
}
