/* SPDX-License-Identifier: MIT */
/* `scsim state show`: a state file read through the store and the codec, secrets left out. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include <scsim/err.h>
#include <scsim/state.h>

#include "state/codec.h"
#include "state/file.h"
#include "state/seal.h"
#include "state/store.h"

static void print_storage(const struct store_info *info, FILE *out)
{
        if (info->format != STORE_FORMAT) {
                fprintf(out,
                        "storage:    format %u, one copy (an older scsim's file; format %u once "
                        "attached)\n",
                        info->format, STORE_FORMAT);
                return;
        }
        fprintf(out, "storage:    format %u, two copies, copy %u in use (write %llu)%s, %s\n",
                info->format, info->copy, info->sequence,
                info->other_intact ? "" : ", the other empty or interrupted",
                info->encrypted ? "encrypted (AES-256-GCM)" : "not encrypted");
}

int scsim_state_print_key(const char *path, const uint8_t *key, size_t key_len, void *outp,
                          scsim_diag *diag)
{
        FILE *out = outp;
        struct state_doc *doc = NULL;
        struct store_info info;
        uint8_t *image = NULL;
        size_t len = 0;
        char err[sizeof(diag->message)];
        int rc;

        if (path == NULL || out == NULL || (key == NULL && key_len != 0) ||
            (key != NULL && key_len != STATE_KEY_LEN))
                return SCSIM_ERR_INVALID_ARGUMENT;
        if ((rc = store_peek(path, key, &image, &len, &info, diag)) != SCSIM_OK)
                return rc;
        if ((doc = malloc(sizeof(*doc))) == NULL) {
                state_say(diag, path, "out of memory");
                rc = SCSIM_ERR_NO_MEMORY;
        } else if (state_doc_parse(doc, image, len, err, sizeof(err)) != 0) {
                state_say(diag, path, "%s", err);
                rc = SCSIM_ERR_STATE;
        } else {
                fprintf(out, "state file: %s\n", path);
                print_storage(&info, out);
                state_doc_print(doc, out);
                state_doc_cleanse(doc);
        }
        free(doc);
        OPENSSL_cleanse(image, len);
        free(image);
        return rc;
}

int scsim_state_print(const char *path, void *out, scsim_diag *diag)
{
        return scsim_state_print_key(path, NULL, 0, out, diag);
}
