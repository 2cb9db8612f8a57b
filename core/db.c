/* db.c: the only libpq user (STYLE 2.7). One connection per struct db, statements prepared
 * lazily per connection, results copied out, every wait bounded by a deadline. */
#include "db.h"

#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_CONNECT_TIMEOUT_MS 3000
/* statement_timeout is 5000 ms on the server; the client gives up a little later. */
#define DB_EXEC_TIMEOUT_MS 7000
#define DB_TX_RETRIES      3
#define DB_MAX_HOOKS       8
#define DB_MAX_BATCH       8

/* What each result of a batch answers: a call's Parse or its Execute. */
struct db_slot {
    size_t call;
    bool parse;
};

struct db_hook {
    db_hook_fn *fn;
    void *arg;
};

struct db {
    char *url;
    char *appname;
    PGconn *conn;
    char **prepared; /* names prepared on this connection */
    size_t nprepared;
    size_t capprepared;
    bool in_tx;
    struct db_hook hooks[DB_MAX_HOOKS]; /* run after the current transaction commits */
    size_t nhooks;
    enum db_class last_class;
    char last_sqlstate[6];
};

static const char *const db_keywords[] = { "dbname", "application_name", "connect_timeout",
                                           "options", NULL };

/* Waits until fd is ready for events or deadline passes: 1 ready, 0 timeout, -1 error. */
static int
db_wait_fd(int fd, short events, int64_t deadline)
{
    struct pollfd pfd;
    int64_t left;
    int rc;

    for (;;) {
        left = deadline - gw_mono_ms();
        if (left <= 0) {
            return 0;
        }
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        rc = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
        if (rc > 0) {
            return 1;
        }
        if (rc < 0 && errno != EINTR) {
            return -1;
        }
    }
}

static void
db_prepared_clear(struct db *db)
{
    size_t i;

    for (i = 0; i < db->nprepared; i++) {
        free(db->prepared[i]);
    }
    db->nprepared = 0;
}

