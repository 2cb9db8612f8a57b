/* app.h: per-process application state shared by every request of a FastCGI child. */
#ifndef GW_APP_H
#define GW_APP_H

#include "cfg.h"
#include "db.h"
#include "queue.h"

#include <stdbool.h>

struct app {
    const struct cfg *cfg;
    struct db *db;   /* one PostgreSQL connection, connected lazily */
    struct queue *q; /* one Redis connection, connected lazily */
    bool seeded;     /* merchant_seed_test succeeded once in this process */
};

#endif /* GW_APP_H */
