/* SPDX-License-Identifier: MIT */
/*
 * The ISO/IEC 7816-4 suite: its table, and the checks of the card as a whole
 * (ATR, class and instruction bytes, selection, length cases, GET RESPONSE,
 * logical channels). Clauses are those of the 2005 edition unless named.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "conform_iso.h"

#define ISO      "ISO/IEC 7816-4:2005 "
#define C_CASES  "5.1 (command-response pairs: the cases)"
#define C_CLA    "5.1.1 (class byte)"
#define C_INS    "5.1.2 (instruction byte: 6X and 9X are invalid)"
#define C_GETR   "5.1.3 (61XX, 6CXX), 7.6.1 (GET RESPONSE)"
#define C_CHAN   "5.1.1.2 (logical channels), 7.1.2 (MANAGE CHANNEL)"
#define C_SELECT "7.1.1 (SELECT)"
#define C_READ   "7.2 (READ BINARY)"
#define C_UPDATE "7.2 (UPDATE BINARY)"
#define C_VERIFY "7.5.6 (VERIFY)"
#define C_STATUS "5.4 (security status), 7.5.6 (VERIFY)"
#define C_AUTH   "7.5 (GET CHALLENGE, EXTERNAL AUTHENTICATE)"
#define C_CHANGE "7.5.7 (CHANGE REFERENCE DATA)"
#define C_ENDIS  "7.5.8, 7.5.9 (ENABLE, DISABLE VERIFICATION REQUIREMENT)"
#define C_RRC    "7.5.6 (VERIFY), 7.5.10 (RESET RETRY COUNTER)"
#define C_ATR    "ISO/IEC 7816-3:2006 8.2 (answer-to-reset, TCK)"

enum cf_verdict iso_need_channels(struct cf_run *r)
{
        if (!r->caps.known)
                return cf_skip(r, "the ATR holds no card capabilities (ISO/IEC 7816-4:2013 "
                                  "12.1.1.9): logical channels are not tried");
        if (r->caps.channels < 2)
                return cf_skip(r, "the ATR's card capabilities announce no logical channels");
        return CF_PASS;
}

/* The bytes after T0 and the interface bytes; whether a protocol other than T=0 is named. */
static bool atr_parse(const uint8_t *atr, size_t len, size_t *hist_off, size_t *hist_len,
                      bool *not_t0)
{
        size_t i = 2;
        uint8_t y;

        *not_t0 = false;
        if (len < 2)
                return false;
        y = atr[1];
        for (;;) {
                i += (size_t)((y >> 4 & 1) + (y >> 5 & 1) + (y >> 6 & 1));
                if ((y & 0x80) == 0)
                        break;
                if (i >= len)
                        return false;
                y = atr[i++];
                if ((y & 0x0f) != 0)
                        *not_t0 = true;
        }
        *hist_off = i;
        *hist_len = atr[1] & 0x0f;
        return i + *hist_len + (*not_t0 ? 1 : 0) == len;
}

enum cf_verdict iso_atr(struct cf_run *r, int obj)
{
        size_t off = 0, k = 0;
        bool not_t0;
        uint8_t x = 0;

        (void)obj;
        if (r->atr_len == 0)
                return cf_skip(r, "the reader gives no ATR");
        if (r->atr[0] != 0x3b && r->atr[0] != 0x3f)
                return cf_fail(r, "TS is %02X: wanted 3B (direct) or 3F (inverse convention)",
                               r->atr[0]);
        if (!atr_parse(r->atr, r->atr_len, &off, &k, &not_t0))
                return cf_fail(r,
                               "the ATR's %zu bytes do not add up to T0, the interface "
                               "bytes TDi announce, %zu historical bytes and TCK",
                               r->atr_len, k);
        for (size_t i = 1; not_t0 && i < r->atr_len; i++)
                x ^= r->atr[i];
        if (not_t0 && x != 0)
                return cf_fail(r, "TCK is wrong: T0 to TCK XOR to %02X, wanted 00", x);
        if (r->card->has_atr &&
            (r->card->atr_len != r->atr_len || memcmp(r->card->atr, r->atr, r->atr_len) != 0))
                return cf_fail(r, "the ATR is not the one the card description gives");
        if (r->card->has_hist &&
            (r->card->hist_len != k || memcmp(r->card->hist, r->atr + off, k) != 0))
                return cf_fail(r, "the historical bytes are not those the card description gives");
        return CF_PASS;
}

