/*
 * test_out.c - escaping of wire bytes for terminals and JSON, and formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/json.h"
#include "capture/cap_ip.h"
#include "lib/out.h"

/* Run |fn| on |in| and return what it printed (static buffer). */
static const char *capture(void (*fn)(FILE *, const uint8_t *, size_t), const void *in, size_t n)
{
    static char buf[1024];
    FILE *f;

    memset(buf, 0, sizeof(buf));
    f = fmemopen(buf, sizeof(buf), "w");
    assert_non_null(f);
    fn(f, in, n);
    fclose(f);
    return buf;
}

static void test_text_escapes_controls(void **state)
{
    (void)state;
    /* an ANSI escape sequence, a bell and a CR from the wire never reach the terminal raw */
    assert_string_equal(capture(out_text_escaped, "220 \x1b[31mred\a\r", 14),
                        "220 \\x1B[31mred\\x07\\x0D");
    /* an RFC 2253 name keeps its single backslashes */
    assert_string_equal(capture(out_text_escaped, "CN=a\\<b\\,c", 10), "CN=a\\<b\\,c");
    assert_string_equal(capture(out_text_escaped, "a\\b", 3), "a\\b");
    assert_string_equal(capture(out_text_escaped, "a\\", 2), "a\\");
    /* ... and doubles one that would start an escape */
    assert_string_equal(capture(out_text_escaped, "\\x41", 4), "\\\\x41");
    assert_string_equal(capture(out_text_escaped, "\\\\", 2), "\\\\\\");
    assert_string_equal(capture(out_text_escaped, "\\\x1b", 2), "\\\\\\x1B");
    assert_string_equal(capture(out_text_escaped, "\xc3\xa9", 2), "\\xC3\\xA9");
    assert_string_equal(capture(out_text_escaped, "x\0y", 3), "x\\x00y");
}

/* text_unescape reads out_text_escaped's output back: "\xHH" a byte,
 * "\\" a backslash, any other backslash itself. */
static size_t text_unescape(const char *s, uint8_t *out)
{
    size_t n = 0;

    while (*s != '\0') {
        if (s[0] == '\\' && s[1] == 'x' && s[2] != '\0' && s[3] != '\0') {
            char hx[3] = {s[2], s[3], '\0'};

            out[n++] = (uint8_t)strtoul(hx, NULL, 16);
            s += 4;
        } else if (s[0] == '\\' && s[1] == '\\') {
            out[n++] = '\\';
            s += 2;
        } else {
            out[n++] = (uint8_t)*s++;
        }
    }
    return n;
}

static void test_text_escape_round_trip(void **state)
{
    static const uint8_t alphabet[] = {'\\', 'x', 'A', '1', 0x1b, 0xc3, ' ', '<'};
    uint32_t seed = 12345;

    (void)state;
    for (int round = 0; round < 20000; round++) {
        uint8_t in[12], back[64];
        size_t n = (size_t)(round % 12), m;
        const char *out;

        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = alphabet[(seed >> 16) % sizeof(alphabet)];
        }
        out = capture(out_text_escaped, in, n);
        for (const char *c = out; *c != '\0'; c++)
            assert_true(*c >= 0x20 && *c < 0x7f);
        m = text_unescape(out, back);
        assert_int_equal(m, n);
        assert_memory_equal(back, in, n);
    }
}

/* html_lit escapes a string literal (its NULs too) for HTML. */
#define html_lit(lit) capture(out_html_escaped, lit, sizeof(lit) - 1)

