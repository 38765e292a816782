/* SPDX-License-Identifier: MIT */
/*
 * The JSON side of a build without json-c (the Windows cross build: Debian
 * ships no json-c for mingw-w64). cli_parse refuses --json there, so these
 * are never asked to write anything; they keep the verbs' one code path.
 */
#include <stdio.h>

#include "cli.h"

struct json_object *cli_json_new(const char *operation)
{
        (void)operation;
        return NULL;
}

struct json_object *cli_json_object(void)
{
        return NULL;
}

void cli_json_text(struct json_object *o, const char *key, const char *s)
{
        (void)o, (void)key, (void)s;
}

void cli_json_int(struct json_object *o, const char *key, long long v)
{
        (void)o, (void)key, (void)v;
}

void cli_json_bool(struct json_object *o, const char *key, int v)
{
        (void)o, (void)key, (void)v;
}

void cli_json_add(struct json_object *o, const char *key, struct json_object *v)
{
        (void)o, (void)key, (void)v;
}

struct json_object *cli_json_array(struct json_object *o, const char *key)
{
        (void)o, (void)key;
        return NULL;
}

void cli_json_append(struct json_object *array, struct json_object *v)
{
        (void)array, (void)v;
}

void cli_json_ref(struct json_object *o, uint8_t p2)
{
        (void)o, (void)p2;
}

void cli_json_hresult(struct json_object *o, scsim_hresult hr)
{
        (void)o, (void)hr;
}

void cli_json_card(struct json_object *o, uint16_t sw, scsim_hresult hr, int tries)
{
        (void)o, (void)sw, (void)hr, (void)tries;
}

void cli_json_libraries(struct json_object *o)
{
        (void)o;
}

void cli_json_free(struct json_object **o)
{
        *o = NULL;
}

int cli_json_print(struct json_object **o, int ok, const char *error)
{
        (void)ok, (void)error;
        *o = NULL;
        fprintf(stderr, "scsim: this build has no JSON output\n");
        return -1;
}

void cli_json_profile(struct json_object *profiles, const char *name, const char *label,
                      const char *path, const char *source, const char *error)
{
        (void)profiles, (void)name, (void)label, (void)path, (void)source, (void)error;
}
