/* migrate.h - private to the SQLite back end: the versioned schema migrations.
 *
 * Kept apart from the query files so that later issues only append to the
 * migration array in migrate.c and never touch the query code. */
#ifndef RG_STORE_SQLITE_MIGRATE_H
#define RG_STORE_SQLITE_MIGRATE_H

#include <sqlite3.h>

/* Number of migrations this build knows: the schema version it expects. */
int rg_sqlite_migration_count(void);

/* Brings db up to rg_sqlite_migration_count(), one transaction per
 * migration, and writes the resulting version into *version.  Safe against
 * another process migrating the same file at the same time.  Refuses
 * (RG_EIO) a database whose version is newer than this build.  Returns
 * RG_OK, RG_ENOMEM or RG_EIO. */
int rg_sqlite_migrate(sqlite3 *db, int *version);
/* The same, stopping at version upto: for tests that build the database an
 * older roomgate left behind and then open it with this one. */
int rg_sqlite_migrate_upto(sqlite3 *db, int upto, int *version);

#endif