static void test_html_escapes(void **state)
{
    (void)state;
    /* markup and both quotes become entities: text, and safe in an attribute */
    assert_string_equal(html_lit("<script>alert(\"x\")</script>"),
                        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    assert_string_equal(html_lit("\"><img src=x onerror='a'>&"),
                        "&quot;&gt;&lt;img src=x onerror=&#39;a&#39;&gt;&amp;");
    assert_string_equal(html_lit("&amp;"), "&amp;amp;");
    /* controls are shown, never raw */
    assert_string_equal(html_lit("220 \x1b[31m\r\n\x7f"),
                        "220 \\x1B[31m\\x0D\\x0A\\x7F");
    assert_string_equal(html_lit("x\0y"), "x\\x00y");
    /* valid UTF-8 goes through; invalid bytes are shown one by one */
    assert_string_equal(html_lit("caf\xc3\xa9 \xf0\x9f\x93\xa7"),
                        "caf\xc3\xa9 \xf0\x9f\x93\xa7");
    assert_string_equal(html_lit("\xff\xc3"), "\\xFF\\xC3");
    assert_string_equal(html_lit("\xc0\xaf"), "\\xC0\\xAF");
    assert_string_equal(html_lit("\xed\xa0\x80"), "\\xED\\xA0\\x80");
    /* what would hide or reorder text: C1, right-to-left override, zero width, BOM */
    assert_string_equal(html_lit("a\xc2\x85" "b"), "a\\xC2\\x85b");
    assert_string_equal(html_lit("moc.\xe2\x80\xae" "evil"),
                        "moc.\\xE2\\x80\\xAEevil");
    assert_string_equal(html_lit("\xe2\x80\x8b\xef\xbb\xbf"),
                        "\\xE2\\x80\\x8B\\xEF\\xBB\\xBF");
    assert_string_equal(html_lit("\xe2\x81\xa6"), "\\xE2\\x81\\xA6");
    /* backslashes as out_text_escaped writes them */
    assert_string_equal(html_lit("CN=a\\<b\\,c"), "CN=a\\&lt;b\\,c");
    assert_string_equal(html_lit("\\x41"), "\\\\x41");
    assert_string_equal(html_lit("\\\x1b"), "\\\\\\x1B");
    assert_string_equal(html_lit("a\\"), "a\\");
}

/* html_unescape undoes the five entities out_html_escaped writes (anything
 * else after '&' fails the test), then text_unescape reads the rest. */
static size_t html_unescape(const char *s, uint8_t *out)
{
    static const char *const ent[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
    static const char ch[] = "&<>\"'";
    char plain[512];
    size_t n = 0;

    while (*s != '\0') {
        if (*s == '&') {
            size_t k;

            for (k = 0; k < 5; k++)
                if (strncmp(s, ent[k], strlen(ent[k])) == 0)
                    break;
            assert_true(k < 5);
            plain[n++] = ch[k];
            s += strlen(ent[k]);
        } else {
            plain[n++] = *s++;
        }
        assert_true(n < sizeof(plain));
    }
    plain[n] = '\0';
    return text_unescape(plain, out);
}

static void test_html_escape_round_trip(void **state)
{
    static const uint8_t alphabet[] = {'\\', 'x', 'A', '<', '>', '&', '"', '\'', 0x1b, 0x00,
                                       0xc3, 0xa9, 0xe2, 0x80, 0xae, 0xff, ' '};
    uint32_t seed = 777;

    (void)state;
    for (int round = 0; round < 20000; round++) {
        uint8_t in[14], back[128];
        size_t n = (size_t)(round % 14), m;
        const char *out;

        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = alphabet[(seed >> 16) % sizeof(alphabet)];
        }
        out = capture(out_html_escaped, in, n);
        /* nothing that could open a tag or leave an attribute, no raw control,
         * and valid UTF-8 throughout */
        assert_null(strpbrk(out, "<>\"'"));
        for (const char *c = out; *c != '\0'; c++)
            assert_true((uint8_t)*c >= 0x20 && (uint8_t)*c != 0x7f);
        assert_int_equal(out_json_plain((const uint8_t *)out, strlen(out)) <= strlen(out), 1);
        m = html_unescape(out, back);
        assert_int_equal(m, n);
        assert_memory_equal(back, in, n);
    }
}

static void test_json_strings(void **state)
{
    (void)state;
    assert_string_equal(capture(out_json_string, "say \"hi\"\\", 9), "\"say \\\"hi\\\"\\\\\"");
    assert_string_equal(capture(out_json_string, "a\r\n\t\x01\x7f", 6),
                        "\"a\\r\\n\\t\\u0001\\u007f\"");
    /* valid UTF-8 passes through; invalid bytes become code points */
    assert_string_equal(capture(out_json_string, "caf\xc3\xa9", 5), "\"caf\xc3\xa9\"");
    assert_string_equal(capture(out_json_string, "\xff\xc3", 2), "\"\\u00ff\\u00c3\"");
    /* overlong encoding and a UTF-16 surrogate are not valid UTF-8 */
    assert_string_equal(capture(out_json_string, "\xc0\xaf", 2), "\"\\u00c0\\u00af\"");
    assert_string_equal(capture(out_json_string, "\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\"");
    assert_string_equal(capture(out_json_string, "\xf0\x9f\x93\xa7", 4), "\"\xf0\x9f\x93\xa7\"");
    assert_string_equal(capture(out_json_string, "\xf0\x9f\x93", 3), "\"\\u00f0\\u009f\\u0093\"");
}

static void test_time_and_endpoints(void **state)
{
    char b[64];
    struct cap_addr a4 = {.family = 4, .b = {192, 0, 2, 1}};
    struct cap_addr a6 = {.family = 6, .b = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}};

    (void)state;
    assert_string_equal(out_time_rfc3339(1388017124762850ull, b, sizeof(b)),
                        "2013-12-26T00:18:44.762850Z");
    assert_string_equal(out_time_rfc3339(0, b, sizeof(b)), "1970-01-01T00:00:00.000000Z");
    assert_string_equal(cap_endpoint_format(&a4, 25, b, sizeof(b)), "192.0.2.1:25");
    assert_string_equal(cap_endpoint_format(&a6, 587, b, sizeof(b)), "[2001:db8::1]:587");
}

/* out_u64 writes two digits at a time: every length, odd and even, and
 * the values on either side of each power of ten, as printf writes them. */
static void test_u64_digits(void **state)
{
    char d[OUT_U64_MAX], want[32];
    uint64_t p = 1;

    (void)state;
    for (int k = 0; k <= 20; k++) {
        uint64_t vs[] = {p - 1, p, p + 1, p * 9 + (p - 1) / 3};

        for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
            char *o = out_u64(d, vs[i]);

            snprintf(want, sizeof(want), "%llu", (unsigned long long)vs[i]);
            assert_int_equal((size_t)(d + sizeof(d) - o), strlen(want));
            assert_memory_equal(o, want, strlen(want));
        }
        if (k < 19)
            p *= 10;
        else
            p = UINT64_MAX;
    }
}

