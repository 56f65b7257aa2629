/*
 * test_expect.c - --expect / --expect-file parsing, which pins apply to a
 * session, and matching pins against real certificates.
 *
 * The certificates are the captures' leaves in pcaps/certs/; their SHA-256
 * values below are the cert_sha256 fields of pcaps/NAME.truth (written by
 * pcaps/record.sh from the certificates it generated), and the SPKI hash was
 * computed with `openssl pkey -pubin -outform DER | sha256sum`, so neither
 * comes from the code under test.  tests/vectors/expect_*.pem come from
 * make-expect.sh; expect_good.conf and expect_bad.conf are written by hand.
 * Run from the top of the tree (the paths are relative to it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/expect.h"
#include "analyze/x509.h"
#include "tests/pem_der.h"

/* cert_sha256 in pcaps/NAME.truth */
#define SHA_CLEAN  "9001F777571DD69123CC6CF5F7BD4E953D20A5AA36B919872C9122DFF6B9C571"
#define SHA_WRONG  "088B39956B7D3C6B59E1303B2CD9889059F75820E130CE5010C21DC57FA9C49A"
#define SHA_WILD   "BEB90912ED758CCF78A1BED31E4690B2488061DFA0DF23907764D78E334B9B48"
#define SHA_APPL   "FDC16EA00778160C1923C73FCD355C92EF97CA14B3A635CCE65E1E9067F36DB5"
/* `openssl x509 -fingerprint -sha256` of pcaps/certs/clean-tls12.pem */
#define FP_CLEAN   "90:01:F7:77:57:1D:D6:91:23:CC:6C:F5:F7:BD:4E:95:3D:20:A5:AA:36:B9:19:87:2C:91:22:DF:F6:B9:C5:71"
/* SHA-256 of clean-tls12's SubjectPublicKeyInfo (openssl pkey | sha256sum) */
#define SPKI_CLEAN "9f84e680b636663109d4a787e0b37ff887a6230cd11ceac7f9ac96ab9f20d687"

#define V "tests/vectors/"

/* ------------------------------------------------------------- helpers */

static struct x509_cache *cache;

static int setup(void **state)
{
    (void)state;
    cache = x509_cache_new(0);
    return cache != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    x509_cache_free(cache);
    return 0;
}

/* leaf reads pcaps/certs/NAME.pem through x509_cache_get (the DER exactly
 * as in the file). */
static const struct x509_info *leaf(const char *name)
{
    const struct x509_info *xi = pem_cert(cache, name);

    assert_true(xi->parsed);
    return xi;
}

static void done(const struct x509_info *xi)
{
    x509_cache_release(cache, xi);
}

static void hash_eq(const uint8_t h[32], const char *hex)
{
    char got[65];

    for (size_t i = 0; i < 32; i++)
        snprintf(got + 2 * i, 3, "%02X", h[i]);
    assert_string_equal(got, hex);
}

/* add adds |spec| from the command line and asserts that it is accepted;
 * returns the first new pin. */
static const struct expect_pin *add(struct expect_set *s, const char *spec)
{
    char err[512] = "";
    size_t before = expect_pin_count(s);

    if (expect_add(s, spec, "--expect", err, sizeof(err)) != 0)
        fail_msg("refused '%s': %s", spec, err);
    assert_true(expect_pin_count(s) > before);
    return expect_pin_at(s, before);
}

/* refused asserts that |spec| is refused with a message that contains
 * |want|, and that the set is unchanged. */
static void refused(struct expect_set *s, const char *spec, const char *want)
{
    char err[512] = "";
    size_t rules = expect_count(s), pins = expect_pin_count(s);

    if (expect_add(s, spec, "--expect", err, sizeof(err)) != -1)
        fail_msg("accepted '%s'", spec);
    if (strstr(err, want) == NULL)
        fail_msg("'%s': got \"%s\", want \"%s\"", spec, err, want);
    assert_null(strchr(err, '\n'));
    assert_int_equal(expect_count(s), rules);
    assert_int_equal(expect_pin_count(s), pins);
}

static struct cap_addr addr(const char *s)
{
    struct cap_addr a;

    assert_true(cap_addr_parse(s, &a));
    return a;
}

/* ------------------------------------------------------------- parsing */

