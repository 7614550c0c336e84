/* cmd_keys.c - `roomgate keys generate-recording-keypair [--out DIR]`. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/errors.h"
#include "crypto/rsakey.h"

static const char usage[] =
    "usage: roomgate keys generate-recording-keypair [--out DIR] [--data DIR]\n"
    "  Writes an RSA-3072 key pair for encrypted recordings: DIR/recording-private.pem\n"
    "  (mode 0600) and DIR/recording-public.pem.  DIR defaults to the data directory,\n"
    "  where `serve` looks for them.  Never overwrites an existing key.\n";

int rg_cmd_keys(int argc, char **argv)
{
    const char *data = NULL, *out = NULL;
    const rg_cli_opt table[] = {{"out", &out}, {NULL, NULL}};
    char priv[PATH_MAX], pub[PATH_MAX];
    int rc;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "generate-recording-keypair") != 0)
        return rg_cli_usage_error(usage, "unknown command: keys %s", argv[1]);
    if ((rc = rg_cli_parse(argc - 1, argv + 1, table, usage, &data, NULL)) != 0)
        return rc < 0 ? 0 : rc;
    if (out == NULL) out = rg_cli_data_dir(data);
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return rg_cli_fail("cannot create %s: %s", out, strerror(errno));
    rc = rg_rsa_generate_files(out, RG_RSA_BITS, priv, pub, sizeof priv);
    if (rc == RG_EEXIST) return rg_cli_fail("%s already holds a recording key pair", out);
    if (rc != RG_OK) return rg_cli_fail("cannot write the key pair in %s", out);
    rg_cli_print(
        json_pack("{s:s, s:s, s:i}", "private_key", priv, "public_key", pub, "bits", RG_RSA_BITS));
    return 0;
}
