/* ctl_merchant.c: gatewayctl merchant create | rotate-keys | set-password (SPEC section 16). */
#include "ctl.h"

#include "crypto.h"
#include "jsonh.h"
#include "log.h"
#include "merchant.h"
#include "validate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define CTL_PASSWORD_MIN 8    /* characters */
#define CTL_PASSWORD_MAX 1024 /* bytes */
#define CTL_FIELD_MAX    255  /* characters, VARCHAR(255) */

static bool
ctl_valid_name(const char *s)
{
    size_t len = strlen(s), chars, i;

    if (len == 0 || !validate_utf8(s, len)) {
        return false;
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return false;
        }
    }
    chars = validate_utf8_chars(s, len);
    return chars >= 1 && chars <= CTL_FIELD_MAX;
}

/* local@domain: both parts non-empty, one '@', printable ASCII without spaces, <= 255. */
static bool
ctl_valid_email(const char *s)
{
    size_t len = strlen(s), i;
    const char *at = strchr(s, '@');

    if (len == 0 || len > CTL_FIELD_MAX || at == NULL || at == s || at[1] == '\0'
        || strchr(at + 1, '@') != NULL) {
        return false;
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) {
            return false;
        }
    }
    return true;
}

static void
ctl_strip_newline(char *s, size_t *len)
{
    if (*len > 0 && s[*len - 1] == '\n') {
        s[--*len] = '\0';
        if (*len > 0 && s[*len - 1] == '\r') {
            s[--*len] = '\0';
        }
    }
}

/* Whole of standard input (one trailing newline removed) into out (CTL_PASSWORD_MAX + 2). */
static int
ctl_password_from_stdin(char *out, size_t outsz)
{
    size_t len = 0, n;

    for (;;) {
        n = fread(out + len, 1, outsz - 1 - len, stdin);
        len += n;
        if (n == 0 || len == outsz - 1) {
            break;
        }
    }
    out[len] = '\0';
    if (ferror(stdin)) {
        return -1;
    }
    if (len == outsz - 1 && fgetc(stdin) != EOF) {
        return -2; /* too long */
    }
    ctl_strip_newline(out, &len);
    if (memchr(out, '\0', len) != NULL) {
        return -3;
    }
    return 0;
}

/* Prompts on fd (the terminal) with echo off and reads one line into out. */
static int
ctl_prompt_line(int fd, const char *prompt, char *out, size_t outsz)
{
    struct termios old, raw;
    size_t len = 0;
    ssize_t n;
    char c;
    int ret = -1;

    if (tcgetattr(fd, &old) != 0) {
        return -1;
    }
    raw = old;
    raw.c_lflag &= ~(tcflag_t)ECHO;
    raw.c_lflag |= ECHONL;
    if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &raw) != 0) {
        return -1;
    }
    for (;;) {
        n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0 || c == '\n') {
            break;
        }
        if (len + 1 >= outsz) {
            goto out; /* too long */
        }
        out[len++] = c;
    }
    out[len] = '\0';
    ctl_strip_newline(out, &len);
    ret = n < 0 ? -1 : 0;
out:
    (void)tcsetattr(fd, TCSAFLUSH, &old);
    return ret;
}

static int
ctl_password_prompt(char *pw, char *again, size_t sz)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    int ret = -1;

    if (fd < 0) {
        return ctl_fail("no terminal to prompt for the password; use --password-stdin", NULL);
    }
    if (ctl_prompt_line(fd, "Password: ", pw, sz) != 0
        || ctl_prompt_line(fd, "Repeat password: ", again, sz) != 0) {
        ret = ctl_fail("cannot read the password from the terminal", NULL);
        goto out;
    }
    if (strcmp(pw, again) != 0) {
        ret = ctl_fail("passwords do not match", NULL);
        goto out;
    }
    ret = 0;
out:
    (void)close(fd);
    return ret;
}

struct ctl_create_args {
    const char *name;
    const char *email;
    bool from_stdin;
};

/* CTL_OK, or CTL_USAGE / CTL_FAIL (already reported). */
static int
ctl_create_parse(int argc, char **argv, struct ctl_create_args *a)
{
    int i;

    memset(a, 0, sizeof(*a));
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--name") == 0 && i + 1 < argc && a->name == NULL) {
            a->name = argv[++i];
        } else if (strcmp(argv[i], "--email") == 0 && i + 1 < argc && a->email == NULL) {
            a->email = argv[++i];
        } else if (strcmp(argv[i], "--password-stdin") == 0 && !a->from_stdin) {
            a->from_stdin = true;
        } else {
            return ctl_usage();
        }
    }
    if (a->name == NULL || a->email == NULL) {
        return ctl_usage();
    }
    if (!ctl_valid_name(a->name)) {
        return ctl_fail("name must be 1 to 255 characters", NULL);
    }
    if (!ctl_valid_email(a->email)) {
        return ctl_fail("email must be a valid email address of at most 255 characters", NULL);
    }
    return CTL_OK;
}

