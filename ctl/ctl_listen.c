/* ctl_listen.c: `gatewayctl listen` (SPEC 21.4): forwards new events to a local URL, signed per
 * Standard Webhooks with a session secret printed at start. It speaks only the HTTP API (GET
 * /api/v1/events with ending_before, about once a second), with GATEWAY_API_KEY and
 * GATEWAY_API_SECRET; no database or Redis. Ctrl-C ends it; a local receiver that is down is
 * reported on its event's line, not fatal. */
#include "ctl.h"

#include "buf.h"
#include "crypto.h"
#include "event.h"
#include "jsonh.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LISTEN_PAGE      100
#define LISTEN_POLL_MS   1000
#define LISTEN_FWD_MS    10000
#define LISTEN_MAX_TYPES 32

static volatile sig_atomic_t listen_stop;

static void
listen_on_signal(int sig)
{
    (void)sig;
    listen_stop = 1;
}

struct listen {
    const char *api;
    const char *forward_to;
    const char *key;
    const char *secret;
    const char *types[LISTEN_MAX_TYPES]; /* --events: exact types, "prefix.*" or "*" */
    size_t ntypes;
    char *types_buf;
    char session_secret[64];
    unsigned char session_key[32];
    CURL *http;
    char cursor[MODEL_ID_SZ]; /* the newest event seen */
};

static size_t
listen_sink(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct buf *b = userdata;
    size_t n = size * nmemb;

    if (b != NULL && b->len < (size_t)4096 * KIB && buf_append(b, ptr, n) != 0) {
        return 0;
    }
    return n;
}

