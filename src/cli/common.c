/* common.c - data directory, master key and database for the CLI. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <openssl/crypto.h>

#include "cli/cli.h"
#include "core/errors.h"
#include "core/options.h"

const char *rg_cli_data_dir(const char *opt)
{
    const char *env = getenv("ROOMGATE_DATA");
    if (opt != NULL) return opt;
    return env != NULL && env[0] != '\0' ? env : "./data";
}

/* --db of this command (rg_cli_parse); NULL: ROOMGATE_DB, else the file in
 * the data directory.  The CLI runs one command per process. */
static const char *cli_db;

void rg_cli_set_db(const char *db)
{
    cli_db = db;
}

const char *rg_cli_db(void)
{
    const char *env = getenv("ROOMGATE_DB");
    if (cli_db != NULL) return cli_db;
    return env != NULL && env[0] != '\0' ? env : NULL;
}

int rg_cli_open(rg_cli_env *env, const char *data_dir, int create)
{
    return rg_cli_open_at(env, data_dir, rg_cli_db(), create);
}

int rg_cli_open_at(rg_cli_env *env, const char *data_dir, const char *db, int create)
{
    char path[4096];
    int rc;
    memset(env, 0, sizeof *env);
    env->data_dir = data_dir;
    if (create && mkdir(data_dir, 0700) != 0 && errno != EEXIST)
        return rg_cli_fail("cannot create %s: %s", data_dir, strerror(errno));
    if ((size_t)snprintf(path, sizeof path, "%s/master.key", data_dir) >= sizeof path)
        return rg_cli_fail("data path too long");
    rc = rg_master_key_load(path, create, env->master);
    if (rc == RG_ENOTFOUND)
        return rg_cli_fail("no master key in %s (create an account first, or set "
                           "ROOMGATE_MASTER_KEY)",
                           data_dir);
    if (rc != RG_OK)
        return rg_cli_fail("cannot load the master key %s (it must be 32 bytes or 64 hex "
                           "chars, mode 0600)",
                           path);
    if (rg_store_location(db, data_dir, path, sizeof path) != RG_OK ||
        rg_store_open(path, &env->store) != RG_OK) {
        char shown[512];
        rg_store_location_safe(path, shown, sizeof shown); /* never the password */
        OPENSSL_cleanse(env->master, sizeof env->master);
        OPENSSL_cleanse(path, sizeof path);
        return rg_cli_fail("cannot open the database %s", shown);
    }
    OPENSSL_cleanse(path, sizeof path);
    env->app.store = env->store;
    memcpy(env->app.master, env->master, sizeof env->app.master);
    return 0;
}

void rg_cli_close(rg_cli_env *env)
{
    rg_store_close(env->store);
    env->store = env->app.store = NULL;
    OPENSSL_cleanse(env->master, sizeof env->master);
    OPENSSL_cleanse(env->app.master, sizeof env->app.master);
}

void rg_cli_print(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);
    if (s != NULL) {
        puts(s);
        OPENSSL_cleanse(s, strlen(s)); /* it may hold a secret shown once */
        free(s);
    }
    json_decref(v);
    fflush(stdout);
}

int rg_cli_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    fputs("roomgate: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", usage);
    return 2;
}

int rg_cli_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("roomgate: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int64_t rg_cli_now(void)
{
    return (int64_t)time(NULL);
}

#define MAX_OPTS 16

int rg_cli_parse(int argc, char **argv, const rg_cli_opt *opts, const char *usage,
                 const char **data, const char **positional)
{
    struct option longopts[MAX_OPTS + 4] = {RG_CLI_COMMON_OPTS};
    size_t n = 0;
    int ch;
    for (; opts[n].name != NULL; n++) {
        if (n == MAX_OPTS) return rg_cli_usage_error(usage, "internal: too many options");
        longopts[n + 3] = (struct option){opts[n].name, required_argument, NULL, 256 + (int)n};
        *opts[n].dst = NULL;
    }
    *data = NULL;
    if (positional) *positional = NULL;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (ch == 'D')
            *data = optarg;
        else if (ch == 'B')
            rg_cli_set_db(optarg);
        else if (ch == 'h')
            return fputs(usage, stdout), -1;
        else if (ch >= 256 && ch < 256 + (int)n)
            *opts[ch - 256].dst = optarg;
        else
            return rg_cli_usage_error(usage, "bad option");
    }
    if (positional && optind < argc) *positional = argv[optind];
    return 0;
}

int rg_cli_long(const char *s, long min, long max, long *out)
{
    unsigned long long v;
    /* the option table's strict parser: no sign, no spaces, no tail */
    if (s == NULL || min < 0 || max < min ||
        rg_opt_number(s, (unsigned long long)min, (unsigned long long)max, &v) != 0)
        return -1;
    *out = (long)v;
    return 0;
}
