/* SPDX-License-Identifier: MIT */
/*
 * The PIV application (NIST SP 800-73-4) with the YubiKey extensions that
 * yubico-piv-tool needs: its lifecycle, security conditions, SELECT answer
 * and command table. PIN and PUK are the profile's CHVs 80 and 81 in the PIV
 * DF, so VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER are the ISO
 * handlers; objects.c, auth.c, keys.c and yubikey.c add the rest.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apps/piv/crypto.h"
#include "apps/piv/piv.h"
#include "iso/iso.h"
#include "pkey.h"
#include "tlv.h"

const uint8_t piv_aid[PIV_AID_LEN] = {0xa0, 0x00, 0x00, 0x03, 0x08, 0x00,
                                      0x00, 0x10, 0x00, 0x01, 0x00};

static void clear_chan(struct piv_chan *pc)
{
        OPENSSL_cleanse(pc, sizeof(*pc));
}

static void piv_clear_channel(void *state, unsigned chno)
{
        struct piv *piv = state;

        if (piv != NULL && chno < CARD_CHANNELS)
                clear_chan(&piv->ch[chno]);
}

int piv_global_pin(const scsim_profile *p)
{
        for (size_t i = 0; i < p->nchvs; i++)
                if (p->chvs[i].has_ref && p->chvs[i].ref == PIV_REF_GLOBAL && p->chvs[i].df == 0 &&
                    p->chvs[i].verifiable)
                        return (int)i;
        return -1;
}

/*
 * Discovery object: the AID and the PIN usage policy: "PIV PIN only", or
 * with a global PIN "PIV PIN and global PIN both satisfy, PIV PIN primary".
 */
/* Lifecycle ------------------------------------------------------------------------------ */

void piv_free_contents(struct piv *piv)
{
        for (size_t i = 0; i < PROF_PIV_KEYS_MAX; i++)
                piv_slot_clear(&piv->slots[i]);
        for (size_t i = 0; i < PIV_OBJS_MAX; i++)
                if (piv->objs[i].data != NULL) {
                        OPENSSL_cleanse(piv->objs[i].data, piv->objs[i].len);
                        free(piv->objs[i].data);
                }
        OPENSSL_cleanse(piv, sizeof(*piv));
}

/* Slot s gets the profile's key k: the one it gives, kept as the profile holds it, or a new one. */
static int profile_key(struct piv_slot *s, const scsim_profile *p, const struct prof_piv_key *k)
{
        const uint8_t *der = p->blob + k->der_off;
        EVP_PKEY *key;

        if (k->der_len > 0) {
                key = pkey_from_der(piv_key_type(k->alg), der, k->der_len);
                s->origin = ORIGIN_IMPORTED;
                if (key != NULL && piv_slot_set_der(s, key, der, k->der_len) == 0)
                        return 0;
        } else {
                key = piv_generate(k->alg);
                s->origin = ORIGIN_GENERATED;
                if (key != NULL && piv_slot_set(s, key) == 0)
                        return 0;
        }
        EVP_PKEY_free(key);
        return -1;
}

/* Everything from the profile: management key, default objects, pre-generated keys. */
int piv_load_profile(struct piv *piv, const scsim_profile *p, const struct prof_piv *pp)
{
        memset(piv, 0, sizeof(*piv));
        piv->sec = pp;
        piv->mgm_alg = pp->mgm_alg;
        memcpy(piv->mgm_key, pp->mgm_key, pp->mgm_key_len);
        if (piv_default_chuid(piv, pp->guid) != 0 ||
            piv_default_discovery(piv, piv_global_pin(p) >= 0) != 0)
                return -1;
        for (size_t i = 0; i < pp->nkeys; i++) {
                int idx = piv_slot_index(pp->keys[i].slot);
                struct piv_slot *s;
                if (idx < 0)
                        return -1;
                s = &piv->slots[idx];
                piv_slot_clear(s);
                if (profile_key(s, p, &pp->keys[i]) != 0)
                        return -1;
                s->alg = pp->keys[i].alg;
                s->pin_policy = pp->keys[i].pin_policy != POLICY_DEFAULT
                                    ? pp->keys[i].pin_policy
                                    : piv_default_policy(pp->keys[i].slot);
        }
        /* the profile's objects come last: a CHUID or discovery object there wins */
        for (size_t i = 0; i < pp->nobjs; i++)
                if (piv_set_obj(piv, pp->objs[i].tag, p->blob + pp->objs[i].off, pp->objs[i].len) !=
                    0)
                        return -1;
        piv->attest_due = true;
        return 0;
}

bool piv_version_at_least(const struct piv *piv, uint8_t major, uint8_t minor, uint8_t patch)
{
        const uint8_t *v = piv->sec->version;

        if (v[0] != major)
                return v[0] > major;
        if (v[1] != minor)
                return v[1] > minor;
        return v[2] >= patch;
}

