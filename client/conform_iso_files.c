/* SPDX-License-Identifier: MIT */
/* ISO/IEC 7816-4 checks of the described EFs (access rules, reading past the end) and keys. */
#include <string.h>

#include <openssl/crypto.h>

#include "conform_iso.h"

int iso_select_ef(struct cf_run *r, unsigned ch, int ef)
{
        const struct cf_file *f = &r->card->files[ef];
        char what[96];

        if (cf_select_df(r, ch, f->parent) != 0)
                return -1;
        snprintf(what, sizeof(what), "SELECT of EF '%s' by its FID", f->name);
        return cf_want(r, cf_cmd(r, cf_cla(ch), 0xa4, 0x00, 0x0c, f->fid, 2, CF_NO_LE), 0x9000,
                       what)
                   ? 0
                   : -1;
}

static enum cf_verdict usable_ef(struct cf_run *r, const struct cf_file *f)
{
        if (!f->has_rules)
                return cf_skip(r, "the description gives no access rules for '%s'", f->name);
        if (!f->has_fid)
                return cf_skip(r, "the description gives no FID for '%s'", f->name);
        if (f->size == 0)
                return cf_skip(r, "'%s' is empty", f->name);
        return CF_PASS;
}

static bool read_matches(struct cf_run *r, const struct cf_file *f, size_t n, const char *what)
{
        if (!cf_want(r, cf_cmd(r, 0x00, 0xb0, 0x00, 0x00, NULL, 0, (long)n), 0x9000, what))
                return false;
        if (r->rlen == n && memcmp(r->resp, f->content, n) == 0)
                return true;
        cf_fail(r, "%s: %zu bytes that are not the first %zu the description gives", what, r->rlen,
                n);
        return false;
}

enum cf_verdict iso_ef_read(struct cf_run *r, int ef)
{
        static const uint16_t refused[] = {0x6982, 0x6985, 0x6986};
        const struct cf_file *f = &r->card->files[ef];
        const size_t n = f->size < 256 ? f->size : 256;
        enum cf_verdict v = usable_ef(r, f);

