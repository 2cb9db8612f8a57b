/* check_netaddr.c: the non-public address ranges of SPEC 3 / 11.3 (every range, the addresses
 * just inside and just outside each edge, IPv4-mapped, IPv4-compatible, NAT64, 6to4 and Teredo
 * forms), the socket-address form the worker uses at connect time, and CIDR lists
 * (REAL_IP_FROM). */
#include "unit.h"

#include "gw.h"
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

struct addr_case {
    const char *addr;
    bool is_private;
};

/* clang-format off */
static const struct addr_case addr_cases[] = {
    /* 0.0.0.0/8 unspecified / this network */
    { "0.0.0.0", true }, { "0.255.255.255", true }, { "1.0.0.0", false },
    /* 10/8 */
    { "9.255.255.255", false }, { "10.0.0.0", true }, { "10.255.255.255", true }, { "11.0.0.0", false },
    /* 100.64/10 shared address space */
    { "100.63.255.255", false }, { "100.64.0.0", true }, { "100.127.255.255", true }, { "100.128.0.0", false },
    /* 127/8 */
    { "126.255.255.255", false }, { "127.0.0.0", true }, { "127.0.0.1", true }, { "127.255.255.255", true },
    { "128.0.0.0", false },
    /* 169.254/16 link-local (cloud metadata) */
    { "169.253.255.255", false }, { "169.254.0.0", true }, { "169.254.169.254", true },
    { "169.254.255.255", true }, { "169.255.0.0", false },
    /* 172.16/12 */
    { "172.15.255.255", false }, { "172.16.0.0", true }, { "172.31.255.255", true }, { "172.32.0.0", false },
    /* 192.168/16 */
    { "192.167.255.255", false }, { "192.168.0.0", true }, { "192.168.255.255", true }, { "192.169.0.0", false },
    /* 198.18/15 benchmarking */
    { "198.17.255.255", false }, { "198.18.0.0", true }, { "198.18.0.1", true }, { "198.19.255.255", true },
    { "198.20.0.0", false },
    /* 224/4 multicast, 240/4 reserved, 255.255.255.255 broadcast */
    { "223.255.255.255", false }, { "224.0.0.0", true }, { "239.255.255.255", true }, { "240.0.0.0", true },
    { "255.255.255.255", true },
    /* public */
    { "8.8.8.8", false }, { "93.184.216.34", false }, { "1.1.1.1", false },

    /* :: and ::1 */
    { "::", true }, { "::1", true }, { "::2", true /* IPv4-compatible 0.0.0.2 */ },
    /* fc00::/7 */
    { "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false }, { "fc00::", true }, { "fd12:3456::1", true },
    { "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true }, { "fe00::", false },
    /* fe80::/10 link-local, fec0::/10 site-local */
    { "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false }, { "fe80::", true }, { "fe80::1", true },
    { "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true }, { "fec0::", true },
    { "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true },
    /* ff00::/8 multicast */
    { "ff00::", true }, { "ff02::1", true }, { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true },
    /* NAT64 64:ff9b::/96, whatever IPv4 address it embeds */
    { "64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", false }, { "64:ff9b::", true }, { "64:ff9b::7f00:1", true },
    { "64:ff9b::808:808", true }, { "64:ff9b::ffff:ffff", true }, { "64:ff9b::1:0:0", false },
    /* local-use NAT64 64:ff9b:1::/48 */
    { "64:ff9b:1::", true }, { "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", true }, { "64:ff9b:2::", false },
    { "64:ff9b:0:ffff::", false },
    /* 6to4 2002::/16 */
    { "2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false }, { "2002::", true }, { "2002:7f00:1::1", true },
    { "2002:808:808::1", true }, { "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true }, { "2003::", false },
    /* Teredo 2001::/32 */
    { "2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false }, { "2001::", true }, { "2001:0:4136:e378::1", true },
    { "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", true }, { "2001:1::", false },
    /* 2001:2::/48 benchmarking */
    { "2001:1:ffff:ffff:ffff:ffff:ffff:ffff", false }, { "2001:2::", true }, { "2001:2:0:ffff::1", true },
    { "2001:2:1::", false },
    /* IPv4-mapped ::ffff:0:0/96: judged by the IPv4 address */
    { "::ffff:127.0.0.1", true }, { "::ffff:10.1.2.3", true }, { "::ffff:192.168.0.10", true },
    { "::ffff:169.254.169.254", true }, { "::ffff:100.64.0.1", true }, { "::ffff:198.18.0.1", true },
    { "::ffff:0.0.0.0", true }, { "::ffff:224.0.0.1", true }, { "::ffff:8.8.8.8", false },
    { "::ffff:172.32.0.1", false },
    /* IPv4-compatible ::/96: judged by the IPv4 address */
    { "::127.0.0.1", true }, { "::10.0.0.1", true }, { "::169.254.169.254", true }, { "::198.19.0.1", true },
    { "::8.8.8.8", false }, { "::1:0:0", false /* outside ::/96 and ::ffff:0:0/96 */ },
    { "::fffe:7f00:1", false }, { "::1:ffff:7f00:1", false },
    /* public */
    { "2001:4860:4860::8888", false }, { "2606:4700::1111", false }, { "2a00:1450:4001::1", false },
};
/* clang-format on */

START_TEST(test_private_table)
{
    struct netaddr a;
    size_t i;

    for (i = 0; i < ARRAY_LEN(addr_cases); i++) {
        const struct addr_case *c = &addr_cases[i];

        ck_assert_msg(netaddr_parse(c->addr, &a) == 0, "'%s' does not parse", c->addr);
        ck_assert_msg(netaddr_is_private(&a) == c->is_private, "%s: expected %s", c->addr,
                      c->is_private ? "private" : "public");
        ck_assert_msg(netaddr_str_is_private(c->addr) == c->is_private, "%s (string form)",
                      c->addr);
    }
}
END_TEST

/* The worker's form: the struct sockaddr libcurl hands to CURLOPT_OPENSOCKETFUNCTION. */
START_TEST(test_private_sockaddr)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(addr_cases); i++) {
        const struct addr_case *c = &addr_cases[i];
        struct sockaddr_in s4;
        struct sockaddr_in6 s6;
        const struct sockaddr *sa;

        memset(&s4, 0, sizeof(s4));
        memset(&s6, 0, sizeof(s6));
        if (inet_pton(AF_INET, c->addr, &s4.sin_addr) == 1) {
            s4.sin_family = AF_INET;
            s4.sin_port = htons(80);
            sa = (const struct sockaddr *)(const void *)&s4;
        } else {
            ck_assert_int_eq(inet_pton(AF_INET6, c->addr, &s6.sin6_addr), 1);
            s6.sin6_family = AF_INET6;
            s6.sin6_port = htons(443);
            sa = (const struct sockaddr *)(const void *)&s6;
        }
        ck_assert_msg(netaddr_sockaddr_is_private(sa) == c->is_private, "%s as sockaddr", c->addr);
    }
}
END_TEST

START_TEST(test_private_other_forms)
{
    struct sockaddr sa;
    struct netaddr a;

    /* anything but AF_INET/AF_INET6 is no internet destination */
    memset(&sa, 0, sizeof(sa));
    sa.sa_family = AF_UNIX;
    ASSERT_TRUE(netaddr_sockaddr_is_private(&sa));
    ASSERT_TRUE(netaddr_sockaddr_is_private(NULL));
    /* no numeric address: the string form cannot judge it (host names are resolved first) */
    ASSERT_FALSE(netaddr_str_is_private("localhost"));
    ASSERT_FALSE(netaddr_str_is_private("[::1]"));
    ASSERT_FALSE(netaddr_str_is_private("127.0.0.1:80"));
    ASSERT_FALSE(netaddr_str_is_private(""));
    ASSERT_FALSE(netaddr_str_is_private(NULL));
    ASSERT_FAIL(netaddr_parse("127.1", &a));
    ASSERT_FAIL(netaddr_parse("0x7f.0.0.1", &a));
    ASSERT_FAIL(netaddr_parse("fe80::1%eth0", &a));
}
END_TEST

START_TEST(test_cidr_parse)
{
    static const char *const bad[] = {
        "",
        "/8",
        "10.0.0.0/",
        "10.0.0.0/33",
        "::/129",
        "10.0.0.1/8",
        "10.0.0.0/-8",
        "10.0.0.0/+8",
        "10.0.0.0/8x",
        "10.0.0.0/8/8",
        "10.0.0.0/0008",
        "10/8",
        "fe80::1/10",
        "::1/127",
        "host/32",
        "10.0.0.0 /8",
        "[::1]/128",
        "127.0.0.1/ 32",
    };
    struct netaddr_cidr c;
    char text[NETADDR_CIDR_STRLEN];
    size_t i;

    ASSERT_OK(netaddr_cidr_parse("127.0.0.1/32", &c));
    ck_assert_int_eq(c.net.family, AF_INET);
    ck_assert_uint_eq(c.bits, 32);
    ASSERT_OK(netaddr_cidr_parse("::1/128", &c));
    ck_assert_int_eq(c.net.family, AF_INET6);
    ck_assert_uint_eq(c.bits, 128);
    ASSERT_OK(netaddr_cidr_parse("0.0.0.0/0", &c));
    ck_assert_uint_eq(c.bits, 0);
    ASSERT_OK(netaddr_cidr_parse("::/0", &c));
    ASSERT_OK(netaddr_cidr_parse("172.16.0.0/12", &c));
    netaddr_cidr_format(&c, text, sizeof(text));
    ck_assert_str_eq(text, "172.16.0.0/12");
    ASSERT_OK(netaddr_cidr_parse("fd00:ab::/32", &c));
    netaddr_cidr_format(&c, text, sizeof(text));
    ck_assert_str_eq(text, "fd00:ab::/32");
    ASSERT_OK(netaddr_cidr_parse("10.1.2.3", &c)); /* a bare address is one host */
    ck_assert_uint_eq(c.bits, 32);
    ASSERT_OK(netaddr_cidr_parse("2001:db8::5", &c));
    ck_assert_uint_eq(c.bits, 128);
    ASSERT_OK(netaddr_cidr_parse("10.0.0.0/08", &c));
    ck_assert_uint_eq(c.bits, 8);
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        ck_assert_msg(netaddr_cidr_parse(bad[i], &c) == -1, "'%s' accepted", bad[i]);
    }
}
END_TEST

START_TEST(test_cidr_contains)
{
    struct netaddr_cidr c;
    struct netaddr a;

    ASSERT_OK(netaddr_cidr_parse("10.0.0.0/8", &c));
    ASSERT_OK(netaddr_parse("10.255.255.255", &a));
    ASSERT_TRUE(netaddr_cidr_contains(&c, &a));
    ASSERT_OK(netaddr_parse("11.0.0.0", &a));
    ASSERT_FALSE(netaddr_cidr_contains(&c, &a));
    ASSERT_OK(netaddr_parse("::ffff:10.1.1.1", &a)); /* a dual-stack socket's IPv4 peer */
    ASSERT_TRUE(netaddr_cidr_contains(&c, &a));
    ASSERT_OK(netaddr_parse("::10.1.1.1", &a)); /* compatible form is not the same peer */
    ASSERT_FALSE(netaddr_cidr_contains(&c, &a));

    ASSERT_OK(netaddr_cidr_parse("192.168.4.0/22", &c));
    ASSERT_OK(netaddr_parse("192.168.7.255", &a));
    ASSERT_TRUE(netaddr_cidr_contains(&c, &a));
    ASSERT_OK(netaddr_parse("192.168.8.0", &a));
    ASSERT_FALSE(netaddr_cidr_contains(&c, &a));
    ASSERT_OK(netaddr_parse("192.168.3.255", &a));
    ASSERT_FALSE(netaddr_cidr_contains(&c, &a));

    ASSERT_OK(netaddr_cidr_parse("fd00::/8", &c));
    ASSERT_OK(netaddr_parse("fdff::1", &a));
    ASSERT_TRUE(netaddr_cidr_contains(&c, &a));
    ASSERT_OK(netaddr_parse("fc00::1", &a));
    ASSERT_FALSE(netaddr_cidr_contains(&c, &a));
    ASSERT_OK(netaddr_parse("10.0.0.1", &a)); /* IPv4 never matches an IPv6 network */
    ASSERT_FALSE(netaddr_cidr_contains(&c, &a));

    ASSERT_OK(netaddr_cidr_parse("0.0.0.0/0", &c));
    ASSERT_OK(netaddr_parse("203.0.113.9", &a));
    ASSERT_TRUE(netaddr_cidr_contains(&c, &a));
    ASSERT_OK(netaddr_parse("2001:db8::1", &a));
    ASSERT_FALSE(netaddr_cidr_contains(&c, &a));
}
END_TEST

START_TEST(test_cidr_list)
{
    struct netaddr_list l = NETADDR_LIST_INIT;
    struct gw_err err = GW_ERR_INIT;

    ASSERT_OK(netaddr_list_parse("127.0.0.1/32 ::1/128", &l, &err));
    ck_assert_uint_eq(l.n, 2);
    ASSERT_TRUE(netaddr_list_contains_str(&l, "127.0.0.1"));
    ASSERT_TRUE(netaddr_list_contains_str(&l, "::1"));
    ASSERT_TRUE(netaddr_list_contains_str(&l, "::ffff:127.0.0.1"));
    ASSERT_FALSE(netaddr_list_contains_str(&l, "127.0.0.2"));
    ASSERT_FALSE(netaddr_list_contains_str(&l, "192.168.1.5"));
    ASSERT_FALSE(netaddr_list_contains_str(&l, "::2"));
    ASSERT_FALSE(netaddr_list_contains_str(&l, "localhost"));
    ASSERT_FALSE(netaddr_list_contains_str(&l, NULL));
    netaddr_list_release(&l);
    ck_assert_uint_eq(l.n, 0);
    ASSERT_NULL(l.v);

    /* runs of spaces and tabs separate; many entries grow the array */
    ASSERT_OK(netaddr_list_parse("  10.0.0.0/8\t172.16.0.0/12   192.168.0.0/16 fc00::/7 "
                                 "100.64.0.0/10 203.0.113.7 ",
                                 &l, &err));
    ck_assert_uint_eq(l.n, 6);
    ASSERT_TRUE(netaddr_list_contains_str(&l, "203.0.113.7"));
    ASSERT_TRUE(netaddr_list_contains_str(&l, "fd00::9"));
    ASSERT_FALSE(netaddr_list_contains_str(&l, "127.0.0.1"));
    netaddr_list_release(&l);

    ASSERT_FAIL(netaddr_list_parse("127.0.0.1/32 bogus", &l, &err));
    ck_assert_str_eq(err.msg, "'bogus' is not a CIDR");
    ck_assert_uint_eq(l.n, 0);
    ASSERT_NULL(l.v);
    gw_err_clear(&err);
    ASSERT_FAIL(netaddr_list_parse("127.0.0.1/32,::1/128", &l, &err));
    ck_assert_str_eq(err.msg, "'127.0.0.1/32,::1/128' is not a CIDR");
    gw_err_clear(&err);
    ASSERT_FAIL(netaddr_list_parse(" \t ", &l, &err));
    ck_assert_str_eq(err.msg, "no CIDR given");
    gw_err_clear(&err);
    ASSERT_FAIL(netaddr_list_parse("", &l, &err));
    gw_err_clear(&err);
    ASSERT_FAIL(netaddr_list_parse("1111:2222:3333:4444:5555:6666:7777:8888:9999/128", &l, &err));
}
END_TEST

Suite *
suite_netaddr(void)
{
    Suite *s = suite_create("netaddr");

    UNIT_TCASE(s, "private", 0, test_private_table, test_private_sockaddr,
               test_private_other_forms);
    UNIT_TCASE(s, "cidr", 0, test_cidr_parse, test_cidr_contains, test_cidr_list);
    return s;
}
