/* SPDX-License-Identifier: MIT */
/* What the scsim command does differently on POSIX and on Windows: hex digits, a quiet prompt,
 * core dumps. */
#ifndef SCSIM_CLIENT_CLI_PLATFORM_H
#define SCSIM_CLIENT_CLI_PLATFORM_H

#include <stddef.h>
#include <stdio.h>

/* The value of one hex digit, -1 if c is none. */
int plat_hexchar2int(unsigned char c);

/* Whether standard input is a terminal (a console on Windows). */
int plat_stdin_is_terminal(void);

/* The terminal with echo off, for one line: read it from in, then close. */
struct plat_quiet {
        FILE *in;
        void *saved; /* the terminal's mode before, restored by plat_quiet_close */
};

/* Print prompt on the terminal and turn echo off; 0, or -1 when there is no terminal. */
int plat_quiet_open(struct plat_quiet *q, const char *prompt);
void plat_quiet_close(struct plat_quiet *q);

/* From now on the process holds a code: no core dump may keep it. */
void plat_no_core_dumps(void);

#endif
