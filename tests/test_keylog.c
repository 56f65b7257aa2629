/*
 * test_keylog.c - the NSS key log reader: every kept label, comments, CRLF,
 * a last line without a line feed, the labels read and not kept, each kind
 * of bad line warned about with FILE:LINE (and a count past the limit),
 * duplicates keeping the first, lookups by client random in any order, and
 * the real key logs of pcaps/ and ../shared/pcaps, whose kept lines are
 * counted independently here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/keylog.h"

struct warnings {
    char text[4096];
    unsigned n;
};

static void collect(void *ctx, const char *msg)
{
    struct warnings *w = ctx;
    size_t l = strlen(w->text);

    snprintf(w->text + l, sizeof(w->text) - l, "%s|", msg);
    w->n++;
}

static size_t add(struct keylog *k, const char *text, struct warnings *w, unsigned max)
{
    return keylog_add_text(k, "k.log", (const uint8_t *)text, strlen(text), collect, w, max);
}

#define R1 "0101010101010101010101010101010101010101010101010101010101010101"
#define R2 "AbCdEf0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789"
#define S32 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define S48 S32 "0011223344556677889900112233aabb"

static void test_labels(void **state)
{
    struct keylog *k = keylog_new();
    struct warnings w = {"", 0};
    const struct keylog_secrets *s;
    uint8_t r1[32], r2[32] = {0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89};
    struct keylog_stats st;

    (void)state;
    memset(r1, 1, sizeof(r1));
    assert_int_equal(add(k, "# comment\n"
                            "\n"
                            "CLIENT_HANDSHAKE_TRAFFIC_SECRET " R1 " " S32 "\r\n"
                            "SERVER_HANDSHAKE_TRAFFIC_SECRET " R1 " " S48 "\n"
                            "EXPORTER_SECRET " R1 " " S32 "\n"
                            "CLIENT_TRAFFIC_SECRET_0  " R1 "\t" S32 "\n"
                            "SERVER_TRAFFIC_SECRET_0 " R1 " " S32 "\n"
                            "CLIENT_RANDOM " R2 " " S48, &w, 5), 5);
    assert_int_equal(w.n, 0);
    s = keylog_find(k, r1);
    assert_non_null(s);
    assert_int_equal(s->len[KEYLOG_CLIENT_HS], 32);
    assert_int_equal(s->len[KEYLOG_SERVER_HS], 48);
    assert_int_equal(s->len[KEYLOG_CLIENT_AP], 32);
    assert_int_equal(s->len[KEYLOG_SERVER_AP], 32);
    assert_int_equal(s->len[KEYLOG_MASTER], 0);
    assert_int_equal(s->v[KEYLOG_SERVER_HS][0], 0x00);
    assert_int_equal(s->v[KEYLOG_SERVER_HS][47], 0xbb);
    /* mixed-case hex: the second random */
    r2[8] = 0xab;
    memcpy(r2, (uint8_t[]){0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01,
                           0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89,
                           0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89}, 32);
    s = keylog_find(k, r2);
    assert_non_null(s);
    assert_int_equal(s->len[KEYLOG_MASTER], 48);
    memset(r2, 2, sizeof(r2));
    assert_null(keylog_find(k, r2));
    keylog_stats(k, &st);
    assert_int_equal(st.kept, 5);
    assert_int_equal(st.ignored, 1);
    assert_int_equal(st.randoms, 2);
    assert_int_equal(st.looked_up, 3);
    assert_int_equal(st.matched, 2);
    assert_string_equal(keylog_kind_name(KEYLOG_MASTER), "CLIENT_RANDOM");
    keylog_free(k);
}

static void test_bad_lines(void **state)
{
    struct keylog *k = keylog_new();
    struct warnings w = {"", 0};
    char longline[2100];
    struct keylog_stats st;

    (void)state;
    memset(longline, 'A', sizeof(longline) - 2);
    longline[sizeof(longline) - 2] = '\n';
    longline[sizeof(longline) - 1] = '\0';
    assert_int_equal(add(k, "HELLO " R1 " " S32 "\n"
                            "CLIENT_RANDOM 0101 " S48 "\n"
                            "CLIENT_RANDOM " R1 " " S32 "\n"
                            "CLIENT_TRAFFIC_SECRET_0 " R1 " " S32 "zz\n"
                            "CLIENT_TRAFFIC_SECRET_0 " R1 " " S32 " extra\n"
                            "CLIENT_TRAFFIC_SECRET_0 " R1 "\n", &w, 10), 0);
    assert_string_equal(w.text,
                        "k.log:1: unknown label (not a key log line)|"
                        "k.log:2: the client random is not 32 bytes in hex|"
                        "k.log:3: the master secret is not 48 bytes in hex|"
                        "k.log:4: the secret is not 32 or 48 bytes in hex|"
                        "k.log:5: the secret is not 32 or 48 bytes in hex|"
                        "k.log:6: the secret is not 32 or 48 bytes in hex|");
    memset(&w, 0, sizeof(w));
    assert_int_equal(add(k, longline, &w, 10), 0);
    assert_string_equal(w.text, "k.log:1: line too long|");
    /* past the limit: a count instead */
    memset(&w, 0, sizeof(w));
    add(k, "x\ny\nz\nw\n", &w, 2);
    assert_string_equal(w.text, "k.log:1: unknown label (not a key log line)|"
                                "k.log:2: unknown label (not a key log line)|"
                                "k.log: 2 more lines could not be used|");
    keylog_stats(k, &st);
    assert_int_equal(st.kept, 0);
    assert_int_equal(st.bad, 11);
    keylog_free(k);
}

