/* log.h: JSON-lines logging to stderr (SPEC section 18).
 * One object per line: {"ts":"…","level":"info","service":"api","msg":"…",<fields>}.
 *     log_info("request done", LOG_S("route", route), LOG_I("status", 201));
 * Never pass secrets, bodies or card data as fields. */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

enum log_field_type { LOG_F_NONE = 0, LOG_F_STR, LOG_F_INT, LOG_F_DBL };

struct log_field {
    const char *key;
    enum log_field_type type;
    const char *s;
    int64_t i;
    double d;
};

#define LOG_S(k, v) ((struct log_field){ (k), LOG_F_STR, (v), 0, 0 })
#define LOG_I(k, v) ((struct log_field){ (k), LOG_F_INT, NULL, (int64_t)(v), 0 })
#define LOG_D(k, v) ((struct log_field){ (k), LOG_F_DBL, NULL, 0, (double)(v) })

void log_init(const char *service, enum log_level min_level);
void log_set_level(enum log_level min_level);
int log_level_parse(const char *s, enum log_level *out); /* 0 or -1 */
bool log_enabled(enum log_level level);
/* Request id added to every line until cleared with NULL (pgbouncer's per-connection prefix). */
void log_set_request_id(const char *request_id);
void log_emit(enum log_level level, const char *msg, const struct log_field *fields, size_t n);

#define LOG_AT_(lvl, msg, ...)                                                               \
    do {                                                                                     \
        const struct log_field log_f_[] = { { NULL, LOG_F_NONE, NULL, 0, 0 }, __VA_ARGS__ }; \
        log_emit((lvl), (msg), log_f_ + 1, sizeof(log_f_) / sizeof(log_f_[0]) - 1);          \
    } while (0)

#define log_debug(...) LOG_AT_(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  LOG_AT_(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  LOG_AT_(LOG_WARN, __VA_ARGS__)
#define log_error(...) LOG_AT_(LOG_ERROR, __VA_ARGS__)

#endif /* GW_LOG_H */
