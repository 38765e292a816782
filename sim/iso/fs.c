/* SPDX-License-Identifier: MIT */
/* The file system: SELECT (FID, path, DF name), FCP/FCI, READ BINARY and UPDATE BINARY. */
#include <stdlib.h>
#include <string.h>

#include "iso/iso.h"
#include "tlv.h"

static bool is_df(const scsim_profile *p, int i)
{
        return i >= 0 && p->files[i].type != PROF_FILE_EF;
}

/* P1=00: MF, the current DF itself, a child of it, its parent, or a sibling DF. */
static int find_by_fid(const scsim_profile *p, const struct channel *ch, uint16_t fid)
{
        uint16_t parent = p->files[ch->df].parent;
        int i;

        if (fid == 0x3f00)
                return 0;
        if (p->files[ch->df].fid == fid)
                return ch->df;
        if ((i = prof_find_child(p, ch->df, fid)) >= 0)
                return i;
        if (p->files[parent].fid == fid)
                return parent;
        if ((i = prof_find_child(p, parent, fid)) >= 0 && is_df(p, i))
                return i;
        return -1;
}

/* P1=08/09: a path of FIDs; every element but the last must be a DF. */
static int find_by_path(const scsim_profile *p, uint16_t start, const uint8_t *path, size_t len)
{
        int cur = start;

        if (len == 0 || len % 2 != 0)
                return -1;
        for (size_t off = 0; off < len; off += 2) {
                uint16_t fid = (uint16_t)(path[off] << 8 | path[off + 1]);
                if (!is_df(p, cur))
                        return -1;
                cur = prof_find_child(p, (uint16_t)cur, fid);
                if (cur < 0)
                        return -1;
        }
        return cur;
}

/* The name of file idx: the profile's aid, or the one its application makes at run time. */
static size_t df_name(const struct scsim_card *card, uint16_t idx, uint8_t out[PROF_AID_MAX])
{
        const struct prof_file *f = &card->prof->files[idx];

        if (f->type != PROF_FILE_EF && f->app != PROF_APP_NONE) {
                const struct app_def *app = card->prof->apps[f->app - 1].def;
                if (app->df_name != NULL)
                        return app->df_name(card, card->app_state[f->app - 1], out);
        }
        memcpy(out, f->aid, f->aid_len);
        return f->aid_len;
}

/* P1=04: DF name, matched as a prefix of the AID; "next" continues after the current DF. */
static int find_by_name(const struct scsim_card *card, const struct channel *ch,
                        const uint8_t *name, size_t len, bool next)
{
        size_t from = next ? (size_t)ch->df + 1 : 0;
        uint8_t aid[PROF_AID_MAX];

        for (size_t i = from; i < card->prof->nfiles; i++) {
                size_t aid_len = df_name(card, (uint16_t)i, aid);
                if (aid_len >= len && memcmp(aid, name, len) == 0)
                        return (int)i;
        }
        return -1;
}

static bool put_fcp_body(struct rbuf *r, const struct scsim_card *card, uint16_t idx)
{
        const struct prof_file *f = &card->prof->files[idx];
        uint8_t fid[2] = {(uint8_t)(f->fid >> 8), (uint8_t)f->fid};
        static const uint8_t lcs_operational = 0x05;
        uint8_t aid[PROF_AID_MAX];
        size_t aid_len;
        bool ok = true;

        /*
         * File descriptor byte: b7 "shareable", since a file may be current on
         * several logical channels at once; working EF, transparent (01), or DF (38).
         */
        if (f->type == PROF_FILE_EF) {
                uint8_t size[2] = {(uint8_t)(f->size >> 8), (uint8_t)f->size};
                static const uint8_t transparent = 0x41;
                /* 88 always: its absence would mean "the SFI is FID b5..b1" */
                uint8_t sfi = (uint8_t)(f->sfi << 3);
                ok = ok && tlv_put(r, 0x80, size, 2) && tlv_put(r, 0x82, &transparent, 1) &&
                     tlv_put(r, 0x83, fid, 2) && tlv_put(r, 0x88, &sfi, 1);
        } else {
                static const uint8_t df = 0x78;
                ok = ok && tlv_put(r, 0x82, &df, 1) && tlv_put(r, 0x83, fid, 2);
        }
        if ((aid_len = df_name(card, idx, aid)) > 0)
                ok = ok && tlv_put(r, 0x84, aid, aid_len);
        return ok && tlv_put(r, 0x8a, &lcs_operational, 1);
}