static bool
db_prepared_has(const struct db *db, const char *name)
{
    size_t i;

    for (i = 0; i < db->nprepared; i++) {
        if (strcmp(db->prepared[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static void
db_prepared_add(struct db *db, const char *name)
{
    if (db->nprepared == db->capprepared) {
        db->capprepared = db->capprepared == 0 ? 32 : db->capprepared * 2;
        db->prepared = xrealloc(db->prepared, db->capprepared * sizeof(*db->prepared));
    }
    db->prepared[db->nprepared++] = xstrdup(name);
}

static void
db_disconnect(struct db *db)
{
    if (db->conn != NULL) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    db_prepared_clear(db);
}

struct db *
db_new(const char *url, const char *application_name)
{
    struct db *db = xcalloc(1, sizeof(*db));

    db->url = xstrdup(url != NULL ? url : "");
    db->appname = xstrdup(application_name != NULL ? application_name : "gateway");
    return db;
}

void
db_free(struct db *db)
{
    if (db == NULL) {
        return;
    }
    db_disconnect(db);
    free(db->prepared);
    free(db->url);
    free(db->appname);
    free(db);
}

static void
db_log_conn_error(const PGconn *conn)
{
    char msg[256];
    size_t n;

    (void)snprintf(msg, sizeof(msg), "%s", PQerrorMessage(conn));
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) {
        msg[--n] = '\0';
    }
    log_warn("database connection failed", LOG_S("error", msg));
}

/* Server notices (e.g. "relation already exists, skipping") go to the debug log, not stderr. */
static void
db_notice(void *arg, const char *message)
{
    char msg[256];
    size_t n;

    UNUSED(arg);
    (void)snprintf(msg, sizeof(msg), "%s", message);
    n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n') {
        msg[--n] = '\0';
    }
    log_debug("database notice", LOG_S("notice", msg));
}

/* One connection attempt bounded by deadline (non-blocking connect: PQconnectPoll). */
static int
db_connect(struct db *db, int64_t deadline)
{
    const char *values[] = { db->url, db->appname, "3", "-c statement_timeout=5000 -c timezone=UTC",
                             NULL };
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    PGconn *conn;
    int rc;

    db_disconnect(db);
    conn = PQconnectStartParams(db_keywords, values, 1);
    if (conn == NULL) {
        log_error("database connection failed", LOG_S("error", "out of memory"));
        return -1;
    }
    if (PQstatus(conn) == CONNECTION_BAD) {
        goto fail;
    }
    for (;;) {
        if (st == PGRES_POLLING_OK) {
            break;
        }
        if (st == PGRES_POLLING_FAILED) {
            goto fail;
        }
        rc = db_wait_fd(PQsocket(conn), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
        if (rc <= 0) {
            log_warn("database connection failed", LOG_S("error", "connect timeout"));
            PQfinish(conn);
            return -1;
        }
        st = PQconnectPoll(conn);
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        goto fail;
    }
    (void)PQsetNoticeProcessor(conn, db_notice, NULL);
    db->conn = conn;
    return 0;
fail:
    db_log_conn_error(conn);
    PQfinish(conn);
    return -1;
}

/*
 * True when the idle connection is already gone: the server closed it (restart,
 * pg_terminate_backend, idle timeout) and its FATAL message or the EOF waits on the socket.
 * Nothing is sent, so reconnecting afterwards can never run a statement twice.
 */
static bool
db_conn_dead(struct db *db)
{
    struct pollfd pfd;
    int i;

    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
        return true;
    }
    for (i = 0; i < 4; i++) {
        pfd.fd = PQsocket(db->conn);
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, 0) <= 0) {
            return false; /* nothing pending: as alive as can be known without a round trip */
        }
        if (PQconsumeInput(db->conn) == 0 || PQstatus(db->conn) != CONNECTION_OK) {
            return true;
        }
    }
    return false;
}

int
db_ensure(struct db *db, struct gw_err *err)
{
    if (!db_conn_dead(db)) {
        return 0;
    }
    if (db->in_tx) {
        /* never reconnect under an open transaction: its work is gone */
        db->last_class = DB_RECONNECT;
        return GW_ERR(err, UNAVAILABLE, "database connection lost in a transaction");
    }
    if (db->conn != NULL) {
        log_warn("database connection lost, reconnecting");
    }
    if (db_connect(db, gw_mono_ms() + DB_CONNECT_TIMEOUT_MS) != 0) {
        db->last_class = DB_RECONNECT;
        return GW_ERR(err, UNAVAILABLE, "database unavailable");
    }
    return 0;
}

bool
db_is_connected(const struct db *db)
{
    return db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK;
}

static bool
db_status_ok(ExecStatusType st)
{
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

/*
 * Collects the results of the query just sent: the first failed result, else the last one.
 * NULL when the connection was lost or the deadline passed; the connection is then dropped
 * (*timed_out says which).
 */
static PGresult *
db_collect(struct db *db, int64_t deadline, bool *timed_out)
{
    PGresult *keep = NULL, *r;
    int rc;

    *timed_out = false;
    for (;;) {
        while (PQisBusy(db->conn)) {
            rc = db_wait_fd(PQsocket(db->conn), POLLIN, deadline);
            if (rc == 0) {
                /* The server did not answer in time: a cancel request could block on a hung
                 * server too, so the connection is treated as broken and closed. */
                *timed_out = true;
                goto lost;
            }
            if (rc < 0 || PQconsumeInput(db->conn) == 0) {
                goto lost;
            }
        }
        r = PQgetResult(db->conn);
        if (r == NULL) {
            break;
        }
        if (keep == NULL
            || (db_status_ok(PQresultStatus(keep)) && !db_status_ok(PQresultStatus(r)))) {
            PQclear(keep);
            keep = r;
        } else {
            PQclear(r);
        }
        if (PQstatus(db->conn) == CONNECTION_BAD) {
            break;
        }
    }
    return keep;
lost:
    PQclear(keep);
    db_disconnect(db);
    return NULL;
}

static enum db_class
db_classify(struct db *db, const PGresult *res)
{
    const char *state;

    db->last_sqlstate[0] = '\0';
    if (res == NULL) {
        return DB_RECONNECT;
    }
    if (db_status_ok(PQresultStatus(res))) {
        return DB_OK;
    }
    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state == NULL) {
        if (db->conn == NULL || PQstatus(db->conn) == CONNECTION_BAD) {
            return DB_RECONNECT;
        }
        return DB_ERROR;
    }
    (void)snprintf(db->last_sqlstate, sizeof(db->last_sqlstate), "%s", state);
    if (strcmp(state, "23505") == 0) {
        return DB_CONFLICT;
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
        return DB_RETRY;
    }
    if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0
        || strcmp(state, "57P03") == 0) {
        return DB_RECONNECT;
    }
    if (strcmp(state, "57014") == 0) {
        return DB_TIMEOUT;
    }
    if (db->conn == NULL || PQstatus(db->conn) == CONNECTION_BAD) {
        return DB_RECONNECT;
    }
    return DB_ERROR;
}