static void test_add_kinds(void **state)
{
    struct expect_set *s = expect_new();
    const struct expect_pin *p;

    (void)state;
    assert_non_null(s);

    p = add(s, "sha256:" SHA_CLEAN);
    assert_int_equal(p->kind, EXPECT_SHA256);
    hash_eq(p->hash, SHA_CLEAN);
    assert_int_equal(p->scope, EXPECT_ANY_SERVER);
    assert_null(p->server);
    assert_null(p->value);
    assert_null(p->pem_file);
    assert_string_equal(p->origin, "--expect");
    assert_string_equal(p->spec, "sha256:" SHA_CLEAN);
    assert_int_equal(p->rule, 0);

    /* openssl's fingerprint format, lower case, and a kind in capitals */
    hash_eq(add(s, "sha256:" FP_CLEAN)->hash, SHA_CLEAN);
    hash_eq(add(s, "SHA256:9001f777571dd69123cc6cf5f7bd4e953d20a5aa36b919872c9122dff6b9c571")->hash,
            SHA_CLEAN);
    hash_eq(add(s, "sha256:90:01:f7:77:57:1d:d6:91:23:cc:6c:f5:f7:bd:4e:95:3d:20:a5:aa:36:b9:19:87:"
                   "2c:91:22:df:f6:b9:c5:71")->hash, SHA_CLEAN);

    p = add(s, "  spki:" SPKI_CLEAN "  ");
    assert_int_equal(p->kind, EXPECT_SPKI);
    hash_eq(p->hash, "9F84E680B636663109D4A787E0B37FF887A6230CD11CEAC7F9AC96AB9F20D687");
    assert_string_equal(p->spec, "spki:" SPKI_CLEAN);

    p = add(s, "name:Mail.Example.TEST.");
    assert_int_equal(p->kind, EXPECT_NAME);
    assert_string_equal(p->value, "mail.example.test");
    assert_string_equal(add(s, "name:bücher.example")->value, "xn--bcher-kva.example");
    assert_string_equal(add(s, "name: 2001:DB8:0::25 ")->value, "2001:db8::25");
    assert_string_equal(add(s, "Name:192.0.2.25")->value, "192.0.2.25");

    p = add(s, "issuer:Let's Encrypt");
    assert_int_equal(p->kind, EXPECT_ISSUER);
    assert_string_equal(p->value, "Let's Encrypt");
    /* a pin kind first: no SERVER part, even with '=' in the value */
    p = add(s, "issuer:CN=mxwitness Test Intermediate CA,O=mxwitness test");
    assert_null(p->server);
    assert_string_equal(p->value, "CN=mxwitness Test Intermediate CA,O=mxwitness test");

    assert_int_equal(expect_count(s), 11);
    assert_int_equal(expect_pin_count(s), 11);
    assert_int_equal(expect_pin_at(s, 10)->rule, 10);
    assert_null(expect_pin_at(s, 11));

    /* origin NULL means the command line */
    char err[128];
    assert_int_equal(expect_add(s, "name:mail.example.test", NULL, err, sizeof(err)), 0);
    assert_string_equal(expect_pin_at(s, 11)->origin, "--expect");
    expect_free(s);
}

static void test_add_servers(void **state)
{
    struct expect_set *s = expect_new();
    const struct expect_pin *p;
    struct cap_addr a;

    (void)state;
    p = add(s, "192.0.2.25=name:mail.example.test");
    assert_int_equal(p->scope, EXPECT_IP);
    a = addr("192.0.2.25");
    assert_memory_equal(&p->addr, &a, sizeof(a));
    assert_string_equal(p->server, "192.0.2.25");

    p = add(s, "192.0.2.25:25=name:mail.example.test");
    assert_int_equal(p->scope, EXPECT_IP_PORT);
    assert_memory_equal(&p->addr, &a, sizeof(a));
    assert_int_equal(p->port, 25);
    assert_string_equal(p->server, "192.0.2.25:25");

    a = addr("2001:db8::25");
    p = add(s, "2001:db8::25=name:mail.example.test");
    assert_int_equal(p->scope, EXPECT_IP);
    assert_memory_equal(&p->addr, &a, sizeof(a));
    p = add(s, "[2001:DB8::25]=name:mail.example.test");
    assert_int_equal(p->scope, EXPECT_IP);
    assert_memory_equal(&p->addr, &a, sizeof(a));
    p = add(s, "[2001:db8::25]:65535=name:mail.example.test");
    assert_int_equal(p->scope, EXPECT_IP_PORT);
    assert_memory_equal(&p->addr, &a, sizeof(a));
    assert_int_equal(p->port, 65535);

    p = add(s, " MX1.Example.Test. = sha256:" SHA_CLEAN);
    assert_int_equal(p->scope, EXPECT_HOST);
    assert_string_equal(p->host, "mx1.example.test");
    assert_string_equal(p->server, "MX1.Example.Test.");
    assert_string_equal(p->spec, "MX1.Example.Test.=sha256:" SHA_CLEAN);
    p = add(s, "bücher.example=sha256:" SHA_CLEAN);
    assert_string_equal(p->host, "xn--bcher-kva.example");

    /* the first '=' splits: the value may hold more */
    p = add(s, "mail=issuer:CN=Foo,O=Bar");
    assert_string_equal(p->server, "mail");
    assert_string_equal(p->value, "CN=Foo,O=Bar");
    expect_free(s);
}

