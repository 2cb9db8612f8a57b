/* migrate.c: applies sql/NNNN_<name>.sql in order under a session advisory lock. */
#include "migrate.h"

#include "crypto.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIGRATE_MAX_FILES 1000
#define MIGRATE_MAX_SIZE  ((size_t)16 * 1024 * 1024)
#define MIGRATE_DIGITS    4

/* clang-format off */
static const struct db_stmt st_lock = { "migrate_lock",
    "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0 };
static const struct db_stmt st_unlock = { "migrate_unlock",
    "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", 0 };
static const struct db_stmt st_applied = { "migrate_applied",
    "SELECT version FROM schema_migrations ORDER BY version", 0 };
static const struct db_stmt st_record = { "migrate_record",
    "INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)", 2 };
static const struct db_stmt st_exists = { "migrate_exists",
    "SELECT to_regclass('schema_migrations') IS NOT NULL", 0 };
static const struct db_stmt st_current = { "migrate_current",
    "SELECT COALESCE(max(version), 0) FROM schema_migrations", 0 };
static const struct db_stmt st_random = { "migrate_random",
    "SELECT set_config('" MIGRATE_RANDOM_SETTING "', $1, true) IS NOT NULL", 1 };
/* clang-format on */

static const char migrate_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
    "name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT now())";

struct migration {
    int version;
    char *file; /* e.g. 0001_init.sql */
};

static int
migration_cmp(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;

    return (x->version > y->version) - (x->version < y->version);
}

/* Version of a file named NNNN_<name>.sql, or -1 when the name does not have that form. */
static int
migrate_parse_name(const char *name)
{
    size_t len = strlen(name);
    int i, v = 0;

    if (len < MIGRATE_DIGITS + 1 + 1 + 4 || strcmp(name + len - 4, ".sql") != 0
        || name[MIGRATE_DIGITS] != '_') {
        return -1;
    }
    for (i = 0; i < MIGRATE_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9') {
            return -1;
        }
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

static void
migrations_free(struct migration *m, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(m[i].file);
    }
    free(m);
}

/* Lists and sorts the migrations of dir; -1 when the directory cannot be read or a version
 * appears twice. */
static int
migrate_list(const char *dir, struct migration **out, size_t *nout, struct gw_err *err)
{
    struct migration *m = NULL;
    struct dirent *de;
    size_t n = 0, cap = 0, i;
    DIR *d;
    int v;

    *out = NULL;
    *nout = 0;
    d = opendir(dir);
    if (d == NULL) {
        return GW_ERR(err, INTERNAL, "cannot open migrations directory '%s': %s", dir,
                      strerror(errno));
    }
    for (;;) {
        de = readdir(d);
        if (de == NULL) {
            break;
        }
        v = migrate_parse_name(de->d_name);
        if (v < 0) {
            continue;
        }
        if (n == MIGRATE_MAX_FILES) {
            break;
        }
        if (n == cap) {
            cap = cap == 0 ? 16 : cap * 2;
            m = xrealloc(m, cap * sizeof(*m));
        }
        m[n].version = v;
        m[n].file = xstrdup(de->d_name);
        n++;
    }
    (void)closedir(d);
    if (n > 0) {
        qsort(m, n, sizeof(*m), migration_cmp);
    }
    for (i = 1; i < n; i++) {
        if (m[i].version == m[i - 1].version) {
            (void)GW_ERR(err, INTERNAL, "migration version %d appears twice", m[i].version);
            migrations_free(m, n);
            return -1;
        }
    }
    *out = m;
    *nout = n;
    return 0;
}

int
migrate_latest_on_disk(const char *sql_dir)
{
    struct gw_err err = GW_ERR_INIT;
    struct migration *m = NULL;
    size_t n = 0;
    int v;

    if (migrate_list(sql_dir, &m, &n, &err) != 0) {
        return -1;
    }
    v = n > 0 ? m[n - 1].version : 0;
    migrations_free(m, n);
    return v;
}

int
migrate_current(struct db *db, int *version, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    int ret = -1;

    *version = 0;
    if (db_exec(db, &st_exists, NULL, &res, err) != 0) {
        goto out;
    }
    if (db_bool(&res, 0, 0)) {
        if (db_exec(db, &st_current, NULL, &res, err) != 0) {
            goto out;
        }
        *version = (int)db_int(&res, 0, 0);
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

static char *
migrate_read_file(const char *path, struct gw_err *err)
{
    struct buf b;
    char chunk[8192];
    size_t n;
    FILE *f;

    f = fopen(path, "rb");
    if (f == NULL) {
        (void)GW_ERR(err, INTERNAL, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    buf_init(&b, MIGRATE_MAX_SIZE);
    for (;;) {
        n = fread(chunk, 1, sizeof(chunk), f);
        if (n > 0 && buf_append(&b, chunk, n) != 0) {
            (void)GW_ERR(err, INTERNAL, "migration '%s' is too large", path);
            goto fail;
        }
        if (n < sizeof(chunk)) {
            break;
        }
    }
    if (ferror(f)) {
        (void)GW_ERR(err, INTERNAL, "cannot read '%s'", path);
        goto fail;
    }
    (void)fclose(f);
    return buf_detach(&b, NULL);
fail:
    (void)fclose(f);
    buf_release(&b);
    return NULL;
}

struct migrate_one {
    const struct migration *m;
    const char *sql;
};

static int
migrate_one_tx(struct db *db, void *arg, struct gw_err *err)
{
    const struct migrate_one *one = arg;
    unsigned char rnd[MIGRATE_RANDOM_LEN];
    char vbuf[16], name[256], hex[2 * MIGRATE_RANDOM_LEN + 1];
    const char *params[2];
    size_t len;
    int rc;

    /* Fresh RAND_bytes for a migration that needs C-made randomness (0003: the installation
     * secret): a transaction-local setting, gone at COMMIT, passed as a parameter so it never
     * appears in SQL text. Migrations run one at a time under the advisory lock. */
    if (crypto_random_bytes(rnd, sizeof(rnd), err) != 0) {
        return -1;
    }
    crypto_hex(rnd, sizeof(rnd), hex);
    crypto_wipe(rnd, sizeof(rnd));
    params[0] = hex;
    rc = db_exec(db, &st_random, params, NULL, err);
    crypto_wipe(hex, sizeof(hex));
    if (rc != 0) {
        return -1;
    }
    if (db_exec_script(db, one->sql, err) != 0) {
        return -1;
    }
    /* name: the part between NNNN_ and .sql */
    len = strlen(one->m->file) - (MIGRATE_DIGITS + 1) - 4;
    (void)snprintf(name, sizeof(name), "%.*s", (int)len, one->m->file + MIGRATE_DIGITS + 1);
    (void)snprintf(vbuf, sizeof(vbuf), "%d", one->m->version);
    params[0] = vbuf;
    params[1] = name;
    return db_exec(db, &st_record, params, NULL, err);
}

static bool
migrate_is_applied(const struct db_res *res, int version)
{
    int i;

    for (i = 0; i < res->nrows; i++) {
        if (db_int(res, i, 0) == version) {
            return true;
        }
    }
    return false;
}

int
migrate_apply(struct db *db, const char *sql_dir, struct buf *applied_versions_json,
              struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    struct migration *m = NULL;
    struct migrate_one one;
    struct buf path;
    bool locked = false, first = true;
    char *sql = NULL;
    size_t n = 0, i;
    int ret = -1;

    buf_init(&path, PATH_MAX);
    if (migrate_list(sql_dir, &m, &n, err) != 0) {
        goto out;
    }
    if (db_ensure(db, err) != 0) {
        goto out;
    }
    if (db_exec(db, &st_lock, NULL, NULL, err) != 0) {
        goto out;
    }
    locked = true;
    if (db_exec_script(db, migrate_table_sql, err) != 0) {
        goto out;
    }
    if (db_exec(db, &st_applied, NULL, &res, err) != 0) {
        goto out;
    }
    if (buf_putc(applied_versions_json, '[') != 0) {
        (void)GW_ERR(err, INTERNAL, "out of buffer space");
        goto out;
    }
    for (i = 0; i < n; i++) {
        if (migrate_is_applied(&res, m[i].version)) {
            continue;
        }
        buf_reset(&path);
        if (buf_printf(&path, "%s/%s", sql_dir, m[i].file) != 0) {
            (void)GW_ERR(err, INTERNAL, "migration path too long");
            goto out;
        }
        sql = migrate_read_file(path.data, err);
        if (sql == NULL) {
            goto out;
        }
        one.m = &m[i];
        one.sql = sql;
        if (db_tx(db, migrate_one_tx, &one, err) != 0) {
            log_error("migration failed", LOG_S("file", m[i].file));
            goto out;
        }
        free(sql);
        sql = NULL;
        log_info("migration applied", LOG_I("version", m[i].version), LOG_S("file", m[i].file));
        if (buf_printf(applied_versions_json, "%s%d", first ? "" : ",", m[i].version) != 0) {
            (void)GW_ERR(err, INTERNAL, "out of buffer space");
            goto out;
        }
        first = false;
    }
    if (buf_putc(applied_versions_json, ']') != 0) {
        (void)GW_ERR(err, INTERNAL, "out of buffer space");
        goto out;
    }
    ret = 0;
out:
    if (locked && db_is_connected(db)) {
        struct gw_err ignored = GW_ERR_INIT;

        (void)db_exec(db, &st_unlock, NULL, NULL, &ignored);
    }
    free(sql);
    db_res_release(&res);
    migrations_free(m, n);
    buf_release(&path);
    return ret;
}

static bool
migrate_is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *
migrate_sql_dir(void)
{
    char exe[PATH_MAX], cand[PATH_MAX + 16];
    ssize_t n;
    char *slash;

    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            (void)snprintf(cand, sizeof(cand), "%s/../../sql", exe);
            if (migrate_is_dir(cand)) {
                return xstrdup(cand);
            }
        }
    }
    if (migrate_is_dir("sql")) {
        return xstrdup("sql");
    }
    return xstrdup("/usr/share/gateway/sql");
}
