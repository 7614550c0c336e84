/* core/track.c - the changes to a participant's published tracks between
 * two of its updates, for the status callbacks (core/track.h). */
#include "core/track.h"

#include <string.h>

#include "core/twmsg.h"

const char *rg_track_change_name(rg_track_change c)
{
    static const char *const names[] = {
        [RG_TRACK_ADDED] = "track-added",
        [RG_TRACK_REMOVED] = "track-removed",
        [RG_TRACK_ENABLED] = "track-enabled",
        [RG_TRACK_DISABLED] = "track-disabled",
    };
    return (unsigned)c < sizeof names / sizeof *names ? names[c] : "";
}

static const char *text(const json_t *t, const char *key)
{
    const char *s = json_string_value(json_object_get(t, key));
    return s ? s : "";
}

/* The track of tracks with this sid, or NULL. */
static const json_t *by_sid(const json_t *tracks, const char *sid)
{
    size_t i;
    json_t *t;
    json_array_foreach(tracks, i, t) if (strcmp(text(t, "sid"), sid) == 0) return t;
    return NULL;
}

static rg_track_event event_of(rg_track_change change, const json_t *t)
{
    return (rg_track_event){change, text(t, "sid"), text(t, "kind"), text(t, "name")};
}

size_t rg_tw_track_changes(const json_t *prev, const json_t *next, rg_track_event *out)
{
    size_t i, n = 0;
    json_t *t;
    json_array_foreach(prev, i, t)
    {
        if (n < 2 * RG_TW_MAX_TRACKS && by_sid(next, text(t, "sid")) == NULL)
            out[n++] = event_of(RG_TRACK_REMOVED, t);
    }
    json_array_foreach(next, i, t)
    {
        const json_t *was = by_sid(prev, text(t, "sid"));
        int on = json_is_true(json_object_get(t, "enabled"));
        if (n >= 2 * RG_TW_MAX_TRACKS) break;
        if (was == NULL)
            out[n++] = event_of(RG_TRACK_ADDED, t);
        else if (json_is_true(json_object_get(was, "enabled")) != on)
            out[n++] = event_of(on ? RG_TRACK_ENABLED : RG_TRACK_DISABLED, t);
    }
    return n;
}
