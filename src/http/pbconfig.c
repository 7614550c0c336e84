/* pbconfig.c - flags and ROOMGATE_* variables of secure playback. */
#include "http/pbconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char rg_playback_usage[] =
    "recordings and secure playback:\n"
    "  --recording-public-key FILE   PEM public key recordings are encrypted to (env\n"
    "              ROOMGATE_RECORDING_PUBLIC_KEY, default DATA/recording-public.pem)\n"
    "  --recording-private-key FILE  PEM private key for playback, mode 0600 (env\n"
    "              ROOMGATE_RECORDING_PRIVATE_KEY, default DATA/recording-private.pem)\n"
    "  --twilio-private-key FILE     key for Twilio-encrypted imports (env\n"
    "              ROOMGATE_TWILIO_PRIVATE_KEY, default: the recording private key)\n"
    "  --import-dir DIR   directory {\"path\"} imports may read (env ROOMGATE_IMPORT_DIR)\n"
    "  --cors-origins LIST  comma-separated origins allowed on /sec_rec and /media\n"
    "              (env ROOMGATE_CORS_ORIGINS, default none)\n"
    "  --playback-validator URL  validate /sec_rec tokens with this IAM-style endpoint\n"
    "              (env ROOMGATE_PLAYBACK_VALIDATOR; default: locally)\n"
    "  --validator-timeout MS    (env ROOMGATE_VALIDATOR_TIMEOUT, default 3000)\n"
    "  --link-ttl SECONDS  media link lifetime (env ROOMGATE_LINK_TTL, default 60)\n"
    "  --single-use-links  each media link serves one request (env\n"
    "              ROOMGATE_SINGLE_USE_LINKS=1)\n"
    "  --max-upload BYTES  raw upload limit (env ROOMGATE_MAX_UPLOAD, default 67108864)\n"
    "  --max-import BYTES  {\"path\"} import limit (env ROOMGATE_MAX_IMPORT, default 8 GiB)\n"
    "  --public-url URL    base of media_url (env ROOMGATE_PUBLIC_URL; default: the\n"
    "              request's scheme and Host)\n";

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* A decimal in [min, max]; -1 when not. */
static int parse_num(const char *s, unsigned long long min, unsigned long long max,
                     unsigned long long *out)
{
    char *end;
    unsigned long long v;
    if (s == NULL || *s < '0' || *s > '9') return -1;
    v = strtoull(s, &end, 10);
    if (*end != '\0' || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int rg_playback_option(rg_playback_config *cfg, int ch, const char *arg)
{
    unsigned long long v;
    switch (ch - RG_PLAYBACK_OPT_BASE) {
    case 0:
        cfg->public_key = arg;
        return 1;
    case 1:
        cfg->private_key = arg;
        return 1;
    case 2:
        cfg->twilio_key = arg;
        return 1;
    case 3:
        cfg->import_dir = arg;
        return 1;
    case 4:
        cfg->cors_origins = arg;
        return 1;
    case 5:
        cfg->validator_url = arg;
        return 1;
    case 6:
        if (parse_num(arg, 100, 60000, &v) != 0) return -1;
        cfg->validator_timeout_ms = (long)v;
        return 1;
    case 7:
        if (parse_num(arg, 1, 86400, &v) != 0) return -1;
        cfg->link_ttl = (long)v;
        return 1;
    case 8:
        cfg->single_use = 1;
        return 1;
    case 9:
        if (parse_num(arg, 1024, (1ull << 40), &v) != 0) return -1;
        cfg->max_upload = (size_t)v;
        return 1;
    case 10:
        if (parse_num(arg, 1024, (1ull << 50), &v) != 0) return -1;
        cfg->max_import = v;
        return 1;
    case 11:
        cfg->public_url = arg;
        return 1;
    default:
        return 0;
    }
}

void rg_playback_config_init(rg_playback_config *cfg)
{
    static const struct {
        const char *env;
        int opt;
    } vars[] = {
        {"ROOMGATE_RECORDING_PUBLIC_KEY", 0}, {"ROOMGATE_RECORDING_PRIVATE_KEY", 1},
        {"ROOMGATE_TWILIO_PRIVATE_KEY", 2},   {"ROOMGATE_IMPORT_DIR", 3},
        {"ROOMGATE_CORS_ORIGINS", 4},         {"ROOMGATE_PLAYBACK_VALIDATOR", 5},
        {"ROOMGATE_VALIDATOR_TIMEOUT", 6},    {"ROOMGATE_LINK_TTL", 7},
        {"ROOMGATE_MAX_UPLOAD", 9},           {"ROOMGATE_MAX_IMPORT", 10},
        {"ROOMGATE_PUBLIC_URL", 11},
    };
    const char *su = env("ROOMGATE_SINGLE_USE_LINKS");
    memset(cfg, 0, sizeof *cfg);
    cfg->link_ttl = 60;
    cfg->validator_timeout_ms = 3000;
    cfg->max_upload = 64u << 20;
    cfg->max_import = 8ull << 30;
    cfg->single_use = su != NULL && strcmp(su, "0") != 0;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = env(vars[i].env);
        if (v && rg_playback_option(cfg, RG_PLAYBACK_OPT_BASE + vars[i].opt, v) < 0)
            fprintf(stderr, "roomgate: ignoring %s: bad value\n", vars[i].env);
    }
}