static void test_add_errors(void **state)
{
    struct expect_set *s = expect_new();
    char err[512];

    (void)state;
    /* the whole message for one of them */
    assert_int_equal(expect_add(s, "mail=sha256:12", "--expect", err, sizeof(err)), -1);
    assert_string_equal(err, "--expect 'mail=sha256:12': sha256 needs 64 hex digits, got 2");
    assert_int_equal(expect_add(s, "sha1:00", "expected.conf:7", err, sizeof(err)), -1);
    assert_string_equal(err, "expected.conf:7 'sha1:00': unknown pin kind 'sha1'");

    refused(s, "sha1:0123456789abcdef0123456789abcdef01234567", "unknown pin kind 'sha1'");
    refused(s, "mail=md5:00", "unknown pin kind 'md5'");
    refused(s, "mail.example.test", "is not KIND:VALUE");
    refused(s, "", "empty expectation");
    refused(s, "   \t ", "empty expectation");
    refused(s, "mail=", "no pin after '='");
    refused(s, "=sha256:" SHA_CLEAN, "empty server");
    refused(s, "  =name:mail.example.test", "empty server");

    /* hashes */
    refused(s, "sha256:" SHA_CLEAN "0", "sha256 needs 64 hex digits, got 65");
    refused(s, "sha256:9001F777571DD69123CC6CF5F7BD4E953D20A5AA36B919872C9122DFF6B9C57",
            "got 63");   /* odd */
    refused(s, "spki:9f84e6", "spki needs 64 hex digits, got 6");
    refused(s, "sha256:g001F777571DD69123CC6CF5F7BD4E953D20A5AA36B919872C9122DFF6B9C571",
            "'g' is not a hex digit");
    refused(s, "sha256:9001F777 571DD69123CC6CF5F7BD4E953D20A5AA36B919872C9122DFF6B9C571",
            "byte 0x20 is not a hex digit");
    refused(s, "sha256:900:1F:77", "misplaced ':'");
    refused(s, "sha256:" FP_CLEAN ":", "misplaced ':'");
    refused(s, "sha256::" SHA_CLEAN, "misplaced ':'");
    refused(s, "sha256:", "sha256: empty value");

    /* servers */
    refused(s, "192.0.2.1:0=name:mail.example.test", "bad port");
    refused(s, "192.0.2.1:65536=name:mail.example.test", "bad port");
    refused(s, "192.0.2.1:=name:mail.example.test", "bad port");
    refused(s, "192.0.2.1:25x=name:mail.example.test", "bad port");
    refused(s, "192.0.2.1:+25=name:mail.example.test", "bad port");
    refused(s, "192.0.2.1:000025=name:mail.example.test", "bad port");
    refused(s, "[2001:db8::1]:70000=name:mail.example.test", "bad port");
    refused(s, "[2001:db8::1]25=name:mail.example.test", "bad port");
    refused(s, "[2001:db8::1=name:mail.example.test", "missing ']'");
    refused(s, "[192.0.2.1]:25=name:mail.example.test", "not an IPv6 address in brackets");
    refused(s, "mail.example.test:25=name:mail.example.test", "a port needs an IP address");
    refused(s, "2001:db8::zz=name:mail.example.test", "not an IPv6 address");
    refused(s, "2001:db8::1:25:99:1:2:3=name:mail.example.test", "not an IPv6 address");
    refused(s, "bad_host=name:mail.example.test", "server 'bad_host' is not an IP address or host name");
    refused(s, "192.0.2=name:mail.example.test", "is not an IP address or host name");
    refused(s, "*.example.test=name:mail.example.test", "is not an IP address or host name");

    /* values */
    refused(s, "name:", "name: empty value");
    refused(s, "name:a..b", "name: 'a..b' is not a host name or IP address");
    refused(s, "name:*.example.test", "is not a host name");
    refused(s, "issuer:   ", "issuer: empty value");
    refused(s, "pem:", "pem: empty value");
    refused(s, "pem:" V "no-such-file.pem",
            "pem: cannot read '" V "no-such-file.pem': No such file or directory");
    refused(s, "pem:" V, "Is a directory");
    refused(s, "pem:" V "expect_keyonly.pem", "pem: no certificate in '" V "expect_keyonly.pem'");
    refused(s, "pem:" V "expect_good.conf", "no certificate in");
    refused(s, "pem:" V "expect_notcert.pem", "block 1 (CERTIFICATE) is not a certificate");
    refused(s, "pem:" V "expect_badpem.pem", "bad PEM");

    /* a short buffer gets as much as fits, NUL-terminated */
    memset(err, 'x', sizeof(err));
    assert_int_equal(expect_add(s, "sha1:00", "--expect", err, 12), -1);
    assert_string_equal(err, "--expect 's");
    assert_int_equal(expect_add(s, "sha1:00", "--expect", NULL, 0), -1);
    assert_int_equal(expect_add(NULL, "sha1:00", "--expect", err, sizeof(err)), -1);

    assert_int_equal(expect_count(s), 0);
    assert_int_equal(expect_pin_count(s), 0);
    expect_free(s);
}

