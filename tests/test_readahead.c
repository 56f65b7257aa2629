/*
 * test_readahead.c - lib/readahead on files made here: every chunk in file
 * order with the file's bytes, the chunk before still whole while the new
 * one's headroom is written (what cap_source does with a record the edge
 * cut), the end said again and again, a stop while the thread waits for
 * room, a file that cannot be read, an empty range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/readahead.h"

#define SIZE ((5u << 20) + 123u)
#define START 24u

static uint8_t byte_at(uint64_t off)
{
    return (uint8_t)(off * 2654435761u >> 13);
}

/* make_file: a temporary file of SIZE bytes, byte_at each; its fd, read-only. */
static int make_file(char *path)
{
    static uint8_t b[SIZE];
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    for (uint64_t i = 0; i < SIZE; i++)
        b[i] = byte_at(i);
    assert_int_equal(write(fd, b, SIZE), SIZE);
    close(fd);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    return fd;
}

static void check_chunk(const uint8_t *d, uint64_t off, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (d[k] != byte_at(off + k))
            fail_msg("byte %llu differs", (unsigned long long)(off + k));
}

static void test_whole_file(void **state)
{
    char path[] = "/tmp/mxw-test-readahead-XXXXXX";
    int fd = make_file(path);
    /* an odd chunk size, so that chunks and the file's end fall anywhere */
    const size_t chunk = (64u << 10) + 7u, room = 100;
    struct readahead *ra = readahead_new(fd, START, SIZE, chunk, room);
    uint64_t want = START, prev_off = 0;
    uint8_t *prev = NULL, *d;
    size_t prev_n = 0, n;
    uint64_t off;
    unsigned chunks = 0;

    (void)state;
    assert_non_null(ra);
    while ((n = readahead_next(ra, &d, &off)) > 0) {
        assert_int_equal(off, want);
        assert_true(n == chunk || off + n == SIZE);
        check_chunk(d, off, n);
        /* the chunk before is still there while this one's headroom is
         * written, as a cut record's first part is copied in front */
        if (prev != NULL) {
            memcpy(d - room, prev + prev_n - room, room);
            check_chunk(prev, prev_off, prev_n);
            check_chunk(d - room, off - room, room + n);
        }
        prev = d;
        prev_off = off;
        prev_n = n;
        want += n;
        chunks++;
    }
    assert_int_equal(want, SIZE);
    assert_int_equal(chunks, (SIZE - START + chunk - 1) / chunk);
    assert_int_equal(readahead_error(ra), 0);
    /* the end, again */
    assert_int_equal(readahead_next(ra, &d, &off), 0);
    assert_int_equal(readahead_next(ra, &d, &off), 0);
    readahead_free(ra);
    close(fd);
    unlink(path);
}

/* stopped early: the thread is waiting for room (two chunks ahead) */
static void test_stop_early(void **state)
{
    char path[] = "/tmp/mxw-test-readahead-XXXXXX";
    int fd = make_file(path);
    struct readahead *ra = readahead_new(fd, 0, SIZE, 4096, 0);
    uint8_t *d;
    uint64_t off;

    (void)state;
    assert_non_null(ra);
    assert_int_equal(readahead_next(ra, &d, &off), 4096);
    assert_int_equal(off, 0);
    check_chunk(d, 0, 4096);
    usleep(20000);
    readahead_free(ra);
    /* and one never asked */
    ra = readahead_new(fd, 0, SIZE, 4096, 0);
    assert_non_null(ra);
    readahead_free(ra);
    close(fd);
    unlink(path);
}

/* a descriptor that cannot be read: nothing, and the reason */
static void test_unreadable(void **state)
{
    char path[] = "/tmp/mxw-test-readahead-XXXXXX";
    int fd = mkstemp(path);
    struct readahead *ra;
    uint8_t *d;
    uint64_t off;

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0123456789", 10), 10);
    close(fd);
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    ra = readahead_new(fd, 0, 10, 4, 4);
    assert_non_null(ra);
    assert_int_equal(readahead_next(ra, &d, &off), 0);
    assert_int_equal(readahead_error(ra), EBADF);
    readahead_free(ra);
    close(fd);
    /* the file shorter than the range said: what there is, then the end */
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ra = readahead_new(fd, 2, 100, 4, 0);
    assert_non_null(ra);
    assert_int_equal(readahead_next(ra, &d, &off), 4);
    assert_memory_equal(d, "2345", 4);
    assert_int_equal(readahead_next(ra, &d, &off), 4);
    assert_memory_equal(d, "6789", 4);
    assert_int_equal(off, 6);
    assert_int_equal(readahead_next(ra, &d, &off), 0);
    assert_int_equal(readahead_error(ra), 0);
    readahead_free(ra);
    /* an empty range */
    ra = readahead_new(fd, 10, 10, 4, 0);
    assert_non_null(ra);
    assert_int_equal(readahead_next(ra, &d, &off), 0);
    readahead_free(ra);
    close(fd);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_file),
        cmocka_unit_test(test_stop_early),
        cmocka_unit_test(test_unreadable),
    };

    return cmocka_run_group_tests_name("readahead", tests, NULL, NULL);
}
