/* migrate.h: forward-only numbered migrations sql/NNNN_<name>.sql (SPEC sections 12.1 and 16).
 * Each file runs in its own transaction and is recorded in schema_migrations; the whole run
 * holds a session advisory lock, so concurrent runs are safe (the second one applies nothing). */
#ifndef GW_MIGRATE_H
#define GW_MIGRATE_H

#include "buf.h"
#include "db.h"
#include "gw.h"

/* Key of the session advisory lock held while migrating. */
#define MIGRATE_LOCK_KEY "7243190001"

/* Every migration runs with MIGRATE_RANDOM_LEN fresh RAND_bytes available as the
 * transaction-local setting below (lowercase hex): current_setting('gateway.migration_random').
 * This is how a migration stores a C-generated secret (0003: installation_secrets). */
#define MIGRATE_RANDOM_SETTING "gateway.migration_random"
#define MIGRATE_RANDOM_LEN     32

/* Applies every migration of sql_dir not yet recorded, in version order, and appends the JSON
 * array of the versions applied by this call to applied_versions_json (e.g. "[1]" or "[]"). */
int migrate_apply(struct db *db, const char *sql_dir, struct buf *applied_versions_json,
                  struct gw_err *err);

/* Highest NNNN among sql_dir/NNNN_*.sql; 0 when there is none, -1 when the directory cannot be
 * read. */
int migrate_latest_on_disk(const char *sql_dir);

/* Highest version recorded in schema_migrations (0 when the table does not exist yet). */
int migrate_current(struct db *db, int *version, struct gw_err *err);

/* The migrations directory: <dir of the executable>/../../sql (build/<type>/<binary>), else
 * ./sql, else /usr/share/gateway/sql. Caller frees. */
char *migrate_sql_dir(void);

#endif /* GW_MIGRATE_H */
