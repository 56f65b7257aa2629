/*
 * workers.c - the parent of --workers (see workers.h).
 */
#include "lib/workers.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static sigset_t g_old;                 /* the mask before workers_run */
static volatile sig_atomic_t g_stop_sig, g_hup;

static void on_stop(int sig)
{
    g_stop_sig = sig;
}

static void on_hup(int sig)
{
    (void)sig;
    g_hup = 1;
}

static void on_child(int sig)
{
    (void)sig;                         /* wakes sigsuspend */
}

static void handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
}

static void signal_all(const pid_t *pids, unsigned n, int sig)
{
    for (unsigned k = 0; k < n; k++)
        if (pids[k] > 0)
            kill(pids[k], sig);
}

/* said: how a worker ended; true when it failed */
static bool ended(unsigned k, pid_t pid, int st, bool asked)
{
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        if (!asked)
            fprintf(stderr, "mxwitness: worker %u (pid %ld) ended; the others are stopped\n",
                    k, (long)pid);
        return false;
    }
    if (WIFEXITED(st))
        fprintf(stderr, "mxwitness: worker %u (pid %ld) failed: exit status %d%s\n", k,
                (long)pid, WEXITSTATUS(st), asked ? "" : "; the others are stopped");
    else
        fprintf(stderr, "mxwitness: worker %u (pid %ld) failed: killed by signal %d (%s)%s\n",
                k, (long)pid, WTERMSIG(st), strsignal(WTERMSIG(st)),
                asked ? "" : "; the others are stopped");
    return true;
}

int workers_run(unsigned n, const struct privs_user *u, int *status)
{
    pid_t pids[WORKERS_MAX] = {0};
    sigset_t block;
    unsigned alive = 0;
    bool stopping = false, failed = false;
    char err[512];

    if (n > WORKERS_MAX)
        n = WORKERS_MAX;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &g_old);
    fflush(NULL);                      /* nothing buffered twice */
    for (unsigned k = 0; k < n; k++) {
        pid_t pid = fork();

        if (pid == 0)
            return (int)k;
        if (pid < 0) {
            fprintf(stderr, "mxwitness: worker %u: fork: %s\n", k, strerror(errno));
            failed = stopping = true;
            signal_all(pids, k, SIGTERM);
            break;
        }
        pids[k] = pid;
        alive++;
    }
    handlers();
    if (u != NULL && privs_drop(u, err, sizeof(err)) < 0)
        fprintf(stderr, "mxwitness: warning: -Z (the parent of the workers): %s\n", err);
    while (alive > 0) {
        pid_t pid;
        int st;

        while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
            for (unsigned k = 0; k < n; k++) {
                if (pids[k] != pid)
                    continue;
                pids[k] = 0;
                alive--;
                failed |= ended(k, pid, st, stopping || g_stop_sig);
                if (!stopping && !g_stop_sig) {
                    stopping = true;
                    signal_all(pids, n, SIGTERM);
                }
            }
        }
        if (g_stop_sig && !stopping) {
            stopping = true;
            signal_all(pids, n, g_stop_sig);
        }
        if (g_hup) {
            g_hup = 0;
            signal_all(pids, n, SIGHUP);
        }
        if (alive > 0)
            sigsuspend(&g_old);
    }
    *status = failed ? 2 : 0;
    return -1;
}

void workers_ready(void)
{
    sigprocmask(SIG_SETMASK, &g_old, NULL);
}
