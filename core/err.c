/* err.c: the error struct and the code table. */
#include "gw.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct errcode_info {
    int status;
    const char *str;
};

/* clang-format off */
static const struct errcode_info errcode_table[] = {
    { 200, "OK" },
#define X(name, status, str) { status, str },
    GW_ERRCODE_MAP(X)
#undef X
};
/* clang-format on */

int
gw_err_set_at(struct gw_err *err, enum gw_errcode code, const char *file, int line, const char *fmt,
              ...)
{
    va_list ap;

    if (err == NULL || err->code != GW_E_OK) {
        return -1;
    }
    err->code = code;
    err->file = file;
    err->line = line;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, va_start above */
    (void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

void
gw_err_clear(struct gw_err *err)
{
    memset(err, 0, sizeof(*err));
}

bool
gw_err_is_set(const struct gw_err *err)
{
    return err->code != GW_E_OK;
}

int
gw_err_status(enum gw_errcode code)
{
    if ((int)code < 0 || code >= GW_E__COUNT) {
        return 500;
    }
    return errcode_table[code].status;
}

const char *
gw_err_code_str(enum gw_errcode code)
{
    if ((int)code <= 0 || code >= GW_E__COUNT || code == GW_E_CONFLICT) {
        return "INTERNAL_ERROR";
    }
    return errcode_table[code].str;
}

const char *
gw_err_description(const struct gw_err *err)
{
    switch (err->code) {
    case GW_E_UNAVAILABLE:
        return "Service temporarily unavailable";
    case GW_E_OK:
    case GW_E_INTERNAL:
    case GW_E_CONFLICT:
    case GW_E__COUNT:
        return "Internal server error";
    default:
        return err->msg;
    }
}