/* Sets err from the classification; never logs parameters. */
static int
db_fail(struct db *db, const char *what, const PGresult *res, struct gw_err *err)
{
    const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *constraint = res != NULL ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

    switch (db->last_class) {
    case DB_CONFLICT:
        log_debug("unique violation", LOG_S("statement", what),
                  LOG_S("constraint", constraint != NULL ? constraint : ""));
        return GW_ERR(err, CONFLICT, "unique violation (%s)", constraint != NULL ? constraint : "");
    case DB_RETRY:
        log_warn("database serialization failure", LOG_S("statement", what),
                 LOG_S("sqlstate", db->last_sqlstate));
        return GW_ERR(err, UNAVAILABLE, "database serialization failure in '%s'", what);
    case DB_TIMEOUT:
        log_warn("database statement timeout", LOG_S("statement", what));
        return GW_ERR(err, UNAVAILABLE, "database statement timeout in '%s'", what);
    case DB_RECONNECT:
        log_warn("database connection lost", LOG_S("statement", what),
                 LOG_S("sqlstate", db->last_sqlstate));
        return GW_ERR(err, UNAVAILABLE, "database connection lost in '%s'", what);
    case DB_OK:
    case DB_ERROR:
    default:
        log_error("database error", LOG_S("statement", what), LOG_S("sqlstate", db->last_sqlstate),
                  LOG_S("error", msg != NULL ? msg : "unknown"));
        db->last_class = DB_ERROR;
        return GW_ERR(err, INTERNAL, "database error %s in '%s'", db->last_sqlstate, what);
    }
}

static void
db_res_fill(PGresult *r, struct db_res *res)
{
    const char *tuples;
    int nrows = PQntuples(r), ncols = PQnfields(r), i, j;
    size_t n, k;

    res->nrows = nrows;
    res->ncols = ncols;
    tuples = PQcmdTuples(r);
    res->affected = (tuples != NULL && tuples[0] != '\0') ? strtoll(tuples, NULL, 10) : 0;
    n = (size_t)nrows * (size_t)ncols;
    if (n == 0) {
        return;
    }
    res->vals = xcalloc(n, sizeof(*res->vals));
    res->lens = xcalloc(n, sizeof(*res->lens));
    for (i = 0; i < nrows; i++) {
        for (j = 0; j < ncols; j++) {
            k = (size_t)i * (size_t)ncols + (size_t)j;
            if (PQgetisnull(r, i, j)) {
                continue;
            }
            res->lens[k] = (size_t)PQgetlength(r, i, j);
            res->vals[k] = xmemdup0(PQgetvalue(r, i, j), res->lens[k]);
        }
    }
}

/*
 * One round trip: prepare (when stmt is not yet prepared) and execute stmt, or run sql text.
 * Returns 0 with *out the result (caller clears), or -1 with db->last_class set and *out the
 * failed result when there is one.
 */
static int
db_roundtrip(struct db *db, const struct db_stmt *stmt, const char *sql, const char *const *params,
             PGresult **out)
{
    PGresult *r = NULL;
    bool timed_out = false;
    int64_t deadline = gw_mono_ms() + DB_EXEC_TIMEOUT_MS;

    *out = NULL;
    if (stmt != NULL && !db_prepared_has(db, stmt->name)) {
        if (PQsendPrepare(db->conn, stmt->name, stmt->sql, stmt->nparams, NULL) == 0) {
            goto lost;
        }
        r = db_collect(db, deadline, &timed_out);
        db->last_class = timed_out ? DB_TIMEOUT : db_classify(db, r);
        if (db->last_class != DB_OK) {
            *out = r;
            return -1;
        }
        PQclear(r);
        r = NULL;
        db_prepared_add(db, stmt->name);
    }
    if (stmt != NULL) {
        if (PQsendQueryPrepared(db->conn, stmt->name, stmt->nparams, params, NULL, NULL, 0) == 0) {
            goto lost;
        }
    } else if (PQsendQuery(db->conn, sql) == 0) {
        goto lost;
    }
    r = db_collect(db, deadline, &timed_out);
    db->last_class = timed_out ? DB_TIMEOUT : db_classify(db, r);
    *out = r;
    return db->last_class == DB_OK ? 0 : -1;
lost:
    db->last_sqlstate[0] = '\0';
    db->last_class = DB_RECONNECT;
    if (PQstatus(db->conn) == CONNECTION_BAD) {
        db_disconnect(db);
    }
    return -1;
}

