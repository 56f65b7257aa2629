/*
 * test_outfile.c - lib/outfile: every write(2) carries whole lines, a
 * failed write fails the file (and says it once), and a reopen appends
 * to the path again.  A SOCK_SEQPACKET pair keeps each write a message of
 * its own, so the test sees exactly what each write carried.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/outfile.h"

/* messages reads every message waiting on |fd| and checks each ends a
 * line; returns how many, with their bytes appended to |all|. */
static size_t messages(int fd, char *all, size_t cap, size_t *len)
{
    static char buf[1 << 18];
    size_t n = 0;
    ssize_t r;

    while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
        assert_int_equal(buf[r - 1], '\n');
        assert_true(*len + (size_t)r <= cap);
        memcpy(all + *len, buf, (size_t)r);
        *len += (size_t)r;
        n++;
    }
    return n;
}

static void pieces(FILE *f, const char *line, size_t step)
{
    size_t n = strlen(line);

    for (size_t i = 0; i < n; i += step)
        fwrite(line + i, 1, n - i < step ? n - i : step, f);
}

static void test_whole_lines(void **state)
{
    int sv[2];
    int sndbuf = 1 << 20;
    struct outfile *o;
    FILE *f;
    static char all[1 << 20], big[70000 + 2];
    size_t len = 0, n;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    /* live: each line as soon as it is complete, however it was written */
    o = outfile_fd(sv[0], "the pair");
    f = outfile_stream(o, true);
    assert_non_null(f);
    pieces(f, "{\"a\":1}\n", 3);
    assert_int_equal(messages(sv[1], all, sizeof(all), &len), 1);
    pieces(f, "{\"b\":2}\n{\"c\":", 5);
    assert_int_equal(messages(sv[1], all, sizeof(all), &len), 1);
    pieces(f, "3}\n", 1);
    assert_int_equal(messages(sv[1], all, sizeof(all), &len), 1);
    assert_int_equal(len, 24);
    assert_memory_equal(all, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n", 24);
    /* a line longer than the stdio buffer: still one write */
    memset(big, 'x', sizeof(big) - 2);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = '\0';
    pieces(f, big, 4096);
    len = 0;
    assert_int_equal(messages(sv[1], all, sizeof(all), &len), 1);
    assert_int_equal(len, sizeof(big) - 1);
    assert_false(outfile_failed(o));
    assert_int_equal(outfile_close(o), 0);
    /* files: lines gathered up to 64 KiB a write, each write still ends a
     * line (glibc gives a cookie stream 8 KiB unless handed the memory) */
    o = outfile_fd(sv[0], "the pair");
    f = outfile_stream(o, false);
    for (int i = 0; i < 5000; i++)
        fprintf(f, "{\"line\":%d,\"pad\":\"%.*s\"}\n", i, i % 50, big);
    fflush(f);
    len = 0;
    n = messages(sv[1], all, sizeof(all), &len);
    assert_true(len > 200000);
    if (n < 2 || n > len / 60000 + 2)
        fail_msg("%zu bytes in %zu writes", len, n);
    assert_int_equal(outfile_close(o), 0);
    close(sv[0]);
    close(sv[1]);
}

static void test_failure_and_reopen(void **state)
{
    char err[256], path[] = "/tmp/mxw-outfile-XXXXXX", moved[64], buf[64];
    struct outfile *o;
    FILE *f;
    int fd;

    (void)state;
    o = outfile_open("/dev/full", OUTFILE_APPEND, NULL, err, sizeof(err));
    assert_non_null(o);
    f = outfile_stream(o, true);
    fputs("one line\n", f);
    assert_true(outfile_failed(o));
    fputs("two lines\n", f);       /* dropped, not said again */
    assert_int_equal(outfile_close(o), 28);   /* ENOSPC */

    assert_null(outfile_open("/nonexistent/dir/x", OUTFILE_APPEND, "-w x", err, sizeof(err)));
    assert_non_null(strstr(err, "-w x: No such file or directory"));

    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    o = outfile_open(path, OUTFILE_APPEND, NULL, err, sizeof(err));
    f = outfile_stream(o, true);
    fputs("before\nhal", f);
    snprintf(moved, sizeof(moved), "%s.1", path);
    assert_int_equal(rename(path, moved), 0);
    assert_int_equal(outfile_reopen(o, err, sizeof(err)), 0);
    fputs("f\nafter\n", f);
    assert_int_equal(outfile_close(o), 0);
    fd = open(moved, O_RDONLY);
    assert_int_equal(read(fd, buf, sizeof(buf)), 7);
    assert_memory_equal(buf, "before\n", 7);
    close(fd);
    fd = open(path, O_RDONLY);
    assert_int_equal(read(fd, buf, sizeof(buf)), 11);   /* the held half line follows */
    assert_memory_equal(buf, "half\nafter\n", 11);
    close(fd);
    unlink(path);
    unlink(moved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_lines),
        cmocka_unit_test(test_failure_and_reopen),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
