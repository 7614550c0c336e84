/* cmd_audit.c - `roomgate audit verify` and `roomgate audit export
 * [--since ISO]`: check the hash chain of the recording audit log, print
 * it as JSON lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/errors.h"
#include "core/timefmt.h"
#include "playback/rec_json.h"
#include "store/audit.h"

static const char usage[] =
    "usage: roomgate audit verify [--audit-head FILE] [--data DIR]\n"
    "       roomgate audit export [--since ISO-8601] [--data DIR]\n"
    "  verify walks the hash chain and checks it against its head (the database's,\n"
    "  and the file --audit-head, env ROOMGATE_AUDIT_HEAD, default DATA/audit.head):\n"
    "  it prints {\"ok\",\"rows\"}, or {\"ok\":false,\"reason\"}\n"
    "  with the first broken link (\"seq\") or the rows missing at the end\n"
    "  (\"missing_rows\", \"head_seq\"), and exits 1.  export prints one JSON line\n"
    "  per row (oldest first), from --since on.\n";

static int print_row(void *ud, const rg_audit_row *r)
{
    (void)ud;
    rg_cli_print(rg_audit_row_export(r));
    return 0;
}

static int verify(rg_cli_env *env, const char *head_file)
{
    rg_audit_verdict v;
    json_t *out;
    if (rg_store_audit_anchor_dir(env->store, env->master, env->data_dir, head_file) != RG_OK ||
        rg_store_audit_verify(env->store, &v) != RG_OK)
        return rg_cli_fail("cannot read the audit log");
    if (v.ok) {
        rg_cli_print(json_pack("{s:b, s:I}", "ok", 1, "rows", (json_int_t)v.rows));
        return 0;
    }
    out = json_pack("{s:b, s:I, s:s}", "ok", 0, "rows_ok", (json_int_t)v.rows, "reason", v.why);
    if (v.bad_seq != 0) json_object_set_new(out, "seq", json_integer(v.bad_seq));
    if (v.missing_rows != 0) json_object_set_new(out, "missing_rows", json_integer(v.missing_rows));
    if (v.head_seq >= 0) json_object_set_new(out, "head_seq", json_integer(v.head_seq));
    rg_cli_print(out);
    return 1;
}

int rg_cmd_audit(int argc, char **argv)
{
    const char *data = NULL, *since = NULL, *head = NULL, *cmd = argc > 1 ? argv[1] : "";
    const rg_cli_opt table[] = {{"since", &since}, {"audit-head", &head}, {NULL, NULL}};
    int64_t since_s = 0;
    rg_cli_env env;
    int rc;
    if (argc < 2 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(cmd, "verify") != 0 && strcmp(cmd, "export") != 0)
        return rg_cli_usage_error(usage, "unknown command: audit %s", cmd);
    if ((rc = rg_cli_parse(argc - 1, argv + 1, table, usage, &data, NULL)) != 0)
        return rc < 0 ? 0 : rc;
    if (since && rg_time_parse_iso8601(since, strlen(since), &since_s) != 0)
        return rg_cli_usage_error(usage, "--since must be an ISO 8601 time with a zone");
    if (rg_cli_open(&env, rg_cli_data_dir(data), 0) != 0) return 1;
    if (strcmp(cmd, "verify") == 0) {
        rc = verify(&env, head ? head : getenv("ROOMGATE_AUDIT_HEAD"));
    } else {
        rc = rg_store_audit_each(env.store, since_s * 1000, print_row, NULL) == RG_OK
                 ? 0
                 : rg_cli_fail("cannot read the audit log");
    }
    rg_cli_close(&env);
    return rc;
}
