/* app/consultations.c - creating and cancelling consultations and opening
 * their rooms: the store commits, the hot cache and revocations, the
 * events. */
#include "app/consultations.h"

#include "app/event.h"
#include "signal/signal.h"
#include "core/errors.h"
#include "store/hotcache.h"
#include "crypto/random.h"

int rg_app_consultation_create(rg_app *app, rg_consultation *k, int64_t now)
{
    int rc = rg_new_sid(k->sid, "CN");
    if (rc != RG_OK) return rc;
    k->status = RG_CONSULT_SCHEDULED;
    k->date_created = k->date_updated = now;
    /* no cache to clear: misses are never cached (store/hotcache.h) */
    if ((rc = rg_store_consultation_insert(app->store, k)) != RG_OK) return rc;
    /* EVENT: consultation-created */
    rg_app_record(app, RG_EV_CONSULTATION_CREATED, now, k->account_sid, k->sid, NULL);
    return RG_OK;
}

int rg_app_consultation_cancel(rg_app *app, const char *account_sid, const char *id, int64_t now,
                               rg_consultation *k)
{
    rg_revocation rev[2];
    int n, rc = rg_store_consultation_cancel(app->store, account_sid, id, now, k);
    if (rc != RG_OK) return rc;
    rg_hot_consultation_forget(app->hot, k);
    rc = rg_store_consultation_close_room(app->store, k, now, rev, &n);
    if (rc != RG_OK) return rc;
    rg_hot_room_forget(app->hot, k->account_sid, k->consultation_id);
    for (int i = 0; i < n && app->revocations != NULL; i++) {
        rg_revcache_add(app->revocations, &rev[i]);
        rg_signal_revoked(app, &rev[i]);
    }
    /* EVENT: consultation-cancelled (with the room it ended, if any) */
    rg_app_record(app, RG_EV_CONSULTATION_CANCELLED, now, k->account_sid, k->sid,
                  n > 0 ? rev[0].room_sid : NULL);
    return RG_OK;
}

int rg_app_consultation_room(rg_app *app, const rg_consultation *k, int64_t now)
{
    rg_room room;
    int created, rc;
    rg_consultation now_k;
    uint64_t gen = rg_hot_room_gen(app->hot);
    if (rg_hot_room_fresh(app->hot, k->account_sid, k->consultation_id, now)) return RG_OK;
    /* k may be this node's cached copy, a tick behind a cancel made through
     * another node: the room is made only for a consultation the store
     * still has scheduled, else the cancel's completed room would be
     * opened again for the tokens of a cancelled consultation */
    rc = rg_store_consultation_get(app->store, k->account_sid, k->consultation_id, &now_k);
    if (rc != RG_OK) return rc;
    if (now_k.status == RG_CONSULT_STATUS_CANCELLED) {
        rg_hot_consultation_forget(app->hot, &now_k); /* this node's reads agree from now on */
        return RG_EGONE;
    }
    /* EVENT: room-created when it creates one, written by the store call */
    int two = rg_room_type_fixed_max(RG_ROOM_GO);
    rc = rg_store_room_get_or_create(app->store, k->account_sid, k->consultation_id, RG_ROOM_GO,
                                     two, now, &room, &created);
    if (rc == RG_EGONE) return RG_EEXIST; /* a deactivated VideoSDK room has the name */
    if (rc != RG_OK) return rc;
    if (room.type != RG_ROOM_GO || room.max_participants > two) return RG_EEXIST;
    rg_hot_room_checked(app->hot, k->account_sid, k->consultation_id, now, gen);
    return RG_OK;
}
