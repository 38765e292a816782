/* SPDX-License-Identifier: MIT */
/* `scsim state show`'s text: a state file's records, as scsim_state_inspect reports them. */
#include <stdio.h>

#include <scsim/err.h>
#include <scsim/state.h>

#include "state/show.h"

struct print_ctx {
        FILE *out;
        const char *path;
        int last_kind;
        unsigned version;
        const struct store_info *info;
};

/* What the file is, beside what it holds: its layout and whether it is encrypted. */
static void print_storage(const struct store_info *info, FILE *out)
{
        if (info->format != STORE_FORMAT) {
                fprintf(out,
                        "storage:    format %u, one copy (an older scsim's file; format %u once "
                        "attached)\n",
                        info->format, STORE_FORMAT);
                return;
        }
        fprintf(out, "storage:    format %u, two copies, copy %u in use (write %llu)%s, %s\n",
                info->format, info->copy, info->sequence,
                info->other_intact ? "" : ", the other empty or interrupted",
                info->encrypted ? "encrypted (AES-256-GCM)" : "not encrypted");
}

/* Section titles up to kind; a section without records still has its title. */
static void print_titles(struct print_ctx *p, int kind)
{
        static const char *const titles[] = {"", "CHV references:\n", "keys:\n", "files:\n",
                                             "applications:\n"};

        for (int k = p->last_kind + 1; k <= kind; k++)
                fputs(titles[k], p->out);
        if (kind > p->last_kind)
                p->last_kind = kind;
}

static void print_record(void *arg, const scsim_state_record *r)
{
        struct print_ctx *p = arg;

        if (r->kind == SCSIM_STATE_HEADER)
                p->version = r->version;
        else
                print_titles(p, r->kind);
        switch (r->kind) {
        case SCSIM_STATE_HEADER:
                fprintf(p->out, "state file: %s\n", p->path);
                print_storage(p->info, p->out);
                fprintf(p->out, "format:     %u\nprofile:    %s\n", r->version, r->name);
                break;
        case SCSIM_STATE_CHV:
                if (r->ref >= 0)
                        fprintf(p->out, "  %-16s ref %02X", r->name, (unsigned)r->ref);
                else
                        fprintf(p->out, "  %-16s       ", r->name);
                fprintf(p->out, "  tries %2u/%-2u  %s%s\n", r->tries, r->retries,
                        r->tries == 0 ? "BLOCKED" : "ok",
                        r->enabled ? "" : ", verification disabled");
                break;
        case SCSIM_STATE_KEY:
                fprintf(p->out, "  %-16s ref %02X  tries %2u/%-2u  %s\n", r->name, (unsigned)r->ref,
                        r->tries, r->retries, r->tries == 0 ? "BLOCKED" : "ok");
                break;
        case SCSIM_STATE_FILE:
                fprintf(p->out, "  %-16s %04X  %zu bytes\n", r->name, r->fid, r->size);
                break;
        default:
                fprintf(p->out, "  %-16s %zu bytes\n", r->name, r->size);
                break;
        }
}

int scsim_state_print_key(const char *path, const uint8_t *key, size_t key_len, void *outp,
                          scsim_diag *diag)
{
        struct store_info info;
        struct print_ctx p = {
            .out = outp, .path = path, .last_kind = SCSIM_STATE_HEADER, .info = &info};
        int rc;

        if (path == NULL || outp == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        rc = state_inspect(path, key, key_len, print_record, &p, &info, diag);
        /* format 2 added the applications' records */
        if (rc == SCSIM_OK)
                print_titles(&p, p.version >= 2 ? SCSIM_STATE_APP : SCSIM_STATE_FILE);
        return rc;
}

int scsim_state_print(const char *path, void *out, scsim_diag *diag)
{
        return scsim_state_print_key(path, NULL, 0, out, diag);
}