/* True for a statement that changes nothing, so running it twice is harmless: our SELECTs
 * (the advisory-lock ones are session or transaction scoped and die with the connection). */
static bool
db_sql_read_only(const char *sql)
{
    return sql != NULL && strncmp(sql, "SELECT ", 7) == 0;
}

/*
 * Runs stmt or sql. Outside a transaction a connection found dead before sending is replaced
 * first (nothing was sent). A connection lost after sending is retried once only when the
 * statement is read-only or marked safe (BEGIN): an auto-committed INSERT or UPDATE may have
 * committed before the loss, so it gets err UNAVAILABLE instead of a second run.
 */
static int
db_run(struct db *db, const struct db_stmt *stmt, const char *sql, const char *const *params,
       bool retry_safe, struct db_res *res, struct gw_err *err)
{
    const char *what = stmt != NULL ? stmt->name : "script";
    PGresult *r = NULL;
    bool may_retry;
    int ret = -1;

    if (res != NULL) {
        db_res_release(res);
    }
    db->last_sqlstate[0] = '\0';
    if (db_conn_dead(db)) {
        if (db->in_tx) {
            db->last_class = DB_RECONNECT;
            log_warn("database connection lost", LOG_S("statement", what));
            return GW_ERR(err, UNAVAILABLE, "database connection lost in a transaction");
        }
        if (db_ensure(db, err) != 0) {
            return -1;
        }
    }
    may_retry = !db->in_tx && (retry_safe || db_sql_read_only(stmt != NULL ? stmt->sql : sql));
    if (db_roundtrip(db, stmt, sql, params, &r) != 0) {
        if (db->last_class == DB_RECONNECT && may_retry) {
            PQclear(r);
            r = NULL;
            log_warn("database connection lost, retrying once", LOG_S("statement", what));
            if (db_connect(db, gw_mono_ms() + DB_CONNECT_TIMEOUT_MS) != 0) {
                db->last_class = DB_RECONNECT;
                ret = GW_ERR(err, UNAVAILABLE, "database unavailable");
                goto out;
            }
            if (db_roundtrip(db, stmt, sql, params, &r) == 0) {
                goto ok;
            }
        }
        ret = db_fail(db, what, r, err);
        goto out;
    }
ok:
    if (res != NULL) {
        db_res_fill(r, res);
    }
    ret = 0;
out:
    PQclear(r);
    return ret;
}

int
db_exec(struct db *db, const struct db_stmt *stmt, const char *const *params, struct db_res *res,
        struct gw_err *err)
{
    return db_run(db, stmt, NULL, params, false, res, err);
}

int
db_exec_script(struct db *db, const char *sql, struct gw_err *err)
{
    return db_run(db, NULL, sql, NULL, false, NULL, err);
}

int
db_on_commit(struct db *db, db_hook_fn *fn, void *arg)
{
    if (db->nhooks == DB_MAX_HOOKS) {
        log_error("too many commit hooks");
        return -1;
    }
    db->hooks[db->nhooks].fn = fn;
    db->hooks[db->nhooks].arg = arg;
    db->nhooks++;
    return 0;
}

/* After COMMIT: runs the hooks from index `from` on, in the order they were registered. */
static void
db_hooks_run(struct db *db, size_t from)
{
    size_t i, n = db->nhooks;

    db->nhooks = from; /* a hook may register again for the next transaction */
    for (i = from; i < n; i++) {
        db->hooks[i].fn(db->hooks[i].arg);
    }
}

/* Next result of a pipeline: 1 with *out set, 0 for the NULL that ends one statement's results,
 * -1 when the connection was lost or the deadline passed (the connection is then dropped). */
static int
db_next_result(struct db *db, int64_t deadline, PGresult **out, bool *timed_out)
{
    int rc;

    *out = NULL;
    while (PQisBusy(db->conn)) {
        rc = db_wait_fd(PQsocket(db->conn), POLLIN, deadline);
        if (rc == 0) {
            *timed_out = true;
            return -1;
        }
        if (rc < 0 || PQconsumeInput(db->conn) == 0) {
            return -1;
        }
    }
    *out = PQgetResult(db->conn);
    if (*out == NULL && PQstatus(db->conn) == CONNECTION_BAD) {
        return -1;
    }
    return *out != NULL ? 1 : 0;
}

