/*
 * privs.h - -Z USER: the process gives up root once everything it needs is
 * open (the capture, the trust anchors, the output, the expectations).
 */
#ifndef MXW_PRIVS_H
#define MXW_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privs_user {
    uid_t uid;
    gid_t gid;
    char name[256];
};

/* privs_lookup finds |user| (a name, or a numeric uid) in the user
 * database; -1 with the reason in |err| when there is none. */
int privs_lookup(const char *user, struct privs_user *out, char *err, size_t errlen);

/* privs_give gives the file or directory |path| (made by this run, as
 * root) to the user: without it the user cannot write into the --certs
 * directory or reopen the -w file.  No-op when not root.  -1 with the
 * reason in |err|. */
int privs_give(const char *path, const struct privs_user *u, char *err, size_t errlen);

/* privs_drop becomes |u|: supplementary groups (the user's, initgroups),
 * the group, the user; then no new privileges (PR_SET_NO_NEW_PRIVS) and
 * no capabilities (the ambient ones of a systemd unit included), and it
 * checks that root cannot be had back (setuid(0) and setgid(0) fail).
 * Run as |u| already, only the last two steps are taken.  -1 with the
 * reason in |err|: the caller must not go on. */
int privs_drop(const struct privs_user *u, char *err, size_t errlen);

#endif
