/* playback/module.c - recordings and secure playback as a module
 * (http/module.h): its options, its process and loop state
 * (playback/playback.c, with the validator client's hooks) and its
 * routes. */
#include "http/module.h"
#include "playback/playback.h"
#include "playback/validator.h"

const rg_opt_section rg_playback_options = {"recordings and secure playback", "a recording option"};

static int playback_start(rg_app *app)
{
    /* rg_playback_start prints its reason */
    return rg_playback_start(app, app->cfg.data_dir, app->master, &rg_validator_hooks) != 0;
}

static int playback_loop_init(rg_worker *w, h2o_context_t *ctx)
{
    return w->app->pb ? rg_playback_thread_init(w, ctx) : 0;
}

/* Recordings and secure playback (playback/recordings.c, playback/rec_create.c,
 * playback/tus.c, playback/sec_rec.c, playback/media.c) */
static const rg_route routes[] = {
    {"POST", "/v1/Recordings", rg_h_recordings_create, RG_ROUTE_AUTH | RG_ROUTE_BODY},
    {"OPTIONS", "/v1/Recordings/Uploads", rg_h_tus_options, 0},
    {"POST", "/v1/Recordings/Uploads", rg_h_tus_create, RG_ROUTE_AUTH},
    {"HEAD", "/v1/Recordings/Uploads/{id}", rg_h_tus_head, RG_ROUTE_AUTH},
    {"PATCH", "/v1/Recordings/Uploads/{id}", rg_h_tus_patch, RG_ROUTE_AUTH | RG_ROUTE_BODY},
    {"DELETE", "/v1/Recordings/Uploads/{id}", rg_h_tus_delete, RG_ROUTE_AUTH},
    {"GET", "/v1/Recordings", rg_h_recordings_list, RG_ROUTE_AUTH},
    {"GET", "/v1/Recordings/{RE}", rg_h_recording_fetch, RG_ROUTE_AUTH},
    {"DELETE", "/v1/Recordings/{RE}", rg_h_recording_delete, RG_ROUTE_AUTH},
    {"GET", "/v1/Recordings/{RE}/AccessLog", rg_h_recording_access_log, RG_ROUTE_AUTH},
    {"GET", "/sec_rec", rg_h_sec_rec, 0}, /* its credential is the token parameter */
    {"OPTIONS", "/sec_rec", rg_h_playback_preflight, 0},
    {"GET", "/media/{RE}", rg_h_media, RG_ROUTE_LOOP}, /* a signed link; streamed */
    {"OPTIONS", "/media/{RE}", rg_h_playback_preflight, 0},
    {"GET", "/demo-api/recordings", rg_h_demo_recordings, 0},
    {NULL, NULL, NULL, 0},
};

const rg_module rg_mod_playback = {
    .name = "playback",
    .options = &rg_playback_options,
    .start = playback_start,
    .stop = rg_playback_stop,
    .loop_init = playback_loop_init,
    .loop_dispose = rg_playback_thread_dispose,
    .routes = routes,
};
