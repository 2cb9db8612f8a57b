/* cursor.h: cursor lists of SPEC 21.1 (events, endpoints, attempts):
 * {"object":"list","data":[…],"has_more":b}, newest first, limit, starting_after /
 * ending_before. */
#ifndef GW_CURSOR_H
#define GW_CURSOR_H

#include "db.h"
#include "gw.h"
#include "jsonh.h"

#include <stdint.h>

struct cursor_req {
    int64_t limit;      /* 1-100 */
    const char *after;  /* starting_after, or NULL */
    const char *before; /* ending_before, or NULL */
};

/* Writes one item of row `row`. */
typedef void cursor_item_fn(struct jw *w, const struct db_res *res, int row);

/*
 * Runs the list statement: desc (newest first) or, with ending_before, asc (oldest first, the
 * page closest to the cursor). Both take the caller's nfixed parameters, then starting_after,
 * ending_before and the row limit (limit + 1: the extra row tells has_more).
 */
int cursor_query(struct db *db, const struct db_stmt *desc, const struct db_stmt *asc,
                 const char *const *fixed, int nfixed, const struct cursor_req *c,
                 struct db_res *res, struct gw_err *err);

/* The list from cursor_query's rows. */
void cursor_write(struct jw *w, const struct cursor_req *c, const struct db_res *res,
                  cursor_item_fn *item);

/* err BAD_REQUEST "<param> is not a known id" for the cursor c carries. */
int cursor_unknown(const struct cursor_req *c, struct gw_err *err);

/* After an empty page: when c carries a cursor, `known` ($1 the cursor id, $2 owner) must find
 * it, else cursor_unknown. 0 when the empty page stands, -1 with err set. */
int cursor_check_known(struct db *db, const struct db_stmt *known, const char *owner,
                       const struct cursor_req *c, struct gw_err *err);

/* SQL: the WHERE terms of a cursor list over alias t with columns created_at and id, the cursor
 * row looked up in table `tbl` of the same owner; pa / pb / owner are the parameter texts
 * (e.g. "$7", "$8", "t2.merchant_id = $1::uuid"). */
#define CURSOR_WHERE(t, tbl, pa, pb, owner)                                                        \
    "(" pa "::text IS NULL OR (" t ".created_at, " t ".id) < (SELECT c.created_at, c.id FROM " tbl \
    " c WHERE c.id = " pa "::text AND " owner ")) AND (" pb "::text IS NULL OR (" t                \
    ".created_at, " t ".id) > (SELECT c.created_at, c.id FROM " tbl " c WHERE c.id = " pb          \
    "::text AND " owner "))"

#endif /* GW_CURSOR_H */
