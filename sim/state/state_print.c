/* SPDX-License-Identifier: MIT */
/* `scsim state show`'s text: a state file's records, as scsim_state_inspect reports them. */
#include <stdio.h>

#include <scsim/err.h>
#include <scsim/state.h>

struct print_ctx {
        FILE *out;
        const char *path;
        int last_kind;
        unsigned version;
};

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
                fprintf(p->out, "state file: %s\nformat:     %u\nprofile:    %s\n", p->path,
                        r->version, r->name);
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

int scsim_state_print(const char *path, void *outp, scsim_diag *diag)
{
        struct print_ctx p = {.out = outp, .path = path, .last_kind = SCSIM_STATE_HEADER};
        int rc;

        if (path == NULL || outp == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        rc = scsim_state_inspect(path, print_record, &p, diag);
        /* format 2 added the applications' records */
        if (rc == SCSIM_OK)
                print_titles(&p, p.version >= 2 ? SCSIM_STATE_APP : SCSIM_STATE_FILE);
        return rc;
}
