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

#include <scsim/scsim.h>

#include "commands.h"

/* FRIENDLYNAME in our reader.conf: pcscd names the slots "Virtual PCD 00 00", "... 00 01". */
#define READER_PREFIX "Virtual PCD"
/* Debian's libifdvpcd.so has two slots per reader and one set of them per pcscd. */
#define VPCD_SLOTS   2u
#define VPCD_LIBPATH "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
#define PID_FILE     "scsim-run.pid"
#define SLOTS_FILE   "scsim-run.slots"
/* A restarted pcscd is a recovery; a pcscd that keeps dying is a failure to report. */
#define PCSCD_RESTARTS_MAX 10u
#define STOP_GRACE_MS      10000

enum run_mode { MODE_FOREGROUND, MODE_START, MODE_STOP, MODE_WAIT };

struct run_opts {
        enum run_mode mode;
        const char *profile;
        unsigned slots;
        const char *trace;
        bool trace_secrets;
        const char *state; /* --state PATH: durable card state (PATH.n for slot n) */
        unsigned timeout_s;
        int verbose;
        const char *dir; /* --stop / --wait */
        char **cmd;
};

struct run_env {
        const struct run_opts *opts;
        char dir[PATH_MAX];
        char run[PATH_MAX];  /* bind-mounted over /run/pcscd inside pcscd's namespace */
        char conf[PATH_MAX]; /* pcscd -c */
        char sock[PATH_MAX]; /* what clients put in PCSCLITE_CSOCK_NAME */
        bool dir_made;
        uint16_t port;
        int sig_fd;
        int notify_fd; /* --start: the pipe to the waiting parent; no daemon may keep it */
        sigset_t old_mask;
        scsim_profile *profile;
        FILE *trace;
        pid_t pcscd, bridge, cmd;
        unsigned pcscd_restarts;
        bool stopping;
        int stop_sig; /* a signal that interrupted the start */
        char readers[VPCD_SLOTS][128];
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

/* run_pcscd.c, run_bridge.c: the daemons */
int start_pcscd(struct run_env *e);
void restart_pcscd(struct run_env *e);
int start_bridge(struct run_env *e);

/* run_ready.c: waiting for the cards through PC/SC */
bool daemon_died(struct run_env *e);
int wait_ready(struct run_env *e, unsigned slots, uint64_t deadline);

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
