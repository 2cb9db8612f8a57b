/* fuzz_netaddr.c: addresses, CIDRs and CIDR lists (REAL_IP_FROM, the webhook SSRF judge).
 *
 * Input: part 0 an address or CIDR, part 1 a CIDR list (parts split at NUL). Properties: a
 * parsed CIDR formats to text that parses back to the same network, which contains its own
 * address; the text judge agrees with the parsed judge; an IPv4 address inside ::ffff:0:0/96
 * (IPv4-mapped) is judged, and matched by IPv4 networks, as the IPv4 address itself; a list
 * contains an address exactly when one of its networks does; a refused list is empty and says
 * why. */
#include "fuzz.h"

#include "gw.h"
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>

static void
fuzz_netaddr_cidr(const char *s)
{
    struct netaddr_cidr c, again;
    char text[NETADDR_CIDR_STRLEN];
    size_t alen;

    if (netaddr_cidr_parse(s, &c) != 0) {
        return;
    }
    alen = c.net.family == AF_INET ? 4 : 16;
    FUZZ_CHECK(c.net.family == AF_INET || c.net.family == AF_INET6);
    FUZZ_CHECK(c.bits <= alen * 8);
    netaddr_cidr_format(&c, text, sizeof(text));
    FUZZ_CHECK(netaddr_cidr_parse(text, &again) == 0);
    FUZZ_CHECK(again.net.family == c.net.family && again.bits == c.bits
               && memcmp(again.net.a, c.net.a, alen) == 0);
    FUZZ_CHECK(netaddr_cidr_contains(&c, &c.net));
}

/* addr as ::ffff:a.b.c.d */
static void
fuzz_netaddr_mapped(const struct netaddr *a, struct netaddr *out)
{
    memset(out, 0, sizeof(*out));
    out->family = AF_INET6;
    out->a[10] = 0xff;
    out->a[11] = 0xff;
    memcpy(out->a + 12, a->a, 4);
}

/* The worker's judge of a connected peer agrees with the judge of the text. */
static void
fuzz_netaddr_sockaddr(const struct netaddr *a)
{
    struct sockaddr_storage ss;
    struct netaddr back;

    memset(&ss, 0, sizeof(ss));
    if (a->family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ss;

        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, a->a, 4);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&ss;

        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, a->a, 16);
    }
    FUZZ_CHECK(netaddr_sockaddr_is_private((const struct sockaddr *)(const void *)&ss)
               == netaddr_is_private(a));
    FUZZ_CHECK(netaddr_from_sockaddr((const struct sockaddr *)(const void *)&ss, &back) == 0);
    FUZZ_CHECK(back.family == a->family && memcmp(back.a, a->a, 16) == 0);
}

static void
fuzz_netaddr_addr(const char *s, const struct netaddr_list *l)
{
    struct netaddr a, m;
    char text[INET6_ADDRSTRLEN];
    size_t i;
    bool any = false;

    if (netaddr_parse(s, &a) != 0) {
        FUZZ_CHECK(!netaddr_str_is_private(s));
        FUZZ_CHECK(!netaddr_list_contains_str(l, s));
        return;
    }
    FUZZ_CHECK(netaddr_str_is_private(s) == netaddr_is_private(&a));
    fuzz_netaddr_sockaddr(&a);
    FUZZ_CHECK(inet_ntop(a.family, a.a, text, sizeof(text)) != NULL);
    FUZZ_CHECK(netaddr_str_is_private(text) == netaddr_is_private(&a));
    for (i = 0; i < l->n; i++) {
        any = any || netaddr_cidr_contains(&l->v[i], &a);
    }
    FUZZ_CHECK(netaddr_list_contains(l, &a) == any);
    FUZZ_CHECK(netaddr_list_contains_str(l, s) == any);
    if (a.family == AF_INET) {
        fuzz_netaddr_mapped(&a, &m);
        FUZZ_CHECK(netaddr_is_private(&m) == netaddr_is_private(&a));
        for (i = 0; i < l->n; i++) {
            if (l->v[i].net.family == AF_INET) {
                FUZZ_CHECK(netaddr_cidr_contains(&l->v[i], &m)
                           == netaddr_cidr_contains(&l->v[i], &a));
            }
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_parts p;
    struct netaddr_list l = NETADDR_LIST_INIT;
    struct gw_err err = GW_ERR_INIT;
    char text[NETADDR_CIDR_STRLEN];
    size_t i;

    fuzz_parts_split(&p, data, size);
    if (netaddr_list_parse(fuzz_part(&p, 1), &l, &err) != 0) {
        FUZZ_CHECK(l.n == 0 && l.v == NULL && gw_err_is_set(&err));
    } else {
        for (i = 0; i < l.n; i++) {
            netaddr_cidr_format(&l.v[i], text, sizeof(text));
            fuzz_netaddr_cidr(text);
        }
    }
    fuzz_netaddr_cidr(fuzz_part(&p, 0));
    fuzz_netaddr_addr(fuzz_part(&p, 0), &l);
    netaddr_list_release(&l);
    fuzz_parts_release(&p);
    return 0;
}
