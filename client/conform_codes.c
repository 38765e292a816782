/* SPDX-License-Identifier: MIT */
/* The description's codes and keys put to the card: VERIFY forms, selection, rules, channels. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "conform_run.h"

/* The last character changed, staying inside the format: a code that is well formed yet wrong. */
static void make_wrong(const struct cf_chv *c, uint8_t *v, size_t len)
{
        uint8_t *last = &v[len - 1];

        if (c->fmt == CF_FMT_DIGITS && *last >= '0' && *last <= '9')
                *last = (uint8_t)('0' + (*last - '0' + 1) % 10);
        else if (c->fmt == CF_FMT_ALNUM)
                *last = *last == 'A' ? 'B' : 'A';
        else
                *last ^= (c->pad >= 0 && (*last ^ 0x01) == c->pad) ? 0x02 : 0x01;
}

static size_t pad_to_max(const struct cf_chv *c, uint8_t *out, size_t len, size_t cap)
{
        if (c->pad < 0 || len >= c->max)
                return len;
        if (c->max > cap)
                return 0;
        memset(out + len, c->pad, c->max - len);
        return c->max;
}

size_t cf_code(const struct cf_chv *c, enum cf_code kind, uint8_t *out, size_t cap)
{
        size_t len = c->len;

        if (!c->has_value || cap < CF_CODE_MAX || len == 0)
                return 0;
        memcpy(out, c->value, len);
        switch (kind) {
        case CF_CODE_RIGHT:
                break;
        case CF_CODE_WRONG:
                make_wrong(c, out, len);
                break;
        case CF_CODE_SHORT:
                if (c->min < 2)
                        return 0;
                len = c->min - 1;
                break;
        case CF_CODE_NOT_DIGIT:
                if (c->fmt != CF_FMT_DIGITS)
                        return 0;
                out[len - 1] = 'A';
                break;
        case CF_CODE_BAD_PAD:
                /* a digit after the padding: the code's end is not where padding starts */
                if (c->pad < 0 || len + 2 > c->max)
                        return 0;
                out[len] = (uint8_t)c->pad;
                out[len + 1] = '1';
                len += 2;
                break;
        }
        return pad_to_max(c, out, len, cap);
}

uint16_t cf_verify(struct cf_run *r, unsigned ch, int chv, enum cf_code kind)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        uint8_t code[CF_CODE_MAX];
        size_t n = cf_code(c, kind, code, sizeof(code));
        uint16_t sw;

        if (n == 0)
                return 0;
        r->chv_touched[chv] = true;
        sw = cf_cmd(r, cf_cla(ch), 0x20, 0x00, (uint8_t)c->ref, code, n, CF_NO_LE);
        if (kind == CF_CODE_RIGHT && sw == 0x9000)
                r->chv_good[chv] = true;
        OPENSSL_cleanse(code, sizeof(code));
        return sw;
}

uint16_t cf_query(struct cf_run *r, unsigned ch, int chv)
{
        r->chv_touched[chv] = true;
        return cf_cmd(r, cf_cla(ch), 0x20, 0x00, (uint8_t)r->card->chvs[chv].ref, NULL, 0,
                      CF_NO_LE);
}

uint16_t cf_verify_ff(struct cf_run *r, unsigned ch, int chv)
{
        return cf_cmd(r, cf_cla(ch), 0x20, 0xff, (uint8_t)r->card->chvs[chv].ref, NULL, 0,
                      CF_NO_LE);
}

int cf_select_mf(struct cf_run *r, unsigned ch)
{
        static const uint8_t mf[] = {0x3f, 0x00};

        return cf_want(r, cf_cmd(r, cf_cla(ch), 0xa4, 0x00, 0x0c, mf, 2, CF_NO_LE), 0x9000,
                       "SELECT of the MF (00 A4 00 0C 3F00)")
                   ? 0
                   : -1;
}

