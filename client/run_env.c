/* SPDX-License-Identifier: MIT */
/* What scsim run's children inherit: no SCSIM_* secret reaches pcscd, scsim-vpcd or COMMAND. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "run.h"

extern char **environ;

/* SCSIM_PIN, SCSIM_NEW_PIN, SCSIM_PUK and any SCSIM_* name that says it holds a code or key. */
bool run_is_secret_name(const char *name)
{
        static const char *const words[] = {"PIN", "PUK", "KEY", "SECRET", "PASS", "CODE"};
        size_t len = strcspn(name, "=");
        char upper[128];

        if (strncmp(name, "SCSIM_", 6) != 0)
                return false;
        /* A name too long to read is not kept either. */
        if (len >= sizeof(upper))
                return true;
        for (size_t i = 0; i < len; i++)
                upper[i] = name[i] >= 'a' && name[i] <= 'z' ? (char)(name[i] - 32) : name[i];
        upper[len] = '\0';
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strstr(upper + 6, words[i]) != NULL)
                        return true;
        return false;
}

/*
 * Out of our environment, so no child inherits it: the value is wiped where
 * it lies (the strings of the initial environment are writable), then the
 * variable removed.
 */
void run_scrub_secrets(void)
{
        for (size_t i = 0; environ != NULL && environ[i] != NULL;) {
                char *eq = strchr(environ[i], '='), *name;
                if (!run_is_secret_name(environ[i]) ||
                    (name = strndup(environ[i], eq != NULL ? (size_t)(eq - environ[i])
                                                           : strlen(environ[i]))) == NULL) {
                        i++;
                        continue;
                }
                if (eq != NULL)
                        explicit_bzero(eq + 1, strlen(eq + 1));
                /* unsetenv shifts the rest down: look at index i again. */
                if (unsetenv(name) != 0)
                        i++;
                free(name);
        }
}