/* Sends the batch: a Parse for each statement not yet prepared here, then Bind/Execute of each,
 * then one Sync. slots receive what each result will answer. */
static int
db_batch_send(struct db *db, const struct db_call *calls, size_t n, struct db_slot *slots,
              size_t *nslots)
{
    bool prepare[DB_MAX_BATCH] = { false };
    size_t i, j;

    *nslots = 0;

    if (PQenterPipelineMode(db->conn) == 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        const struct db_stmt *st = calls[i].stmt;

        prepare[i] = !db_prepared_has(db, st->name);
        for (j = 0; j < i && prepare[i]; j++) {
            if (prepare[j] && strcmp(calls[j].stmt->name, st->name) == 0) {
                prepare[i] = false;
            }
        }
        if (prepare[i]) {
            if (PQsendPrepare(db->conn, st->name, st->sql, st->nparams, NULL) == 0) {
                return -1;
            }
            slots[*nslots].call = i;
            slots[(*nslots)++].parse = true;
        }
        slots[*nslots].call = i;
        slots[(*nslots)++].parse = false;
        if (PQsendQueryPrepared(db->conn, st->name, st->nparams, calls[i].params, NULL, NULL, 0)
            == 0) {
            return -1;
        }
    }
    if (PQpipelineSync(db->conn) == 0 || PQflush(db->conn) != 0) {
        return -1;
    }
    return 0;
}

/*
 * Reads the batch's results up to the Sync. Each statement's result lands in its call's res;
 * the first failure (not the "aborted" answers after it) is kept in *bad with *bad_at the call
 * it belongs to (n for a failure at COMMIT). -1 when the connection was lost.
 */
static int
db_batch_read(struct db *db, struct db_call *calls, size_t n, const struct db_slot *slots,
              size_t nslots, int64_t deadline, PGresult **bad, size_t *bad_at, bool *timed_out,
              size_t *nexec)
{
    size_t slot = 0, call;
    ExecStatusType st;
    PGresult *r;
    int rc;

    for (;;) {
        rc = db_next_result(db, deadline, &r, timed_out);
        if (rc < 0) {
            return -1;
        }
        if (rc == 0) {
            continue; /* end of one statement's results */
        }
        st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            return 0;
        }
        call = slot < nslots ? slots[slot].call : n;
        if (st != PGRES_PIPELINE_ABORTED && !db_status_ok(st) && *bad == NULL) {
            *bad = r;
            *bad_at = call;
            r = NULL;
        } else if (db_status_ok(st) && call < n && slots[slot].parse) {
            db_prepared_add(db, calls[call].stmt->name);
        } else if (db_status_ok(st) && call < n) {
            (*nexec)++;
            if (calls[call].res != NULL) {
                db_res_fill(r, calls[call].res);
            }
        }
        PQclear(r);
        slot++;
    }
}

/*
 * True when the server said it was going away (SQLSTATE 57P01-57P03: terminated, shutting
 * down) before answering every statement of the batch. Its answers leave in order and COMMIT
 * runs only after the last one, so nothing was committed and the batch may be sent again.
 */
static bool
db_batch_untouched(const PGresult *bad, size_t nexec, size_t n)
{
    const char *state = bad != NULL ? PQresultErrorField(bad, PG_DIAG_SQLSTATE) : NULL;

    return nexec < n && state != NULL && strncmp(state, "57P0", 4) == 0 && state[4] >= '1'
           && state[4] <= '3';
}

static void
db_calls_release(struct db_call *calls, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (calls[i].res != NULL) {
            db_res_release(calls[i].res);
        }
    }
}