/* An application DF answers SELECT as its specification says (P2 00, with Le); others P2 0C. */
static int select_aid(struct cf_run *r, unsigned ch, const struct cf_file *f)
{
        char what[120];
        uint16_t sw;

        snprintf(what, sizeof(what), "SELECT of DF '%s' by its AID", f->name);
        if (f->app[0] != '\0')
                sw = cf_cmd_all(r, cf_cla(ch), 0xa4, 0x04, 0x00, f->aid, f->aid_len, 256);
        else
                sw = cf_cmd(r, cf_cla(ch), 0xa4, 0x04, 0x0c, f->aid, f->aid_len, CF_NO_LE);
        return cf_want(r, sw, 0x9000, what) ? 0 : -1;
}

int cf_select_df(struct cf_run *r, unsigned ch, int df)
{
        const struct cf_file *f = &r->card->files[df];
        int path[CF_FILES_MAX];
        size_t depth = 0;
        char what[120];

        if (df == 0)
                return cf_select_mf(r, ch);
        if (f->aid_len > 0)
                return select_aid(r, ch, f);
        for (int i = df; i > 0 && depth < CF_FILES_MAX; i = r->card->files[i].parent)
                path[depth++] = i;
        if (cf_select_mf(r, ch) != 0)
                return -1;
        while (depth-- > 0) {
                const struct cf_file *d = &r->card->files[path[depth]];
                snprintf(what, sizeof(what), "SELECT of DF '%s' by its FID", d->name);
                if (!cf_want(r, cf_cmd(r, cf_cla(ch), 0xa4, 0x00, 0x0c, d->fid, 2, CF_NO_LE),
                             0x9000, what))
                        return -1;
        }
        return 0;
}

int cf_select_home(struct cf_run *r, unsigned ch, int chv)
{
        const int df = r->card->chvs[chv].df;

        return df == 0 ? 0 : cf_select_df(r, ch, df);
}

enum cf_verdict cf_chv_ready(struct cf_run *r, int chv, unsigned spend)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        char g[16];
        uint16_t sw;

        if (!c->has_value)
                return cf_skip(r, "the card description gives no value for '%s'", c->name);
        if (r->chv_bad[chv])
                return cf_skip(r,
                               "earlier in this run the card refused the description's code "
                               "for '%s', or had one try left: no code is sent to it again",
                               c->name);
        if (spend > 0 && c->retries == 0)
                return cf_skip(r,
                               "would spend %u %s of '%s', whose retries the description does "
                               "not give",
                               spend, spend == 1 ? "try" : "tries", c->name);
        if (spend > 0 && spend >= c->retries && !r->destructive)
                return cf_skip(r, "would spend %u of the %u tries of '%s' (--destructive)", spend,
                               c->retries, c->name);
        if (cf_select_home(r, 0, chv) != 0)
                return CF_FAIL;
        /*
         * One try or none left: a code that turned out wrong would block the
         * reference, so the description's is not presented at all.
         */
        sw = cf_query(r, 0, chv);
        if (sw == 0x6983 || sw == 0x63c0 || sw == 0x63c1) {
                r->chv_bad[chv] = true;
                snprintf(g, sizeof(g), "%04X", sw);
                return cf_skip(r,
                               "'%s' answers %s: with one try left or none, the description's "
                               "code is not presented (give the counter back with the right "
                               "code first)",
                               c->name, g);
        }
        sw = cf_verify(r, 0, chv, CF_CODE_RIGHT);
        if (sw != 0x9000) {
                r->chv_bad[chv] = sw != 0;
                snprintf(g, sizeof(g), "%04X", sw);
                return cf_fail(r,
                               "VERIFY of '%s' with the description's code: wanted 9000, got "
                               "%s; no code is sent to it again in this run",
                               c->name, g);
        }
        return cf_warm_reset(r) == 0 ? CF_PASS : CF_ERROR;
}

int cf_open_channel(struct cf_run *r)
{
        uint16_t sw = cf_cmd(r, 0x00, 0x70, 0x00, 0x00, NULL, 0, 1);

        if (!cf_want(r, sw, 0x9000, "MANAGE CHANNEL open (00 70 00 00 01)"))
                return -1;
        if (r->rlen != 1 || r->resp[0] == 0 || r->resp[0] > 19) {
                cf_fail(r,
                        "MANAGE CHANNEL open: wanted one byte, a channel number 01..13, got "
                        "%zu bytes",
                        r->rlen);
                return -1;
        }
        return r->resp[0];
}

