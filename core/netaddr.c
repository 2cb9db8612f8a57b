/* netaddr.c: IP addresses and CIDR lists (SPEC 2.2 REAL_IP_FROM, SPEC 3 and 11.3
 * WEBHOOK_BLOCK_PRIVATE). The range tables below are the only list of non-public addresses:
 * the worker's connect-time check and the API both judge through netaddr_is_private(). */
#include "netaddr.h"

#include "gw.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct netaddr_range {
    unsigned char net[16];
    unsigned bits;
    const char *what; /* for readers and test failure messages */
};

/* clang-format off */
static const struct netaddr_range netaddr_private4[] = {
    { { 0 },                     8,  "unspecified, this network 0/8" },
    { { 10 },                    8,  "private 10/8" },
    { { 100, 64 },               10, "shared address space 100.64/10" },
    { { 127 },                   8,  "loopback 127/8" },
    { { 169, 254 },              16, "link-local 169.254/16" },
    { { 172, 16 },               12, "private 172.16/12" },
    { { 192, 168 },              16, "private 192.168/16" },
    { { 198, 18 },               15, "benchmarking 198.18/15" },
    { { 224 },                   4,  "multicast 224/4" },
    { { 240 },                   4,  "reserved 240/4, broadcast 255.255.255.255" },
};

static const struct netaddr_range netaddr_private6[] = {
    { { 0 },                                     128, "unspecified ::" },
    { { 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 1 },                128, "loopback ::1" },
    { { 0xfc },                                  7,   "unique local fc00::/7" },
    { { 0xfe, 0x80 },                            10,  "link-local fe80::/10" },
    { { 0xfe, 0xc0 },                            10,  "site-local fec0::/10 (deprecated)" },
    { { 0xff },                                  8,   "multicast ff00::/8" },
    { { 0x00, 0x64, 0xff, 0x9b },                96,  "NAT64 64:ff9b::/96" },
    { { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 },    48,  "local NAT64 64:ff9b:1::/48" },
    { { 0x20, 0x01, 0x00, 0x00 },                32,  "Teredo 2001::/32" },
    { { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 },    48,  "benchmarking 2001:2::/48" },
    { { 0x20, 0x02 },                            16,  "6to4 2002::/16" },
};
/* clang-format on */

/* ::ffff:0:0/96 (IPv4-mapped) and ::/96 (IPv4-compatible, deprecated): the last four bytes are
 * an IPv4 address. */
static const unsigned char netaddr_mapped_pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
static const unsigned char netaddr_compat_pfx[12] = { 0 };

static size_t
netaddr_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

/* True when the first bits bits of a and net are equal. */
static bool
netaddr_prefix_eq(const unsigned char *a, const unsigned char *net, unsigned bits)
{
    size_t whole = bits / 8;
    unsigned rest = bits % 8;
    unsigned char mask;

    if (memcmp(a, net, whole) != 0) {
        return false;
    }
    if (rest == 0) {
        return true;
    }
    mask = (unsigned char)(0xffu << (8 - rest));
    return (a[whole] & mask) == (net[whole] & mask);
}

static bool
netaddr_in_ranges(const unsigned char *a, const struct netaddr_range *r, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (netaddr_prefix_eq(a, r[i].net, r[i].bits)) {
            return true;
        }
    }
    return false;
}

int
netaddr_parse(const char *s, struct netaddr *out)
{
    memset(out, 0, sizeof(*out));
    if (s == NULL) {
        return -1;
    }
    if (inet_pton(AF_INET, s, out->a) == 1) {
        out->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out->a) == 1) {
        out->family = AF_INET6;
        return 0;
    }
    memset(out, 0, sizeof(*out));
    return -1;
}

int
netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out)
{
    memset(out, 0, sizeof(*out));
    if (sa == NULL) {
        return -1;
    }
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

        out->family = AF_INET;
        memcpy(out->a, &s4->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

        out->family = AF_INET6;
        memcpy(out->a, s6->sin6_addr.s6_addr, 16);
        return 0;
    }
    return -1;
}

bool
netaddr_is_private(const struct netaddr *a)
{
    if (a->family == AF_INET) {
        return netaddr_in_ranges(a->a, netaddr_private4, ARRAY_LEN(netaddr_private4));
    }
    if (a->family != AF_INET6) {
        return true;
    }
    if (netaddr_in_ranges(a->a, netaddr_private6, ARRAY_LEN(netaddr_private6))) {
        return true;
    }
    if (memcmp(a->a, netaddr_mapped_pfx, 12) == 0 || memcmp(a->a, netaddr_compat_pfx, 12) == 0) {
        return netaddr_in_ranges(a->a + 12, netaddr_private4, ARRAY_LEN(netaddr_private4));
    }
    return false;
}

