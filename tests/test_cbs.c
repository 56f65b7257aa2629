/*
 * test_cbs.c - the byte cursor: every getter on good input, on input one
 * byte short (must fail and leave the cursor alone), and the line reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/cbs.h"

static void test_integers(void **state)
{
    static const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a};
    struct cbs c;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;

    (void)state;
    cbs_init(&c, b, sizeof(b));
    assert_true(cbs_get_u8(&c, &u8));
    assert_int_equal(u8, 0x01);
    assert_true(cbs_get_u16(&c, &u16));
    assert_int_equal(u16, 0x0203);
    assert_true(cbs_get_u24(&c, &u32));
    assert_int_equal(u32, 0x040506);
    assert_true(cbs_peek_u16(&c, &u16));
    assert_int_equal(u16, 0x0708);
    assert_true(cbs_get_u32(&c, &u32));
    assert_int_equal(u32, 0x0708090a);
    assert_int_equal(cbs_len(&c), 0);
    assert_false(cbs_get_u8(&c, &u8));

    cbs_init(&c, b, 4);
    assert_true(cbs_get_u16le(&c, &u16));
    assert_int_equal(u16, 0x0201);
    cbs_init(&c, b, 4);
    assert_true(cbs_get_u32le(&c, &u32));
    assert_int_equal(u32, 0x04030201);
    assert_int_equal(cbs_len(&c), 0);

    /* peeks leave the cursor where it was */
    cbs_init(&c, b + 2, 2);
    assert_true(cbs_peek_u8(&c, &u8));
    assert_int_equal(u8, 0x03);
    assert_true(cbs_peek_u16(&c, &u16));
    assert_int_equal(u16, 0x0304);
    assert_int_equal(cbs_len(&c), 2);
    assert_ptr_equal(cbs_data(&c), b + 2);
}

/* One byte short: every getter fails and the cursor does not move. */
static void test_short_input_leaves_cursor(void **state)
{
    static const uint8_t b[] = {0xff, 0xff, 0xff};
    struct cbs c, out;
    uint8_t u8, copy[4] = {0};
    uint16_t u16;
    uint32_t u32;

    (void)state;
    cbs_init(&c, b, 0);
    assert_false(cbs_peek_u8(&c, &u8));
    assert_false(cbs_get_u8(&c, &u8));
    assert_true(cbs_copy_bytes(&c, copy, 0)); /* nothing asked, nothing read */
    cbs_init(&c, b, 1);
    assert_false(cbs_get_u16(&c, &u16));
    assert_false(cbs_get_u16le(&c, &u16));
    assert_false(cbs_peek_u16(&c, &u16));
    cbs_init(&c, b, 2);
    assert_false(cbs_get_u24(&c, &u32));
    cbs_init(&c, b, 3);
    assert_false(cbs_get_u32(&c, &u32));
    assert_false(cbs_get_u32le(&c, &u32));
    assert_false(cbs_get_bytes(&c, &out, 4));
    assert_false(cbs_copy_bytes(&c, copy, 4));
    assert_memory_equal(copy, "\0\0\0\0", 4); /* not even partly copied */
    assert_false(cbs_skip(&c, 4));
    assert_int_equal(cbs_len(&c), 3);
    assert_ptr_equal(cbs_data(&c), b);
}

static void test_prefixed(void **state)
{
    static const uint8_t good[] = {0x00, 0x03, 'a', 'b', 'c', 0x01, 'z'};
    static const uint8_t bad[] = {0x00, 0x05, 'a', 'b', 'c'};
    static const uint8_t u24[] = {0x00, 0x00, 0x02, 'h', 'i'};
    struct cbs c, out, inner;

    (void)state;
    cbs_init(&c, good, sizeof(good));
    assert_true(cbs_get_u16_prefixed(&c, &out));
    assert_true(cbs_mem_eq(&out, "abc", 3));
    assert_true(cbs_get_u8_prefixed(&c, &inner));
    assert_true(cbs_mem_eq(&inner, "z", 1));
    assert_int_equal(cbs_len(&c), 0);

    cbs_init(&c, bad, sizeof(bad));
    assert_false(cbs_get_u16_prefixed(&c, &out));
    assert_int_equal(cbs_len(&c), sizeof(bad)); /* the length was not consumed either */

    cbs_init(&c, u24, sizeof(u24));
    assert_true(cbs_get_u24_prefixed(&c, &out));
    assert_true(cbs_mem_eq(&out, "hi", 2));
}