/* The password from stdin or the terminal into pw (sz bytes); CTL_OK or CTL_FAIL. */
static int
ctl_create_password(bool from_stdin, char *pw, char *again, size_t sz)
{
    int rc;

    if (from_stdin) {
        rc = ctl_password_from_stdin(pw, sz);
        if (rc != 0) {
            return ctl_fail(rc == -2 ? "password is too long" : "cannot read the password", NULL);
        }
    } else if (ctl_password_prompt(pw, again, sz) != 0) {
        return CTL_FAIL;
    }
    if (!validate_utf8(pw, strlen(pw)) || validate_utf8_chars(pw, strlen(pw)) < CTL_PASSWORD_MIN) {
        return ctl_fail("password must be at least 8 characters", NULL);
    }
    return CTL_OK;
}

static int
ctl_create_print(const struct merchant *m)
{
    struct buf out;
    struct jw w;
    int ret;

    buf_init(&out, (size_t)16 * KIB);
    jw_init(&w, &out);
    merchant_write_created_json(&w, m);
    if (jw_finish(&w) != 0) {
        ret = ctl_fail("cannot serialise the result", NULL);
    } else {
        ret = ctl_print(&out);
    }
    crypto_wipe(out.data, out.len);
    buf_release(&out);
    return ret;
}

static int
ctl_merchant_create(int argc, char **argv)
{
    char pw[CTL_PASSWORD_MAX + 2] = { 0 }, again[CTL_PASSWORD_MAX + 2] = { 0 };
    struct gw_err err = GW_ERR_INIT;
    struct ctl_create_args a;
    struct merchant m;
    struct db *db = NULL;
    int ret;

    memset(&m, 0, sizeof(m));
    ret = ctl_create_parse(argc, argv, &a);
    if (ret != CTL_OK) {
        return ret;
    }
    ret = ctl_create_password(a.from_stdin, pw, again, sizeof(pw));
    if (ret != CTL_OK) {
        goto out;
    }
    ret = CTL_FAIL;
    db = ctl_open_db();
    if (db == NULL) {
        goto out;
    }
    if (merchant_create(db, a.name, a.email, pw, &m, &err) != 0) {
        ret = ctl_fail(err.code == GW_E_CONFLICT ? "merchant with this email already exists"
                                                 : "cannot create merchant",
                       &err);
        goto out;
    }
    ret = ctl_create_print(&m);
out:
    crypto_wipe(pw, sizeof(pw));
    crypto_wipe(again, sizeof(again));
    crypto_wipe(&m, sizeof(m));
    db_free(db);
    return ret;
}

static int
ctl_merchant_rotate(int argc, char **argv)
{
    struct gw_err err = GW_ERR_INIT;
    struct merchant m;
    struct db *db = NULL;
    struct buf out;
    struct jw w;
    int ret = CTL_FAIL;

    if (argc != 3 || argv[2][0] == '\0' || argv[2][0] == '-') {
        return ctl_usage();
    }
    memset(&m, 0, sizeof(m));
    buf_init(&out, (size_t)4 * KIB);
    db = ctl_open_db();
    if (db == NULL) {
        goto out;
    }
    if (merchant_rotate_keys(db, argv[2], &m, &err) != 0) {
        ret = ctl_fail(err.code == GW_E_NOT_FOUND ? "merchant not found" : "cannot rotate keys",
                       &err);
        goto out;
    }
    jw_init(&w, &out);
    jw_obj_begin(&w);
    jw_key(&w, "id");
    jw_str(&w, m.id);
    jw_key(&w, "api_key");
    jw_str(&w, m.api_key);
    jw_key(&w, "api_secret");
    jw_str(&w, m.api_secret);
    jw_obj_end(&w);
    if (jw_finish(&w) != 0) {
        ret = ctl_fail("cannot serialise the result", NULL);
        goto out;
    }
    ret = ctl_print(&out);
out:
    crypto_wipe(&m, sizeof(m));
    if (out.data != NULL) {
        crypto_wipe(out.data, out.len);
    }
    buf_release(&out);
    db_free(db);
    return ret;
}