        if (v != CF_PASS || iso_select_ef(r, 0, ef) != 0)
                return v != CF_PASS ? v : CF_FAIL;
        if (f->read.kind == CF_R_ALWAYS)
                return read_matches(r, f, n, "READ BINARY (read: always)") ? CF_PASS : CF_FAIL;
        if (f->read.kind == CF_R_NEVER)
                return cf_want_one(r, cf_cmd(r, 0x00, 0xb0, 0x00, 0x00, NULL, 0, (long)n), refused,
                                   3, "READ BINARY (read: never)")
                           ? CF_PASS
                           : CF_FAIL;
        if (!cf_want(r, cf_cmd(r, 0x00, 0xb0, 0x00, 0x00, NULL, 0, (long)n), 0x6982,
                     "READ BINARY before the read rule holds"))
                return CF_FAIL;
        if (!cf_can_satisfy(r, &f->read))
                return CF_PASS;
        if (cf_satisfy(r, 0, &f->read) != 0 ||
            !read_matches(r, f, n, "READ BINARY once the read rule holds"))
                return CF_FAIL;
        if (cf_warm_reset(r) != 0 || iso_select_ef(r, 0, ef) != 0)
                return CF_FAIL;
        if (!cf_want(r, cf_cmd(r, 0x00, 0xb0, 0x00, 0x00, NULL, 0, (long)n), 0x6982,
                     "READ BINARY after a warm reset"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_ef_read_end(struct cf_run *r, int ef)
{
        const struct cf_file *f = &r->card->files[ef];
        const size_t last = f->size - 1;
        enum cf_verdict v = usable_ef(r, f);

        if (v != CF_PASS)
                return v;
        if (!cf_can_satisfy(r, &f->read))
                return cf_skip(r, "the description does not give what '%s' needs to be read",
                               f->name);
        if (iso_select_ef(r, 0, ef) != 0 || cf_satisfy(r, 0, &f->read) != 0)
                return CF_FAIL;
        if (!cf_want(r, cf_cmd(r, 0x00, 0xb0, (uint8_t)(last >> 8), (uint8_t)last, NULL, 0, 4),
                     0x6282, "READ BINARY of 4 bytes at the last byte's offset"))
                return CF_FAIL;
        if (r->rlen != 1 || r->resp[0] != f->content[last])
                return cf_fail(r,
                               "READ BINARY at the last byte: wanted that byte with 6282, got "
                               "%zu bytes",
                               r->rlen);
        if (!cf_want(r,
                     cf_cmd(r, 0x00, 0xb0, (uint8_t)(f->size >> 8), (uint8_t)f->size, NULL, 0, 1),
                     0x6b00, "READ BINARY at an offset past the end"))
                return CF_FAIL;
        return CF_PASS;
}

static uint16_t update(struct cf_run *r, const uint8_t *data, size_t n)
{
        return cf_cmd(r, 0x00, 0xd6, 0x00, 0x00, data, n, CF_NO_LE);
}

/* What the EF holds now: read when the run may, else what the description says. */
static int current_content(struct cf_run *r, int ef, uint8_t *out, size_t n)
{
        const struct cf_file *f = &r->card->files[ef];

        memcpy(out, f->content, n);
        if (!cf_can_satisfy(r, &f->read))
                return 0;
        if (iso_select_ef(r, 0, ef) != 0 || cf_satisfy(r, 0, &f->read) != 0 ||
            !cf_want(r, cf_cmd(r, 0x00, 0xb0, 0x00, 0x00, NULL, 0, (long)n), 0x9000,
                     "READ BINARY of the content to put back") ||
            r->rlen != n)
                return -1;
        memcpy(out, r->resp, n);
        return cf_warm_reset(r);
}

/* The first byte flipped and read back once the rule holds; then the content as it was. */
enum cf_verdict iso_ef_update(struct cf_run *r, int ef)
{
        static const uint16_t refused[] = {0x6982, 0x6985, 0x6986};
        const struct cf_file *f = &r->card->files[ef];
        const size_t n = f->size < 64 ? f->size : 64;
        uint8_t was[64], changed[64];
        enum cf_verdict v = usable_ef(r, f);

        if (v != CF_PASS || current_content(r, ef, was, n) != 0 || iso_select_ef(r, 0, ef) != 0)
                return v != CF_PASS ? v : CF_FAIL;
        if (f->update.kind == CF_R_NEVER)
                return cf_want_one(r, update(r, was, n), refused, 3,
                                   "UPDATE BINARY (update: never; the same bytes)")
                           ? CF_PASS
                           : CF_FAIL;
        if (f->update.kind != CF_R_ALWAYS &&
            !cf_want(r, update(r, was, n), 0x6982,
                     "UPDATE BINARY before the update rule holds (the same bytes)"))
                return CF_FAIL;
        if (!cf_can_satisfy(r, &f->update))
                return CF_PASS;
        memcpy(changed, was, n);
        changed[0] ^= 0xff;
        if (cf_satisfy(r, 0, &f->update) != 0 ||
            !cf_want(r, update(r, changed, n), 0x9000, "UPDATE BINARY once the rule holds"))
                return CF_FAIL;
        if (cf_can_satisfy(r, &f->read) &&
            (cf_satisfy(r, 0, &f->read) != 0 ||
             cf_cmd(r, 0x00, 0xb0, 0x00, 0x00, NULL, 0, (long)n) != 0x9000 || r->rlen != n ||
             memcmp(r->resp, changed, n) != 0))
                v = cf_fail(r, "READ BINARY after UPDATE BINARY does not give the bytes written");
        if (!cf_want(r, update(r, was, n), 0x9000, "UPDATE BINARY putting the content back"))
                return cf_fail(r, "'%s' may keep the test's bytes: %s", f->name, r->cur->message);
        return v;
}

/* A challenge serves one EXTERNAL AUTHENTICATE: the same cryptogram again is refused. */
enum cf_verdict iso_key_auth(struct cf_run *r, int key)
{
        const struct cf_key *k = &r->card->keys[key];
        uint8_t crypt[16];
        uint16_t sw;

        if (!k->has_value)
                return cf_skip(r, "the description gives no value for key '%s'", k->name);
        if (r->key_bad[key])
                return cf_skip(r, "key '%s' was refused earlier", k->name);
        if (k->retries < 2 && !r->destructive)
                return cf_skip(r,
                               "a refused cryptogram may cost key '%s' a try: it needs 2 or "
                               "more (or --destructive)",
                               k->name);
        if (cf_select_df(r, 0, k->df) != 0)
                return CF_FAIL;
        if (!cf_want(r, cf_cmd_all(r, 0x00, 0x84, 0x00, 0x00, NULL, 0, 16), 0x9000,
                     "GET CHALLENGE of 16 bytes"))
                return CF_FAIL;
        if (r->rlen < 16 || cf_aes128_ecb(k->value, r->resp, crypt) != 0)
                return cf_fail(r, "GET CHALLENGE gave %zu bytes, wanted 16", r->rlen);
        r->mask_next = true;
        sw = cf_cmd(r, 0x00, 0x82, 0x00, (uint8_t)k->ref, crypt, 16, CF_NO_LE);
        if (!cf_want(r, sw, 0x9000, "EXTERNAL AUTHENTICATE with the challenge's cryptogram")) {
                r->key_bad[key] = true;
                return CF_FAIL;
        }
        r->mask_next = true;
        sw = cf_cmd(r, 0x00, 0x82, 0x00, (uint8_t)k->ref, crypt, 16, CF_NO_LE);
        OPENSSL_cleanse(crypt, sizeof(crypt));
        if (!cf_want_error(r, sw, "the same cryptogram again, no new challenge"))
                return CF_FAIL;
        if (!cf_want(r, cf_key_auth(r, 0, key), 0x9000,
                     "EXTERNAL AUTHENTICATE after a fresh challenge"))
                return CF_FAIL;
        return CF_PASS;
}
