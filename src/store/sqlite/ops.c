/* ops.c - the SQLite back end's table of operations (store/ops.h): every
 * operation, rg_sqlite_<op>. */
#include "store/sqlite/sql.h"

#define RG_SQLITE_OP(op, params, args) .op = rg_sqlite_##op,

const rg_store_ops rg_sqlite_ops = {.name = "SQLite",
                                    .close = rg_sqlite_close,
                                    .schema_version = rg_sqlite_schema_version,
                                    .change_mark = rg_sqlite_change_mark,
                                    .set_timer = rg_sqlite_set_timer,
                                    .participant_join_batch = rg_sqlite_participant_join_batch,
                                    .sync = rg_sql_sync,
                                    .participant_leave_batch = rg_sqlite_participant_leave_batch,
                                    .participant_list = rg_sqlite_participant_list,
                                    RG_STORE_OPS(RG_SQLITE_OP) RG_STORE_OUTBOX_OPS(RG_SQLITE_OP)};
