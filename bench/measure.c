/*
 * measure.c - run a command and report what it cost.
 *
 *   measure [-o FILE] [-l LABEL] [--] COMMAND [ARG...]
 *
 * Runs COMMAND (fork + execvp) with its standard output going to /dev/null,
 * or to FILE with -o ("-o -" keeps measure's own standard output), and its
 * standard error inherited.  When it ends, prints one line on standard output:
 *
 *   label=LABEL status=0 wall=1.234567 cpu=1.200000 user=1.100000 sys=0.100000 maxrss_kb=5120
 *
 * wall is elapsed seconds (CLOCK_MONOTONIC), cpu = user + sys of the child,
 * maxrss_kb its peak resident set size (wait4's ru_maxrss, KiB on Linux).
 * status is the exit code, or 128 + the signal that killed it; measure
 * exits with the same status (127 when COMMAND could not be run).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double tv_sec(const struct timeval *tv)
{
    return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fputs("usage: measure [-o FILE] [-l LABEL] [--] COMMAND [ARG...]\n", stderr);
}

int main(int argc, char **argv)
{
    const char *out = "/dev/null", *label = "-";
    struct rusage ru;
    double t0, t1;
    pid_t pid;
    int c, status, rc;

    while ((c = getopt(argc, argv, "+o:l:h")) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'l': label = optarg; break;
        case 'h': usage(); return 0;
        default: usage(); return 2;
        }
    }
    if (optind >= argc) {
        usage();
        return 2;
    }
    fflush(stdout);
    t0 = now();
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "measure: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        if (strcmp(out, "-") != 0) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

            if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
                fprintf(stderr, "measure: %s: %s\n", out, strerror(errno));
                _exit(127);
            }
            close(fd);
        }
        execvp(argv[optind], argv + optind);
        fprintf(stderr, "measure: %s: %s\n", argv[optind], strerror(errno));
        _exit(127);
    }
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "measure: wait4: %s\n", strerror(errno));
            return 2;
        }
    }
    t1 = now();
    if (WIFEXITED(status))
        rc = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        rc = 128 + WTERMSIG(status);
    else
        rc = 2;
    printf("label=%s status=%d wall=%.6f cpu=%.6f user=%.6f sys=%.6f maxrss_kb=%ld\n", label,
           rc, t1 - t0, tv_sec(&ru.ru_utime) + tv_sec(&ru.ru_stime), tv_sec(&ru.ru_utime),
           tv_sec(&ru.ru_stime), ru.ru_maxrss);
    return rc;
}