static void test_lines(void **state)
{
    static const char text[] = "220 mx ESMTP\r\n250-SIZE\n250 STARTTLS\r\npartial";
    struct cbs c, line;
    bool too_long;

    (void)state;
    cbs_init(&c, (const uint8_t *)text, strlen(text));
    assert_true(cbs_get_line(&c, &line, 512, &too_long));
    assert_true(cbs_mem_eq(&line, "220 mx ESMTP", 12));
    assert_true(cbs_get_line(&c, &line, 512, &too_long)); /* bare LF accepted */
    assert_true(cbs_mem_eq(&line, "250-SIZE", 8));
    assert_true(cbs_get_line(&c, &line, 512, &too_long));
    assert_true(cbs_eq_nocase(&line, "250 starttls"));
    assert_false(cbs_get_line(&c, &line, 512, &too_long)); /* needs more */
    assert_false(too_long);
    assert_int_equal(cbs_len(&c), 7);
    /* the terminator must come within max bytes */
    cbs_init(&c, (const uint8_t *)"abcdef\r\n", 8);
    assert_false(cbs_get_line(&c, &line, 4, &too_long));
    assert_true(too_long);
    assert_true(cbs_get_line(&c, &line, 8, &too_long));
    assert_true(cbs_mem_eq(&line, "abcdef", 6));
}

/* What cbs_get_text_line must agree with: cbs_get_line, then a check of
 * the bytes before the line feed (or of all |max| when there is none). */
static bool ref_text_line(struct cbs *c, struct cbs *out, size_t max, bool *too_long,
                          bool *binary)
{
    struct cbs save = *c, rest = *c, scan = *c;
    bool got = cbs_get_line(c, out, max, too_long);
    uint8_t b;

    if (got)
        cbs_get_bytes(&rest, &scan, cbs_len(out));
    else if (cbs_len(&rest) > max)
        cbs_get_bytes(&rest, &scan, max);
    *binary = false;
    while (cbs_get_u8(&scan, &b))
        if ((b < 0x20 && b != '\t' && b != '\r') || b == 0x7f)
            *binary = true;
    if (*binary) {
        *c = save;
        *too_long = false;
        return false;
    }
    return got;
}

static void test_text_lines(void **state)
{
    uint8_t buf[40];
    struct cbs c, line, rc, rline;
    bool too_long, binary, rtoo_long, rbinary;

    (void)state;
    /* every byte value at every position of a line, with and without the
     * line feed, under several limits (the word-at-a-time path included) */
    for (size_t len = 1; len <= 24; len++)
        for (size_t at = 0; at < len; at++)
            for (unsigned v = 0; v < 256; v++)
                for (size_t max = 1; max <= 28; max += 3) {
                    memset(buf, 'a', sizeof(buf));
                    buf[len - 1] = '\n';
                    if (len > 1)
                        buf[len - 2] = '\r';
                    buf[at] = (uint8_t)v;
                    for (int lf = 0; lf < 2; lf++) {
                        size_t n = lf ? len : len - 1;
                        bool got, rgot;

                        cbs_init(&c, buf, n);
                        rc = c;
                        got = cbs_get_text_line(&c, &line, max, &too_long, &binary);
                        rgot = ref_text_line(&rc, &rline, max, &rtoo_long, &rbinary);
                        assert_int_equal(got, rgot);
                        assert_int_equal(binary, rbinary);
                        assert_int_equal(too_long, rtoo_long);
                        assert_ptr_equal(cbs_data(&c), cbs_data(&rc));
                        assert_int_equal(cbs_len(&c), cbs_len(&rc));
                        if (got) {
                            assert_ptr_equal(cbs_data(&line), cbs_data(&rline));
                            assert_int_equal(cbs_len(&line), cbs_len(&rline));
                        }
                    }
                }
    cbs_init(&c, (const uint8_t *)"EHLO a\tb\r\nQUIT\r\n\x16\x03", 18);
    assert_true(cbs_get_text_line(&c, &line, 512, &too_long, &binary));
    assert_true(cbs_mem_eq(&line, "EHLO a\tb", 8));
    assert_true(cbs_get_text_line(&c, &line, 512, NULL, NULL));
    assert_true(cbs_mem_eq(&line, "QUIT", 4));
    assert_false(cbs_get_text_line(&c, &line, 512, &too_long, &binary));
    assert_true(binary);
    assert_false(too_long);
    assert_int_equal(cbs_len(&c), 2);
}