int
db_batch(struct db *db, struct db_call *calls, size_t n, struct gw_err *err)
{
    struct db_slot slots[2 * DB_MAX_BATCH];
    int64_t deadline = gw_mono_ms() + DB_EXEC_TIMEOUT_MS;
    PGresult *bad = NULL;
    size_t i, nslots = 0, bad_at = n, nexec = 0;
    bool timed_out = false, lost;
    int attempt, ret = -1;

    if (n == 0 || n > DB_MAX_BATCH || db->in_tx) {
        db->nhooks = 0;
        return GW_ERR(err, INTERNAL, "db_batch: %zu statements%s", n,
                      db->in_tx ? " inside a transaction" : "");
    }
    for (attempt = 0; attempt < 2; attempt++) {
        db_calls_release(calls, n);
        PQclear(bad);
        bad = NULL;
        bad_at = n;
        nexec = 0;
        db->last_sqlstate[0] = '\0';
        if (db_ensure(db, err) != 0) {
            goto out;
        }
        lost = db_batch_send(db, calls, n, slots, &nslots) != 0
               || db_batch_read(db, calls, n, slots, nslots, deadline, &bad, &bad_at, &timed_out,
                                &nexec)
                      != 0;
        if (attempt == 0 && db_batch_untouched(bad, nexec, n)) {
            log_warn("database connection terminated before the batch ran, sending it again",
                     LOG_S("statement", calls[0].stmt->name));
            db_disconnect(db);
            continue;
        }
        if (lost) {
            /* sent, perhaps committed: never sent again (the caller answers 503) */
            db->last_class = timed_out ? DB_TIMEOUT : DB_RECONNECT;
            db_disconnect(db);
            ret = db_fail(db, calls[0].stmt->name, NULL, err);
            goto out;
        }
        break;
    }
    (void)PQexitPipelineMode(db->conn);
    if (bad != NULL) {
        db->last_class = db_classify(db, bad);
        ret = db_fail(db, bad_at < n ? calls[bad_at].stmt->name : "commit", bad, err);
        goto out;
    }
    db->last_class = DB_OK;
    for (i = 0; i < n; i++) {
        if (calls[i].done != NULL && calls[i].res != NULL) {
            calls[i].done(calls[i].res, calls[i].arg);
        }
    }
    db_hooks_run(db, 0);
    ret = 0;
out:
    PQclear(bad);
    if (ret != 0) {
        db->nhooks = 0;
        db_calls_release(calls, n);
    }
    return ret;
}

enum db_class
db_last_class(const struct db *db)
{
    return db->last_class;
}

const char *
db_last_sqlstate(const struct db *db)
{
    return db->last_sqlstate;
}

bool
db_in_tx(const struct db *db)
{
    return db->in_tx;
}

int
db_tx(struct db *db, db_tx_fn *fn, void *arg, struct gw_err *err)
{
    struct gw_err e = GW_ERR_INIT;
    enum db_class cls;
    int attempt, rc;

    size_t hooks_at = db->nhooks;

    if (db->in_tx) {
        return fn(db, arg, err);
    }
    for (attempt = 0;; attempt++) {
        gw_err_clear(&e);
        db->nhooks = hooks_at; /* a failed attempt's hooks die with it */
        /* BEGIN changes nothing, so a lost connection there is always safe to retry. */
        if (db_run(db, NULL, "BEGIN", NULL, true, NULL, &e) != 0) {
            goto fail;
        }
        db->in_tx = true;
        db->last_class = DB_OK;
        rc = fn(db, arg, &e);
        if (rc == 0 && db->conn != NULL && PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
            (void)GW_ERR(&e, INTERNAL, "transaction aborted by an earlier error");
            db->last_class = DB_ERROR;
            rc = -1;
        }
        if (rc == 0) {
            if (db_run(db, NULL, "COMMIT", NULL, false, NULL, &e) != 0) {
                cls = db->last_class;
                db->in_tx = false;
                if (cls == DB_RETRY && attempt < DB_TX_RETRIES) {
                    continue;
                }
                if (cls == DB_RECONNECT) {
                    log_warn("connection lost around commit, outcome unknown");
                }
                goto fail;
            }
            db->in_tx = false;
            db_hooks_run(db, 0);
            return 0;
        }
        cls = db->last_class;
        if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK) {
            struct gw_err ignored = GW_ERR_INIT;

            (void)db_run(db, NULL, "ROLLBACK", NULL, false, NULL, &ignored);
        }
        db->in_tx = false;
        db->last_class = cls;
        if (cls == DB_RETRY && attempt < DB_TX_RETRIES) {
            log_info("retrying transaction", LOG_I("attempt", attempt + 2));
            continue;
        }
        goto fail;
    }
fail:
    db->in_tx = false;
    db->nhooks = 0; /* the transaction's hooks, also those registered before it began */
    if (!gw_err_is_set(&e)) {
        (void)GW_ERR(&e, INTERNAL, "transaction failed");
    }
    if (err != NULL && !gw_err_is_set(err)) {
        *err = e;
    }
    return -1;
}

