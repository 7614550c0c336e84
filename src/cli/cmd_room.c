/* cmd_room.c - `roomgate room create|list|get|complete` (Twilio Video rooms,
 * the same store and JSON as /v1/Rooms) and `roomgate participant
 * join|leave`, a helper for tests and scripts that writes participant rows
 * as the signaling server does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/room_json.h"
#include "app/rooms.h"
#include "cli/cli.h"
#include "core/errors.h"
#include "core/jsonw.h"
#include "store/rooms.h"

static const char room_usage[] =
    "usage: roomgate room create --account AC... [--name UNIQUE] [--type go|peer-to-peer|group]\n"
    "                            [--max N] [--data DIR]\n"
    "       roomgate room list --account AC... [--status in-progress|completed] [--data DIR]\n"
    "       roomgate room get --account AC... ROOM [--data DIR]\n"
    "       roomgate room complete --account AC... ROOM [--data DIR]\n"
    "  Twilio Video rooms, as /v1/Rooms has them; ROOM is an RM SID or a unique name.\n"
    "  Each room is printed as one JSON line (list: newest first).\n";

static const char participant_usage[] =
    "usage: roomgate participant join --account AC... --room ROOM --identity ID [--data DIR]\n"
    "       roomgate participant leave --account AC... --room ROOM --identity ID [--data DIR]\n"
    "  For tests and scripts: adds or ends a participant as the signaling server does\n"
    "  (join checks the room's capacity atomically and fails on a full or completed\n"
    "  room).  For leave, --identity may also be the participant's PA SID.  Prints the\n"
    "  participant as one JSON line.\n";

typedef struct {
    const char *data, *account, *name, *type, *status, *room, *identity, *arg;
    long max; /* 0: the type's default */
} opts;

static int text_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= RG_IDENTITY_MAX && rg_text_valid(s, n);
}

/* argv[0] is the subcommand; ROOM (get, complete) is the one positional. */
static int parse(int argc, char **argv, opts *o, const char *usage)
{
    const char *max = NULL;
    const rg_cli_opt table[] = {
        {"account", &o->account}, {"name", &o->name}, {"type", &o->type},         {"max", &max},
        {"status", &o->status},   {"room", &o->room}, {"identity", &o->identity}, {NULL, NULL},
    };
    int rc = rg_cli_parse(argc, argv, table, usage, &o->data, &o->arg);
    if (rc != 0) return rc;
    o->max = 0;
    if (max != NULL && rg_cli_long(max, 1, RG_ROOM_MAX_PARTICIPANTS, &o->max) != 0)
        return rg_cli_usage_error(usage, "--max must be 1..%d", RG_ROOM_MAX_PARTICIPANTS);
    if (!o->account || !rg_sid_valid(o->account, strlen(o->account), "AC"))
        return rg_cli_usage_error(usage, "--account must be an account SID (AC...)");
    if (o->name && !text_ok(o->name))
        return rg_cli_usage_error(usage, "--name: 1 to %d bytes of text", RG_IDENTITY_MAX);
    return 0;
}

static int open_account(rg_cli_env *env, const opts *o)
{
    rg_account a;
    if (rg_cli_open(env, rg_cli_data_dir(o->data), 0) != 0) return 1;
    if (rg_store_account_get(env->store, o->account, &a) == RG_OK) return 0;
    rg_cli_close(env);
    return rg_cli_fail("no such account: %s", o->account);
}

static int find_room(rg_cli_env *env, const opts *o, const char *ref, rg_room *r)
{
    int rc = text_ok(ref) ? rg_store_room_get(env->store, o->account, ref, r) : RG_ENOTFOUND;
    if (rc == RG_ENOTFOUND) return rg_cli_fail("no such room in %s: %s", o->account, ref);
    return rc == RG_OK ? 0 : rg_cli_fail("cannot read the room");
}

static int room_create(rg_cli_env *env, const opts *o)
{
    rg_room r;
    memset(&r, 0, sizeof r);
    r.type = RG_ROOM_GROUP;
    if (o->type && rg_room_type_parse(o->type, &r.type) != 0)
        return rg_cli_usage_error(room_usage, "--type must be go, peer-to-peer or group");
    if (o->name && rg_sid_valid(o->name, strlen(o->name), "RM"))
        return rg_cli_usage_error(room_usage, "--name cannot be a room SID");
    strcpy(r.account_sid, o->account);
    if (o->name) strcpy(r.unique_name, o->name);
    r.max_participants = o->max ? (int)o->max : rg_room_type_default_max(r.type);
    r.empty_room_timeout = r.unused_room_timeout = RG_ROOM_DEFAULT_TIMEOUT;
    r.date_created = rg_cli_now();
    int rc = rg_app_room_create(&env->app, &r);
    if (rc == RG_EEXIST) return rg_cli_fail("a room named %s is in progress", r.unique_name);
    if (rc != RG_OK) return rg_cli_fail("cannot create the room");
    rg_cli_print(rg_room_json(&r, NULL));
    return 0;
}