static void test_duplicates_keep_first(void **state)
{
    struct keylog *k = keylog_new();
    struct warnings w = {"", 0};
    uint8_t r1[32];
    struct keylog_stats st;

    (void)state;
    memset(r1, 1, sizeof(r1));
    assert_int_equal(add(k, "CLIENT_TRAFFIC_SECRET_0 " R1 " " S32 "\n"
                            "CLIENT_TRAFFIC_SECRET_0 " R1 " ff112233445566778899aabbccddeeff"
                            "00112233445566778899aabbccddeeff\n", &w, 5), 1);
    assert_int_equal(keylog_find(k, r1)->v[KEYLOG_CLIENT_AP][0], 0x00);
    keylog_stats(k, &st);
    assert_int_equal(st.duplicates, 1);
    keylog_free(k);
}

/* Many randoms: the table grows, and each is found. */
static void test_many(void **state)
{
    struct keylog *k = keylog_new();
    char line[256];
    uint8_t r[32];

    (void)state;
    for (unsigned i = 0; i < 50000; i++) {
        int n = snprintf(line, sizeof(line), "CLIENT_RANDOM %08x%056x %s\n", i, 0u, S48);

        assert_int_equal(keylog_add_text(k, "m", (const uint8_t *)line, (size_t)n, NULL, NULL, 0),
                         1);
    }
    for (unsigned i = 0; i < 50000; i += 7) {
        memset(r, 0, sizeof(r));
        r[0] = (uint8_t)(i >> 24), r[1] = (uint8_t)(i >> 16), r[2] = (uint8_t)(i >> 8);
        r[3] = (uint8_t)i;
        assert_non_null(keylog_find(k, r));
    }
    keylog_free(k);
}

/* count_kept counts the lines of |path| with a kept label, a 64-digit
 * random and a 64- or 96-digit secret (96 for CLIENT_RANDOM): the reader's
 * rule, written again without it. */
static long count_kept(const char *path)
{
    static const char *const kept[] = {"CLIENT_RANDOM", "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"};
    FILE *f = fopen(path, "r");
    char label[128], rnd[256], sec[512];
    char line[2048];
    long n = 0;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "%127s %255s %511s", label, rnd, sec) != 3 || strlen(rnd) != 64)
            continue;
        for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
            if (strcmp(label, kept[i]) == 0 &&
                (i == 0 ? strlen(sec) == 96 : strlen(sec) == 64 || strlen(sec) == 96))
                n++;
    }
    fclose(f);
    return n;
}

static void test_real_files(void **state)
{
    static const char *const dirs[] = {"pcaps", "../shared/pcaps/wireshark", "../shared/pcaps/zeek"};
    size_t files = 0;

    (void)state;
    for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
        DIR *dp = opendir(dirs[d]);
        struct dirent *de;

        if (dp == NULL)
            continue;
        while ((de = readdir(dp)) != NULL) {
            size_t l = strlen(de->d_name);
            char path[4096], err[256];
            struct keylog *k;
            long got, want;

            if (!(l > 7 && strcmp(de->d_name + l - 7, ".keylog") == 0) &&
                !(l > 5 && strcmp(de->d_name + l - 5, ".keys") == 0))
                continue;
            snprintf(path, sizeof(path), "%s/%s", dirs[d], de->d_name);
            k = keylog_new();
            got = keylog_add_file(k, path, NULL, NULL, err, sizeof(err));
            want = count_kept(path);
            if (got != want)
                fail_msg("%s: %ld secrets kept, %ld lines to keep", path, got, want);
            assert_true(got > 0);
            keylog_free(k);
            files++;
        }
        closedir(dp);
    }
    assert_true(files >= 2);
}

static void test_missing_file(void **state)
{
    struct keylog *k = keylog_new();
    char err[256];

    (void)state;
    assert_int_equal(keylog_add_file(k, "/nonexistent/k.log", NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/k.log: No such file"));
    keylog_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_duplicates_keep_first),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_real_files),
        cmocka_unit_test(test_missing_file),
    };

    return cmocka_run_group_tests_name("keylog", tests, NULL, NULL);
}