/* The JSON writer: commas and nesting, every kind of value, and the same
 * text whichever byte of its buffer a key, a comma or a value falls on (the
 * inline paths write in place; near the end they flush first). */
static void test_json_writer(void **state)
{
    char *text = NULL, want[256];
    size_t n = 0;
    FILE *f;
    struct json *j = malloc(sizeof(*j));

    (void)state;
    assert_non_null(j);
    f = open_memstream(&text, &n);
    assert_non_null(f);
    json_init(j, f);
    json_obj(j, NULL);
    json_str(j, "s", "a\"b\n");
    json_strn(j, "raw", (const uint8_t *)"x\0y", 3);
    json_u64(j, "u", 18446744073709551615ull);
    json_i64(j, "i", -42);
    json_bool(j, "t", true);
    json_null(j, "z");
    json_str(j, "n", NULL);
    json_ascii(j, "a", "2026-11-29T00:00:00Z");
    json_arr(j, "v");
    json_u64(j, NULL, 0);
    json_obj(j, NULL);
    json_obj_end(j);
    json_arr(j, NULL);
    json_arr_end(j);
    json_raw(j, NULL, "{\"k\":1}", 7);
    json_arr_end(j);
    json_obj_end(j);
    json_end(j);
    fclose(f);
    assert_string_equal(text, "{\"s\":\"a\\\"b\\n\",\"raw\":\"x\\u0000y\",\"u\":18446744073709551615,"
                              "\"i\":-42,\"t\":true,\"z\":null,\"n\":null,"
                              "\"a\":\"2026-11-29T00:00:00Z\",\"v\":[0,{},[],{\"k\":1}]}\n");
    free(text);

    /* Two padding strings, the second one byte longer each round, before
     * the same fields: the fields' bytes land on every offset of the
     * buffer's end in turn. */
    for (size_t k = 0; k <= 120; k++) {
        size_t a = JSON_BUF_SIZE / 2 - 10, b = JSON_BUF_SIZE / 2 - 100 + k, wl;
        char *p = malloc(a + 1), *q = malloc(b + 1);

        assert_non_null(p);
        assert_non_null(q);
        memset(p, 'p', a);
        p[a] = '\0';
        memset(q, 'q', b);
        q[b] = '\0';
        text = NULL;
        f = open_memstream(&text, &n);
        assert_non_null(f);
        json_init(j, f);
        json_obj(j, NULL);
        json_str(j, "p", p);
        json_str(j, "q", q);
        json_obj(j, "object_key");
        json_u64(j, "number", 1234567);
        json_bool(j, "flag", false);
        json_ascii(j, "ascii", "ABCDEF0123");
        json_arr(j, "list");
        json_i64(j, NULL, -1);
        json_null(j, NULL);
        json_arr_end(j);
        json_obj_end(j);
        json_str(j, "quote", "\"");
        json_obj_end(j);
        json_end(j);
        fclose(f);
        wl = (size_t)snprintf(want, sizeof(want), "\",\"object_key\":{\"number\":1234567,"
                              "\"flag\":false,\"ascii\":\"ABCDEF0123\",\"list\":[-1,null]},"
                              "\"quote\":\"\\\"\"}\n");
        assert_int_equal(n, 6 + a + 7 + b + wl);
        assert_memory_equal(text, "{\"p\":\"", 6);
        assert_memory_equal(text + 6, p, a);
        assert_memory_equal(text + 6 + a, "\",\"q\":\"", 7);
        assert_memory_equal(text + 13 + a, q, b);
        assert_memory_equal(text + 13 + a + b, want, wl);
        free(text);
        free(p);
        free(q);
    }
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_escapes_controls),
        cmocka_unit_test(test_text_escape_round_trip),
        cmocka_unit_test(test_html_escapes),
        cmocka_unit_test(test_html_escape_round_trip),
        cmocka_unit_test(test_json_strings),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test(test_time_and_endpoints),
        cmocka_unit_test(test_u64_digits),
    };

    return cmocka_run_group_tests_name("out", tests, NULL, NULL);
}
