/* main.c - `roomgate COMMAND ...`: one binary for the server and the CLI,
 * so both run the same core and store code. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "http/router.h"

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
    fputs("usage: roomgate COMMAND [options]   (every command takes --help and --data DIR)\n\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fputs("\nThe data directory (--data, env ROOMGATE_DATA, default ./data) holds roomgate.db\n"
          "and master.key.\n",
          f);
    return f == stdout ? 0 : 2;
}

int rg_cmd_routes(int argc, char **argv)
{
    (void)argc, (void)argv;
    for (const rg_route *r = rg_routes; r->method != NULL; r++)
        printf("%s %s\n", r->method, r->pattern);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0)
        return usage(stdout);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "roomgate: unknown command %s\n", argv[1]);
    return usage(stderr);
}
