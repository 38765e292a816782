/* SPDX-License-Identifier: MIT */
/* Inside the YAML profile loader: its state and what its passes share across files. */
#ifndef SCSIM_PROFILE_YAML_LOADER_H
#define SCSIM_PROFILE_YAML_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libfyaml.h>

#include <scsim/profile.h>

#include "profile/model.h"
#include "profile/yaml_reader.h"

/*
 * Fields of each kind of mapping, in the order the tables index them.
 * The top level also has a section per application of the registry, named
 * like it, after these.
 */
enum { T_NAME, T_LABEL, T_ATR, T_HIST, T_SERIAL, T_CHVS, T_KEYS, T_FILES, T_N };
#define TOP_FIELDS_MAX (T_N + 8)

enum {
        F_TYPE,
        F_FID,
        F_AID,
        F_SFI,
        F_SIZE,
        F_CONTENT,
        F_CONTENT_HEX,
        F_READ,
        F_UPDATE,
        F_CHVS,
        F_KEYS,
        F_FILES,
        F_APPLICATION,
        F_N
};

enum {
        C_REFERENCE,
        C_VERIFIABLE,
        C_VALUE,
        C_VALUE_HEX,
        C_LENGTH,
        C_FORMAT,
        C_PADDING,
        C_RETRIES,
        C_PUK,
        C_RESET,
        C_MAY_DISABLE,
        C_ENABLED,
        C_KEEP,
        C_MALFORMED,
        C_N
};

enum { K_REFERENCE, K_ALGORITHM, K_VALUE, K_RETRIES, K_KEEP, K_N };

#define FIELDS_MAX 16

/* One named thing found in the first pass: a file, a CHV or a key. */
struct ent {
        char name[PROF_NAME_MAX];
        struct yaml_pos pos; /* of its name */
        uint16_t df;         /* file index of the DF it lives in (files: their parent) */
        bool is_df;
        bool verifiable; /* CHVs */
        bool bad;        /* its fields could not be read: built as a placeholder */
        bool built;      /* built without a mistake */
        struct fy_node *v[FIELDS_MAX];
        struct yaml_pos kp[FIELDS_MAX]; /* where each present field's key is */
};

#define YAML_ERRORS_MAX 100 /* mistakes kept and reported; the rest are counted */

struct yaml_loader {
        const char *source; /* names the text in diagnostics */
        scsim_diag *errs;   /* YAML_ERRORS_MAX of them: the mistakes found, in that order */
        size_t nerrs;
        size_t dropped; /* mistakes found beyond YAML_ERRORS_MAX */
        scsim_profile *p;
        char ctx[96];                     /* "chv 'pin'": prefixes messages about one object */
        struct ent files[PROF_FILES_MAX]; /* [0] is the MF */
        size_t nfiles;
        struct ent chvs[PROF_CHVS_MAX];
        size_t nchvs;
        struct ent keys[PROF_KEYS_MAX];
        size_t nkeys;
        unsigned full; /* bit per ent_kind, and FULL_RULES: that table overflowed (reported once) */
        unsigned left_out; /* bit per ent_kind: an entry of that kind was left out for a mistake */
        struct fy_diag *fdiag;
        struct fy_parser *fyp;
        struct fy_document *doc;
};

/*
 * The text as a libfyaml document in ld (doc, fyp, fdiag), if it is within
 * the bounds on the work of parsing; 0, or -1 with the error reported.
 */
int yaml_parse(struct yaml_loader *ld, const char *text, size_t len);

/* Entries (files, CHVs, keys) are named by their key in the enclosing mapping. */
bool name_ok(const char *s, size_t len);
int entry_name(struct yaml_loader *ld, struct fy_node *k, struct yaml_pos at, const char *kind,
               char *name, struct yaml_pos *where);
int find_ent(const struct ent *tab, size_t n, const char *name, size_t len);
const char *scope_name(const struct yaml_loader *ld, uint16_t df);

/*
 * First pass: the CHVs, keys and files of one DF, recursively (nothing
 * built yet). Mistakes are reported and collecting goes on.
 */
enum ent_kind { ENT_CHV, ENT_KEY, ENT_FILE };
#define FULL_RULES (1u << 3)
struct ent *collect_entry(struct yaml_loader *ld, enum ent_kind kind, struct fy_node_pair *pair,
                          struct yaml_pos at, uint16_t df);
/* Is map (under "chvs:", "keys:" or "files:") a mapping of names? Says so when not; NULL: none. */
bool collect_mapping(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at,
                     enum ent_kind kind);
/*
 * collect_entry, then the entry's fields (e->bad when they are wrong), in
 * the entry's context ("chv 'pin'"), which the caller clears when done.
 */
struct ent *collect_fields(struct yaml_loader *ld, enum ent_kind kind, struct fy_node_pair *pair,
                           struct yaml_pos at, uint16_t df, const char *const *fields, size_t n);
void collect_df(struct yaml_loader *ld, struct fy_node *chvs, struct yaml_pos chvs_at,
                struct fy_node *keys, struct yaml_pos keys_at, struct fy_node *files,
                struct yaml_pos files_at, uint16_t df);
void collect_chvs(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at, uint16_t df);
void collect_keys(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at, uint16_t df);
void collect_files(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at,
                   uint16_t parent);

/*
 * Second pass: entry i of each kind into the profile, as a placeholder when
 * it has mistakes (indices stay those of the first pass); ent.built says
 * whether it was good.
 */
void build_key(struct yaml_loader *ld, size_t i);
void build_chv(struct yaml_loader *ld, size_t i);
void build_file(struct yaml_loader *ld, size_t i);
/*
 * After every file: an EF without an `sfi` gets the one ISO 7816-4 implies,
 * FID b5..b1, when that is 1..30 and no sibling has it already.
 */
void implicit_sfis(struct yaml_loader *ld);

/* An access rule (always, never, {chv: NAME} ...) interned into the profile's pool. */
int get_rule(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
             uint16_t *out);

#endif