static uint16_t put_select_answer(struct cmd *c, uint16_t idx)
{
        const struct prof_file *f = &c->card->prof->files[idx];
        uint8_t aid[PROF_AID_MAX];
        size_t mark, aid_len;
        bool ok = true;

        if (f->type != PROF_FILE_EF && f->app != PROF_APP_NONE) {
                const struct prof_app *use = &c->card->prof->apps[f->app - 1];
                uint16_t sw;
                if (use->def->select_answer != NULL) {
                        c->app = c->card->app_state[f->app - 1];
                        if ((sw = use->def->select_answer(c)) != 0)
                                return sw;
                }
        }
        switch (c->apdu->p2 & 0x0c) {
        case 0x00: /* FCI: FCP and FMD together */
                ok = tlv_open(c->out, 0x6f, &mark) && put_fcp_body(c->out, c->card, idx) &&
                     tlv_close(c->out, mark);
                break;
        case 0x04: /* FCP */
                ok = tlv_open(c->out, 0x62, &mark) && put_fcp_body(c->out, c->card, idx) &&
                     tlv_close(c->out, mark);
                break;
        case 0x08: /* FMD */
                aid_len = df_name(c->card, idx, aid);
                ok = tlv_open(c->out, 0x64, &mark) &&
                     (aid_len == 0 || tlv_put(c->out, 0x84, aid, aid_len)) &&
                     tlv_close(c->out, mark);
                break;
        default: /* 0C: no response data */
                break;
        }
        return ok ? SW_OK : SW_MEMORY_FAILURE;
}

uint16_t fs_select(struct cmd *c)
{
        const scsim_profile *p = c->card->prof;
        const struct apdu *a = c->apdu;
        uint8_t occurrence = a->p2 & 0x03;
        int idx = -1;

        if ((a->p2 & 0xf0) != 0 || (occurrence != 0 && !(a->p1 == 0x04 && occurrence == 0x02)))
                return SW_WRONG_P1P2;
        switch (a->p1) {
        case 0x00:
                if (a->nc == 0)
                        idx = 0;
                else if (a->nc == 2)
                        idx = find_by_fid(p, c->ch, (uint16_t)(a->data[0] << 8 | a->data[1]));
                else
                        return SW_WRONG_LENGTH;
                break;
        case 0x01: /* child DF */
        case 0x02: /* EF under the current DF */
                if (a->nc != 2)
                        return SW_WRONG_LENGTH;
                idx = prof_find_child(p, c->ch->df, (uint16_t)(a->data[0] << 8 | a->data[1]));
                if (idx >= 0 && is_df(p, idx) != (a->p1 == 0x01))
                        idx = -1;
                break;
        case 0x03: /* parent of the current DF */
                if (a->nc != 0)
                        return SW_WRONG_LENGTH;
                idx = c->ch->df == 0 ? -1 : p->files[c->ch->df].parent;
                break;
        case 0x04:
                if (a->nc > PROF_AID_MAX)
                        return SW_WRONG_LENGTH;
                idx =
                    a->nc == 0 ? 0 : find_by_name(c->card, c->ch, a->data, a->nc, occurrence == 2);
                break;
        case 0x08: /* path from the MF, without 3F00 */
        case 0x09: /* path from the current DF */
                if (a->nc == 0 || a->nc % 2 != 0)
                        return SW_WRONG_LENGTH;
                idx = find_by_path(p, a->p1 == 0x08 ? 0 : c->ch->df, a->data, a->nc);
                break;
        default:
                return SW_WRONG_P1P2;
        }
        if (idx < 0)
                return SW_NOT_FOUND;
        if (is_df(p, idx)) {
                sec_select_df(c->card, c->ch, (uint16_t)idx);
                c->ch->ef = PROF_NONE;
        } else {
                sec_select_df(c->card, c->ch, p->files[idx].parent);
                c->ch->ef = (uint16_t)idx;
        }
        return put_select_answer(c, (uint16_t)idx);
}

