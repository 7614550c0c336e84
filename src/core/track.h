/* core/track.h - a change to one published track, as a status callback
 * reports it (track-added, track-removed, track-enabled, track-disabled;
 * docs/webhooks.md).  Shared by the Twilio adapter, which sees the changes
 * in a client's updates (core/twmsg.h rg_tw_track_changes), and the store,
 * which records them in the outbox. */
#ifndef RG_CORE_TRACK_H
#define RG_CORE_TRACK_H

#include <jansson.h>
#include <stddef.h>

typedef enum {
    RG_TRACK_ADDED = 0,
    RG_TRACK_REMOVED,
    RG_TRACK_ENABLED,
    RG_TRACK_DISABLED,
} rg_track_change;

#define RG_TRACK_NAME_MAX 256 /* bytes of a track's name (RG_IDENTITY_MAX) */

/* Pointers are the caller's, valid for the call that takes the change. */
typedef struct {
    rg_track_change change;
    const char *sid;  /* MT... */
    const char *kind; /* audio, video or data */
    const char *name;
} rg_track_event;

/* "track-added"...; "" for an unknown change. */
const char *rg_track_change_name(rg_track_change c);

/* What changed from prev to next (two arrays of rg_tw_assign_sids, the same
 * track keeping its sid): removed tracks first, then, in next's order,
 * added ones and those whose enabled flipped.  Fills out (room for
 * 2 * RG_TW_MAX_TRACKS of core/twmsg.h; its strings point into prev and
 * next) and returns how many. */
size_t rg_tw_track_changes(const json_t *prev, const json_t *next, rg_track_event *out);

#endif
