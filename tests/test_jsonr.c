/*
 * test_jsonr.c - the JSON reader: paths and array positions, every escape
 * (surrogate pairs too), numbers, and each kind of bad text refused with
 * its reason; every prefix of a valid text is refused, never over-read
 * (the sanitizer build runs this).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonr.h"

struct seen {
    char text[4096];
    size_t len;
    int stop_after;                  /* stop the walk after this many values (0: never) */
    int n;
};

static bool record(void *ctx, const char *path, long index, const struct jsonr_value *v)
{
    struct seen *s = ctx;
    char one[512];

    switch (v->type) {
    case JSONR_NULL: snprintf(one, sizeof(one), "%s[%ld]=null;", path, index); break;
    case JSONR_BOOL: snprintf(one, sizeof(one), "%s[%ld]=%s;", path, index, v->b ? "true" : "false"); break;
    case JSONR_NUMBER:
        if (v->is_u64)
            snprintf(one, sizeof(one), "%s[%ld]=%llu;", path, index, (unsigned long long)v->u64);
        else
            snprintf(one, sizeof(one), "%s[%ld]=num;", path, index);
        break;
    case JSONR_STRING:
        snprintf(one, sizeof(one), "%s[%ld]='%.200s'%s;", path, index, v->str,
                 v->cut ? "(cut)" : "");
        break;
    }
    if (s->len + strlen(one) < sizeof(s->text)) {
        memcpy(s->text + s->len, one, strlen(one) + 1);
        s->len += strlen(one);
    }
    return !(s->stop_after && ++s->n >= s->stop_after);
}

static const char *walk(const char *json, int *rc, char *err, size_t errlen)
{
    static struct seen s;

    memset(&s, 0, sizeof(s));
    *rc = jsonr_walk(json, strlen(json), record, &s, err, errlen);
    return s.text;
}

static void test_paths(void **state)
{
    char err[128];
    int rc;
    const char *out;

    (void)state;
    out = walk(" {\"@timestamp\":\"2026-01-01T00:00:00.000001Z\",\"event\":{\"dataset\":"
               "\"mxwitness.session\"},\"tls\":{\"alerts\":[{\"from\":\"client\",\"level\":2},"
               "{\"from\":\"server\"}],\"server\":{\"certificate_chain_sha256\":[\"AA\",\"BB\"]}},"
               "\"n\":null,\"t\":true,\"f\":false,\"e\":{},\"a\":[]}\n", &rc, err, sizeof(err));
    assert_int_equal(rc, 0);
    assert_string_equal(out,
                        "@timestamp[-1]='2026-01-01T00:00:00.000001Z';"
                        "event.dataset[-1]='mxwitness.session';"
                        "tls.alerts.from[0]='client';tls.alerts.level[0]=2;"
                        "tls.alerts.from[1]='server';"
                        "tls.server.certificate_chain_sha256[0]='AA';"
                        "tls.server.certificate_chain_sha256[1]='BB';"
                        "n[-1]=null;t[-1]=true;f[-1]=false;");
    out = walk("[1,[2,3],\"x\"]", &rc, err, sizeof(err));
    assert_int_equal(rc, 0);
    assert_string_equal(out, "[0]=1;[0]=2;[1]=3;[2]='x';");
}

static void test_strings(void **state)
{
    char err[128];
    int rc;
    const char *out;

    (void)state;
    out = walk("{\"k\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20AC\\ud83d\\ude00\"}", &rc, err,
               sizeof(err));
    assert_int_equal(rc, 0);
    assert_string_equal(out, "k[-1]='a\"b\\c/d\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80';");
    /* what the writer makes of a byte that is not UTF-8 (\u00HH) reads back as that code point */
    out = walk("{\"k\":\"\\u00ff\"}", &rc, err, sizeof(err));
    assert_int_equal(rc, 0);
    assert_string_equal(out, "k[-1]='\xc3\xbf';");
}

