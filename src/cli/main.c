/* main.c - `roomgate COMMAND ...`: one binary for the server and the CLI,
 * so both run the same core and store code. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/modules.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"serve", rg_cmd_serve, "run the HTTP server"},
    {"account", rg_cmd_account, "create accounts"},
    {"key", rg_cmd_key, "create, list and delete API keys"},
    {"token", rg_cmd_token, "mint a Twilio-format access token"},
    {"demo", rg_cmd_demo, "create the demo account (demo init)"},
    {"routes", rg_cmd_routes, "list the HTTP routes the server registers"},
    {"consultation", rg_cmd_consultation, "create, get and cancel 1:1 consultations"},
    {"room", rg_cmd_room, "create, list, get and complete Twilio Video rooms"},
    {"participant", rg_cmd_participant, "join or leave a room as a participant (tests, scripts)"},
    {"keys", rg_cmd_keys, "generate the recording key pair"},
    {"audit", rg_cmd_audit, "verify or export the recording audit log"},
};

static int usage(FILE *f)
{
    fputs("usage: roomgate COMMAND [options]   (every command takes --help and --data DIR)\n\n", f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fputs("\nThe data directory (--data, env ROOMGATE_DATA, default ./data) holds roomgate.db\n"
          "and master.key.  --db (env ROOMGATE_DB) names another store: a postgres:// URL\n"
          "or a SQLite file.\n",
          f);
    return f == stdout ? 0 : 2;
}

/* ", auth,body" for a route's RG_ROUTE_* flags (http/router.h). */
static void print_flags(unsigned flags)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{RG_ROUTE_AUTH, "auth"},
                 {RG_ROUTE_BODY, "body"},
                 {RG_ROUTE_WS, "ws"},
                 {RG_ROUTE_LOOP, "loop"}};
    const char *sep = " ";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (flags & names[i].bit) printf("%s%s", sep, names[i].name), sep = ",";
}

int rg_cmd_routes(int argc, char **argv)
{
    static const char help[] = "usage: roomgate routes [--flags]\n"
                               "  Prints the HTTP routes the server registers, one \"METHOD "
                               "/pattern\" a line\n"
                               "  (GET routes answer HEAD too). docs/openapi.yaml documents "
                               "each.\n"
                               "  --flags  add each route's module and flags: auth (401 without "
                               "credentials),\n"
                               "           body (may take a body up to --max-body), ws (a "
                               "WebSocket upgrade)\n";
    int flags = argc > 1 && strcmp(argv[1], "--flags") == 0, next = 1 + flags;
    if (argc > next) {
        int asked = strcmp(argv[next], "--help") == 0 || strcmp(argv[next], "-h") == 0;
        fputs(help, asked ? stdout : stderr);
        if (!asked) fprintf(stderr, "roomgate routes: unexpected argument %s\n", argv[next]);
        return asked ? 0 : 2;
    }
    for (const rg_module *const *m = rg_serve_modules; *m != NULL; m++)
        for (const rg_route *r = (*m)->routes; r && r->method != NULL; r++) {
            printf("%s %s", r->method, r->pattern);
            if (flags) printf(" %s", (*m)->name), print_flags(r->flags);
            putchar('\n');
        }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0)
        return usage(stdout);
    if (strcmp(argv[1], "man") == 0) return rg_cmd_man(argc - 1, argv + 1); /* make man */
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "roomgate: unknown command %s\n", argv[1]);
    return usage(stderr);
}
