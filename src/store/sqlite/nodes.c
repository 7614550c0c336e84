/* nodes.c - the nodes of a deployment on SQLite (store/nodes.h): one node
 * serves a SQLite file, so there is nobody to heartbeat to and no other
 * node to sweep.  A crashed process's seats are freed when it starts
 * again (rg_sqlite_participant_disconnect_all). */
#include "store/nodes.h"

#include "core/errors.h"
#include "store/sqlite/sql.h"

int rg_sqlite_node_beat(rg_store *st, const char *node, rg_node_state state, int *was_down)
{
    (void)st, (void)node, (void)state;
    if (was_down) *was_down = 0;
    return RG_OK;
}

int rg_sqlite_node_sweep(rg_store *st, const char *self, int64_t timeout_ms, int64_t now,
                         rg_store_seat_fn fn, void *ud)
{
    (void)st, (void)self, (void)timeout_ms, (void)now, (void)fn, (void)ud;
    return 0;
}