static void test_long_string_cut(void **state)
{
    size_t n = JSONR_STR_MAX + 100;
    char *json = malloc(n + 16);
    struct seen s;
    int rc;

    (void)state;
    assert_non_null(json);
    memcpy(json, "[\"", 2);
    memset(json + 2, 'x', n);
    memcpy(json + 2 + n, "\"]", 3);
    memset(&s, 0, sizeof(s));
    rc = jsonr_walk(json, strlen(json), record, &s, NULL, 0);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(s.text, "(cut)"));
    free(json);
}

static void test_numbers(void **state)
{
    char err[128];
    int rc;
    const char *out;

    (void)state;
    out = walk("[0,18446744073709551615,18446744073709551616,-1,1.5,2e3,1E-2]", &rc, err,
               sizeof(err));
    assert_int_equal(rc, 0);
    assert_string_equal(out, "[0]=0;[1]=18446744073709551615;[2]=num;[3]=num;[4]=num;[5]=num;"
                             "[6]=num;");
}

static void test_bad(void **state)
{
    static const struct { const char *json, *why; } cases[] = {
        {"", "expected a value"},
        {"{", "expected a key"},
        {"{\"a\"}", "expected ':'"},
        {"{\"a\":1,}", "expected a key"},
        {"[1 2]", "expected ',' or ']'"},
        {"[1,]", "expected a value"},
        {"\"abc", "unterminated string"},
        {"\"a\x01\"", "control character in a string"},
        {"\"\\x\"", "bad escape"},
        {"\"\\u12G4\"", "bad \\u escape"},
        {"\"\\ud800\"", "lone surrogate"},
        {"\"\\udc00\"", "lone surrogate"},
        {"01", "text after the value"},
        {"-", "bad number"},
        {"1.", "bad fraction"},
        {"1e", "bad exponent"},
        {"tru", "bad literal"},
        {"nul", "bad literal"},
        {"{} {}", "text after the value"},
    };
    char err[128];
    int rc;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        walk(cases[i].json, &rc, err, sizeof(err));
        if (rc != -1 || strncmp(err, cases[i].why, strlen(cases[i].why)) != 0)
            fail_msg("%s: rc %d, err '%s', want '%s'", cases[i].json, rc, err, cases[i].why);
    }
}

static void test_depth(void **state)
{
    char json[2 * JSONR_MAX_DEPTH + 8], err[128];
    int rc;

    (void)state;
    memset(json, 0, sizeof(json));
    memset(json, '[', JSONR_MAX_DEPTH);
    memset(json + JSONR_MAX_DEPTH, ']', JSONR_MAX_DEPTH);
    walk(json, &rc, err, sizeof(err));
    assert_int_equal(rc, 0);
    memset(json, 0, sizeof(json));
    memset(json, '[', JSONR_MAX_DEPTH + 1);
    memset(json + JSONR_MAX_DEPTH + 1, ']', JSONR_MAX_DEPTH + 1);
    walk(json, &rc, err, sizeof(err));
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "nested too deep"));
}

/* Every proper prefix of a valid text is refused (an exact-size copy, so
 * that the sanitizer sees any read past it). */
static void test_prefixes(void **state)
{
    static const char full[] = "{\"a\":[1,2.5e1,true,null,\"\\u00e9x\"],\"b\":{\"c\":false}}";
    size_t n = strlen(full);

    (void)state;
    for (size_t k = 0; k < n; k++) {
        char *p = malloc(k ? k : 1), err[128];
        struct seen s;

        assert_non_null(p);
        memcpy(p, full, k);
        memset(&s, 0, sizeof(s));
        assert_int_equal(jsonr_walk(p, k, record, &s, err, sizeof(err)), -1);
        free(p);
    }
}

static void test_stop(void **state)
{
    struct seen s;
    const char *json = "[1,2,3,4]";

    (void)state;
    memset(&s, 0, sizeof(s));
    s.stop_after = 2;
    assert_int_equal(jsonr_walk(json, strlen(json), record, &s, NULL, 0), 0);
    assert_string_equal(s.text, "[0]=1;[1]=2;");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_long_string_cut),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_stop),
    };

    return cmocka_run_group_tests_name("jsonr", tests, NULL, NULL);
}