bool
netaddr_sockaddr_is_private(const struct sockaddr *sa)
{
    struct netaddr a;

    if (netaddr_from_sockaddr(sa, &a) != 0) {
        return true; /* AF_UNIX and the like are no internet destination */
    }
    return netaddr_is_private(&a);
}

bool
netaddr_str_is_private(const char *s)
{
    struct netaddr a;

    return netaddr_parse(s, &a) == 0 && netaddr_is_private(&a);
}

int
netaddr_cidr_parse(const char *s, struct netaddr_cidr *out)
{
    const char *slash;
    char host[INET6_ADDRSTRLEN];
    size_t hlen, dlen, i;
    unsigned bits = 0, maxbits;
    struct netaddr masked;

    memset(out, 0, sizeof(*out));
    if (s == NULL) {
        return -1;
    }
    slash = strchr(s, '/');
    hlen = slash != NULL ? (size_t)(slash - s) : strlen(s);
    if (hlen == 0 || hlen >= sizeof(host)) {
        return -1;
    }
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    if (netaddr_parse(host, &out->net) != 0) {
        return -1;
    }
    maxbits = (unsigned)netaddr_len(out->net.family) * 8;
    if (slash == NULL) {
        out->bits = maxbits;
        return 0;
    }
    dlen = strlen(slash + 1);
    if (dlen == 0 || dlen > 3 || strspn(slash + 1, "0123456789") != dlen) {
        goto bad;
    }
    for (i = 0; i < dlen; i++) {
        bits = bits * 10 + (unsigned)(slash[1 + i] - '0');
    }
    if (bits > maxbits) {
        goto bad;
    }
    /* no address bit may be set after the prefix */
    memset(&masked, 0, sizeof(masked));
    masked.family = out->net.family;
    for (i = 0; i < netaddr_len(out->net.family); i++) {
        unsigned keep = bits >= (i + 1) * 8 ? 8 : (bits > i * 8 ? bits - (unsigned)i * 8 : 0);

        masked.a[i] = (unsigned char)(out->net.a[i] & (0xff00u >> keep));
    }
    if (memcmp(masked.a, out->net.a, sizeof(masked.a)) != 0) {
        goto bad;
    }
    out->bits = bits;
    return 0;
bad:
    memset(out, 0, sizeof(*out));
    return -1;
}

bool
netaddr_cidr_contains(const struct netaddr_cidr *c, const struct netaddr *a)
{
    if (c->net.family == a->family) {
        return netaddr_prefix_eq(a->a, c->net.a, c->bits);
    }
    if (c->net.family == AF_INET && a->family == AF_INET6
        && memcmp(a->a, netaddr_mapped_pfx, 12) == 0) {
        return netaddr_prefix_eq(a->a + 12, c->net.a, c->bits);
    }
    return false;
}

void
netaddr_cidr_format(const struct netaddr_cidr *c, char *out, size_t outsz)
{
    char host[INET6_ADDRSTRLEN];

    if (inet_ntop(c->net.family, c->net.a, host, sizeof(host)) == NULL) {
        (void)snprintf(host, sizeof(host), "%s", "?");
    }
    (void)snprintf(out, outsz, "%s/%u", host, c->bits);
}

int
netaddr_list_parse(const char *s, struct netaddr_list *out, struct gw_err *err)
{
    const char *p = s;
    char tok[NETADDR_CIDR_STRLEN + 1];
    size_t len, cap = 0;

    out->v = NULL;
    out->n = 0;
    for (;;) {
        p += strspn(p, " \t");
        if (*p == '\0') {
            break;
        }
        len = strcspn(p, " \t");
        if (len >= sizeof(tok)) {
            (void)GW_ERR(err, BAD_REQUEST, "'%.*s...' is not a CIDR", 40, p);
            goto fail;
        }
        memcpy(tok, p, len);
        tok[len] = '\0';
        if (out->n == cap) {
            cap = cap == 0 ? 4 : cap * 2;
            out->v = xrealloc(out->v, cap * sizeof(*out->v));
        }
        if (netaddr_cidr_parse(tok, &out->v[out->n]) != 0) {
            (void)GW_ERR(err, BAD_REQUEST, "'%s' is not a CIDR", tok);
            goto fail;
        }
        out->n++;
        p += len;
    }
    if (out->n == 0) {
        (void)GW_ERR(err, BAD_REQUEST, "no CIDR given");
        goto fail;
    }
    return 0;
fail:
    netaddr_list_release(out);
    return -1;
}

void
netaddr_list_release(struct netaddr_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

bool
netaddr_list_contains(const struct netaddr_list *l, const struct netaddr *a)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (netaddr_cidr_contains(&l->v[i], a)) {
            return true;
        }
    }
    return false;
}

bool
netaddr_list_contains_str(const struct netaddr_list *l, const char *s)
{
    struct netaddr a;

    return netaddr_parse(s, &a) == 0 && netaddr_list_contains(l, &a);
}
