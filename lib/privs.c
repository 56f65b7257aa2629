/*
 * privs.c - dropping root for -Z (see privs.h).
 */
#include "lib/privs.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int privs_lookup(const char *user, struct privs_user *out, char *err, size_t errlen)
{
    struct passwd *pw = getpwnam(user);
    char *end;
    unsigned long id;

    if (pw == NULL && user[0] >= '0' && user[0] <= '9') {
        errno = 0;
        id = strtoul(user, &end, 10);
        if (errno == 0 && *end == '\0' && id < (unsigned long)(uid_t)-1)
            pw = getpwuid((uid_t)id);
    }
    if (pw == NULL && geteuid() != 0 && getenv("USER") != NULL &&
        strcmp(getenv("USER"), user) == 0) {
        /* a systemd unit's DynamicUser, which the user database may not
         * list (no nss-systemd): the unit runs as it already, and says so
         * in $USER */
        out->uid = getuid();
        out->gid = getgid();
        snprintf(out->name, sizeof(out->name), "%s", user);
        return 0;
    }
    if (pw == NULL) {
        snprintf(err, errlen, "-Z: no user \"%s\"", user);
        return -1;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, errlen, "-Z %s: that is root; name an unprivileged user", user);
        return -1;
    }
    out->uid = pw->pw_uid;
    out->gid = pw->pw_gid;
    snprintf(out->name, sizeof(out->name), "%s", pw->pw_name);
    return 0;
}

int privs_give(const char *path, const struct privs_user *u, char *err, size_t errlen)
{
    if (geteuid() != 0)
        return 0;
    if (chown(path, u->uid, u->gid) != 0) {
        snprintf(err, errlen, "-Z %s: giving %s to the user: %s", u->name, path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* drop_caps empties the capability sets: a unit's AmbientCapabilities
 * (CAP_NET_RAW) served to open the capture and is not needed after. */
static int drop_caps(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

    memset(d, 0, sizeof(d));
#ifdef PR_CAP_AMBIENT
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);   /* EINVAL on old kernels */
#endif
    return (int)syscall(SYS_capset, &h, d);
}

int privs_drop(const struct privs_user *u, char *err, size_t errlen)
{
    const char *step = NULL;

    if (getuid() != u->uid || geteuid() != u->uid) {
        if (initgroups(u->name, u->gid) != 0)
            step = "setting the groups (initgroups)";
        else if (setgid(u->gid) != 0)
            step = "setgid";
        else if (setuid(u->uid) != 0)
            step = "setuid";
    }
    if (step == NULL && drop_caps() != 0)
        step = "dropping the capabilities";
    if (step == NULL && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        step = "prctl(PR_SET_NO_NEW_PRIVS)";
    if (step != NULL) {
        snprintf(err, errlen, "-Z %s: %s: %s", u->name, step, strerror(errno));
        return -1;
    }
    if (getuid() != u->uid || geteuid() != u->uid || getgid() != u->gid ||
        getegid() != u->gid) {
        snprintf(err, errlen, "-Z %s: the user or group did not change", u->name);
        return -1;
    }
    if (setuid(0) == 0 || seteuid(0) == 0 || (u->gid != 0 && setgid(0) == 0)) {
        snprintf(err, errlen, "-Z %s: root could be regained after dropping it", u->name);
        return -1;
    }
    return 0;
}
