/* ctl_db.c: gatewayctl db migrate. */
#include "ctl.h"

#include "log.h"
#include "migrate.h"

#include <stdlib.h>
#include <string.h>

static int
ctl_db_migrate(void)
{
    struct gw_err err = GW_ERR_INIT;
    struct db *db = NULL;
    char *dir = NULL;
    struct buf out;
    int ret = CTL_FAIL;

    buf_init(&out, (size_t)64 * KIB);
    dir = migrate_sql_dir();
    db = ctl_open_db();
    if (db == NULL) {
        goto out;
    }
    if (migrate_apply(db, dir, &out, &err) != 0) {
        ret = ctl_fail("migration failed", &err);
        goto out;
    }
    ret = ctl_print(&out);
out:
    db_free(db);
    free(dir);
    buf_release(&out);
    return ret;
}

int
ctl_db(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "migrate") == 0) {
        return ctl_db_migrate();
    }
    return ctl_usage();
}
