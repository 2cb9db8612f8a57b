/* openapi.h: api/openapi.json embedded in gw-fcgi (build/<BUILD>/gen/openapi_json.c, written by
 * the Makefile from the committed file). */
#ifndef GW_OPENAPI_H
#define GW_OPENAPI_H

#include <stddef.h>

extern const unsigned char gw_openapi_json[];
extern const size_t gw_openapi_json_len;

#endif
