/* SPDX-License-Identifier: MIT */
/* SCSIM_TEST_FAULT for scsim-vpcd: the embedder, not the library, decides to inject faults. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_fault.h"

/* One plan for the whole process: N counts the writes of every slot. */
static struct {
        bool parsed;
        enum scsim_state_stage stage;
        unsigned long nth;
        unsigned long writes;
        bool fail; /* an I/O error instead of SIGKILL */
} plan;

static const struct {
        const char *name;
        enum scsim_state_stage stage;
} stages[] = {
    {"before-write", SCSIM_STATE_BEFORE_WRITE},   {"after-write", SCSIM_STATE_AFTER_WRITE},
    {"after-tmp-write", SCSIM_STATE_AFTER_WRITE}, {"after-sync", SCSIM_STATE_AFTER_SYNC},
    {"after-fsync", SCSIM_STATE_AFTER_SYNC},      {"after-rename", SCSIM_STATE_AFTER_RENAME},
};

static int hook(void *ctx, enum scsim_state_stage stage)
{
        (void)ctx;
        if (stage == SCSIM_STATE_BEFORE_WRITE)
                plan.writes++;
        if (plan.writes != plan.nth || stage != plan.stage)
                return 0;
        if (!plan.fail)
                kill(getpid(), SIGKILL);
        return -1;
}

static int parse(const char *text)
{
        const char *colon = strchr(text, ':');
        char *end = NULL;
        size_t len = colon != NULL ? (size_t)(colon - text) : 0;

        for (size_t i = 0; colon != NULL && i < sizeof(stages) / sizeof(stages[0]); i++) {
                if (strlen(stages[i].name) != len || strncmp(text, stages[i].name, len) != 0)
                        continue;
                errno = 0;
                plan.stage = stages[i].stage;
                plan.nth = strtoul(colon + 1, &end, 10);
                plan.fail = end != NULL && strcmp(end, ":fail") == 0;
                if (errno == 0 && end != colon + 1 && plan.nth > 0 && (*end == '\0' || plan.fail))
                        return 0;
        }
        fprintf(stderr,
                "scsim-vpcd: SCSIM_TEST_FAULT '%s': expected STAGE:N[:fail], STAGE one of "
                "before-write, after-write, after-sync, after-rename\n",
                text);
        return -1;
}

int test_fault_arm(scsim_card *card)
{
        const char *text = getenv("SCSIM_TEST_FAULT");

        if (text == NULL || text[0] == '\0')
                return 0;
        if (!plan.parsed && parse(text) != 0)
                return -1;
        plan.parsed = true;
        return scsim_card_set_fault_hook(card, hook, NULL) == SCSIM_OK ? 0 : -1;
}
