/*
 * outfile.c - whole-line output with stated write errors (see outfile.h).
 *
 * The writers keep using stdio; the FILE is a fopencookie stream whose
 * write function holds back the incomplete line at the end of what stdio
 * hands it and gives write(2) only complete lines: the held bytes and the
 * new ones up to the last newline go out in one writev.
 */
#define _GNU_SOURCE
#include "lib/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* A "line" longer than this (a text report without newlines) goes out as
 * it is rather than be held without bound. */
#define OUTFILE_HOLD_MAX (4u << 20)

/* The stream's buffer, given to setvbuf: glibc ignores the size asked for
 * when setvbuf is not given the memory, and a cookie stream then gets
 * BUFSIZ (8 KiB), eight times the writes (18,000 for the 150 MB of JSON of
 * the bench's mail capture). */
#define OUTFILE_BUFFER (1u << 16)

struct outfile {
    int fd;
    bool own_fd;
    char *path;                  /* outfile_open'd: the path to reopen */
    char *label;                 /* how messages name it */
    FILE *f;
    char *fbuf;                  /* f's buffer (OUTFILE_BUFFER bytes) */
    char *hold;                  /* the incomplete last line */
    size_t nhold, caphold;
    atomic_bool failed;          /* set by the thread that writes (report_run's
                                    analysis thread), read by the packet loop */
    int err;                     /* errno of the failure */
    unsigned max_retries;
    uint64_t retries;
    volatile sig_atomic_t *stop;
};

static void say_failed(struct outfile *o, int e, unsigned tries)
{
    if (o->failed)
        return;
    o->failed = true;
    o->err = e;
    if (tries > 0)
        fprintf(stderr, "mxwitness: %s: %s (gave up after %u tries)\n", o->label,
                strerror(e), tries + 1);
    else
        fprintf(stderr, "mxwitness: %s: %s\n", o->label, strerror(e));
}

/* wait_retry sleeps before try |k| (0-based): 100 ms, doubling, at most
 * 5 s; false when a stop signal came (now or during the wait). */
static bool wait_retry(struct outfile *o, unsigned k, int e)
{
    uint64_t ms = 100;
    struct timespec ts;

    for (unsigned i = 0; i < k && ms < 5000; i++)
        ms *= 2;
    if (ms > 5000)
        ms = 5000;
    if (o->stop != NULL && *o->stop)
        return false;
    fprintf(stderr, "mxwitness: %s: %s; trying again in %.1f s (%u of %u)\n", o->label,
            strerror(e), (double)ms / 1000.0, k + 1, o->max_retries);
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
    return o->stop == NULL || !*o->stop;
}

/* write_all writes the |n| pieces of |iov| (modified), trying again as
 * configured; false when the file failed. */
static bool write_all(struct outfile *o, struct iovec *iov, int n)
{
    unsigned tries = 0;

    while (n > 0 && iov[0].iov_len == 0) {
        iov++;
        n--;
    }
    while (n > 0) {
        ssize_t r = writev(o->fd, iov, n);
        size_t done;

        if (r <= 0) {
            int e = r < 0 ? errno : EIO;

            if (e == EINTR)
                continue;
            if (e == EAGAIN || e == EWOULDBLOCK) {
                struct pollfd p = {.fd = o->fd, .events = POLLOUT};

                poll(&p, 1, 1000);
                continue;
            }
            if (tries < o->max_retries && wait_retry(o, tries, e)) {
                tries++;
                o->retries++;
                continue;
            }
            say_failed(o, e, tries);
            return false;
        }
        done = (size_t)r;
        while (n > 0 && done >= iov[0].iov_len) {
            done -= iov[0].iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov[0].iov_base = (char *)iov[0].iov_base + done;
            iov[0].iov_len -= done;
        }
    }
    if (tries > 0)
        fprintf(stderr, "mxwitness: %s: written again after %u tries\n", o->label,
                tries);
    return true;
}

static bool hold(struct outfile *o, const char *p, size_t n)
{
    if (o->nhold + n > o->caphold) {
        size_t cap = o->caphold ? o->caphold : 4096;
        char *h;

        while (cap < o->nhold + n)
            cap *= 2;
        if ((h = realloc(o->hold, cap)) == NULL)
            return false;
        o->hold = h;
        o->caphold = cap;
    }
    memcpy(o->hold + o->nhold, p, n);
    o->nhold += n;
    return true;
}

/* flush_hold writes what is held as it is (no newline at its end). */
static void flush_hold(struct outfile *o)
{
    struct iovec iov = {.iov_base = o->hold, .iov_len = o->nhold};

    if (o->nhold > 0 && !o->failed)
        write_all(o, &iov, 1);
    o->nhold = 0;
}