static void test_words(void **state)
{
    struct cbs c, w;

    (void)state;
    cbs_init(&c, (const uint8_t *)"MAIL FROM:<a>\tx", 15);
    assert_true(cbs_get_word(&c, &w));
    assert_true(cbs_mem_eq(&w, "MAIL", 4));
    assert_false(cbs_get_word(&c, &w)); /* at the space: nothing, no move */
    assert_int_equal(cbs_len(&w), 0);
    assert_int_equal(cbs_len(&c), 11);
    assert_true(cbs_skip(&c, 1));
    assert_true(cbs_get_word(&c, &w));
    assert_true(cbs_mem_eq(&w, "FROM:<a>", 8));
    assert_true(cbs_skip(&c, 1));
    assert_true(cbs_get_word(&c, &w)); /* to the end */
    assert_true(cbs_mem_eq(&w, "x", 1));
    assert_int_equal(cbs_len(&c), 0);
    assert_false(cbs_get_word(&c, &w));
}

static void test_compare_and_copy(void **state)
{
    static const uint8_t b[] = {'S', 'T', 'A', 'R', 'T', 'T', 'L', 'S', 0, 'x'};
    struct cbs c;
    char *s;
    uint8_t out[3];

    (void)state;
    cbs_init(&c, b, 8);
    assert_true(cbs_eq_nocase(&c, "starttls"));
    assert_false(cbs_eq_nocase(&c, "starttl"));
    assert_false(cbs_eq_nocase(&c, "starttlsx"));
    assert_true(cbs_starts_nocase(&c, "START"));
    assert_false(cbs_starts_nocase(&c, "STARTTLS-MORE"));
    /* only ASCII letters fold: every byte against every byte */
    for (unsigned x = 0; x < 256; x++)
        for (unsigned y = 1; y < 256; y++) {
            uint8_t bx = (uint8_t)x;
            char lit[2] = {(char)y, 0};
            unsigned lx = x >= 'A' && x <= 'Z' ? x + 32 : x, ly = y >= 'A' && y <= 'Z' ? y + 32 : y;

            cbs_init(&c, &bx, 1);
            assert_int_equal(cbs_eq_nocase(&c, lit), lx == ly);
        }
    cbs_init(&c, b, sizeof(b));
    s = cbs_strdup(&c);
    assert_non_null(s);
    assert_memory_equal(s, b, sizeof(b));
    assert_int_equal(s[sizeof(b)], '\0');
    free(s);
    assert_true(cbs_copy_bytes(&c, out, 3));
    assert_memory_equal(out, "STA", 3);
    assert_int_equal(cbs_len(&c), sizeof(b) - 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_short_input_leaves_cursor),
        cmocka_unit_test(test_prefixed),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_text_lines),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_compare_and_copy),
    };

    return cmocka_run_group_tests_name("cbs", tests, NULL, NULL);
}