uint32_t piv_serial(const struct cmd *c)
{
        const struct app_identity id = {.serial = piv_of(c)->sec->serial};

        return app_identity_serial(&id, c->card);
}

static int piv_init(struct scsim_card *card, const struct prof_app *use, void **state)
{
        struct piv *piv = calloc(1, sizeof(*piv));

        if (piv == NULL)
                return -1;
        if (piv_load_profile(piv, card->prof, use->section) != 0) {
                piv_free_contents(piv);
                free(piv);
                return -1;
        }
        *state = piv;
        return 0;
}

static int piv_prepare(void *state)
{
        return piv_attest_ready(state);
}

static void piv_free(void **state)
{
        struct piv *piv;

        if (state == NULL || (piv = *state) == NULL)
                return;
        piv_free_contents(piv);
        free(piv);
        *state = NULL;
}

/* Security conditions ---------------------------------------------------------------------- */

int piv_chv_index(const struct cmd *c, uint8_t ref)
{
        return sec_find_chv(c->card, c->ch, ref);
}

/* The PIV PIN, or the global PIN the discovery object lets stand in for it. */
bool piv_pin_verified(const struct cmd *c)
{
        int idx = piv_chv_index(c, PIV_REF_PIN), global = piv_global_pin(c->card->prof);

        return (idx >= 0 && sec_chv_verified(c->ch, (size_t)idx)) ||
               (global >= 0 && sec_chv_verified(c->ch, (size_t)global));
}

bool piv_mgm_authenticated(const struct cmd *c)
{
        return piv_of(c)->ch[c->chno].mgm_auth;
}

/* SELECT ---------------------------------------------------------------------------------- */

/* The application property template: PIX, and the AID as the coexistent tag allocation authority.
 */
static uint16_t piv_select_answer(struct cmd *c)
{
        size_t outer, inner;
        bool ok;

        if ((c->apdu->p2 & 0x0c) != 0x00) /* FCP, FMD or nothing: as ISO has them */
                return 0;
        ok = tlv_open(c->out, 0x61, &outer) && tlv_put(c->out, 0x4f, piv_aid + 5, 6) &&
             tlv_open(c->out, 0x79, &inner) && tlv_put(c->out, 0x4f, piv_aid, sizeof(piv_aid)) &&
             tlv_close(c->out, inner) && tlv_close(c->out, outer);
        return ok ? SW_OK : SW_MEMORY_FAILURE;
}

/* VERIFY: the ISO rules; what PIV adds is the PIN-always flag. */
static uint16_t piv_verify(struct cmd *c)
{
        struct piv_chan *pc = &piv_of(c)->ch[c->chno];
        uint16_t sw = chv_verify(c);

        if (c->apdu->p2 != PIV_REF_PIN && c->apdu->p2 != PIV_REF_GLOBAL)
                return sw;
        if (c->apdu->p1 == 0xff || (c->apdu->nc > 0 && sw != SW_OK))
                pc->pin_always = false;
        else if (c->apdu->nc > 0)
                pc->pin_always = true;
        return sw;
}

static const struct cmd_def piv_commands[] = {
    {0x20, "VERIFY", CMD_SECRET_IN | CMD_NO_LE, piv_verify},
    {0x47, "GENERATE ASYMMETRIC KEY PAIR", 0, piv_generate_key},
    {0x87, "GENERAL AUTHENTICATE", CMD_CHAINABLE | CMD_SECRET_IN | CMD_SECRET_OUT,
     piv_general_authenticate},
    {0xcb, "GET DATA", 0, piv_get_data},
    {0xdb, "PUT DATA", CMD_CHAINABLE | CMD_NO_LE, piv_put_data},
    {0xf6, "MOVE KEY", 0, piv_move_key},
    {0xf7, "GET METADATA", 0, piv_get_metadata},
    {0xf8, "GET SERIAL", 0, piv_get_serial},
    {0xf9, "ATTEST", 0, piv_attest},
    {0xfa, "SET PIN RETRIES", 0, piv_set_pin_retries},
    {0xfb, "RESET", 0, piv_reset},
    {0xfd, "GET VERSION", 0, piv_get_version},
    {0xfe, "IMPORT ASYMMETRIC KEY", CMD_CHAINABLE | CMD_SECRET_IN, piv_import_key},
    {0xff, "SET MANAGEMENT KEY", CMD_SECRET_IN, piv_set_mgm_key},
};

const struct app_def app_piv = {
    .name = "piv",
    .commands = piv_commands,
    .ncommands = sizeof(piv_commands) / sizeof(piv_commands[0]),
    .implicit_le = true,
    .section = &piv_section,
    .init = piv_init,
    .free = piv_free,
    .clear_channel = piv_clear_channel,
    .select_answer = piv_select_answer,
    .save = piv_save,
    .prepare = piv_prepare,
    .load = piv_load,
    .secrets = piv_secrets,
};