static void test_add_pem(void **state)
{
    struct expect_set *s = expect_new();
    const struct expect_pin *p1, *p2;

    (void)state;
    add(s, "name:mail.example.test");
    p1 = add(s, "mail.example.test=pem:" V "expect_bundle.pem");
    assert_int_equal(expect_count(s), 2);
    assert_int_equal(expect_pin_count(s), 3);   /* one per certificate, the key skipped */
    p2 = expect_pin_at(s, 2);
    assert_int_equal(p1->kind, EXPECT_SHA256);
    assert_int_equal(p2->kind, EXPECT_SHA256);
    hash_eq(p1->hash, SHA_CLEAN);
    hash_eq(p2->hash, SHA_WRONG);
    assert_string_equal(p1->pem_file, V "expect_bundle.pem");
    assert_int_equal(p1->pem_index, 1);
    assert_int_equal(p2->pem_index, 2);
    assert_int_equal(p1->pem_count, 2);
    assert_int_equal(p2->pem_count, 2);
    assert_int_equal(p1->rule, 1);
    assert_int_equal(p2->rule, 1);
    assert_int_equal(p2->scope, EXPECT_HOST);
    assert_string_equal(p2->host, "mail.example.test");
    assert_string_equal(p2->spec, "mail.example.test=pem:" V "expect_bundle.pem");

    /* a TRUSTED CERTIFICATE pins the certificate part */
    p1 = add(s, "pem:" V "expect_trusted.pem");
    hash_eq(p1->hash, SHA_CLEAN);
    assert_int_equal(p1->pem_count, 1);

    /* a capture's certificate file */
    hash_eq(add(s, "pem:pcaps/certs/wildcard-mismatch.pem")->hash, SHA_WILD);
    expect_free(s);
}

/* ------------------------------------------------------------- files */

