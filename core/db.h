/* db.h: the only libpq user. One connection per process; statements are prepared lazily per
 * connection (re-prepared after every reconnect); results are copied out, no PGresult leaves
 * db.c. Connection options: connect_timeout=3, statement_timeout=5000, timezone=UTC.
 *
 *     static const struct db_stmt st_order_get = { "order_get",
 *         "SELECT id, amount FROM orders WHERE id = $1 AND merchant_id = $2", 2 };
 *     const char *params[] = { id, merchant_id };
 *     struct db_res res = DB_RES_INIT;
 *     if (db_exec(db, &st_order_get, params, &res, err) != 0) goto out;
 *     if (res.nrows == 0) ... db_val(&res, 0, 0) ...
 *   out:
 *     db_res_release(&res);
 */
#ifndef GW_DB_H
#define GW_DB_H

#include "gw.h"

#include <stdbool.h>
#include <stdint.h>

struct db;

/* The API's timestamp text (SPEC 4.4) from a TIMESTAMP column holding UTC, in SQL:
 *     "SELECT " DB_TS("created_at") " FROM …" */
#define DB_TS(col) "to_char(" col ", 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

struct db_stmt {
    const char *name; /* unique per process */
    const char *sql;
    int nparams;
};

/* Copied-out result: nrows x ncols text values (NULL for SQL NULL). */
struct db_res {
    int nrows;
    int ncols;
    int64_t affected; /* rows changed by INSERT/UPDATE/DELETE (PQcmdTuples) */
    char **vals;      /* row-major, nrows * ncols; NULL entries are SQL NULL */
    size_t *lens;
};
#define DB_RES_INIT         \
    {                       \
        0, 0, 0, NULL, NULL \
    }

/* Classification of the last failure (FreeRADIUS sql_state_table). */
enum db_class {
    DB_OK = 0,
    DB_ERROR,     /* anything else -> err INTERNAL */
    DB_CONFLICT,  /* 23505 unique violation -> err CONFLICT */
    DB_RETRY,     /* 40001, 40P01 -> err UNAVAILABLE unless retried by db_tx */
    DB_RECONNECT, /* connection lost, class 08, 57P01..03 -> err UNAVAILABLE */
    DB_TIMEOUT,   /* 57014 statement timeout -> err UNAVAILABLE */
};

/* Does not connect. application_name e.g. "gw-fcgi". */
struct db *db_new(const char *url, const char *application_name);
void db_free(struct db *db);
/* Connects or, after a loss (also one the server announced on the idle socket), reconnects
 * once; err UNAVAILABLE when the server cannot be reached. Call at the start of every request
 * or job. */
int db_ensure(struct db *db, struct gw_err *err);
bool db_is_connected(const struct db *db);
/* SELECT 1 within timeout_ms (health check); never sets an error. */
bool db_ping(struct db *db, int timeout_ms);

/* Runs stmt with params (text format, NULL entries are SQL NULL). On failure err is set:
 * CONFLICT for a unique violation, UNAVAILABLE for connection loss or timeout, else INTERNAL.
 * Outside a transaction, a connection found closed before sending is reconnected first; a
 * connection lost after sending is retried once only for a read-only statement (one starting
 * with "SELECT "), never for one that writes: it may have committed. */
int db_exec(struct db *db, const struct db_stmt *stmt, const char *const *params,
            struct db_res *res, struct gw_err *err);
enum db_class db_last_class(const struct db *db);
const char *db_last_sqlstate(const struct db *db); /* "" when none */

/* Runs SQL text that contains no data (migrations, BEGIN, SET). */
int db_exec_script(struct db *db, const char *sql, struct gw_err *err);

/* BEGIN; fn; COMMIT, or ROLLBACK when fn fails. Retries fn up to 3 times on DB_RETRY.
 * If the connection drops around COMMIT the outcome is unknown: err UNAVAILABLE, no retry. */
typedef int db_tx_fn(struct db *db, void *arg, struct gw_err *err);
int db_tx(struct db *db, db_tx_fn *fn, void *arg, struct gw_err *err);
bool db_in_tx(const struct db *db);

/* After COMMIT (PostgreSQL's RegisterXactCallback is the model): fn(arg) runs once the
 * transaction it was registered with commits, and is forgotten when it rolls back. Registered
 * inside db_tx's fn, it belongs to that transaction; registered outside one, to the next db_tx
 * or db_batch. arg must live until then. Hooks must not fail the request (they log). */
typedef void db_hook_fn(void *arg);
int db_on_commit(struct db *db, db_hook_fn *fn, void *arg);

/* One statement of a batch; done(res, arg), when set, runs after the batch committed and
 * before the commit hooks, so that a hook can use what the statement returned. */
typedef void db_done_fn(const struct db_res *res, void *arg);
struct db_call {
    const struct db_stmt *stmt;
    const char *const *params;
    struct db_res *res; /* may be NULL */
    db_done_fn *done;
    void *arg;
};

/*
 * Runs up to 8 statements in ONE round trip (libpq pipeline mode, a single Sync) as one
 * transaction: each statement takes its own snapshot (READ COMMITTED) and so sees what the
 * statements before it did and what other transactions committed before it started; nothing
 * commits unless all succeed. Never inside db_tx; never re-sent once sent (a connection lost
 * after sending gives err UNAVAILABLE: the outcome is unknown). err as db_exec. On failure
 * every res is released and the pending hooks are forgotten.
 */
int db_batch(struct db *db, struct db_call *calls, size_t n, struct gw_err *err);

/* Copies row `row` of res into the struct out points to (a payment, an order, ...). */
typedef void db_row_fn(const struct db_res *res, int row, void *out);

/* Runs stmt; when it returns a row, fill(res, 0, out) and *found = true, else *found = false
 * and out is left alone. err as db_exec. */
int db_query_row(struct db *db, const struct db_stmt *stmt, const char *const *params,
                 db_row_fn *fill, void *out, bool *found, struct gw_err *err);

/* One page of a list: `list` returns the rows, then count(*) OVER () as its last column;
 * `count` takes the same params and returns the total alone, for an empty page past the end
 * (offset > 0). Rows are filled into a new array of item_size-byte items. */
struct db_page_query {
    const struct db_stmt *list;
    const struct db_stmt *count;
    db_row_fn *fill;
    size_t item_size;
};

/* Runs q->list with params followed by limit and offset (its last two parameters; q->count takes
 * params alone). *items is a new array of *n filled items (NULL when the page is empty; caller
 * frees) and *total the number of rows in the whole list; nothing is allocated on failure. */
#define DB_PAGE_MAX_PARAMS 16
int db_query_page(struct db *db, const struct db_page_query *q, const char *const *params,
                  int64_t limit, int64_t offset, void **items, int *n, int64_t *total,
                  struct gw_err *err);

void db_res_release(struct db_res *res);
const char *db_val(const struct db_res *res, int row, int col); /* NULL for SQL NULL */
size_t db_len(const struct db_res *res, int row, int col);
bool db_isnull(const struct db_res *res, int row, int col);
int64_t db_int(const struct db_res *res, int row, int col); /* 0 for NULL */
bool db_bool(const struct db_res *res, int row, int col);   /* "t" */

#endif /* GW_DB_H */