static int room_list(rg_cli_env *env, const opts *o)
{
    rg_room *rows = malloc(100 * sizeof *rows);
    rg_room_status status = 0;
    size_t count, offset = 0;
    int more = 1, rc = 0;
    if (o->status && strcmp(o->status, "in-progress") == 0)
        status = RG_ROOM_IN_PROGRESS;
    else if (o->status && strcmp(o->status, "completed") == 0)
        status = RG_ROOM_COMPLETED;
    else if (o->status)
        rc = rg_cli_usage_error(room_usage, "--status: in-progress or completed");
    if (!rows && rc == 0) rc = rg_cli_fail("out of memory");
    while (rc == 0 && more) {
        if (rg_store_room_list(env->store, o->account, status, NULL, offset, 100, rows, &count,
                               &more) != RG_OK)
            rc = rg_cli_fail("cannot list rooms");
        for (size_t i = 0; rc == 0 && i < count; i++)
            rg_cli_print(rg_room_json(&rows[i], NULL));
        offset += count;
    }
    free(rows);
    return rc;
}

static int room_show(rg_cli_env *env, const opts *o, int complete)
{
    rg_room r;
    if (!o->arg) return rg_cli_usage_error(room_usage, "which ROOM (an RM SID or unique name)?");
    if (find_room(env, o, o->arg, &r) != 0) return 1;
    if (complete && rg_app_room_complete(&env->app, &r, rg_cli_now()) != RG_OK)
        return rg_cli_fail("cannot complete the room");
    rg_cli_print(rg_room_json(&r, NULL));
    return 0;
}

/* Shared by `room` and `participant`: help, options, the account. */
static int start(int argc, char **argv, const char *usage, const char *const *cmds, opts *o,
                 rg_cli_env *env)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    int known = 0, rc;
    if (argc < 2 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : -1;
    }
    for (; *cmds; cmds++)
        known |= strcmp(cmd, *cmds) == 0;
    if (!known) return rg_cli_usage_error(usage, "unknown command: %s", cmd);
    if ((rc = parse(argc - 1, argv + 1, o, usage)) != 0) return rc;
    return open_account(env, o);
}

int rg_cmd_room(int argc, char **argv)
{
    static const char *const cmds[] = {"create", "list", "get", "complete", NULL};
    opts o;
    rg_cli_env env;
    int rc = start(argc, argv, room_usage, cmds, &o, &env);
    if (rc != 0) return rc < 0 ? 0 : rc;
    if (strcmp(argv[1], "create") == 0)
        rc = room_create(&env, &o);
    else if (strcmp(argv[1], "list") == 0)
        rc = room_list(&env, &o);
    else
        rc = room_show(&env, &o, strcmp(argv[1], "complete") == 0);
    rg_cli_close(&env);
    return rc;
}

static int participant_join(rg_cli_env *env, const opts *o, const rg_room *r)
{
    rg_participant p;
    int rc = rg_app_participant_join(&env->app, r->sid, o->identity, rg_cli_now(), &p);
    if (rc == RG_EFULL) return rg_cli_fail("room %s is full", r->unique_name);
    if (rc == RG_EGONE) return rg_cli_fail("room %s is completed", r->unique_name);
    if (rc != RG_OK) return rg_cli_fail("cannot join the room");
    rg_cli_print(rg_participant_json(&p, NULL));
    return 0;
}

static int participant_leave(rg_cli_env *env, const opts *o, const rg_room *r)
{
    rg_participant p;
    int rc = rg_store_participant_get(env->store, r->sid, o->identity, &p);
    if (rc == RG_ENOTFOUND) return rg_cli_fail("no participant %s in the room", o->identity);
    if (rc == RG_OK) rc = rg_app_participant_leave(&env->app, p.sid, rg_cli_now());
    if (rc == RG_OK) rc = rg_store_participant_get(env->store, r->sid, p.sid, &p);
    if (rc != RG_OK) return rg_cli_fail("cannot leave the room");
    rg_cli_print(rg_participant_json(&p, NULL));
    return 0;
}

int rg_cmd_participant(int argc, char **argv)
{
    static const char *const cmds[] = {"join", "leave", NULL};
    opts o;
    rg_cli_env env;
    rg_room r;
    int rc = start(argc, argv, participant_usage, cmds, &o, &env);
    if (rc != 0) return rc < 0 ? 0 : rc;
    if (!o.room || !o.identity || !text_ok(o.identity))
        rc = rg_cli_usage_error(participant_usage,
                                "--room and --identity (1 to %d bytes) are "
                                "required",
                                RG_IDENTITY_MAX);
    else if ((rc = find_room(&env, &o, o.room, &r)) == 0)
        rc = strcmp(argv[1], "join") == 0 ? participant_join(&env, &o, &r)
                                          : participant_leave(&env, &o, &r);
    rg_cli_close(&env);
    return rc;
}
