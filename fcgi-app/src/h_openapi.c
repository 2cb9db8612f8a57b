/* h_openapi.c: GET /api/v1/openapi.json (SPEC 20 v2), the document api/openapi.json that the
 * Makefile embeds at build time (gw_openapi_json, generated from api/openapi.yaml by
 * scripts/openapi-json.mjs and committed, so neither the build nor the API needs node). */
#include "handlers.h"
#include "openapi.h"

int
h_openapi(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    (void)req;
    resp->status = 200;
    resp->cache_control = "public, max-age=300";
    buf_reset(&resp->body);
    if (buf_append(&resp->body, gw_openapi_json, gw_openapi_json_len) != 0) {
        return GW_ERR(err, INTERNAL, "cannot copy the OpenAPI document");
    }
    return 0;
}