bool
db_ping(struct db *db, int timeout_ms)
{
    int64_t deadline = gw_mono_ms() + (timeout_ms > 0 ? timeout_ms : 1);
    PGresult *r = NULL;
    bool timed_out = false, ok = false;
    int tries;

    if (db->in_tx) {
        return db_is_connected(db);
    }
    for (tries = 0; tries < 2 && !ok; tries++) {
        if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
            if (db_connect(db, deadline) != 0) {
                return false;
            }
        }
        if (PQsendQuery(db->conn, "SELECT 1") == 0) {
            db_disconnect(db);
            continue;
        }
        r = db_collect(db, deadline, &timed_out);
        if (timed_out) {
            log_warn("database ping timed out", LOG_I("timeout_ms", timeout_ms));
            PQclear(r);
            return false;
        }
        ok = r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        r = NULL;
        if (!ok && db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK) {
            break; /* an answer, but not the expected one */
        }
    }
    return ok;
}

int
db_query_row(struct db *db, const struct db_stmt *stmt, const char *const *params, db_row_fn *fill,
             void *out, bool *found, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    int ret = -1;

    *found = false;
    if (db_exec(db, stmt, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows > 0) {
        fill(&res, 0, out);
        *found = true;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
db_query_page(struct db *db, const struct db_page_query *q, const char *const *params,
              int64_t limit, int64_t offset, void **items, int *n, int64_t *total,
              struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *all[DB_PAGE_MAX_PARAMS];
    char lim[24], off[24];
    int nfilter = q->list->nparams - 2;
    char *a;
    int i, ret = -1;

    *items = NULL;
    *n = 0;
    *total = 0;
    if (nfilter < 0 || q->list->nparams > DB_PAGE_MAX_PARAMS) {
        return GW_ERR(err, INTERNAL, "bad page statement '%s'", q->list->name);
    }
    for (i = 0; i < nfilter; i++) {
        all[i] = params[i];
    }
    (void)snprintf(lim, sizeof(lim), "%" PRId64, limit);
    (void)snprintf(off, sizeof(off), "%" PRId64, offset);
    all[nfilter] = lim;
    all[nfilter + 1] = off;
    if (db_exec(db, q->list, all, &res, err) != 0) {
        goto out;
    }
    if (res.nrows > 0) {
        a = xcalloc((size_t)res.nrows, q->item_size);
        for (i = 0; i < res.nrows; i++) {
            q->fill(&res, i, a + (size_t)i * q->item_size);
        }
        *items = a;
        *n = res.nrows;
        *total = db_int(&res, 0, res.ncols - 1);
    } else if (offset > 0) {
        if (db_exec(db, q->count, params, &res, err) != 0) {
            goto out;
        }
        *total = db_int(&res, 0, 0);
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

void
db_res_release(struct db_res *res)
{
    size_t i, n;

    if (res == NULL) {
        return;
    }
    n = (size_t)res->nrows * (size_t)res->ncols;
    if (res->vals != NULL) {
        for (i = 0; i < n; i++) {
            free(res->vals[i]);
        }
    }
    free(res->vals);
    free(res->lens);
    res->vals = NULL;
    res->lens = NULL;
    res->nrows = 0;
    res->ncols = 0;
    res->affected = 0;
}

static bool
db_in_range(const struct db_res *res, int row, int col)
{
    return res != NULL && res->vals != NULL && row >= 0 && col >= 0 && row < res->nrows
           && col < res->ncols;
}

const char *
db_val(const struct db_res *res, int row, int col)
{
    if (!db_in_range(res, row, col)) {
        return NULL;
    }
    return res->vals[(size_t)row * (size_t)res->ncols + (size_t)col];
}

size_t
db_len(const struct db_res *res, int row, int col)
{
    if (!db_in_range(res, row, col)) {
        return 0;
    }
    return res->lens[(size_t)row * (size_t)res->ncols + (size_t)col];
}

bool
db_isnull(const struct db_res *res, int row, int col)
{
    return db_val(res, row, col) == NULL;
}

int64_t
db_int(const struct db_res *res, int row, int col)
{
    const char *v = db_val(res, row, col);

    if (v == NULL) {
        return 0;
    }
    return strtoll(v, NULL, 10);
}

bool
db_bool(const struct db_res *res, int row, int col)
{
    const char *v = db_val(res, row, col);

    return v != NULL && v[0] == 't';
}