/* GET api path; *status the HTTP status (0 without an answer). */
static int
listen_get(struct listen *l, const char *path, struct buf *body, long *status)
{
    struct curl_slist *h = NULL;
    struct buf url, hk, hs;
    CURLcode rc;

    *status = 0;
    buf_init(&url, 0);
    buf_init(&hk, 0);
    buf_init(&hs, 0);
    (void)buf_printf(&url, "%s%s", l->api, path);
    (void)buf_printf(&hk, "X-Api-Key: %s", l->key);
    (void)buf_printf(&hs, "X-Api-Secret: %s", l->secret);
    h = curl_slist_append(h, hk.data);
    h = curl_slist_append(h, hs.data);
    curl_easy_reset(l->http);
    (void)curl_easy_setopt(l->http, CURLOPT_URL, url.data);
    (void)curl_easy_setopt(l->http, CURLOPT_HTTPHEADER, h);
    (void)curl_easy_setopt(l->http, CURLOPT_TIMEOUT_MS, (long)LISTEN_FWD_MS);
    (void)curl_easy_setopt(l->http, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(l->http, CURLOPT_WRITEFUNCTION, listen_sink);
    (void)curl_easy_setopt(l->http, CURLOPT_WRITEDATA, body);
    (void)curl_easy_setopt(l->http, CURLOPT_USERAGENT, "gatewayctl-listen/" GW_VERSION);
    rc = curl_easy_perform(l->http);
    if (rc == CURLE_OK) {
        (void)curl_easy_getinfo(l->http, CURLINFO_RESPONSE_CODE, status);
    }
    curl_slist_free_all(h);
    crypto_wipe(hs.data, hs.len);
    buf_release(&url);
    buf_release(&hk);
    buf_release(&hs);
    return rc == CURLE_OK ? 0 : -1;
}

static bool
listen_wants(const struct listen *l, const char *type)
{
    size_t i, n;

    if (l->ntypes == 0) {
        return true;
    }
    for (i = 0; i < l->ntypes; i++) {
        n = strlen(l->types[i]);
        if (strcmp(l->types[i], "*") == 0 || strcmp(l->types[i], type) == 0
            || (n >= 2 && strcmp(l->types[i] + n - 2, ".*") == 0
                && strncmp(l->types[i], type, n - 1) == 0)) {
            return true;
        }
    }
    return false;
}

/* Forwards one event: the payload of SPEC 11.2 rebuilt from the event object (its data member is
 * the stored bytes, written back with the same rules), signed with the session key. */
static void
listen_forward(struct listen *l, struct json_object *ev)
{
    struct json_object *id = NULL, *type = NULL, *created = NULL, *data = NULL;
    struct curl_slist *h = NULL;
    struct buf body, msg, line;
    unsigned char mac[CRYPTO_SHA256_LEN];
    char sig[64], stamp[32];
    int64_t ts = (int64_t)time(NULL), t0;
    long code = 0;
    CURLcode rc;
    int64_t a;
    time_t now = time(NULL);
    struct tm tm;

    if (!json_object_object_get_ex(ev, "id", &id) || !json_object_object_get_ex(ev, "type", &type)
        || !json_object_object_get_ex(ev, "created", &created)
        || !json_object_object_get_ex(ev, "data", &data)) {
        return;
    }
    if (!listen_wants(l, json_object_get_string(type))) {
        return;
    }
    buf_init(&body, 0);
    buf_init(&msg, 0);
    buf_init(&line, 0);
    (void)buf_puts(&body, "{\"event\":");
    (void)jsonh_write_string(&body, json_object_get_string(type),
                             (size_t)json_object_get_string_len(type));
    (void)buf_printf(&body, ",\"timestamp\":%" PRId64 ",\"data\":", json_object_get_int64(created));
    (void)jsonh_write_value(&body, data);
    (void)buf_putc(&body, '}');
    (void)buf_printf(&msg, "%s.%" PRId64 ".", json_object_get_string(id), ts);
    (void)buf_append(&msg, body.data, body.len);
    (void)crypto_hmac_sha256(l->session_key, sizeof(l->session_key), msg.data, msg.len, mac);
    memcpy(sig, "v1,", 4);
    (void)crypto_base64(mac, sizeof(mac), sig + 3);
    h = curl_slist_append(h, "Content-Type: application/json");
    (void)buf_printf(&line, "webhook-id: %s", json_object_get_string(id));
    h = curl_slist_append(h, line.data);
    buf_reset(&line);
    (void)buf_printf(&line, "webhook-timestamp: %" PRId64, ts);
    h = curl_slist_append(h, line.data);
    buf_reset(&line);
    (void)buf_printf(&line, "webhook-signature: %s", sig);
    h = curl_slist_append(h, line.data);
    h = curl_slist_append(h, "Expect:");
    curl_easy_reset(l->http);
    (void)curl_easy_setopt(l->http, CURLOPT_URL, l->forward_to);
    (void)curl_easy_setopt(l->http, CURLOPT_POST, 1L);
    (void)curl_easy_setopt(l->http, CURLOPT_POSTFIELDS, body.data);
    (void)curl_easy_setopt(l->http, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
    (void)curl_easy_setopt(l->http, CURLOPT_HTTPHEADER, h);
    (void)curl_easy_setopt(l->http, CURLOPT_TIMEOUT_MS, (long)LISTEN_FWD_MS);
    (void)curl_easy_setopt(l->http, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(l->http, CURLOPT_WRITEFUNCTION, listen_sink);
    (void)curl_easy_setopt(l->http, CURLOPT_WRITEDATA, NULL);
    (void)curl_easy_setopt(l->http, CURLOPT_USERAGENT, "Gateway-Webhooks/" GW_VERSION);
    a = gw_mono_ms();
    rc = curl_easy_perform(l->http);
    t0 = gw_mono_ms() - a;
    (void)gmtime_r(&now, &tm);
    (void)strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    if (rc == CURLE_OK) {
        (void)curl_easy_getinfo(l->http, CURLINFO_RESPONSE_CODE, &code);
        (void)printf("%s  %-28s %s  [%ld]  %" PRId64 " ms\n", stamp, json_object_get_string(type),
                     json_object_get_string(id), code, t0);
    } else {
        (void)printf("%s  %-28s %s  [error: %s]  %" PRId64 " ms\n", stamp,
                     json_object_get_string(type), json_object_get_string(id),
                     curl_easy_strerror(rc), t0);
    }
    (void)fflush(stdout);
    curl_slist_free_all(h);
    crypto_wipe(mac, sizeof(mac));
    buf_release(&body);
    buf_release(&msg);
    buf_release(&line);
}

/* One poll: the events newer than the cursor, oldest first, page after page. */
static int
listen_poll(struct listen *l, bool forward)
{
    struct buf body, path;
    struct json_object *root = NULL, *data = NULL, *more = NULL;
    long status = 0;
    int ret = 0;

    buf_init(&body, 0);
    buf_init(&path, 0);
    while (!listen_stop) {
        size_t n, i;

        buf_reset(&body);
        buf_reset(&path);
        (void)buf_printf(&path, "/api/v1/events?limit=%d%s%s", forward ? LISTEN_PAGE : 1,
                         l->cursor[0] != '\0' ? "&ending_before=" : "", l->cursor);
        if (listen_get(l, path.data, &body, &status) != 0 || status != 200) {
            (void)fprintf(stderr, "gatewayctl listen: GET /api/v1/events failed (HTTP %ld)\n",
                          status);
            ret = status == 401 ? -2 : -1;
            break;
        }
        json_object_put(root);
        root = jsonh_parse_value(body.data, body.len);
        if (root == NULL || !json_object_object_get_ex(root, "data", &data)
            || !json_object_is_type(data, json_type_array)) {
            ret = -1;
            break;
        }
        n = json_object_array_length(data);
        for (i = n; i > 0; i--) { /* newest first: forward oldest first */
            struct json_object *ev = json_object_array_get_idx(data, i - 1), *id = NULL;

            if (forward) {
                listen_forward(l, ev);
            }
            if (json_object_object_get_ex(ev, "id", &id)) {
                gw_copy_str(l->cursor, sizeof(l->cursor), json_object_get_string(id));
            }
        }
        if (!forward || n == 0 || !json_object_object_get_ex(root, "has_more", &more)
            || !json_object_get_boolean(more)) {
            break;
        }
    }
    json_object_put(root);
    buf_release(&body);
    buf_release(&path);
    return ret;
}

static int
listen_args(struct listen *l, int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--forward-to") == 0 && i + 1 < argc) {
            l->forward_to = argv[++i];
        } else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
            char *save = NULL, *tok;

            free(l->types_buf);
            l->types_buf = xstrdup(argv[++i]);
            l->ntypes = 0;
            for (tok = strtok_r(l->types_buf, ",", &save);
                 tok != NULL && l->ntypes < LISTEN_MAX_TYPES; tok = strtok_r(NULL, ",", &save)) {
                if (!event_type_pattern_valid(tok)) {
                    (void)fprintf(stderr, "gatewayctl listen: unknown event type '%s'\n", tok);
                    return -1;
                }
                l->types[l->ntypes++] = tok;
            }
        } else if (strcmp(argv[i], "--api") == 0 && i + 1 < argc) {
            l->api = argv[++i];
        } else {
            return -1;
        }
    }
    return l->forward_to != NULL ? 0 : -1;
}

