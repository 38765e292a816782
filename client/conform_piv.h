/* SPDX-License-Identifier: MIT */
/* The PIV suite's checks (NIST SP 800-73-4), in the files that hold them; conform_piv.c has the
 * table. */
#ifndef SCSIM_CLIENT_CONFORM_PIV_H
#define SCSIM_CLIENT_CONFORM_PIV_H

#include "conform_run.h"

/* The PIV application as the description has it, or as SP 800-73-4 names it when it does not. */
struct piv_app {
        int df; /* -1: not described */
        uint8_t aid[16];
        size_t aid_len;
        int pin, puk; /* CHV indexes of references 80 and 81, -1 when not described */
};

void piv_find(const struct cf_run *r, struct piv_app *p);
/* SELECT of the PIV application by its AID (P2 00, Le 00); 0, or -1 with the failure said. */
int piv_select(struct cf_run *r, const struct piv_app *p);
/* The PIN ready for a check (see cf_chv_ready), the application selected. */
enum cf_verdict piv_pin_ready(struct cf_run *r, const struct piv_app *p, unsigned spend);

/* conform_piv.c */
enum cf_verdict piv_check_select(struct cf_run *r, int obj);
enum cf_verdict piv_check_select_truncated(struct cf_run *r, int obj);
enum cf_verdict piv_check_verify(struct cf_run *r, int obj);
enum cf_verdict piv_check_p1ff(struct cf_run *r, int obj);
enum cf_verdict piv_check_format(struct cf_run *r, int obj);
enum cf_verdict piv_check_unknown_ref(struct cf_run *r, int obj);
enum cf_verdict piv_check_reselect(struct cf_run *r, int obj);
enum cf_verdict piv_check_deselect(struct cf_run *r, int obj);
enum cf_verdict piv_check_reset(struct cf_run *r, int obj);
enum cf_verdict piv_check_chuid(struct cf_run *r, int obj);
enum cf_verdict piv_check_access(struct cf_run *r, int obj);

/* conform_piv_codes.c: PIN and PUK changed, blocked, unblocked (--destructive) */
enum cf_verdict piv_check_pin_change(struct cf_run *r, int obj);
enum cf_verdict piv_check_pin_block(struct cf_run *r, int obj);
enum cf_verdict piv_check_puk_wrong(struct cf_run *r, int obj);
enum cf_verdict piv_check_puk_change(struct cf_run *r, int obj);

/* conform_piv_keys.c: the management key and the key slots' PIN policies */
enum cf_verdict piv_check_mgmt(struct cf_run *r, int obj);
enum cf_verdict piv_check_key_policy(struct cf_run *r, int obj);
enum cf_verdict piv_check_generate(struct cf_run *r, int obj);

#endif
