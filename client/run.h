/* SPDX-License-Identifier: MIT */
/* scsim run's parts: what its files share (options, the run's state, one call per step). */
#ifndef SCSIM_CLIENT_RUN_H
#define SCSIM_CLIENT_RUN_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "commands.h"

/* Reader names when none is given: pcscd names a vpcd entry's slots "NAME 00 00", "NAME 00 01". */
#define READER_PREFIX   "Virtual PCD"
#define READER_NAME_MAX 100u
/* Debian's libifdvpcd.so has two slots per reader entry; pcscd takes at most 16 readers. */
#define VPCD_SLOTS    2u
#define RUN_SLOTS_MAX 16u
#define VPCD_LIBPATH  "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
#define PID_FILE      "scsim-run.pid"
#define READERS_FILE  "scsim-run.readers"
/*
 * scsim-vpcd's control socket (docs/control.md), exported as SCSIM_CONTROL: in
 * a directory of its own, 0700, since the run directory is open to every
 * user's PC/SC clients and whoever reaches the socket changes the cards.
 */
#define CONTROL_DIR  "control"
#define CONTROL_FILE CONTROL_DIR "/control.sock"
/* Written by a supervisor that gave up, so that --wait can say so at once. */
#define FAILED_FILE "scsim-run.failed"
/* A restarted pcscd is a recovery; a pcscd that keeps dying is a failure to report. */
#define PCSCD_RESTARTS_MAX 10u
#define STOP_GRACE_MS      10000

/*
 * scsim run's own failures, as env(1), timeout(1) and unshare(1) have them,
 * so they never collide with COMMAND's codes: 125 scsim run failed (usage,
 * profile, environment), 126 COMMAND cannot run, 127 COMMAND not found.
 */
#define RUN_EXIT_FAILED    125
#define RUN_EXIT_NOT_EXEC  126
#define RUN_EXIT_NOT_FOUND 127

enum run_mode { MODE_FOREGROUND, MODE_START, MODE_STOP, MODE_WAIT };

/* How pcscd is kept apart from the system's /run/pcscd and USB readers. */
enum run_isolation {
        ISOLATION_AUTO = 0, /* the first of mount, user, none that this machine allows */
        ISOLATION_MOUNT,    /* a private mount namespace: root with CAP_SYS_ADMIN */
        ISOLATION_USER, /* a user + mount namespace: any user where user namespaces are allowed */
        ISOLATION_NONE, /* pcscd started as it is: root, and no other pcscd running */
};

struct run_slot {
        const char *profile; /* NULL: --profile */
        const char *state;   /* NULL: --state's PATH.n, or in memory */
        const char *reader;  /* NULL: --reader-name, or READER_PREFIX */
};

struct run_opts {
        enum run_mode mode;
        const char *profile;
        unsigned slots;
        struct run_slot slot[RUN_SLOTS_MAX];
        const char *reader_name;
        const char *trace;
        bool trace_append;
        bool trace_secrets;
        const char *state;     /* --state PATH: durable card state (PATH.n for slot n) */
        const char *state_key; /* --state-key FILE: the key that encrypts it */
        unsigned timeout_s;
        int verbose;
        enum run_isolation isolation;
        bool removable;  /* vpcd listens and scsim-vpcd connects, so cards can go and come back */
        const char *dir; /* --stop / --wait */
        char **cmd;
};

struct run_env {
        const struct run_opts *opts;
        char dir[PATH_MAX];
        char run[PATH_MAX];      /* over /run/pcscd inside pcscd's namespace: its pid file */
        char conf[PATH_MAX];     /* pcscd -c */
        char sock[PATH_MAX];     /* pcscd's socket, ours: what clients put in PCSCLITE_CSOCK_NAME */
        char vpcd_bin[PATH_MAX]; /* the scsim-vpcd program */
        bool dir_made;
        uint16_t port;    /* slot n's vpcd port is port + n */
        unsigned entries; /* vpcd reader entries in reader.conf.d, two slots each */
        int pcsc_fd;      /* pcscd's listening socket, handed to every pcscd we start */
        int vpcd_fds[VPCD_SLOTS *
                     RUN_SLOTS_MAX]; /* reverse mode: scsim-vpcd's, until it has them */
        unsigned vpcd_fd_count;
        int sig_fd;
        int notify_fd; /* --start: the pipe to the waiting parent; no daemon may keep it */
        sigset_t old_mask;
        pid_t pcscd, bridge, cmd;
        int pcscd_report;             /* the spawned pcscd's report pipe, until read */
        enum run_isolation isolation; /* what pcscd got the first time, kept for restarts */
        unsigned pcscd_restarts;
        bool stopping;
        int stop_sig; /* a signal that interrupted the start */
        char readers[RUN_SLOTS_MAX][128];
};

/* run_proc.c: messages, time, children */
void run_say(const struct run_env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t now_ms(void);
void child_common(const struct run_env *e, bool own_group);
int redirect(int fd, const char *dir, const char *name);
const char *describe_status(int status, char *buf, size_t cap);
void kill_and_reap(struct run_env *e);

/* run_dir.c: the run directory and its files */
int path_join(char *out, size_t cap, const char *dir, const char *name);
void print_tail(const char *dir, const char *name, unsigned lines);
void remove_tree(const char *dir);
int write_file(const char *dir, const char *name, const char *text);
int make_dir(struct run_env *e);
int read_number_file(const char *dir, const char *name, long *out);
const char *dir_argument(const struct run_opts *o);

/* run_conf.c: reader names, ports, reader.conf.d */
int run_layout(struct run_env *e);
int run_write_conf(struct run_env *e);

/* run_pcscd.c, run_isolate.c, run_bridge.c: the daemons */
int run_pcscd_socket(struct run_env *e);
int run_spawn_pcscd(struct run_env *e);
int run_pcscd_started(struct run_env *e);
int start_pcscd(struct run_env *e);
void restart_pcscd(struct run_env *e);
int run_isolate(const struct run_env *e, enum run_isolation mode, char *msg, size_t cap);
void run_isolation_explain(char *buf, size_t cap, int mount_err, int user_err, bool root,
                           long other_pcscd);
const char *run_isolation_name(enum run_isolation mode);
long run_system_pcscd(void);
int run_find_vpcd(char *out, size_t cap);
int start_bridge(struct run_env *e);

/*
 * Does the profile name (or path) load? 0, or -1 after a message naming the
 * mistake. In the scsim module (run_profile.c) it loads it; in the scsim
 * program (scsim_front.c) it asks the module, loaded for it.
 */
int run_check_profile(const char *name);

/* run_env.c: what the children of scsim run see */
void run_scrub_secrets(void);
bool run_is_secret_name(const char *name);

/* run_ready.c: waiting for the cards through PC/SC */
bool daemon_died(struct run_env *e);
int wait_ready(struct run_env *e, unsigned slots, uint64_t deadline);
int run_give_up(struct run_env *e, const char *why);

/* run_supervise.c: one run in the foreground */
int run_setup(struct run_env *e);
void run_teardown(struct run_env *e);
void print_env(const struct run_env *e, FILE *f);
int run_supervise(struct run_env *e, int *signalled);
int run_foreground(struct run_env *e);

/* run_detached.c: --start, --stop, --wait */
int run_start(struct run_env *e);
int run_stop(const struct run_opts *o);
int run_wait(struct run_env *e);

#endif
