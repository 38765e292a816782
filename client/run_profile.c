/* SPDX-License-Identifier: MIT */
/* scsim run's check of a profile name, where libscsim is at hand (the scsim module). */
#include "cli_profile.h"
#include "run.h"

int run_check_profile(const char *name)
{
        scsim_profile *p = NULL;

        if (cli_profile_open("run", name, &p) != EXIT_OK)
                return -1;
        scsim_profile_free(&p);
        return 0;
}
