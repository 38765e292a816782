/* SPDX-License-Identifier: MIT */
/* The one JSON writer of the scsim command (json-c): result objects, valid UTF-8 text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "cli.h"

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, surrogates or > U+10FFFF), or 0.
 */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
        size_t n;
        unsigned lo = 0x80, hi = 0xbf;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4;
        else
                return 0;
        if (left < n)
                return 0;
        /* the second byte's range is what rules out overlongs, surrogates and > U+10FFFF */
        if (s[0] == 0xe0)
                lo = 0xa0;
        else if (s[0] == 0xed)
                hi = 0x9f;
        else if (s[0] == 0xf0)
                lo = 0x90;
        else if (s[0] == 0xf4)
                hi = 0x8f;
        if (s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if (s[i] < 0x80 || s[i] > 0xbf)
                        return 0;
        return n;
}

char *cli_utf8_repair(const char *s)
{
        static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
        const unsigned char *p = (const unsigned char *)s;
        size_t len = strlen(s), k = 0;
        char *out;

        /* at worst every byte becomes three */
        if (len > (SIZE_MAX - 1) / 3 || (out = malloc(3 * len + 1)) == NULL)
                return NULL;
        for (size_t i = 0; i < len;) {
                size_t n = utf8_seq(p + i, len - i);
                if (n == 0) {
                        memcpy(out + k, replacement, 3);
                        k += 3;
                        i++;
                        continue;
                }
                memcpy(out + k, p + i, n);
                k += n;
                i += n;
        }
        out[k] = '\0';
        return out;
}

struct json_object *cli_json_new(const char *operation)
{
        struct json_object *o = json_object_new_object();

        cli_json_text(o, "operation", operation);
        return o;
}

struct json_object *cli_json_object(void)
{
        return json_object_new_object();
}

static void put(struct json_object *o, const char *key, struct json_object *v)
{
        if (o == NULL || json_object_object_add(o, key, v) != 0)
                json_object_put(v);
}

void cli_json_text(struct json_object *o, const char *key, const char *s)
{
        char *clean;

        if (s == NULL) {
                put(o, key, NULL);
                return;
        }
        if ((clean = cli_utf8_repair(s)) == NULL)
                return;
        put(o, key, json_object_new_string(clean));
        free(clean);
}

void cli_json_int(struct json_object *o, const char *key, long long v)
{
        put(o, key, json_object_new_int64(v));
}

void cli_json_bool(struct json_object *o, const char *key, int v)
{
        put(o, key, json_object_new_boolean(v != 0));
}

void cli_json_add(struct json_object *o, const char *key, struct json_object *v)
{
        put(o, key, v);
}

void cli_json_append(struct json_object *array, struct json_object *v)
{
        if (array == NULL || json_object_array_add(array, v) != 0)
                json_object_put(v);
}

struct json_object *cli_json_array(struct json_object *o, const char *key)
{
        struct json_object *a = json_object_new_array();

        if (a == NULL || o == NULL || json_object_object_add(o, key, a) != 0) {
                json_object_put(a);
                return NULL;
        }
        return a;
}

void cli_json_ref(struct json_object *o, uint8_t p2)
{
        char ref[3];

        snprintf(ref, sizeof(ref), "%02X", p2);
        cli_json_text(o, "ref", ref);
        cli_json_text(o, "scope", cli_scope(p2));
}

void cli_json_hresult(struct json_object *o, scsim_hresult hr)
{
        char buf[16];

        cli_json_text(o, "hresult", scsim_hresult_name(hr));
        snprintf(buf, sizeof(buf), "0x%08X", hr);
        cli_json_text(o, "hresult_value", buf);
}

void cli_json_card(struct json_object *o, uint16_t sw, scsim_hresult hr, int tries)
{
        char buf[16];

        if (sw != 0) {
                snprintf(buf, sizeof(buf), "%04X", sw);
                cli_json_text(o, "sw", buf);
        } else {
                cli_json_text(o, "sw", NULL);
        }
        cli_json_hresult(o, hr);
        if (tries >= 0)
                cli_json_int(o, "tries_left", tries);
        else
                cli_json_text(o, "tries_left", NULL);
}

int cli_json_print(struct json_object **o, int ok, const char *error)
{
        const char *text;
        int rc = -1;

        if (*o == NULL)
                goto out;
        if (!ok && error != NULL && error[0] != '\0')
                cli_json_text(*o, "error", error);
        cli_json_bool(*o, "ok", ok);
        text = json_object_to_json_string_ext(*o, JSON_C_TO_STRING_PLAIN |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE);
        if (text != NULL && printf("%s\n", text) > 0 && fflush(stdout) == 0)
                rc = 0;
out:
        if (rc != 0)
                fprintf(stderr, "scsim: cannot write the JSON result (out of memory or stdout "
                                "closed)\n");
        json_object_put(*o);
        *o = NULL;
        return rc;
}

void cli_json_libraries(struct json_object *o)
{
        struct json_object *libs = json_object_new_object();

        cli_json_text(libs, "openssl", OpenSSL_version(OPENSSL_VERSION_STRING));
        cli_json_text(libs, "json-c", json_c_version());
        put(o, "libraries", libs);
}

void cli_json_free(struct json_object **o)
{
        json_object_put(*o);
        *o = NULL;
}

void cli_json_profile(struct json_object *profiles, const char *name, const char *label,
                      const char *path, const char *source, const char *error)
{
        struct json_object *p = json_object_new_object();

        cli_json_text(p, "name", name);
        cli_json_text(p, "label", label);
        cli_json_text(p, "path", path);
        cli_json_text(p, "source", source);
        cli_json_bool(p, "valid", error == NULL);
        if (error != NULL)
                cli_json_text(p, "error", error);
        cli_json_append(profiles, p);
}
