/*
 * test_progress.c - report/progress: the line's words, sizes and counts
 * (a known size: the percentage and the file's size; an unknown one, standard
 * input: the bytes read).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "report/progress.h"

static void test_known_size(void **state)
{
    char line[256];

    (void)state;
    progress_format(line, sizeof(line), "capture.pcap", 492000000u, 1200000000u, 12345, 3100000);
    assert_string_equal(line, "mxwitness: 41% of capture.pcap (1.2 GB), 12,345 sessions, 3.1 s");
    progress_format(line, sizeof(line), "a.pcap", 1300, 1300, 1, 1000000);
    assert_string_equal(line, "mxwitness: 100% of a.pcap (1.3 kB), 1 session, 1.0 s");
    progress_format(line, sizeof(line), "b.pcap", 0, 312000000u, 1234567, 120000000);
    assert_string_equal(line, "mxwitness: 0% of b.pcap (312 MB), 1,234,567 sessions, 120.0 s");
}

static void test_unknown_size(void **state)
{
    char line[256];

    (void)state;
    progress_format(line, sizeof(line), "-", 999, 0, 0, 2000000);
    assert_string_equal(line, "mxwitness: 999 B read of -, 0 sessions, 2.0 s");
    progress_format(line, sizeof(line), "-", 45600000u, 0, 100, 2500000);
    assert_string_equal(line, "mxwitness: 46 MB read of -, 100 sessions, 2.5 s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_size),
        cmocka_unit_test(test_unknown_size),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