/* merchant set-password <id-or-email> [--password-stdin] (SPEC 16, v2). */
static int
ctl_merchant_set_password(int argc, char **argv)
{
    char pw[CTL_PASSWORD_MAX + 2] = { 0 }, again[CTL_PASSWORD_MAX + 2] = { 0 };
    struct gw_err err = GW_ERR_INIT;
    const char *who = NULL;
    bool from_stdin = false;
    struct merchant m;
    struct db *db = NULL;
    struct buf out;
    struct jw w;
    int i, ret;

    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--password-stdin") == 0 && !from_stdin) {
            from_stdin = true;
        } else if (argv[i][0] != '-' && argv[i][0] != '\0' && who == NULL) {
            who = argv[i];
        } else {
            return ctl_usage();
        }
    }
    if (who == NULL) {
        return ctl_usage();
    }
    memset(&m, 0, sizeof(m));
    buf_init(&out, (size_t)4 * KIB);
    ret = ctl_create_password(from_stdin, pw, again, sizeof(pw));
    if (ret != CTL_OK) {
        goto out;
    }
    ret = CTL_FAIL;
    db = ctl_open_db();
    if (db == NULL) {
        goto out;
    }
    if (merchant_set_password(db, who, pw, &m, &err) != 0) {
        ret = ctl_fail(err.code == GW_E_NOT_FOUND ? "merchant not found" : "cannot set password",
                       &err);
        goto out;
    }
    jw_init(&w, &out);
    jw_obj_begin(&w);
    jw_key(&w, "id");
    jw_str(&w, m.id);
    jw_key(&w, "email");
    jw_str(&w, m.email);
    jw_key(&w, "password_set");
    jw_bool(&w, true);
    jw_obj_end(&w);
    if (jw_finish(&w) != 0) {
        ret = ctl_fail("cannot serialise the result", NULL);
        goto out;
    }
    ret = ctl_print(&out);
out:
    crypto_wipe(pw, sizeof(pw));
    crypto_wipe(again, sizeof(again));
    crypto_wipe(&m, sizeof(m));
    buf_release(&out);
    db_free(db);
    return ret;
}

/* merchant list: one JSON object per line, oldest first, never a secret. */
static int
ctl_merchant_list(int argc)
{
    struct gw_err err = GW_ERR_INIT;
    struct db *db = NULL;
    struct buf out;
    int ret = CTL_FAIL;

    if (argc != 2) {
        return ctl_usage();
    }
    buf_init(&out, 0); /* the default ceiling: every merchant */
    db = ctl_open_db();
    if (db == NULL) {
        goto out;
    }
    if (merchant_list_lines(db, &out, &err) != 0) {
        ret = ctl_fail("cannot list merchants", &err);
        goto out;
    }
    if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        ret = ctl_fail("cannot write to standard output", NULL);
        goto out;
    }
    ret = CTL_OK;
out:
    buf_release(&out);
    db_free(db);
    return ret;
}

/* merchant deactivate|activate <id-or-email>: an inactive merchant's keys, sessions, orders'
 * checkout and payments are refused (SPEC 4.2, 6.2) until it is activated again. */
static int
ctl_merchant_set_active(int argc, char **argv, bool active)
{
    struct gw_err err = GW_ERR_INIT;
    struct db *db = NULL;
    struct buf out;
    int ret = CTL_FAIL;

    if (argc != 3 || argv[2][0] == '\0' || argv[2][0] == '-') {
        return ctl_usage();
    }
    buf_init(&out, 256);
    db = ctl_open_db();
    if (db == NULL) {
        goto out;
    }
    if (merchant_set_active(db, argv[2], active, &out, &err) != 0) {
        ret = ctl_fail(
            err.code == GW_E_NOT_FOUND ? "merchant not found" : "cannot change the merchant", &err);
        goto out;
    }
    ret = ctl_print(&out);
out:
    buf_release(&out);
    db_free(db);
    return ret;
}

int
ctl_merchant(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "list") == 0) {
        return ctl_merchant_list(argc);
    }
    if (argc >= 2 && strcmp(argv[1], "deactivate") == 0) {
        return ctl_merchant_set_active(argc, argv, false);
    }
    if (argc >= 2 && strcmp(argv[1], "activate") == 0) {
        return ctl_merchant_set_active(argc, argv, true);
    }
    if (argc >= 2 && strcmp(argv[1], "create") == 0) {
        return ctl_merchant_create(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "rotate-keys") == 0) {
        return ctl_merchant_rotate(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "set-password") == 0) {
        return ctl_merchant_set_password(argc, argv);
    }
    return ctl_usage();
}
