/* cli.h - shared plumbing of the `roomgate` subcommands. */
#ifndef RG_CLI_CLI_H
#define RG_CLI_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdint.h>

#include "crypto/seal.h"
#include "http/app.h"
#include "store/store.h"

/* What every command that touches data opens: the data dir, its master key
 * and its database; and an rg_app holding only those two (no caches, no
 * signaling) for the write actions of src/app/. */
typedef struct {
    const char *data_dir;
    uint8_t master[RG_MASTER_KEY_LEN];
    rg_store *store;
    rg_app app;
} rg_cli_env;

/* Options every command takes, for getopt_long tables. */
#define RG_CLI_COMMON_OPTS                                                                         \
    {"data", required_argument, NULL, 'D'}, {"db", required_argument, NULL, 'B'},                  \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }

/* A string option of a subcommand: --name VALUE stores VALUE in *dst. */
typedef struct {
    const char *name;
    const char **dst;
} rg_cli_opt;

/* Parses argv (argv[0] is the command word) against opts (terminated by
 * {NULL, NULL}); --data DIR, --db LOCATION (rg_cli_set_db) and --help are
 * always accepted.  The first
 * positional argument goes to *positional when it is non-NULL.  Returns 0,
 * -1 after printing the usage for --help, or 2 after a usage error. */
int rg_cli_parse(int argc, char **argv, const rg_cli_opt *opts, const char *usage,
                 const char **data, const char **positional);
/* A whole number in [min, max] (min >= 0) from an option's text, spelled
 * as core/options.h takes numbers; -1 if it is not. */
int rg_cli_long(const char *s, long min, long max, long *out);

/* The static files' directory (web/sdk, web/demo): --web (opt), else
 * ROOMGATE_WEB, else found next to the executable (webdir.c).  Returns it
 * (opt, the environment's string, or buf, of PATH_MAX bytes), or NULL
 * after saying on stderr where it looked: the server then serves the API
 * without static files. */
const char *rg_cli_web_dir(const char *opt, char *buf);
/* Resolves --data / ROOMGATE_DATA / ./data. */
const char *rg_cli_data_dir(const char *opt);
/* The store location of --db (what rg_cli_parse saw, or rg_cli_set_db),
 * else ROOMGATE_DB, else NULL: DATA/roomgate.db. */
void rg_cli_set_db(const char *db);
const char *rg_cli_db(void);
/* Opens (creating when asked) the data dir (0700), master key (0600) and
 * the store: rg_cli_db(), or db for rg_cli_open_at (a postgres:// URL, or
 * a file, created 0600; NULL: DATA/roomgate.db).  Prints the reason
 * (never a password) and returns non-zero on failure. */
int rg_cli_open(rg_cli_env *env, const char *data_dir, int create);
int rg_cli_open_at(rg_cli_env *env, const char *data_dir, const char *db, int create);
void rg_cli_close(rg_cli_env *env);

/* Prints one compact JSON line on stdout and releases v. */
void rg_cli_print(json_t *v);
/* Reports a usage error: message + the command's usage on stderr; returns 2. */
int rg_cli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int rg_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t rg_cli_now(void);

int rg_cmd_serve(int argc, char **argv);
/* Hidden: prints roomgate(1) from the option table (`make man`). */
int rg_cmd_man(int argc, char **argv);
int rg_cmd_account(int argc, char **argv);
int rg_cmd_key(int argc, char **argv);
int rg_cmd_token(int argc, char **argv);
int rg_cmd_demo(int argc, char **argv);
int rg_cmd_routes(int argc, char **argv);
int rg_cmd_keys(int argc, char **argv);
int rg_cmd_audit(int argc, char **argv);
int rg_cmd_consultation(int argc, char **argv);
int rg_cmd_room(int argc, char **argv);
int rg_cmd_participant(int argc, char **argv);

#endif
