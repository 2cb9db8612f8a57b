/* fuzz_route.c: the route matcher and the path parameter rules.
 *
 * Input: path, NUL, method. Properties: a match names a route of that method whose pattern,
 * with the captured parameters put back in place, is the path again (nothing dropped, nothing
 * invented); a path matched by no method answers 405 with an Allow list that names other
 * methods only; route_param_valid agrees with the id rules of validate.h. */
#include "fuzz.h"

#include "route.h"
#include "validate.h"

#include <stdbool.h>

/* The pattern with {…} segments replaced by params, into out; false when it does not fit. */
static bool
fuzz_route_fill(const char *pattern, char *const params[2], char *out, size_t outsz)
{
    size_t o = 0, n;
    int np = 0;
    const char *p = pattern, *close;

    while (*p != '\0') {
        if (*p == '{') {
            close = strchr(p, '}');
            FUZZ_CHECK(close != NULL && np < 2 && params[np] != NULL);
            n = strlen(params[np]);
            if (o + n >= outsz) {
                return false;
            }
            memcpy(out + o, params[np], n);
            o += n;
            np++;
            p = close + 1;
            continue;
        }
        if (o + 1 >= outsz) {
            return false;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
    FUZZ_CHECK(np == 2 || params[np] == NULL);
    return true;
}

static void
fuzz_route_params(const char *s)
{
    FUZZ_CHECK(route_param_valid(RP_ORDER, s) == validate_object_id("order_", s));
    FUZZ_CHECK(route_param_valid(RP_PAYMENT, s) == validate_object_id("pay_", s));
    FUZZ_CHECK(route_param_valid(RP_REFUND, s) == validate_object_id("rfnd_", s));
    FUZZ_CHECK(route_param_valid(RP_WEBHOOK_LOG, s) == validate_uuid(s));
    FUZZ_CHECK(route_param_valid(RP_NONE, s));
    FUZZ_CHECK(!route_param_valid(RP_ORDER, NULL));
}

static void
fuzz_route_matched(const struct route *r, const char *method, const char *path,
                   char *const params[2])
{
    char back[8192 + 64];
    int i;

    FUZZ_CHECK(r != NULL && strcmp(r->method, method) == 0);
    FUZZ_CHECK(r->handler != NULL);
    if (fuzz_route_fill(r->pattern, params, back, sizeof(back))) {
        FUZZ_CHECK(strcmp(back, path) == 0);
    }
    for (i = 0; i < 2; i++) {
        if (params[i] != NULL) {
            FUZZ_CHECK(params[i][0] != '\0' && strchr(params[i], '/') == NULL);
            (void)route_param_valid(r->params[i], params[i]);
            (void)route_param_not_found(r->params[i]);
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_parts p;
    const char *path, *method;
    const struct route *r = NULL;
    char *params[2] = { NULL, NULL };
    char allow[128];

    fuzz_parts_split(&p, data, size);
    path = fuzz_part(&p, 0);
    method = fuzz_part(&p, 1);
    switch (route_match(method, path, &r, params, allow, sizeof(allow))) {
    case ROUTE_MATCHED:
        fuzz_route_matched(r, method, path, params);
        break;
    case ROUTE_NO_METHOD:
        FUZZ_CHECK(r != NULL && allow[0] != '\0');
        FUZZ_CHECK(params[0] == NULL && params[1] == NULL);
        if (method[0] != '\0') {
            FUZZ_CHECK(strcmp(allow, method) != 0);
        }
        break;
    case ROUTE_NO_PATH:
        FUZZ_CHECK(r == NULL && params[0] == NULL && params[1] == NULL);
        break;
    }
    free(params[0]);
    free(params[1]);
    fuzz_route_params(path);
    fuzz_parts_release(&p);
    return 0;
}