static ssize_t cookie_write(void *c, const char *buf, size_t n)
{
    struct outfile *o = c;
    const char *nl;
    size_t head;
    struct iovec iov[2];

    if (o->failed || n == 0)
        return (ssize_t)n;      /* said once; the rest is dropped */
    nl = memrchr(buf, '\n', n);
    if (nl == NULL) {
        if (o->nhold + n > OUTFILE_HOLD_MAX || !hold(o, buf, n)) {
            flush_hold(o);
            iov[0].iov_base = (void *)(uintptr_t)buf;
            iov[0].iov_len = n;
            write_all(o, iov, 1);
        }
        return (ssize_t)n;
    }
    head = (size_t)(nl - buf) + 1;
    iov[0].iov_base = o->hold;
    iov[0].iov_len = o->nhold;
    iov[1].iov_base = (void *)(uintptr_t)buf;
    iov[1].iov_len = head;
    o->nhold = 0;
    if (!write_all(o, iov, 2))
        return (ssize_t)n;
    if (head < n && !hold(o, buf + head, n - head)) {
        iov[0].iov_base = (void *)(uintptr_t)(buf + head);
        iov[0].iov_len = n - head;
        write_all(o, iov, 1);
    }
    return (ssize_t)n;
}

static int cookie_close(void *c)
{
    flush_hold(c);
    return 0;
}

/* outfile_alloc: |label| is how messages name the file as is ("--report
 * FILE"); without one, "writing NAME". */
static struct outfile *outfile_alloc(int fd, const char *label, const char *name)
{
    struct outfile *o = calloc(1, sizeof(*o));
    size_t n = label != NULL ? strlen(label) + 1 : strlen(name) + 9;

    if (o == NULL)
        return NULL;
    o->fd = fd;
    if ((o->label = malloc(n)) != NULL)
        snprintf(o->label, n, label != NULL ? "%s" : "writing %s", label != NULL ? label : name);
    if (o->label == NULL) {
        free(o);
        return NULL;
    }
    return o;
}

static int open_path(const char *path, enum outfile_mode mode)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY;

    flags |= mode == OUTFILE_APPEND ? O_APPEND : O_TRUNC;
    return open(path, flags, 0644);
}

struct outfile *outfile_open(const char *path, enum outfile_mode mode, const char *label,
                             char *err, size_t errlen)
{
    int fd = open_path(path, mode);
    struct outfile *o;

    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", label != NULL ? label : path, strerror(errno));
        return NULL;
    }
    if ((o = outfile_alloc(fd, label, path)) == NULL ||
        (o->path = strdup(path)) == NULL) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        if (o != NULL)
            free(o->label);
        free(o);
        return NULL;
    }
    o->own_fd = true;
    return o;
}

struct outfile *outfile_fd(int fd, const char *name)
{
    return outfile_alloc(fd, NULL, name);
}

FILE *outfile_stream(struct outfile *o, bool live)
{
    cookie_io_functions_t io = {.write = cookie_write, .close = cookie_close};

    if (o->f != NULL)
        return o->f;
    if ((o->f = fopencookie(o, "w", io)) == NULL)
        return NULL;
    if (!live && (o->fbuf = malloc(OUTFILE_BUFFER)) != NULL)
        setvbuf(o->f, o->fbuf, _IOFBF, OUTFILE_BUFFER);
    else
        setvbuf(o->f, NULL, live ? _IOLBF : _IOFBF, 0);
    return o->f;
}

void outfile_set_retries(struct outfile *o, unsigned n, volatile sig_atomic_t *stop)
{
    o->max_retries = n;
    o->stop = stop;
}

int outfile_reopen(struct outfile *o, char *err, size_t errlen)
{
    int fd;

    if (o->path == NULL) {
        snprintf(err, errlen, "%s: only a file can be reopened", o->label);
        return -1;
    }
    if (o->f != NULL)
        fflush(o->f);            /* what is complete, to the old file */
    if ((fd = open_path(o->path, OUTFILE_APPEND)) < 0) {
        snprintf(err, errlen, "reopening %s: %s (still writing the old file)", o->path,
                 strerror(errno));
        return -1;
    }
    close(o->fd);
    o->fd = fd;
    return 0;
}

bool outfile_failed(const struct outfile *o)
{
    return o != NULL && o->failed;
}

uint64_t outfile_retries(const struct outfile *o)
{
    return o != NULL ? o->retries : 0;
}

int outfile_close(struct outfile *o)
{
    int e;

    if (o == NULL)
        return 0;
    if (o->f != NULL)
        fclose(o->f);            /* the held tail goes out in cookie_close */
    if (o->own_fd && close(o->fd) != 0 && !o->failed)
        say_failed(o, errno, 0);
    e = o->failed ? o->err : 0;
    free(o->fbuf);
    free(o->hold);
    free(o->path);
    free(o->label);
    free(o);
    return e;
}

void outfile_discard(struct outfile *o)
{
    if (o == NULL)
        return;
    o->failed = true;            /* nothing more is written */
    o->err = 0;
    if (o->path != NULL)
        unlink(o->path);
    outfile_close(o);
}
