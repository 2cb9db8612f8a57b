/* ctl_jobs.c: `gatewayctl webhooks dlq list|requeue <ID>|--all` and `gatewayctl jobs recover`
 * (SPEC 16). */
#include "ctl.h"

#include "cfg.h"
#include "jsonh.h"
#include "log.h"
#include "model.h"
#include "sweep.h"
#include "webhook_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* type and id of a dlq entry; false when the entry is malformed. */
static bool ctl_dlq_parse(const char *s, size_t len, char type[16], char id[MODEL_UUID_SZ + 32]);

/* One dlq entry with its merchant and event added (merchant_id, merchant_email, event), when the
 * database knows the object; the entry as stored otherwise. */
static int
ctl_dlq_line(struct db *db, const struct queue_str *e, struct buf *line)
{
    char type[16], id[MODEL_UUID_SZ + 32];
    struct webhook_dlq_context c;
    struct gw_err err = GW_ERR_INIT;
    struct json_object *root = NULL;
    bool found = false;
    int ret = -1;

    buf_reset(line);
    if (db == NULL || !ctl_dlq_parse(e->s, e->len, type, id)
        || webhook_dlq_context(db, type, id, &c, &found, &err) != 0 || !found) {
        return buf_append(line, e->s, e->len);
    }
    root = jsonh_parse_value(e->s, e->len);
    if (root == NULL) {
        return buf_append(line, e->s, e->len);
    }
    if (json_object_object_add(root, "merchant_id", json_object_new_string(c.merchant_id)) == 0
        && json_object_object_add(root, "merchant_email", json_object_new_string(c.merchant_email))
               == 0
        && json_object_object_add(root, "event", json_object_new_string(c.event)) == 0) {
        ret = buf_puts(line, json_object_to_json_string_ext(
                                 root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    }
    json_object_put(root);
    return ret;
}

static int
ctl_dlq_list(void)
{
    struct gw_err err = GW_ERR_INIT;
    struct queue_strs l = { NULL, 0 };
    struct queue *q = NULL;
    struct db *db = NULL;
    struct buf line;
    size_t i;
    int ret = CTL_FAIL;

    buf_init(&line, 0);
    q = ctl_open_queue();
    if (q == NULL) {
        goto out;
    }
    if (queue_dlq_entries(q, &l, &err) != 0) {
        ret = ctl_fail("cannot read dlq", &err);
        goto out;
    }
    if (l.n > 0) {
        db = ctl_open_db(); /* NULL: the entries are printed without their merchant */
    }
    ret = CTL_OK;
    for (i = 0; i < l.n; i++) {
        if (ctl_dlq_line(db, &l.v[i], &line) != 0) {
            ret = ctl_fail("out of memory", NULL);
            goto out;
        }
        ret = ctl_print(&line);
        if (ret != CTL_OK) {
            goto out;
        }
    }
out:
    buf_release(&line);
    queue_strs_release(&l);
    queue_free(q);
    db_free(db);
    return ret;
}

/* type and id of a dlq entry; false when the entry is malformed. */
static bool
ctl_dlq_parse(const char *s, size_t len, char type[16], char id[MODEL_UUID_SZ + 32])
{
    struct json_object *root = jsonh_parse_value(s, len);
    struct json_object *t = NULL, *i = NULL;
    bool ok = false;

    if (root == NULL || !json_object_is_type(root, json_type_object)
        || !json_object_object_get_ex(root, "type", &t)
        || !json_object_object_get_ex(root, "id", &i) || !json_object_is_type(t, json_type_string)
        || !json_object_is_type(i, json_type_string) || (size_t)json_object_get_string_len(t) >= 16
        || (size_t)json_object_get_string_len(i) >= MODEL_UUID_SZ + 32) {
        goto out;
    }
    (void)snprintf(type, 16, "%s", json_object_get_string(t));
    (void)snprintf(id, MODEL_UUID_SZ + 32, "%s", json_object_get_string(i));
    ok = true;
out:
    json_object_put(root);
    return ok;
}

/* Requeues one dlq entry and removes it; returns the number of entries removed, or -1. */
static int64_t
ctl_dlq_requeue_one(struct db *db, struct queue *q, const struct queue_str *e, const char *type,
                    const char *id, struct gw_err *err)
{
    bool found = false;
    int removed;
    int64_t n = 0;

    if (strcmp(type, "webhook") == 0) {
        if (webhook_log_reset(db, id, NULL, &found, err) != 0) {
            return -1;
        }
        if (found && queue_push_webhook(q, id, err) != 0) {
            return -1;
        }
        removed = webhook_log_dlq_remove(q, id, e->s, e->len, err);
        return removed < 0 ? -1 : removed;
    }
    if (strcmp(type, "payment") == 0 || strcmp(type, "refund") == 0) {
        if (queue_push_job(q, type, id, 0, err) != 0) {
            return -1;
        }
    }
    if (queue_dlq_remove_entry(q, e->s, e->len, &n, err) != 0) {
        return -1;
    }
    return n;
}

static int
ctl_dlq_requeue(const char *target)
{
    struct gw_err err = GW_ERR_INIT;
    struct queue_strs l = { NULL, 0 };
    struct queue *q = NULL;
    struct db *db = NULL;
    struct buf out;
    char type[16], id[MODEL_UUID_SZ + 32];
    bool all = strcmp(target, "--all") == 0;
    int64_t count = 0, n;
    size_t i;
    int ret = CTL_FAIL;

    buf_init(&out, 0);
    q = ctl_open_queue();
    if (q == NULL) {
        goto out;
    }
    db = ctl_open_db();
    if (db == NULL) {
        goto out;
    }
    if (queue_dlq_entries(q, &l, &err) != 0) {
        ret = ctl_fail("cannot read dlq", &err);
        goto out;
    }
    for (i = 0; i < l.n; i++) {
        const struct queue_str *e = &l.v[i];

        if (!ctl_dlq_parse(e->s, e->len, type, id)) {
            continue;
        }
        if (!all && strcasecmp(id, target) != 0) {
            continue;
        }
        n = ctl_dlq_requeue_one(db, q, e, type, id, &err);
        if (n < 0) {
            ret = ctl_fail("cannot requeue dlq entry", &err);
            goto out;
        }
        log_info("dlq entry requeued", LOG_S("type", type), LOG_S("id", id));
        count += n;
    }
    if (!all && count == 0) {
        log_error("no dlq entry for this id", LOG_S("id", target));
        goto out;
    }
    if (buf_printf(&out, "{\"requeued\":%lld}", (long long)count) != 0) {
        ret = ctl_fail("out of memory", NULL);
        goto out;
    }
    ret = ctl_print(&out);
out:
    buf_release(&out);
    queue_strs_release(&l);
    db_free(db);
    queue_free(q);
    return ret;
}

int
ctl_webhooks(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "dlq") == 0 && strcmp(argv[2], "list") == 0) {
        return ctl_dlq_list();
    }
    if (argc == 4 && strcmp(argv[1], "dlq") == 0 && strcmp(argv[2], "requeue") == 0
        && argv[3][0] != '\0') {
        return ctl_dlq_requeue(argv[3]);
    }
    return ctl_usage();
}

