/* SPDX-License-Identifier: MIT */
/* What the YAML profile loader offers the sections of applications: typed fields with positions. */
#ifndef SCSIM_PROFILE_YAML_READER_H
#define SCSIM_PROFILE_YAML_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libfyaml.h>

#include "profile/model.h"

/* The loader's state (opaque here); every reader call reports through it. */
struct yaml_loader;

/* 1-based position in the source; 0/0 when unknown. */
struct yaml_pos {
        unsigned line;
        unsigned column;
};

/* The profile being built. */
scsim_profile *yaml_profile(struct yaml_loader *ld);
/* Where CHV i and file i (profile indices) were named in the source. */
struct yaml_pos yaml_chv_pos(const struct yaml_loader *ld, size_t i);
struct yaml_pos yaml_file_pos(const struct yaml_loader *ld, size_t i);

/*
 * Report a mistake at a position (prefixed by the context); always returns
 * -1. Loading goes on to find more mistakes; it fails at the end if any was
 * reported, so a check reports and then carries on with what it can.
 */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int yaml_err(struct yaml_loader *ld, struct yaml_pos at, const char *fmt, ...);
/* Prefix further messages with what they are about ("piv", "chv 'pin'"). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void yaml_context(struct yaml_loader *ld, const char *fmt, ...);
void yaml_context_clear(struct yaml_loader *ld);
/* Mistakes reported so far: a section compares counts to know whether its parts were good. */
size_t yaml_errors(const struct yaml_loader *ld);
/* Whether every CHV was built without a mistake (checks of CHVs can trust the model). */
bool yaml_chvs_ok(const struct yaml_loader *ld);

/* Where a node is; a collection is placed at its first scalar, an empty one at fallback. */
struct yaml_pos yaml_node_pos(struct fy_node *n, struct yaml_pos fallback);
/* An empty value ("key:") counts as absent. */
bool yaml_is_empty(struct fy_node *n);
/* "a scalar", "a list", "a mapping", "nothing": for messages. */
const char *yaml_kind(struct fy_node *n);
/* A scalar shortened for a message, control bytes shown as '?'. */
const char *yaml_shown(const char *s, size_t len, char *buf, size_t cap);

/*
 * Check a mapping's keys against the allowed list and hand out the values by
 * index (v[i], NULL when absent) with their keys' positions (kp[i]). Unknown
 * keys are reported (with the nearest allowed one) and skipped; -1 only when
 * map is not a mapping.
 */
int yaml_fields(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at, const char *what,
                const char *const *allowed, size_t nallowed, struct fy_node **v,
                struct yaml_pos *kp);

/* Typed scalars: 0, or -1 with the error reported at the node. */
const char *yaml_scalar(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at,
                        const char *key, const char *expected, size_t *len);
int yaml_uint(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
              unsigned long min, unsigned long max, unsigned long *out);
int yaml_bool(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
              bool *out);
/* One of a fixed list of words; *out is its index. */
int yaml_enum(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
              const char *const *words, size_t nwords, size_t *out);
/* Hex bytes as scsim_hex_decode reads them (the text never shown); min..max bytes. */
int yaml_hex(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
             uint8_t *out, size_t min, size_t max, size_t *out_len);
int yaml_text(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
              const char **out, size_t *out_len);
/* A version "5.4.3": three numbers 0..255. */
int yaml_version(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
                 uint8_t out[3]);

#endif
