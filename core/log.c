/* log.c: JSON-lines logging to stderr. */
#include "log.h"

#include "buf.h"
#include "gw.h"
#include "jsonh.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_service = "api";
static enum log_level log_min = LOG_INFO;
static char log_request_id[129];

static const char *const log_level_names[] = { "debug", "info", "warn", "error" };

void
log_init(const char *service, enum log_level min_level)
{
    log_service = service;
    log_min = min_level;
}

void
log_set_level(enum log_level min_level)
{
    log_min = min_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(log_level_names); i++) {
        if (strcmp(s, log_level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

bool
log_enabled(enum log_level level)
{
    return level >= log_min;
}

void
log_set_request_id(const char *request_id)
{
    if (request_id == NULL) {
        log_request_id[0] = '\0';
        return;
    }
    (void)snprintf(log_request_id, sizeof(log_request_id), "%s", request_id);
}

static void
log_put_kv_str(struct buf *b, const char *key, const char *val)
{
    (void)buf_putc(b, ',');
    (void)jsonh_write_string(b, key, strlen(key));
    (void)buf_putc(b, ':');
    (void)jsonh_write_string(b, val, strlen(val));
}

void
log_emit(enum log_level level, const char *msg, const struct log_field *fields, size_t n)
{
    struct buf b;
    struct timeval tv;
    struct tm tm;
    char ts[96]; /* sized for any int values: -Wformat-truncation */
    size_t i;

    if (level < log_min || (int)level < 0 || level > LOG_ERROR) {
        return;
    }
    (void)gettimeofday(&tv, NULL);
    (void)gmtime_r(&tv.tv_sec, &tm);
    (void)snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   (int)(tv.tv_usec / 1000));
    buf_init(&b, 0);
    (void)buf_puts(&b, "{\"ts\":");
    (void)jsonh_write_string(&b, ts, strlen(ts));
    log_put_kv_str(&b, "level", log_level_names[level]);
    log_put_kv_str(&b, "service", log_service);
    log_put_kv_str(&b, "msg", msg);
    if (log_request_id[0] != '\0') {
        log_put_kv_str(&b, "request_id", log_request_id);
    }
    for (i = 0; i < n; i++) {
        const struct log_field *f = &fields[i];

        if (f->key == NULL) {
            continue;
        }
        switch (f->type) {
        case LOG_F_STR:
            log_put_kv_str(&b, f->key, f->s != NULL ? f->s : "");
            break;
        case LOG_F_INT:
            (void)buf_putc(&b, ',');
            (void)jsonh_write_string(&b, f->key, strlen(f->key));
            (void)buf_printf(&b, ":%lld", (long long)f->i);
            break;
        case LOG_F_DBL:
            (void)buf_putc(&b, ',');
            (void)jsonh_write_string(&b, f->key, strlen(f->key));
            if (isfinite(f->d)) {
                (void)buf_printf(&b, ":%.3f", f->d);
            } else {
                (void)buf_puts(&b, ":null"); /* "nan" and "inf" are not JSON */
            }
            break;
        case LOG_F_NONE:
            break;
        }
    }
    (void)buf_puts(&b, "}\n");
    /* One write(2) per line so lines from several processes never interleave. */
    (void)!write(STDERR_FILENO, b.data, b.len);
    buf_release(&b);
}