int
ctl_listen(int argc, char **argv)
{
    struct listen l;
    struct gw_err err = GW_ERR_INIT;
    struct sigaction sa;
    unsigned char raw[32];
    char b64[48];
    int rc = CTL_OK, prc;

    memset(&l, 0, sizeof(l));
    l.api = getenv("GATEWAY_API_URL");
    if (l.api == NULL || l.api[0] == '\0') {
        l.api = "http://127.0.0.1:8000";
    }
    if (listen_args(&l, argc, argv) != 0) {
        free(l.types_buf);
        return ctl_usage();
    }
    l.key = getenv("GATEWAY_API_KEY");
    l.secret = getenv("GATEWAY_API_SECRET");
    if (l.key == NULL || l.key[0] == '\0' || l.secret == NULL || l.secret[0] == '\0') {
        (void)fprintf(stderr, "gatewayctl listen: set GATEWAY_API_KEY and GATEWAY_API_SECRET\n");
        free(l.types_buf);
        return CTL_USAGE;
    }
    if (crypto_random_bytes(raw, sizeof(raw), &err) != 0) {
        free(l.types_buf);
        return ctl_fail("no randomness", &err);
    }
    memcpy(l.session_key, raw, sizeof(raw));
    (void)crypto_base64(raw, sizeof(raw), b64);
    (void)snprintf(l.session_secret, sizeof(l.session_secret), "whsec_%s", b64);
    crypto_wipe(raw, sizeof(raw));
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = listen_on_signal;
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    (void)curl_global_init(CURL_GLOBAL_DEFAULT);
    l.http = curl_easy_init();
    /* the newest existing event is the starting point: only new events are forwarded */
    prc = l.http != NULL ? listen_poll(&l, false) : -1;
    if (prc == -2) {
        rc = CTL_FAIL;
        goto out;
    }
    (void)printf("Ready! Forwarding events to %s\nSigning secret: %s\n(^C to quit)\n", l.forward_to,
                 l.session_secret);
    (void)fflush(stdout);
    while (!listen_stop) {
        struct timespec ts = { 0, (long)LISTEN_POLL_MS * 1000000L };

        if (listen_poll(&l, true) == -2) {
            rc = CTL_FAIL;
            break;
        }
        (void)nanosleep(&ts, NULL);
    }
out:
    if (l.http != NULL) {
        curl_easy_cleanup(l.http);
    }
    curl_global_cleanup();
    crypto_wipe(l.session_key, sizeof(l.session_key));
    free(l.types_buf);
    return rc;
}