int
ctl_jobs(int argc, char **argv)
{
    struct gw_err err = GW_ERR_INIT;
    struct sweep_counts counts = { 0, 0 };
    struct queue *q = NULL;
    struct db *db = NULL;
    struct buf out;
    int64_t moved = 0;
    int ret = CTL_FAIL;

    if (argc != 2 || strcmp(argv[1], "recover") != 0) {
        return ctl_usage();
    }
    buf_init(&out, 0);
    q = ctl_open_queue();
    if (q == NULL) {
        goto out;
    }
    db = ctl_open_db();
    if (db == NULL) {
        goto out;
    }
    if (sweep_requeue_processing(q, &moved, &err) != 0) {
        ret = ctl_fail("cannot requeue processing lists", &err);
        goto out;
    }
    if (sweep_run(db, q, cfg_get(), true, &counts, &err) != 0) {
        ret = ctl_fail("recovery sweep failed", &err);
        goto out;
    }
    log_info("jobs recovered", LOG_I("processing_moved", moved), LOG_I("payments", counts.payments),
             LOG_I("refunds", counts.refunds));
    if (buf_printf(&out, "{\"payments\":%lld,\"refunds\":%lld}", (long long)counts.payments,
                   (long long)counts.refunds)
        != 0) {
        ret = ctl_fail("out of memory", NULL);
        goto out;
    }
    ret = ctl_print(&out);
out:
    buf_release(&out);
    db_free(db);
    queue_free(q);
    return ret;
}
