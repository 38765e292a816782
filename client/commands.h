/* SPDX-License-Identifier: MIT */
/* The verbs of the scsim command; each lives in its own cmd_*.c file. */
#ifndef SCSIM_CLIENT_COMMANDS_H
#define SCSIM_CLIENT_COMMANDS_H

/*
 * Exit codes shared by every verb, so scripts can tell failures apart.
 * A verb that runs another program (scsim run) returns that program's code.
 */
#define EXIT_OK      0
#define EXIT_FAILED  1 /* the operation ran and failed (wrong PIN, card said no) */
#define EXIT_USAGE   2 /* bad command line or bad profile */
#define EXIT_RUNTIME 3 /* environment: no reader, pcscd failed to start, I/O */

struct verb {
        const char *name;
        const char *summary;
        int (*run)(int argc, char **argv); /* argv[0] is the verb */
};

/* Each verb file defines one of these; scsim.c lists them. */
extern const struct verb verb_version;
extern const struct verb verb_profile;
extern const struct verb verb_state;
extern const struct verb verb_verify;
extern const struct verb verb_change_code;
extern const struct verb verb_unblock;
extern const struct verb verb_reset_security_state;
extern const struct verb verb_status;
extern const struct verb verb_demo;
extern const struct verb verb_run;
extern const struct verb verb_conform;

#endif
