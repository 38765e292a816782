/* SPDX-License-Identifier: MIT */
/* scsim run's scsim-vpcd: the process that serves the cards. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"
#include "run.h"

int start_bridge(struct run_env *e)
{
        pid_t pid;

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                struct bridge_config cfg;
                char err[256];

                child_common(e, true);
                if (redirect(0, NULL, NULL) != 0 || redirect(2, e->dir, "bridge.log") != 0)
                        _exit(EXIT_RUNTIME);
                memset(&cfg, 0, sizeof(cfg));
                cfg.profile = e->profile;
                cfg.slots = e->opts->slots;
                cfg.trace = e->trace;
                cfg.trace_secrets = e->opts->trace_secrets;
                cfg.state_path = e->opts->state;
                cfg.verbosity = 1;
                cfg.log = stderr;
                snprintf(err, sizeof(err), "127.0.0.1:%u", e->port);
                if (vpcd_addr_parse(err, e->port, &cfg.addr, err, sizeof(err)) != 0)
                        _exit(EXIT_RUNTIME);
                _exit(bridge_run(&cfg));
        }
        e->bridge = pid;
        run_say(e, "scsim-vpcd started (pid %ld), %u slot(s)", (long)pid, e->opts->slots);
        return 0;
}
