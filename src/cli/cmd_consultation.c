/* cmd_consultation.c - `roomgate consultation create|get|cancel`: the same
 * rules (core/consultation.c) and rows (store/consultations.c) as
 * /v1/Consultations, for scripts and operators. */
#include <stdio.h>
#include <string.h>

#include "app/consultations.h"
#include "cli/cli.h"
#include "core/consultation.h"
#include "core/errors.h"
#include "core/timefmt.h"
#include "store/consultations.h"

static const char usage[] =
    "usage: roomgate consultation create --account AC... --consultation-id ID --detail-id ID\n"
    "                    --client-identity NAME --provider-identity NAME\n"
    "                    --starts-at ISO8601 --ends-at ISO8601 [--data DIR]\n"
    "       roomgate consultation get --account AC... ID [--data DIR]\n"
    "       roomgate consultation cancel --account AC... ID [--data DIR]\n"
    "  A 1:1 consultation between a client and a provider (see POST /v1/Consultations).\n"
    "  Times are ISO 8601 with a zone, e.g. 2026-11-23T10:00:00Z.  Each command prints\n"
    "  the consultation as one JSON line.\n";

typedef struct {
    const char *data, *account, *id, *detail, *client, *provider, *starts, *ends;
} opts;

static int parse(int argc, char **argv, opts *o)
{
    const rg_cli_opt table[] = {
        {"account", &o->account},
        {"consultation-id", &o->id},
        {"detail-id", &o->detail},
        {"client-identity", &o->client},
        {"provider-identity", &o->provider},
        {"starts-at", &o->starts},
        {"ends-at", &o->ends},
        {NULL, NULL},
    };
    int rc = rg_cli_parse(argc, argv, table, usage, &o->data, NULL);
    if (rc != 0) return rc;
    if (o->account == NULL) return rg_cli_usage_error(usage, "--account is required");
    if (!rg_sid_valid(o->account, strlen(o->account), "AC"))
        return rg_cli_usage_error(usage, "--account must be an account SID (AC...)");
    return 0;
}

/* The six fields into k, checked by the same rules as the REST route. */
static int fill(const opts *o, rg_consultation *k)
{
    rg_consult_terms t;
    const char *why;
    if (!o->id || !o->detail || !o->client || !o->provider || !o->starts || !o->ends)
        return rg_cli_usage_error(usage, "create needs --consultation-id, --detail-id, "
                                         "--client-identity, --provider-identity, --starts-at "
                                         "and --ends-at");
    if (rg_time_parse_iso8601(o->starts, strlen(o->starts), &k->starts_at) != 0)
        return rg_cli_usage_error(usage, "--starts-at: an ISO 8601 date-time with a zone");
    if (rg_time_parse_iso8601(o->ends, strlen(o->ends), &k->ends_at) != 0)
        return rg_cli_usage_error(usage, "--ends-at: an ISO 8601 date-time with a zone");
    t = (rg_consult_terms){.client_identity = o->client,
                           .provider_identity = o->provider,
                           .detail_id = o->detail,
                           .starts_at = k->starts_at,
                           .ends_at = k->ends_at};
    if ((why = rg_consult_check_new(o->id, &t)) != NULL)
        return rg_cli_usage_error(usage, "%s", why);
    snprintf(k->consultation_id, sizeof k->consultation_id, "%s", o->id);
    snprintf(k->detail_id, sizeof k->detail_id, "%s", o->detail);
    snprintf(k->client_identity, sizeof k->client_identity, "%s", o->client);
    snprintf(k->provider_identity, sizeof k->provider_identity, "%s", o->provider);
    return 0;
}

static int create(rg_cli_env *env, const opts *o, rg_consultation *k)
{
    rg_account a;
    int rc;
    if (rg_store_account_get(env->store, o->account, &a) != RG_OK)
        return rg_cli_fail("no such account: %s", o->account);
    memcpy(k->account_sid, o->account, RG_SID_SIZE);
    rc = rg_app_consultation_create(&env->app, k, rg_cli_now());
    if (rc == RG_ECRYPTO) return rg_cli_fail("no randomness");
    if (rc == RG_EEXIST) return rg_cli_fail("consultation %s exists", k->consultation_id);
    if (rc != RG_OK) return rg_cli_fail("cannot create the consultation");
    return 0;
}

static int lookup(rg_cli_env *env, const opts *o, const char *id, int cancel, rg_consultation *k)
{
    int rc;
    if (id == NULL) return rg_cli_usage_error(usage, "which consultation? give its ID");
    if (!rg_consult_id_valid(id, strlen(id))) return rg_cli_fail("no such consultation: %s", id);
    /* A running server reloads the revocations within its poll interval. */
    rc = cancel ? rg_app_consultation_cancel(&env->app, o->account, id, rg_cli_now(), k)
                : rg_store_consultation_get(env->store, o->account, id, k);
    if (rc == RG_OK) return 0;
    if (cancel && k->status == RG_CONSULT_STATUS_CANCELLED)
        return rg_cli_fail("cancelled, but could not close the consultation's room");
    if (rc == RG_ENOTFOUND) return rg_cli_fail("no such consultation: %s", id);
    return rg_cli_fail("cannot read the consultation");
}

int rg_cmd_consultation(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    rg_consultation k;
    rg_cli_env env;
    opts o;
    int rc;
    if (argc < 2 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(cmd, "create") && strcmp(cmd, "get") && strcmp(cmd, "cancel"))
        return rg_cli_usage_error(usage, "unknown command: consultation %s", cmd);
    if ((rc = parse(argc - 1, argv + 1, &o)) != 0) return rc < 0 ? 0 : rc;
    memset(&k, 0, sizeof k);
    if (strcmp(cmd, "create") == 0 && (rc = fill(&o, &k)) != 0) return rc;
    if (rg_cli_open(&env, rg_cli_data_dir(o.data), 0) != 0) return 1;
    if (strcmp(cmd, "create") == 0)
        rc = create(&env, &o, &k);
    else
        rc = lookup(&env, &o, optind < argc - 1 ? argv[1 + optind] : NULL,
                    strcmp(cmd, "cancel") == 0, &k);
    rg_cli_close(&env);
    if (rc == 0) rg_cli_print(rg_consult_to_json(&k, NULL));
    return rc;
}
