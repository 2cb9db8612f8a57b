/* cursor.c: cursor lists (SPEC 21.1). */
#include "cursor.h"

#include <inttypes.h>
#include <stdio.h>

#define CURSOR_MAX_PARAMS 16

int
cursor_query(struct db *db, const struct db_stmt *desc, const struct db_stmt *asc,
             const char *const *fixed, int nfixed, const struct cursor_req *c, struct db_res *res,
             struct gw_err *err)
{
    const char *params[CURSOR_MAX_PARAMS];
    char lim[24];
    int i;

    if (nfixed < 0 || nfixed + 3 > CURSOR_MAX_PARAMS) {
        return GW_ERR(err, INTERNAL, "too many cursor list parameters");
    }
    for (i = 0; i < nfixed; i++) {
        params[i] = fixed[i];
    }
    (void)snprintf(lim, sizeof(lim), "%" PRId64, c->limit + 1);
    params[nfixed] = c->after;
    params[nfixed + 1] = c->before;
    params[nfixed + 2] = lim;
    return db_exec(db, c->before != NULL ? asc : desc, params, res, err);
}

void
cursor_write(struct jw *w, const struct cursor_req *c, const struct db_res *res,
             cursor_item_fn *item)
{
    int n = res->nrows, i;
    bool more = (int64_t)n > c->limit;

    if (more) {
        n = (int)c->limit;
    }
    jw_obj_begin(w);
    jw_key(w, "object");
    jw_str(w, "list");
    jw_key(w, "data");
    jw_arr_begin(w);
    if (c->before != NULL) {
        for (i = n - 1; i >= 0; i--) { /* rows oldest first: the page newest first */
            item(w, res, i);
        }
    } else {
        for (i = 0; i < n; i++) {
            item(w, res, i);
        }
    }
    jw_arr_end(w);
    jw_key(w, "has_more");
    jw_bool(w, more);
    jw_obj_end(w);
}

int
cursor_unknown(const struct cursor_req *c, struct gw_err *err)
{
    return GW_ERR(err, BAD_REQUEST, "%s is not a known id",
                  c->after != NULL ? "starting_after" : "ending_before");
}

int
cursor_check_known(struct db *db, const struct db_stmt *known, const char *owner,
                   const struct cursor_req *c, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[2] = { c->after != NULL ? c->after : c->before, owner };
    int ret;

    if (params[0] == NULL) {
        return 0;
    }
    ret = db_exec(db, known, params, &res, err);
    if (ret == 0 && res.nrows == 0) {
        ret = cursor_unknown(c, err);
    }
    db_res_release(&res);
    return ret;
}