enum cf_verdict iso_cla_rfu(struct cf_run *r, int obj)
{
        static const uint8_t mf[] = {0x3f, 0x00};

        (void)obj;
        /* '2X' is reserved for future use: a card must not take it for the interindustry class */
        if (!cf_want(r, cf_cmd(r, 0x20, 0xa4, 0x00, 0x0c, mf, 2, CF_NO_LE), 0x6e00,
                     "SELECT MF with CLA 20 (reserved)"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_ins_invalid(struct cf_run *r, int obj)
{
        (void)obj;
        if (!cf_want(r, cf_cmd(r, 0x00, 0x6a, 0x00, 0x00, NULL, 0, CF_NO_LE), 0x6d00,
                     "INS 6A (invalid: 6X and 9X are procedure bytes)"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_select_mf(struct cf_run *r, int obj)
{
        (void)obj;
        return cf_select_mf(r, 0) == 0 ? CF_PASS : CF_FAIL;
}

enum cf_verdict iso_select_absent(struct cf_run *r, int obj)
{
        /* a proprietary RID (F...) no description here uses, longer than any DF name it could
         * prefix */
        static const uint8_t aid[] = {0xf0, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88};

        (void)obj;
        for (size_t i = 0; i < r->card->nfiles; i++)
                if (r->card->files[i].aid_len >= 2 && r->card->files[i].aid[0] == 0xf0 &&
                    r->card->files[i].aid[1] == 0xff)
                        return cf_skip(r, "the description has DF names starting F0 FF");
        if (!cf_want(r, cf_cmd(r, 0x00, 0xa4, 0x04, 0x0c, aid, sizeof(aid), CF_NO_LE), 0x6a82,
                     "SELECT by a DF name the card does not have"))
                return CF_FAIL;
        return CF_PASS;
}

/* The first reference with a known code and room for two tries on a card that counts queries. */
static int any_chv(struct cf_run *r)
{
        for (size_t i = 0; i < r->card->nchvs; i++) {
                const struct cf_chv *c = &r->card->chvs[i];
                if (c->verifiable && c->has_value && !r->chv_bad[i] && c->retries >= 3)
                        return (int)i;
        }
        return -1;
}

static bool is_query_answer(uint16_t sw)
{
        return sw == 0x9000 || (sw & 0xfff0) == 0x63c0;
}

/* VERIFY is case 1 (a query) or 3 (a code): an Le in any form is a length error, not a VERIFY. */
enum cf_verdict iso_cases_verify(struct cf_run *r, int obj)
{
        uint8_t code[CF_CODE_MAX];
        const int chv = any_chv(r);
        const struct cf_chv *c;
        struct cf_apdu a;
        size_t n;
        enum cf_verdict v;
        uint16_t sw;

        (void)obj;
        if (chv < 0)
                return cf_skip(r, "no reference with a known code and 3 or more tries");
        if ((v = cf_chv_ready(r, chv, 2)) != CF_PASS || cf_select_home(r, 0, chv) != 0)
                return v != CF_PASS ? v : CF_FAIL;
        c = &r->card->chvs[chv];
        a = (struct cf_apdu){0x00, 0x20, 0x00, (uint8_t)c->ref, NULL, 0, CF_NO_LE, false};
        if (!is_query_answer(sw = cf_send(r, &a)))
                return cf_fail(r, "case 1 (VERIFY without data): wanted 63CX or 9000, got %04X",
                               sw);
        a.ne = 16;
        if (!cf_want(r, cf_send(r, &a), 0x6700, "case 2S (VERIFY with Le 10)"))
                return CF_FAIL;
        a.ext = true;
        if (!cf_want(r, cf_send(r, &a), 0x6700, "case 2E (VERIFY with Le 00 00 10)"))
                return CF_FAIL;
        n = cf_code(c, CF_CODE_RIGHT, code, sizeof(code));
        a = (struct cf_apdu){0x00, 0x20, 0x00, (uint8_t)c->ref, code, n, 16, false};
        sw = cf_send(r, &a);
        if (!cf_want(r, sw, 0x6700, "case 4S (VERIFY, the right code and Le 10)"))
                goto fail;
        if (r->caps.extended) {
                a.ext = true;
                if (!cf_want(r, cf_send(r, &a), 0x6700,
                             "case 4E (VERIFY, the right code and an extended Le)"))
                        goto fail;
                a.ne = CF_NO_LE;
                if (!cf_want(r, cf_send(r, &a), 0x9000,
                             "case 3E (VERIFY, the right code, "
                             "extended Lc; the ATR announces "
                             "extended lengths)"))
                        goto fail;
        }
        a = (struct cf_apdu){0x00, 0x20, 0x00, (uint8_t)c->ref, code, n, CF_NO_LE, false};
        v = cf_want(r, cf_send(r, &a), 0x9000, "case 3S (VERIFY with the right code)") ? CF_PASS
                                                                                       : CF_FAIL;
        OPENSSL_cleanse(code, sizeof(code));
        return v;
fail:
        OPENSSL_cleanse(code, sizeof(code));
        return CF_FAIL;
}

static long challenge_len(const struct cf_run *r)
{
        return r->card->nkeys > 0 ? 16 : 8;
}

/* GET CHALLENGE is case 2 only: Le is how many random bytes, and no data goes in. */
enum cf_verdict iso_cases_challenge(struct cf_run *r, int obj)
{
        static const uint8_t one[] = {0x00};
        uint8_t first[256];
        size_t n;
        uint16_t sw;

        (void)obj;
        sw = cf_cmd_all(r, 0x00, 0x84, 0x00, 0x00, NULL, 0, challenge_len(r));
        if ((sw == 0x6d00 || sw == 0x6a81) && r->card->nkeys == 0)
                return cf_skip(r, "the card has no GET CHALLENGE (%04X) and the description no key",
                               sw);
        if (!cf_want(r, sw, 0x9000, "case 2S (GET CHALLENGE with Le)"))
                return CF_FAIL;
        if ((n = r->rlen) == 0 || n > sizeof(first))
                return cf_fail(r, "GET CHALLENGE answered %zu bytes", n);
        memcpy(first, r->resp, n);
        if (cf_cmd_all(r, 0x00, 0x84, 0x00, 0x00, NULL, 0, (long)n) != 0x9000 || r->rlen != n ||
            memcmp(first, r->resp, n) == 0)
                return cf_fail(r,
                               "a second GET CHALLENGE of %zu bytes gave the same bytes, or "
                               "none",
                               n);
        if (!cf_want(r, cf_cmd(r, 0x00, 0x84, 0x00, 0x00, NULL, 0, CF_NO_LE), 0x6700,
                     "case 1 (GET CHALLENGE without Le)") ||
            !cf_want(r, cf_cmd(r, 0x00, 0x84, 0x00, 0x00, one, 1, CF_NO_LE), 0x6700,
                     "case 3S (GET CHALLENGE with data, no Le)") ||
            !cf_want(r, cf_cmd(r, 0x00, 0x84, 0x00, 0x00, one, 1, (long)n), 0x6700,
                     "case 4S (GET CHALLENGE with data and Le)"))
                return CF_FAIL;
        return CF_PASS;
}

/* An EF every channel may read: its content is known without a code. */
static int open_ef(const struct cf_run *r)
{
        for (size_t i = 1; i < r->card->nfiles; i++) {
                const struct cf_file *f = &r->card->files[i];
                if (!f->is_df && f->has_fid && f->has_rules && f->read.kind == CF_R_ALWAYS &&
                    f->size > 0)
                        return (int)i;
        }
        return -1;
}

/* READ BINARY (B0) is case 2 only: an offset in P1-P2, how much in Le. */
enum cf_verdict iso_cases_read(struct cf_run *r, int obj)
{
        static const uint8_t one[] = {0x00};
        const int ef = open_ef(r);
        size_t n;

        (void)obj;
        if (ef < 0)
                return cf_skip(r, "the description has no EF anyone may read");
        if (iso_select_ef(r, 0, ef) != 0)
                return CF_FAIL;
        n = r->card->files[ef].size < 16 ? r->card->files[ef].size : 16;
        if (!cf_want(r, cf_cmd(r, 0x00, 0xb0, 0x00, 0x00, NULL, 0, (long)n), 0x9000,
                     "case 2S (READ BINARY, Le = the bytes wanted)"))
                return CF_FAIL;
        if (r->rlen != n || memcmp(r->resp, r->card->files[ef].content, n) != 0)
                return cf_fail(r, "READ BINARY gave %zu bytes, not the %zu the description has",
                               r->rlen, n);
        if (!cf_want(r, cf_cmd(r, 0x00, 0xb0, 0x00, 0x00, NULL, 0, CF_NO_LE), 0x6700,
                     "case 1 (READ BINARY without Le)") ||
            !cf_want(r, cf_cmd(r, 0x00, 0xb0, 0x00, 0x00, one, 1, CF_NO_LE), 0x6700,
                     "case 3S (READ BINARY with data)") ||
            !cf_want(r, cf_cmd(r, 0x00, 0xb0, 0x00, 0x00, one, 1, (long)n), 0x6700,
                     "case 4S (READ BINARY with data and Le)"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_getresponse_none(struct cf_run *r, int obj)
{
        (void)obj;
        if (!cf_want_error(r, cf_cmd(r, 0x00, 0xc0, 0x00, 0x00, NULL, 0, 16),
                           "GET RESPONSE right after a reset, nothing pending"))
                return CF_FAIL;
        return CF_PASS;
}

/* The FCP (or FCI) of the MF, whole, as the reference the short reads are held to. */
static int mf_answer(struct cf_run *r, uint8_t *p2, uint8_t *full, size_t *len)
{
        static const uint8_t mf[] = {0x3f, 0x00};
        const uint8_t p2s[] = {0x04, 0x00};

        for (size_t i = 0; i < 2; i++) {
                if (cf_cmd_all(r, 0x00, 0xa4, 0x00, p2s[i], mf, 2, 256) == 0x9000 && r->rlen >= 3 &&
                    r->rlen <= 256) {
                        *p2 = p2s[i];
                        *len = r->rlen;
                        memcpy(full, r->resp, r->rlen);
                        return 0;
                }
        }
        return -1;
}

/* Asked for 2 bytes of a longer answer, the card says what is left (61XX) or what Le to use (6CXX).
 */
enum cf_verdict iso_getresponse_chain(struct cf_run *r, int obj)
{
        static const uint8_t mf[] = {0x3f, 0x00};
        uint8_t full[256], got[256];
        size_t len = 0, have;
        uint8_t p2 = 0;
        uint16_t sw;

        (void)obj;
        if (mf_answer(r, &p2, full, &len) != 0)
                return cf_skip(r, "SELECT of the MF answers neither FCP nor FCI to take in parts");
        sw = cf_cmd(r, 0x00, 0xa4, 0x00, p2, mf, 2, 2);
        if ((sw & 0xff00) == 0x6c00) {
                const long le = (sw & 0xff) == 0 ? 256 : sw & 0xff;
                if (!cf_want(r, cf_cmd(r, 0x00, 0xa4, 0x00, p2, mf, 2, le), 0x9000,
                             "SELECT again with the Le the card named in 6CXX"))
                        return CF_FAIL;
                if (r->rlen != len || memcmp(r->resp, full, len) != 0)
                        return cf_fail(r, "after 6CXX the answer differs from the whole one");
                return CF_PASS;
        }
        if ((sw & 0xff00) != 0x6100)
                return cf_fail(r,
                               "SELECT MF with Le 02 of a %zu-byte answer: wanted 61XX (more "
                               "data) or 6CXX (wrong Le), got %04X",
                               len, sw);
        if (r->rlen != 2 || memcmp(r->resp, full, 2) != 0)
                return cf_fail(r, "with 61XX the card sent %zu bytes, wanted the first 2", r->rlen);
        memcpy(got, r->resp, 2);
        have = 2;
        while ((sw & 0xff00) == 0x6100 && have < sizeof(got)) {
                size_t want = (sw & 0xff) == 0 ? 256 : sw & 0xff;
                sw = cf_cmd(r, 0x00, 0xc0, 0x00, 0x00, NULL, 0, (long)want);
                if (have + r->rlen > sizeof(got))
                        break;
                memcpy(got + have, r->resp, r->rlen);
                have += r->rlen;
        }
        if (!cf_want(r, sw, 0x9000, "the last GET RESPONSE"))
                return CF_FAIL;
        if (have != len || memcmp(got, full, len) != 0)
                return cf_fail(r, "the parts make %zu bytes that differ from the %zu-byte answer",
                               have, len);
        return CF_PASS;
}

enum cf_verdict iso_channel_open_close(struct cf_run *r, int obj)
{
        static const uint8_t mf[] = {0x3f, 0x00};
        enum cf_verdict v = iso_need_channels(r);
        int ch;

        (void)obj;
        if (v != CF_PASS)
                return v;
        if ((ch = cf_open_channel(r)) < 0)
                return CF_FAIL;
        if (cf_select_mf(r, (unsigned)ch) != 0)
                return CF_FAIL;
        if (!cf_want(r, cf_close_channel(r, (unsigned)ch), 0x9000, "MANAGE CHANNEL close"))
                return CF_FAIL;
        if (!cf_want(r, cf_cmd(r, cf_cla((unsigned)ch), 0xa4, 0x00, 0x0c, mf, 2, CF_NO_LE), 0x6881,
                     "SELECT MF on the channel just closed"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_channel_basic(struct cf_run *r, int obj)
{
        enum cf_verdict v = iso_need_channels(r);

        (void)obj;
        if (v != CF_PASS)
                return v;
        if (!cf_want_error(r, cf_cmd(r, 0x00, 0x70, 0x80, 0x00, NULL, 0, CF_NO_LE),
                           "MANAGE CHANNEL close of the basic channel"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_channel_reset(struct cf_run *r, int obj)
{
        static const uint8_t mf[] = {0x3f, 0x00};
        enum cf_verdict v = iso_need_channels(r);
        int ch;

        (void)obj;
        if (v != CF_PASS)
                return v;
        if ((ch = cf_open_channel(r)) < 0)
                return CF_FAIL;
        if (cf_warm_reset(r) != 0)
                return CF_ERROR;
        if (!cf_want(r, cf_cmd(r, cf_cla((unsigned)ch), 0xa4, 0x00, 0x0c, mf, 2, CF_NO_LE), 0x6881,
                     "SELECT MF on a channel opened before the reset"))
                return CF_FAIL;
        return CF_PASS;
}

static const struct cf_check checks[] = {
    {"iso.atr", "the ATR is well formed (TCK) and as described", C_ATR, 0, CF_ONCE, iso_atr},
    {"iso.cla.rfu", "a reserved class (CLA 20) is refused with 6E00", ISO C_CLA, 0, CF_ONCE,
     iso_cla_rfu},
    {"iso.ins.invalid", "an invalid instruction (INS 6A) is refused with 6D00", ISO C_INS, 0,
     CF_ONCE, iso_ins_invalid},
    {"iso.select.mf", "SELECT of the MF by its FID 3F00", ISO C_SELECT, 0, CF_ONCE, iso_select_mf},
    {"iso.select.absent", "SELECT of a DF name the card lacks gives 6A82", ISO C_SELECT, 0, CF_ONCE,
     iso_select_absent},
    {"iso.cases.verify", "VERIFY takes cases 1 and 3; an Le field is a wrong length",
     ISO C_CASES ", " C_VERIFY, 0, CF_ONCE, iso_cases_verify},
    {"iso.cases.challenge", "GET CHALLENGE takes case 2 only; two challenges differ",
     ISO C_CASES ", " C_AUTH, 0, CF_ONCE, iso_cases_challenge},
    {"iso.cases.read", "READ BINARY takes case 2 only and reads the described content",
     ISO C_CASES ", " C_READ, 0, CF_ONCE, iso_cases_read},
    {"iso.getresponse.none", "GET RESPONSE with nothing pending is an error", ISO C_GETR, 0,
     CF_ONCE, iso_getresponse_none},
    {"iso.getresponse.parts", "an answer longer than Le comes with 61XX (or 6CXX) and whole",
     ISO C_GETR, 0, CF_ONCE, iso_getresponse_chain},
    {"iso.channel.open-close", "a channel opens, works, closes; closed it answers 6881", ISO C_CHAN,
     0, CF_ONCE, iso_channel_open_close},
    {"iso.channel.basic", "the basic channel cannot be closed", ISO C_CHAN, 0, CF_ONCE,
     iso_channel_basic},
    {"iso.channel.reset", "a warm reset closes every channel but the basic one", ISO C_CHAN, 0,
     CF_ONCE, iso_channel_reset},
    {"iso.ref.unknown", "VERIFY of a reference the card lacks gives 6A88", ISO C_VERIFY, 0, CF_ONCE,
     iso_ref_unknown},
    {"iso.chv.query", "VERIFY without data tells the tries left and spends none", ISO C_VERIFY, 0,
     CF_EACH_CHV, iso_chv_query},
    {"iso.chv.verify", "the right code verifies the reference", ISO C_VERIFY, 0, CF_EACH_CHV,
     iso_chv_verify},
    {"iso.chv.p1ff", "VERIFY P1=FF ends the verification", ISO C_VERIFY, 0, CF_EACH_CHV,
     iso_chv_p1ff},
    {"iso.chv.p1-other", "VERIFY with P1 other than 00 or FF is refused", ISO C_VERIFY, 0,
     CF_EACH_CHV, iso_chv_p1_other},
    {"iso.chv.reset", "a warm reset ends the verification", ISO C_STATUS, 0, CF_EACH_CHV,
     iso_chv_reset},
    {"iso.chv.select", "selecting another DF keeps or ends it as its scope says",
     ISO C_STATUS ", " C_SELECT, 0, CF_EACH_CHV, iso_chv_deselect},
    {"iso.chv.channel", "verified on one channel is not verified on another",
     ISO C_STATUS ", " C_CHAN, 0, CF_EACH_CHV, iso_chv_channel},
    {"iso.chv.channel-close", "closing a channel ends its verification", ISO C_STATUS ", " C_CHAN,
     0, CF_EACH_CHV, iso_chv_channel_close},
    {"iso.chv.counter", "a wrong code costs one try (63CX), the right one gives them back",
     ISO C_VERIFY, 0, CF_EACH_CHV, iso_chv_counter},
    {"iso.chv.counter-channels", "the retry counter is one for every channel",
     ISO C_VERIFY ", " C_CHAN, 0, CF_EACH_CHV, iso_chv_counter_channels},
    {"iso.chv.block", "the last wrong try blocks (63C0, then 6983), an unblock lifts it", ISO C_RRC,
     CF_DESTRUCTIVE, CF_EACH_CHV, iso_chv_block},
    {"iso.chv.unblock-wrong", "a wrong unblock code costs a try of its own counter", ISO C_RRC,
     CF_DESTRUCTIVE, CF_EACH_CHV, iso_chv_unblock_wrong},
    {"iso.chv.change", "CHANGE REFERENCE DATA old||new replaces the code", ISO C_CHANGE,
     CF_DESTRUCTIVE, CF_EACH_CHV, iso_chv_change},
    {"iso.chv.disable", "a disabled requirement gates nothing; enabled again it does", ISO C_ENDIS,
     CF_DESTRUCTIVE, CF_EACH_CHV, iso_chv_disable},
    {"iso.ef.read", "READ BINARY is refused (6982) until the read rule holds", ISO C_READ, 0,
     CF_EACH_EF, iso_ef_read},
    {"iso.ef.read-end", "reading past the end: 6282 with what there is; 6B00 beyond", ISO C_READ, 0,
     CF_EACH_EF, iso_ef_read_end},
    {"iso.ef.update", "UPDATE BINARY is refused (6982) until the update rule holds", ISO C_UPDATE,
     CF_DESTRUCTIVE, CF_EACH_EF, iso_ef_update},
    {"iso.key.auth", "EXTERNAL AUTHENTICATE takes a fresh challenge's cryptogram once", ISO C_AUTH,
     0, CF_EACH_KEY, iso_key_auth},
};

const struct cf_suite cf_suite_iso7816 = {
    "iso7816", "ISO/IEC 7816-4 (clauses of the 2005 edition), ISO/IEC 7816-3",
    checks,    sizeof(checks) / sizeof(checks[0]),
    NULL,
};
