/* netaddr.h: IP addresses and CIDR lists. The one judge of "not a public internet address"
 * (SPEC 3, 11.3: WEBHOOK_BLOCK_PRIVATE) and the matcher of REAL_IP_FROM (SPEC 2.2). */
#ifndef GW_NETADDR_H
#define GW_NETADDR_H

#include "gw.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* An IPv4 (a[0..3]) or IPv6 (a[0..15]) address in network byte order. */
struct netaddr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char a[16];
};

/* A network: the address with every bit after the first `bits` zero. */
struct netaddr_cidr {
    struct netaddr net;
    unsigned bits; /* 0..32 (AF_INET), 0..128 (AF_INET6) */
};

struct netaddr_list {
    struct netaddr_cidr *v;
    size_t n;
};

#define NETADDR_LIST_INIT \
    {                     \
        NULL, 0           \
    }
/* Longest text of one CIDR: an IPv6 address (INET6_ADDRSTRLEN - 1) plus "/128". */
#define NETADDR_CIDR_STRLEN 50

/* Parses a numeric IPv4 or IPv6 address (no brackets, no zone, no port); 0 or -1. */
int netaddr_parse(const char *s, struct netaddr *out);
/* Copies an AF_INET or AF_INET6 socket address; -1 for any other family. */
int netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out);

/* True when a is no public unicast internet address: loopback, private, link-local, shared,
 * benchmarking, unspecified, multicast, reserved, broadcast, site-local, NAT64, 6to4, Teredo.
 * IPv4-mapped (::ffff:0:0/96) and IPv4-compatible (::/96) addresses are judged by the IPv4
 * address inside them. */
bool netaddr_is_private(const struct netaddr *a);
/* The same for a socket address; a family other than AF_INET/AF_INET6 counts as private. */
bool netaddr_sockaddr_is_private(const struct sockaddr *sa);
/* The same for the text of an address; false when s is no numeric address (a host name must be
 * resolved, and every address it resolves to judged, by the caller). */
bool netaddr_str_is_private(const char *s);

/* "addr/bits" or a bare address (a host: /32 or /128); bits are decimal digits within the
 * family's range and no bit after them may be set ("10.0.0.1/8" is refused). 0 or -1. */
int netaddr_cidr_parse(const char *s, struct netaddr_cidr *out);
/* True when a lies in c; an IPv4-mapped IPv6 address also matches IPv4 networks. */
bool netaddr_cidr_contains(const struct netaddr_cidr *c, const struct netaddr *a);
/* Writes "addr/bits" into out (at least NETADDR_CIDR_STRLEN bytes). */
void netaddr_cidr_format(const struct netaddr_cidr *c, char *out, size_t outsz);

/* Parses CIDRs separated by spaces or tabs (at least one) into out, which the caller releases
 * with netaddr_list_release(). On -1 err names the offending CIDR and out is empty. */
int netaddr_list_parse(const char *s, struct netaddr_list *out, struct gw_err *err);
void netaddr_list_release(struct netaddr_list *l);
bool netaddr_list_contains(const struct netaddr_list *l, const struct netaddr *a);
/* False for NULL or text that is no numeric address. */
bool netaddr_list_contains_str(const struct netaddr_list *l, const char *s);

#endif /* GW_NETADDR_H */