uint16_t cf_close_channel(struct cf_run *r, unsigned ch)
{
        return cf_cmd(r, cf_cla(ch), 0x70, 0x80, 0x00, NULL, 0, CF_NO_LE);
}

bool cf_can_satisfy(const struct cf_run *r, const struct cf_rule *rule)
{
        switch (rule->kind) {
        case CF_R_ALWAYS:
                return true;
        case CF_R_NEVER:
                return false;
        case CF_R_CHV:
                return r->card->chvs[rule->index].has_value &&
                       r->card->chvs[rule->index].verifiable && !r->chv_bad[rule->index];
        case CF_R_KEY:
                return r->card->keys[rule->index].has_value && !r->key_bad[rule->index];
        case CF_R_ANY:
                for (size_t i = 0; i < rule->n; i++)
                        if (cf_can_satisfy(r, &rule->sub[i]))
                                return true;
                return false;
        case CF_R_ALL:
                for (size_t i = 0; i < rule->n; i++)
                        if (!cf_can_satisfy(r, &rule->sub[i]))
                                return false;
                return true;
        }
        return false;
}

/* The codes and keys are presented where the channel is: the file's own DF, so they are in scope.
 */
int cf_satisfy(struct cf_run *r, unsigned ch, const struct cf_rule *rule)
{
        char what[96];

        switch (rule->kind) {
        case CF_R_ALWAYS:
                return 0;
        case CF_R_NEVER:
                return -1;
        case CF_R_CHV:
                snprintf(what, sizeof(what), "VERIFY of '%s'", r->card->chvs[rule->index].name);
                if (cf_want(r, cf_verify(r, ch, rule->index, CF_CODE_RIGHT), 0x9000, what))
                        return 0;
                r->chv_bad[rule->index] = true;
                return -1;
        case CF_R_KEY:
                snprintf(what, sizeof(what), "EXTERNAL AUTHENTICATE with key '%s'",
                         r->card->keys[rule->index].name);
                if (cf_want(r, cf_key_auth(r, ch, rule->index), 0x9000, what))
                        return 0;
                r->key_bad[rule->index] = true;
                return -1;
        case CF_R_ANY:
                for (size_t i = 0; i < rule->n; i++)
                        if (cf_can_satisfy(r, &rule->sub[i]))
                                return cf_satisfy(r, ch, &rule->sub[i]);
                return -1;
        case CF_R_ALL:
                for (size_t i = 0; i < rule->n; i++)
                        if (cf_satisfy(r, ch, &rule->sub[i]) != 0)
                                return -1;
                return 0;
        }
        return -1;
}

int cf_aes128_ecb(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
        int n = 0, ok = -1;

        if (x != NULL && EVP_EncryptInit_ex(x, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
            EVP_CIPHER_CTX_set_padding(x, 0) == 1 && EVP_EncryptUpdate(x, out, &n, in, 16) == 1 &&
            n == 16)
                ok = 0;
        EVP_CIPHER_CTX_free(x);
        return ok;
}

uint16_t cf_key_auth(struct cf_run *r, unsigned ch, int key)
{
        const struct cf_key *k = &r->card->keys[key];
        uint8_t challenge[16], crypt[16];
        uint16_t sw;

        sw = cf_cmd_all(r, cf_cla(ch), 0x84, 0x00, 0x00, NULL, 0, 16);
        if (sw != 0x9000 || r->rlen < 16)
                return sw == 0x9000 ? 0x6f00 : sw;
        memcpy(challenge, r->resp, 16);
        if (cf_aes128_ecb(k->value, challenge, crypt) != 0)
                return 0x6f00;
        r->mask_next = true;
        sw = cf_cmd(r, cf_cla(ch), 0x82, 0x00, (uint8_t)k->ref, crypt, sizeof(crypt), CF_NO_LE);
        OPENSSL_cleanse(crypt, sizeof(crypt));
        return sw;
}
