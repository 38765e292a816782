/* The embedded default card "iso7816-chv"; docs/card-model.md describes it for users. */
#include <stdio.h>
#include <string.h>

#include <scsim/err.h>

#include "atr.h"
#include "profile_model.h"

enum { CHV_PIN, CHV_PUK, CHV_APP_PIN };
enum { KEY_ADMIN };

static const uint8_t hist[] = {
        0x80,                               /* category indicator: compact-TLV follows */
        0x73, 0xf4, 0x01, 0xdb,             /* card capabilities: selection methods, chaining,
                                               extended lengths, 4 logical channels */
        0x55, 'S',  'C',  'S',  'I',  'M', /* card issuer's data */
};

static struct prof_chv chv(const char *name, uint8_t ref, uint16_t df, const char *value,
                           size_t min_len, size_t max_len, uint8_t retries)
{
        struct prof_chv c;

        memset(&c, 0, sizeof(c));
        strncpy(c.name, name, sizeof(c.name) - 1);
        c.has_ref = true;
        c.ref = ref;
        c.df = df;
        c.verifiable = true;
        c.value_len = strlen(value);
        memcpy(c.value, value, c.value_len);
        c.min_len = min_len;
        c.max_len = max_len;
        c.format = PROF_CHV_DIGITS;
        c.padding = PROF_PAD_NONE;
        c.retries = retries;
        c.puk = PROF_NONE;
        c.reset_rule = PROF_RULE_NEVER_IDX;
        c.enabled = true;
        return c;
}

static struct prof_file file(const char *name, enum prof_file_type type, uint16_t fid,
                             uint16_t parent, size_t size, uint16_t read_rule,
                             uint16_t update_rule)
{
        struct prof_file f;

        memset(&f, 0, sizeof(f));
        strncpy(f.name, name, sizeof(f.name) - 1);
        f.type = type;
        f.fid = fid;
        f.parent = parent;
        f.size = size;
        f.read_rule = read_rule;
        f.update_rule = update_rule;
        return f;
}

static int rule(scsim_profile *p, enum prof_rule_kind kind, uint16_t arg)
{
        struct prof_rule r;

        memset(&r, 0, sizeof(r));
        r.kind = kind;
        r.arg = arg;
        return prof_add_rule(p, &r);
}

static int build(scsim_profile *p)
{
        static const uint8_t aid[] = {0xf0, 0x53, 0x43, 0x53, 0x49, 0x4d, 0x01};
        static const uint8_t admin_key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                              0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f};
        static const char public_text[] = "scsim public file: anyone may read this.\n";
        static const char secret_text[] = "Global PIN verified: card-wide secret.\n";
        static const char app_text[] = "Application PIN verified on this channel.\n";
        static const uint8_t serial[] = {0x53, 0x43, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
        int r_pin, r_app_pin, r_admin, df, n;
        struct prof_chv c;
        struct prof_file f;
        struct prof_key k;

        snprintf(p->label, sizeof(p->label), "scsim ISO 7816-4 CHV card");
        n = atr_build(hist, sizeof(hist), p->atr, sizeof(p->atr));
        if (n < 0)
                return -1;
        p->atr_len = (size_t)n;
        memcpy(p->serial, serial, sizeof(serial));
        p->serial_len = sizeof(serial);

        r_pin = rule(p, PROF_RULE_CHV, CHV_PIN);
        r_app_pin = rule(p, PROF_RULE_CHV, CHV_APP_PIN);
        r_admin = rule(p, PROF_RULE_KEY, KEY_ADMIN);
        if (r_pin < 0 || r_app_pin < 0 || r_admin < 0)
                return -1;

        f = file("public", PROF_FILE_EF, 0x0101, 0, 64, PROF_RULE_ALWAYS_IDX, (uint16_t)r_admin);
        if (prof_add_file(p, &f, (const uint8_t *)public_text, sizeof(public_text) - 1) < 0)
                return -1;
        f = file("secret", PROF_FILE_EF, 0x0102, 0, 64, (uint16_t)r_pin, (uint16_t)r_pin);
        if (prof_add_file(p, &f, (const uint8_t *)secret_text, sizeof(secret_text) - 1) < 0)
                return -1;
        f = file("app", PROF_FILE_DF, 0x5000, 0, 0, PROF_RULE_NEVER_IDX, PROF_RULE_NEVER_IDX);
        memcpy(f.aid, aid, sizeof(aid));
        f.aid_len = sizeof(aid);
        if ((df = prof_add_file(p, &f, NULL, 0)) < 0)
                return -1;
        f = file("app-secret", PROF_FILE_EF, 0x5001, (uint16_t)df, 64, (uint16_t)r_app_pin,
                 (uint16_t)r_app_pin);
        if (prof_add_file(p, &f, (const uint8_t *)app_text, sizeof(app_text) - 1) < 0)
                return -1;

        c = chv("pin", 0x01, 0, "1234", 4, 8, 3);
        c.puk = CHV_PUK;
        c.reset_rule = (uint16_t)r_admin;
        c.may_disable = true;
        if (prof_add_chv(p, &c) != CHV_PIN)
                return -1;
        c = chv("puk", 0x00, 0, "12345678", 8, 8, 10);
        c.has_ref = false;
        c.verifiable = false;
        if (prof_add_chv(p, &c) != CHV_PUK)
                return -1;
        c = chv("app-pin", 0x81, (uint16_t)df, "000000", 6, 8, 3);
        if (prof_add_chv(p, &c) != CHV_APP_PIN)
                return -1;

        memset(&k, 0, sizeof(k));
        strncpy(k.name, "admin", sizeof(k.name) - 1);
        k.ref = 0x01;
        k.df = 0;
        k.alg = PROF_KEY_AES128;
        memcpy(k.value, admin_key, sizeof(admin_key));
        k.value_len = sizeof(admin_key);
        k.retries = 5;
        if (prof_add_key(p, &k) != KEY_ADMIN)
                return -1;
        return 0;
}

int prof_default_c(scsim_profile **out);
int prof_default_c(scsim_profile **out)
{
        scsim_profile *p;
        char msg[256];

        if (out == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        *out = NULL;
        if ((p = prof_new("iso7816-chv")) == NULL)
                return SCSIM_ERR_NO_MEMORY;
        if (build(p) != 0 || prof_check(p, msg, sizeof(msg)) != 0) {
                scsim_profile_free(&p);
                return SCSIM_ERR_INTERNAL;
        }
        *out = p;
        return SCSIM_OK;
}