static void test_file_good(void **state)
{
    struct expect_set *s = expect_new();
    const struct expect_pin *p;
    char err[512] = "";

    (void)state;
    if (expect_add_file(s, V "expect_good.conf", err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(expect_count(s), 5);
    assert_int_equal(expect_pin_count(s), 6);

    p = expect_pin_at(s, 0);
    assert_string_equal(p->origin, V "expect_good.conf:4");
    assert_int_equal(p->scope, EXPECT_IP_PORT);
    assert_int_equal(p->port, 25);
    hash_eq(p->hash, SHA_CLEAN);
    assert_string_equal(p->spec, "198.51.100.25:25=sha256:" SHA_CLEAN);

    /* pem: relative to the file's directory, shown as written */
    p = expect_pin_at(s, 1);
    assert_string_equal(p->origin, V "expect_good.conf:5");
    assert_string_equal(p->pem_file, "expect_bundle.pem");
    hash_eq(p->hash, SHA_CLEAN);
    hash_eq(expect_pin_at(s, 2)->hash, SHA_WRONG);
    assert_string_equal(expect_pin_at(s, 2)->origin, V "expect_good.conf:5");

    p = expect_pin_at(s, 3);
    assert_string_equal(p->origin, V "expect_good.conf:6");
    assert_int_equal(p->kind, EXPECT_SPKI);
    hash_eq(p->hash, "9F84E680B636663109D4A787E0B37FF887A6230CD11CEAC7F9AC96AB9F20D687");

    /* '#' not after whitespace is part of the value */
    p = expect_pin_at(s, 4);
    assert_string_equal(p->origin, V "expect_good.conf:7");
    assert_string_equal(p->value, "Test Intermediate#not-a-comment");

    p = expect_pin_at(s, 5);
    assert_string_equal(p->origin, V "expect_good.conf:8");
    assert_string_equal(p->value, "mail.example.test");
    assert_int_equal(p->rule, 4);
    expect_free(s);
}

static void test_file_bad(void **state)
{
    struct expect_set *s = expect_new();
    char err[512] = "";

    (void)state;
    add(s, "name:mail.example.test");
    assert_int_equal(expect_add_file(s, V "expect_bad.conf", err, sizeof(err)), -1);
    assert_string_equal(err, V "expect_bad.conf:5: unknown pin kind 'sha1'");
    /* the lines before the bad one are undone, earlier specs stay */
    assert_int_equal(expect_count(s), 1);
    assert_int_equal(expect_pin_count(s), 1);

    assert_int_equal(expect_add_file(s, V "no-such.conf", err, sizeof(err)), -1);
    assert_string_equal(err, V "no-such.conf: cannot read: No such file or directory");
    assert_int_equal(expect_add_file(s, "tests", err, sizeof(err)), -1);
    assert_string_equal(err, "tests: cannot read: Is a directory");
    assert_int_equal(expect_count(s), 1);
    expect_free(s);
}

/* write_tmp writes |len| bytes to a new file in |dir| and returns its path. */
static const char *write_tmp(const char *dir, const char *name, const char *text, size_t len)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void test_file_edges(void **state)
{
    char dir[] = "/tmp/mxw-test-expect-XXXXXX";
    char err[512], want[600], cwd[4096];
    struct expect_set *s = expect_new();
    const char *path;
    char *big;

    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_non_null(getcwd(cwd, sizeof(cwd)));

    /* empty file, comments only: fine, nothing added */
    path = write_tmp(dir, "empty.conf", "", 0);
    assert_int_equal(expect_add_file(s, path, err, sizeof(err)), 0);
    path = write_tmp(dir, "comments.conf", "# a\n\n   # b\n\t\n", 14);
    assert_int_equal(expect_add_file(s, path, err, sizeof(err)), 0);
    assert_int_equal(expect_count(s), 0);

    /* CRLF line ends, no newline at the end, an absolute pem: path */
    {
        char text[1024];
        int n = snprintf(text, sizeof(text),
                         "name:a.example\r\n# c\r\n192.0.2.1=pem:%s/" V "expect_trusted.pem\r\n"
                         "issuer:X", cwd);
        path = write_tmp(dir, "crlf.conf", text, (size_t)n);
    }
    if (expect_add_file(s, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(expect_count(s), 3);
    assert_string_equal(expect_pin_at(s, 0)->value, "a.example");
    hash_eq(expect_pin_at(s, 1)->hash, SHA_CLEAN);
    snprintf(want, sizeof(want), "%s:3", path);
    assert_string_equal(expect_pin_at(s, 1)->origin, want);
    assert_string_equal(expect_pin_at(s, 2)->value, "X");
    snprintf(want, sizeof(want), "%s:4", path);
    assert_string_equal(expect_pin_at(s, 2)->origin, want);

    /* a NUL byte inside a line is an error on that line */
    path = write_tmp(dir, "nul.conf", "name:a.example\nname:b\0.example\n", 31);
    assert_int_equal(expect_add_file(s, path, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:2: NUL byte in the line", path);
    assert_string_equal(err, want);

    /* a relative pem: that exists next to the file, not in the cwd */
    path = write_tmp(dir, "rel.conf", "pem:no-such.pem\n", 16);
    assert_int_equal(expect_add_file(s, path, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:1: pem: cannot read 'no-such.pem': No such file or directory",
             path);
    assert_string_equal(err, want);

    /* an overlong line */
    big = malloc(70000);
    assert_non_null(big);
    memset(big, 'a', 70000);
    memcpy(big, "name:", 5);
    path = write_tmp(dir, "long.conf", big, 70000);
    assert_int_equal(expect_add_file(s, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":1: line longer than"));
    free(big);

    /* a line of another kind of garbage: bytes that are not UTF-8 */
    path = write_tmp(dir, "bin.conf", "\n\n\xFF\xFE=name:a.example\n", 20);
    assert_int_equal(expect_add_file(s, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":3: server '\\xFF\\xFE' is not an IP address or host name"));

    assert_int_equal(expect_count(s), 3);
    expect_free(s);

    const char *names[] = { "empty.conf", "comments.conf", "crlf.conf", "nul.conf", "rel.conf",
                            "long.conf", "bin.conf" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char p[600];

        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        assert_int_equal(unlink(p), 0);
    }
    assert_int_equal(rmdir(dir), 0);
}

/* ------------------------------------------------------------- lookup */

static struct expect_set *lookup_set(void)
{
    struct expect_set *s = expect_new();

    add(s, "198.51.100.25:25=sha256:" SHA_CLEAN);                    /* 0 */
    add(s, "198.51.100.25=sha256:" SHA_WRONG);                       /* 1 */
    add(s, "mail.example.test=name:mail.example.test");              /* 2 */
    add(s, "[2001:db8::25]:25=spki:" SPKI_CLEAN);                    /* 3 */
    add(s, "sha256:" SHA_APPL);                                      /* 4 global */
    add(s, "issuer:mxwitness");                                      /* 5 global */
    add(s, "203.0.113.9=pem:" V "expect_bundle.pem");                /* 6, 7 */
    add(s, "bücher.example=name:bücher.example");                    /* 8 */
    assert_int_equal(expect_pin_count(s), 9);
    return s;
}

/* got asserts that lookup(t) gives exactly the pins at the indexes |want|
 * (-1 ends the list). */
static void got(const struct expect_set *s, const struct expect_target *t, const int *want)
{
    const struct expect_pin *out[16];
    size_t n = expect_lookup(s, t, out, 16), nw = 0;

    while (want[nw] >= 0)
        nw++;
    if (n != nw)
        fail_msg("lookup gave %zu pins, want %zu", n, nw);
    for (size_t i = 0; i < n; i++)
        assert_ptr_equal(out[i], expect_pin_at(s, (size_t)want[i]));
}

static void test_lookup(void **state)
{
    struct expect_set *s = lookup_set();
    struct expect_target t;
    const char *sni_banner[] = { "MAIL.Example.Test.", "banner.example" };
    const char *junk_then_name[] = { "not a name!", NULL, "", "mail.example.test" };
    const char *idn[] = { "xn--bcher-kva.example" };
    const struct expect_pin *out[2];

    (void)state;
    memset(&t, 0, sizeof(t));

    /* IP:PORT and IP together (a union) */
    t.addr = addr("198.51.100.25");
    t.port = 25;
    got(s, &t, (const int[]){ 0, 1, -1 });
    /* another port: the IP rule only */
    t.port = 587;
    got(s, &t, (const int[]){ 1, -1 });
    /* and a host name seen as SNI/banner adds its rule */
    t.port = 25;
    t.names = sni_banner;
    t.nnames = 2;
    got(s, &t, (const int[]){ 0, 1, 2, -1 });

    /* an unknown address, the host name in the EHLO reply after junk */
    t.addr = addr("192.0.2.99");
    t.names = junk_then_name;
    t.nnames = 4;
    got(s, &t, (const int[]){ 2, -1 });
    /* nothing specific: the global rules */
    t.nnames = 2;   /* only the junk */
    got(s, &t, (const int[]){ 4, 5, -1 });
    t.names = NULL;
    t.nnames = 0;
    got(s, &t, (const int[]){ 4, 5, -1 });

    /* IPv6 with a port */
    t.addr = addr("2001:db8::25");
    t.port = 25;
    got(s, &t, (const int[]){ 3, -1 });
    t.port = 26;
    got(s, &t, (const int[]){ 4, 5, -1 });

    /* a pem: rule gives every certificate of its file */
    t.addr = addr("203.0.113.9");
    t.port = 465;
    got(s, &t, (const int[]){ 6, 7, -1 });

    /* IDN: the rule's U-label equals the session's A-label */
    t.addr = addr("192.0.2.99");
    t.names = idn;
    t.nnames = 1;
    got(s, &t, (const int[]){ 8, -1 });

    /* no target: the global rules */
    got(s, NULL, (const int[]){ 4, 5, -1 });

    /* more pins than room: the count is complete, |out| holds the first */
    t.addr = addr("198.51.100.25");
    t.port = 25;
    t.names = sni_banner;
    t.nnames = 2;
    out[1] = NULL;
    assert_int_equal(expect_lookup(s, &t, out, 1), 3);
    assert_ptr_equal(out[0], expect_pin_at(s, 0));
    assert_null(out[1]);
    assert_int_equal(expect_lookup(s, &t, NULL, 0), 3);
    assert_int_equal(expect_lookup(NULL, &t, out, 2), 0);
    expect_free(s);

    /* no global rule and nothing specific: nothing is expected */
    s = expect_new();
    add(s, "198.51.100.25=sha256:" SHA_WRONG);
    t.addr = addr("192.0.2.1");
    assert_int_equal(expect_lookup(s, &t, out, 2), 0);
    /* IPv4 is not its IPv4-mapped IPv6 form */
    t.addr = addr("::ffff:198.51.100.25");
    assert_int_equal(expect_lookup(s, &t, out, 2), 0);
    expect_free(s);
}

/* ------------------------------------------------------------- matching */

static void test_matches(void **state)
{
    struct expect_set *s = expect_new();
    const struct x509_info *clean = leaf("clean-tls12"), *wrong = leaf("wrong-hostname");
    const struct x509_info *wild = leaf("wildcard-mismatch"), *appl = leaf("appliance-outside");
    static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
    const struct x509_info *unparsed = x509_cache_get(cache, junk, sizeof(junk));
    const struct expect_pin *p;
    char spec[128];

    (void)state;
    assert_non_null(unparsed);
    assert_false(unparsed->parsed);
    assert_string_equal(clean->sha256_hex, SHA_CLEAN);   /* the truth file agrees with x509.c */

    p = add(s, "sha256:" FP_CLEAN);
    assert_true(expect_pin_matches(p, clean));
    assert_false(expect_pin_matches(p, wrong));
    assert_false(expect_pin_matches(p, unparsed));
    assert_false(expect_pin_matches(p, NULL));
    assert_false(expect_pin_matches(NULL, clean));

    /* a certificate that does not parse still has a SHA-256 to pin */
    snprintf(spec, sizeof(spec), "sha256:%s", unparsed->sha256_hex);
    p = add(s, spec);
    assert_true(expect_pin_matches(p, unparsed));
    assert_false(expect_pin_matches(p, clean));

    p = add(s, "spki:" SPKI_CLEAN);
    assert_true(expect_pin_matches(p, clean));
    assert_false(expect_pin_matches(p, wrong));
    assert_false(expect_pin_matches(p, unparsed));
    /* an all-zero spki pin does not match the zeroed SPKI of an unparsed one */
    p = add(s, "spki:0000000000000000000000000000000000000000000000000000000000000000");
    assert_false(expect_pin_matches(p, unparsed));

    p = add(s, "name:MAIL.example.test");
    assert_true(expect_pin_matches(p, clean));
    assert_true(expect_pin_matches(p, wild));     /* *.example.test */
    assert_false(expect_pin_matches(p, wrong));   /* other.example.test */
    assert_false(expect_pin_matches(p, appl));
    assert_false(expect_pin_matches(p, unparsed));
    p = add(s, "name:mx.mail.example.test");
    assert_false(expect_pin_matches(p, wild));    /* one label only */

    p = add(s, "issuer:TEST INTERMEDIATE");
    assert_true(expect_pin_matches(p, clean));
    assert_true(expect_pin_matches(p, wrong));
    assert_false(expect_pin_matches(p, appl));    /* CN=barracuda.local,O=mxwitness test appliance */
    assert_false(expect_pin_matches(p, unparsed));
    p = add(s, "issuer:CN=mxwitness Test Intermediate CA,O=mxwitness test");
    assert_true(expect_pin_matches(p, clean));
    p = add(s, "issuer:O=mxwitness test appliance");
    assert_true(expect_pin_matches(p, appl));
    assert_false(expect_pin_matches(p, clean));

    /* a pem: bundle: each pin is one certificate, together they are alternatives */
    p = add(s, "pem:" V "expect_bundle.pem");
    const struct expect_pin *p2 = expect_pin_at(s, expect_pin_count(s) - 1);
    assert_true(expect_pin_matches(p, clean));
    assert_false(expect_pin_matches(p, wrong));
    assert_true(expect_pin_matches(p2, wrong));
    assert_false(expect_pin_matches(p2, wild));

    done(clean);
    done(wrong);
    done(wild);
    done(appl);
    done(unparsed);
    expect_free(s);
}

/* ------------------------------------------------------------- describe */

static void test_describe(void **state)
{
    struct expect_set *s = expect_new();
    char buf[256], err[256];

    (void)state;
    expect_pin_describe(add(s, "sha256:" SHA_CLEAN), buf, sizeof(buf));
    assert_string_equal(buf, "sha256:9001F7\xE2\x80\xA6" "B9C571 (--expect)");
    expect_pin_describe(add(s, "spki:" SPKI_CLEAN), buf, sizeof(buf));
    assert_string_equal(buf, "spki:9F84E6\xE2\x80\xA6" "20D687 (--expect)");
    expect_pin_describe(add(s, "mx=name:Mail.Contoso.com"), buf, sizeof(buf));
    assert_string_equal(buf, "name:mail.contoso.com (--expect)");
    expect_pin_describe(add(s, "pem:" V "expect_trusted.pem"), buf, sizeof(buf));
    assert_string_equal(buf, "sha256:9001F7\xE2\x80\xA6" "B9C571 (pem:" V "expect_trusted.pem, --expect)");
    add(s, "pem:" V "expect_bundle.pem");
    expect_pin_describe(expect_pin_at(s, expect_pin_count(s) - 1), buf, sizeof(buf));
    assert_string_equal(buf, "sha256:088B39\xE2\x80\xA6" "A9C49A (pem:" V "expect_bundle.pem #2 of 2, --expect)");

    assert_int_equal(expect_add(s, "issuer:Let's Encrypt", "expected.conf:4", err, sizeof(err)), 0);
    expect_pin_describe(expect_pin_at(s, expect_pin_count(s) - 1), buf, sizeof(buf));
    assert_string_equal(buf, "issuer:Let's Encrypt (expected.conf:4)");

    /* cut short: never inside the ellipsis */
    expect_pin_describe(expect_pin_at(s, 0), buf, 15);
    assert_string_equal(buf, "sha256:9001F7");
    expect_pin_describe(expect_pin_at(s, 0), buf, 16);
    assert_string_equal(buf, "sha256:9001F7");
    expect_pin_describe(expect_pin_at(s, 0), buf, 17);
    assert_string_equal(buf, "sha256:9001F7\xE2\x80\xA6");
    expect_pin_describe(expect_pin_at(s, 0), buf, 18);
    assert_string_equal(buf, "sha256:9001F7\xE2\x80\xA6" "B");
    expect_pin_describe(expect_pin_at(s, 0), buf, 1);
    assert_string_equal(buf, "");
    expect_pin_describe(NULL, buf, sizeof(buf));
    assert_string_equal(buf, "(none)");
    expect_free(s);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(expect_kind_name(EXPECT_SHA256), "sha256");
    assert_string_equal(expect_kind_name(EXPECT_SPKI), "spki");
    assert_string_equal(expect_kind_name(EXPECT_NAME), "name");
    assert_string_equal(expect_kind_name(EXPECT_ISSUER), "issuer");
    assert_string_equal(expect_scope_name(EXPECT_ANY_SERVER), "any");
    assert_string_equal(expect_scope_name(EXPECT_IP_PORT), "ip_port");
    assert_string_equal(expect_scope_name(EXPECT_IP), "ip");
    assert_string_equal(expect_scope_name(EXPECT_HOST), "host");
    expect_free(NULL);
    assert_int_equal(expect_count(NULL), 0);
    assert_int_equal(expect_pin_count(NULL), 0);
    assert_null(expect_pin_at(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_kinds),
        cmocka_unit_test(test_add_servers),
        cmocka_unit_test(test_add_errors),
        cmocka_unit_test(test_add_pem),
        cmocka_unit_test(test_file_good),
        cmocka_unit_test(test_file_bad),
        cmocka_unit_test(test_file_edges),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_matches),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests_name("expect", tests, setup, teardown);
}