/*
 * P1 b8 = 1: b5..b1 name an EF of the current DF by SFI (it becomes current),
 * P2 is the offset. Otherwise P1 P2 is a 15-bit offset into the current EF.
 */
static uint16_t resolve_ef(struct cmd *c, uint16_t *ef, size_t *offset)
{
        const scsim_profile *p = c->card->prof;
        const struct apdu *a = c->apdu;

        if (a->p1 & 0x80) {
                uint8_t sfi = a->p1 & 0x1f;
                if ((a->p1 & 0x60) != 0 || sfi == 0 || sfi == 31)
                        return SW_WRONG_P1P2;
                for (size_t i = 1; i < p->nfiles; i++) {
                        if (p->files[i].parent == c->ch->df && p->files[i].sfi == sfi &&
                            p->files[i].type == PROF_FILE_EF) {
                                c->ch->ef = (uint16_t)i;
                                *ef = (uint16_t)i;
                                *offset = a->p2;
                                return SW_OK;
                        }
                }
                return SW_NOT_FOUND;
        }
        if (c->ch->ef == PROF_NONE)
                return SW_NO_CURRENT_EF;
        *ef = c->ch->ef;
        *offset = (size_t)((a->p1 & 0x7f) << 8 | a->p2);
        return SW_OK;
}

uint16_t fs_read_binary(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        const struct prof_file *f;
        uint16_t ef = 0, sw;
        size_t offset = 0, avail, n;

        if (a->nc != 0 || a->ne == 0)
                return SW_WRONG_LENGTH;
        if ((sw = resolve_ef(c, &ef, &offset)) != SW_OK)
                return sw;
        f = &c->card->prof->files[ef];
        if (!sec_rule_holds(c->card, c->ch, f->read_rule))
                return SW_SECURITY_STATUS;
        /* the offset must name a byte of the EF; an empty EF has none to name but 0 */
        if (offset >= f->size && !(offset == 0 && f->size == 0))
                return SW_WRONG_P1P2_OFFSET;
        avail = f->size - offset;
        n = avail < a->ne ? avail : a->ne;
        if (!rbuf_put(c->out, c->card->st.ef + c->card->st.ef_off[ef] + offset, n))
                return SW_MEMORY_FAILURE;
        /* "all you have" is satisfied by fewer bytes; an exact Ne past the end is warned */
        if (n < a->ne && !apdu_ne_is_max(a))
                return SW_EOF_WARNING;
        if (n == 0)
                return SW_EOF_WARNING;
        return SW_OK;
}

/* Write and commit; if the state cannot be made durable the old bytes come back. */
static uint16_t write_ef(struct scsim_card *card, uint16_t ef, size_t offset, const uint8_t *data,
                         size_t n)
{
        uint8_t *at = card->st.ef + card->st.ef_off[ef] + offset;
        uint8_t *old = NULL;
        uint16_t sw = SW_OK;

        if (card->store != NULL && (old = malloc(n)) == NULL)
                return SW_MEMORY_FAILURE;
        if (old != NULL)
                memcpy(old, at, n);
        memcpy(at, data, n);
        if (card_commit_core(card) != 0) {
                if (old != NULL)
                        memcpy(at, old, n);
                sw = SW_MEMORY_FAILURE;
        }
        free(old);
        return sw;
}

uint16_t fs_update_binary(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        const struct prof_file *f;
        uint16_t ef = 0, sw;
        size_t offset = 0;

        if (a->nc == 0)
                return SW_WRONG_LENGTH;
        if ((sw = resolve_ef(c, &ef, &offset)) != SW_OK)
                return sw;
        f = &c->card->prof->files[ef];
        if (!sec_rule_holds(c->card, c->ch, f->update_rule))
                return SW_SECURITY_STATUS;
        if (offset >= f->size)
                return SW_WRONG_P1P2_OFFSET;
        if (a->nc > f->size - offset)
                return SW_FILE_FULL;
        return write_ef(c->card, ef, offset, a->data, a->nc);
}
