/* SPDX-License-Identifier: MIT */
/* Where scsim run's pcscd lives: a mount namespace, a user + mount namespace, or none. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "run.h"

/* pcscd 1.9.9's fixed directory: its pid file, and the socket of a system pcscd. */
#define PCSCD_DIR  "/run/pcscd"
#define PCSCD_PID  PCSCD_DIR "/pcscd.pid"
#define PCSCD_COMM PCSCD_DIR "/pcscd.comm"

const char *run_isolation_name(enum run_isolation mode)
{
        switch (mode) {
        case ISOLATION_MOUNT:
                return "mount";
        case ISOLATION_USER:
                return "user";
        case ISOLATION_NONE:
                return "none";
        case ISOLATION_AUTO:
                break;
        }
        return "auto";
}

/*
 * Our pcscd must not use the host's USB readers, which belong to the
 * system's pcscd: an empty, read-only /dev/bus/usb in its namespace.
 */
static void hide_usb(void)
{
        if (access("/dev/bus/usb", F_OK) == 0)
                (void)mount("scsim-nousb", "/dev/bus/usb", "tmpfs",
                            MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k");
}

static int write_proc(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC), ok = -1;

        if (fd < 0)
                return -1;
        if (write(fd, text, strlen(text)) == (ssize_t)strlen(text))
                ok = 0;
        close(fd);
        return ok;
}

/* Root with CAP_SYS_ADMIN: our run directory over /run/pcscd, in a namespace of our own. */
static int isolate_mount(const struct run_env *e, const char **stage)
{
        *stage = "creating " PCSCD_DIR;
        if (mkdir(PCSCD_DIR, 0755) != 0 && errno != EEXIST)
                return -1;
        *stage = "creating a private mount namespace (unshare)";
        if (unshare(CLONE_NEWNS) != 0)
                return -1;
        /* Without this the bind mount below would propagate to the host. */
        *stage = "making mounts private";
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
                return -1;
        *stage = "bind-mounting the private run directory on " PCSCD_DIR;
        if (mount(e->run, PCSCD_DIR, NULL, MS_BIND, NULL) != 0)
                return -1;
        hide_usb();
        return 0;
}

/*
 * Any user where user namespaces are allowed: uid and gid mapped to root
 * inside, mounts of our own. /run/pcscd need not exist on the host: when it
 * does not, a tmpfs over /run lets pcscd make it.
 */
static int isolate_user(const struct run_env *e, const char **stage)
{
        char map[64];
        uid_t uid = geteuid();
        gid_t gid = getegid();

        /* A process that is not dumpable cannot write its own uid_map. */
        (void)prctl(PR_SET_DUMPABLE, 1);
        *stage = "creating a user namespace (unshare)";
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
                return -1;
        *stage = "mapping our uid and gid in the user namespace";
        snprintf(map, sizeof(map), "0 %lu 1\n", (unsigned long)uid);
        if (write_proc("/proc/self/setgroups", "deny\n") != 0 ||
            write_proc("/proc/self/uid_map", map) != 0)
                return -1;
        snprintf(map, sizeof(map), "0 %lu 1\n", (unsigned long)gid);
        if (write_proc("/proc/self/gid_map", map) != 0)
                return -1;
        *stage = "making mounts private";
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
                return -1;
        *stage = "mounting the private run directory";
        if (access(PCSCD_DIR, F_OK) == 0) {
                if (mount(e->run, PCSCD_DIR, NULL, MS_BIND, NULL) != 0)
                        return -1;
        } else if (mount("scsim-run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
                return -1;
        }
        hide_usb();
        return 0;
}

/* The pid of a pcscd that owns /run/pcscd, or 0. */
long run_system_pcscd(void)
{
        struct sockaddr_un sa;
        long pid = 0;
        FILE *f = fopen(PCSCD_PID, "re");
        int fd;

        if (f != NULL) {
                if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || pid > INT_MAX ||
                    (kill((pid_t)pid, 0) != 0 && errno != EPERM))
                        pid = 0;
                fclose(f);
        }
        if (pid != 0)
                return pid;
        /* No pid file, but something serves the socket: systemd's pcscd.socket. */
        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", PCSCD_COMM);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                pid = -1;
        if (fd >= 0)
                close(fd);
        return pid;
}

void run_isolation_explain(char *buf, size_t cap, int mount_err, int user_err, bool root,
                           long other_pcscd)
{
        char other[96] = "another pcscd";

        if (other_pcscd > 0)
                snprintf(other, sizeof(other), "a pcscd (pid %ld)", other_pcscd);
        if (root && other_pcscd != 0) {
                snprintf(buf, cap,
                         "%s already serves " PCSCD_DIR
                         ", and without a mount namespace (%s) or a user namespace (%s) "
                         "scsim run can only start its pcscd where no other runs. Ways out: stop "
                         "it (systemctl stop pcscd.socket pcscd), give scsim run CAP_SYS_ADMIN "
                         "(docker run --cap-add SYS_ADMIN --security-opt apparmor=unconfined), "
                         "or present the cards to that pcscd with scsim-vpcd (docs/bridge.md)",
                         other, strerror(mount_err), strerror(user_err));
                return;
        }
        snprintf(buf, cap,
                 "no way to start a private pcscd here: a mount namespace needs CAP_SYS_ADMIN "
                 "(%s), user namespaces are not allowed (%s: see sysctl user.max_user_namespaces, "
                 "kernel.unprivileged_userns_clone, kernel.apparmor_restrict_unprivileged_userns), "
                 "and starting pcscd as it is needs root. Ways out: run as root (sudo scsim run "
                 "...), allow user namespaces, or present the cards to the system's pcscd with "
                 "scsim-vpcd (docs/bridge.md)",
                 strerror(mount_err), strerror(user_err));
}

/*
 * In pcscd's child, before exec: the forced mode, or the first of mount,
 * user, none that works. Returns the mode, or -1 with a message in msg.
 */
int run_isolate(const struct run_env *e, enum run_isolation mode, char *msg, size_t cap)
{
        const char *stage = "";
        int mount_err = 0, user_err = 0;
        long other;

        if (mode == ISOLATION_AUTO || mode == ISOLATION_MOUNT) {
                if (isolate_mount(e, &stage) == 0)
                        return ISOLATION_MOUNT;
                mount_err = errno;
                if (mode == ISOLATION_MOUNT)
                        goto forced;
        }
        if (mode == ISOLATION_AUTO || mode == ISOLATION_USER) {
                if (isolate_user(e, &stage) == 0)
                        return ISOLATION_USER;
                user_err = errno;
                if (mode == ISOLATION_USER)
                        goto forced;
        }
        other = run_system_pcscd();
        if (geteuid() == 0 && other == 0)
                return ISOLATION_NONE;
        if (mode == ISOLATION_NONE && geteuid() != 0)
                snprintf(msg, cap, "--isolation none: pcscd started as it is needs root");
        else
                run_isolation_explain(msg, cap, mount_err ? mount_err : EPERM,
                                      user_err ? user_err : EPERM, geteuid() == 0, other);
        return -1;
forced:
        mount_err = mode == ISOLATION_MOUNT ? mount_err : user_err;
        snprintf(msg, cap, "--isolation %s: %s: %s%s", run_isolation_name(mode), stage,
                 strerror(mount_err),
                 mount_err == EPERM || mount_err == EACCES
                     ? (mode == ISOLATION_MOUNT ? " (needs root with CAP_SYS_ADMIN)"
                                                : " (user namespaces not allowed here?)")
                     : "");
        return -1;
}
