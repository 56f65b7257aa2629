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

#include "analyze/out.h"

/* Run |fn| on |in| and return what it printed (static buffer). */
static const char *capture(void (*fn)(FILE *, const uint8_t *, size_t), const void *in, size_t n)
{
    static char buf[1024];
    FILE *f = fmemopen(buf, sizeof(buf), "w");

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
    assert_string_equal(capture(out_text_escaped, "a\\b", 3), "a\\\\b");
    assert_string_equal(capture(out_text_escaped, "\xc3\xa9", 2), "\\xC3\\xA9");
    assert_string_equal(capture(out_text_escaped, "x\0y", 3), "x\\x00y");
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
    assert_string_equal(out_endpoint(&a4, 25, b, sizeof(b)), "192.0.2.1:25");
    assert_string_equal(out_endpoint(&a6, 587, b, sizeof(b)), "[2001:db8::1]:587");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_escapes_controls),
        cmocka_unit_test(test_json_strings),
        cmocka_unit_test(test_time_and_endpoints),
    };

    return cmocka_run_group_tests_name("out", tests, NULL, NULL);
}
