/* SPDX-License-Identifier: MIT */
/*
 * The state-file loader against arbitrary bytes: it must refuse or accept
 * without crashing, never leave a half-loaded card, and an accepted file
 * must hold values the profile allows.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <scsim/scsim.h>

#include "card_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static scsim_profile *profile;
        static char path[64];
        uint8_t *copy;
        scsim_card *card;
        scsim_diag diag;
        int fd, rc;

        if (profile == NULL) {
                if (scsim_profile_default(&profile) != SCSIM_OK)
                        abort();
                snprintf(path, sizeof(path), "/tmp/scsim-fuzz-state-%ld", (long)getpid());
        }
        /* half the inputs get a valid digest, so the fuzzer reaches the record parser */
        if ((copy = malloc(size + 1)) == NULL)
                return 0;
        memcpy(copy, data, size);
        if (size > 40 && (data[0] & 1))
                SHA256(copy, size - 32, copy + size - 32);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || write(fd, copy, size) != (ssize_t)size)
                abort();
        close(fd);
        free(copy);
        card = scsim_card_new(profile);
        if (card == NULL)
                return 0;
        rc = scsim_card_attach_state(card, path, &diag);
        if (rc == SCSIM_OK) {
                for (size_t i = 0; i < profile->nchvs; i++)
                        if (card->st.chv[i].tries > profile->chvs[i].retries ||
                            card->st.chv[i].value_len > profile->chvs[i].max_len)
                                abort();
        } else {
                if (card->store != NULL || diag.message[0] == '\0')
                        abort();
                for (size_t i = 0; i < profile->nchvs; i++)
                        if (card->st.chv[i].tries != profile->chvs[i].retries)
                                abort();
        }
        scsim_card_free(&card);
        unlink(path);
        return 0;
}
