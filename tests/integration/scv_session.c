/* SPDX-License-Identifier: MIT */
/*
 * ISCardVerify through real pcscd + vpcd in the cases a command line cannot
 * stage: the card reset by another PC/SC handle mid-session, and the card
 * removed mid-session. Run under `scsim run` (PCSCLITE_CSOCK_NAME and
 * SCSIM_READER set).
 *   scv_session reset-by-other          (on $SCSIM_READER)
 *   scv_session removed READER CMD...   (CMD takes READER's card away)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/pcsclite.h>

#include <scsim/iscardverify.h>

static int failures;

static void expect(const char *what, scsim_hresult got, scsim_hresult want)
{
        printf("%-58s %-32s %s\n", what, scsim_hresult_name(got), got == want ? "ok" : "FAIL");
        if (got != want) {
                printf("    expected %s (0x%08X), got 0x%08X\n", scsim_hresult_name(want), want,
                       got);
                failures++;
        }
}

static const uint8_t pin[] = {'1', '2', '3', '4'};

/*
 * A second object that knows of no reference can only reset by a warm reset
 * (SCardReconnect with SCARD_RESET_CARD); the first object then meets
 * SCARD_W_RESET_CARD and finds its PIN no longer verified.
 */
static int warm_reset_through_pcsc(scsim_scv *v)
{
        scsim_scv *other = NULL;
        scsim_hresult hr;

        expect("Verify right PIN", scsim_scv_verify(v, pin, sizeof(pin), 0, 1), SCSIM_S_OK);
        if ((hr = scsim_scv_attach(scsim_scv_reader(v), &other)) != SCSIM_S_OK) {
                printf("second attach failed: %s\n", scsim_hresult_name(hr));
                return 1;
        }
        expect("second object: ResetSecurityState", scsim_scv_reset_security_state(other),
               SCSIM_S_OK);
        if (scsim_scv_last_reset_method(other) != 2) {
                printf("    expected a warm reset, got method %d\n",
                       scsim_scv_last_reset_method(other));
                failures++;
        }
        scsim_scv_free(&other);
        expect("first object: Verify query, not verified", scsim_scv_verify(v, NULL, 0, 0, 1),
               SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED);
        return failures > 0;
}

/* Another application resets the card under our feet. */
static int reset_by_other(scsim_scv *v)
{
        SCARDCONTEXT ctx;
        SCARDHANDLE h;
        DWORD proto;
        LONG rc;

        expect("Verify right PIN", scsim_scv_verify(v, pin, sizeof(pin), 0, 1), SCSIM_S_OK);
        expect("Verify query: verified", scsim_scv_verify(v, NULL, 0, 0, 1), SCSIM_S_OK);
        if ((rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx)) != SCARD_S_SUCCESS)
                goto pcsc_fail;
        if ((rc = SCardConnect(ctx, scsim_scv_reader(v), SCARD_SHARE_SHARED,
                               SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto)) !=
            SCARD_S_SUCCESS)
                goto pcsc_fail;
        if ((rc = SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                                 SCARD_RESET_CARD, &proto)) != SCARD_S_SUCCESS)
                goto pcsc_fail;
        printf("%-58s %s\n", "another handle: SCardReconnect(SCARD_RESET_CARD)", "done");
        SCardDisconnect(h, SCARD_LEAVE_CARD);
        SCardReleaseContext(ctx);
        /* the library sees SCARD_W_RESET_CARD, reconnects once and asks again */
        expect("Verify query after the reset: not verified", scsim_scv_verify(v, NULL, 0, 0, 1),
               SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED);
        expect("Verify right PIN again", scsim_scv_verify(v, pin, sizeof(pin), 0, 1), SCSIM_S_OK);
        /* and once more, this time the reset lands in the middle of a Verify */
        if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS ||
            SCardConnect(ctx, scsim_scv_reader(v), SCARD_SHARE_SHARED,
                         SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto) != SCARD_S_SUCCESS ||
            SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                           SCARD_RESET_CARD, &proto) != SCARD_S_SUCCESS)
                return 1;
        SCardDisconnect(h, SCARD_LEAVE_CARD);
        SCardReleaseContext(ctx);
        expect("Verify right PIN, sent into a second reset",
               scsim_scv_verify(v, pin, sizeof(pin), 0, 1), SCSIM_S_OK);
        expect("ResetSecurityState", scsim_scv_reset_security_state(v), SCSIM_S_OK);
        return warm_reset_through_pcsc(v);
pcsc_fail:
        printf("PC/SC failed: 0x%08lX\n", (unsigned long)rc);
        return 1;
}

/* Wait (through PC/SC, no sleeping) until the reader shows a card (present) or none. */
static int wait_state(const char *reader, int present)
{
        SCARDCONTEXT ctx;
        SCARD_READERSTATE st;
        int ok = -1;

        if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
                return -1;
        memset(&st, 0, sizeof(st));
        st.szReader = reader;
        st.dwCurrentState = SCARD_STATE_UNAWARE;
        for (int round = 0; round < 60; round++) {
                LONG rc = SCardGetStatusChange(ctx, 1000, &st, 1);
                if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT)
                        break;
                if (present ? (st.dwEventState & SCARD_STATE_PRESENT) != 0 &&
                                  (st.dwEventState & SCARD_STATE_MUTE) == 0
                            : (st.dwEventState & SCARD_STATE_EMPTY) != 0 ||
                                  (st.dwEventState & SCARD_STATE_UNAVAILABLE) != 0) {
                        ok = 0;
                        break;
                }
                st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
        }
        SCardReleaseContext(ctx);
        return ok;
}

static int removed(scsim_scv *v, char **cmd)
{
        pid_t pid;
        int status;

        expect("Verify right PIN", scsim_scv_verify(v, pin, sizeof(pin), 0, 1), SCSIM_S_OK);
        fflush(stdout);
        if ((pid = fork()) == 0) {
                execvp(cmd[0], cmd);
                perror(cmd[0]);
                _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
                printf("the command that takes the card away failed\n");
                return 1;
        }
        if (wait_state(scsim_scv_reader(v), 0) != 0) {
                printf("PC/SC never showed the card gone\n");
                return 1;
        }
        printf("%-58s %s\n", "card taken away (PC/SC shows the reader empty)", "done");
        expect("Verify query with the card gone", scsim_scv_verify(v, NULL, 0, 0, 1),
               SCSIM_SCARD_W_REMOVED_CARD);
        expect("ResetSecurityState with the card gone", scsim_scv_reset_security_state(v),
               SCSIM_SCARD_W_REMOVED_CARD);
        return failures > 0;
}

int main(int argc, char **argv)
{
        scsim_scv *v = NULL;
        scsim_hresult hr;
        const char *reader = NULL;
        int rc;

        if (argc < 2 || (strcmp(argv[1], "reset-by-other") != 0 &&
                         (strcmp(argv[1], "removed") != 0 || argc < 4))) {
                fprintf(stderr, "usage: scv_session reset-by-other | removed READER CMD...\n");
                return 2;
        }
        if (strcmp(argv[1], "removed") == 0) {
                reader = argv[2];
                if (wait_state(reader, 1) != 0) {
                        fprintf(stderr, "scv_session: no card ever showed in '%s'\n", reader);
                        return 3;
                }
        }
        if ((hr = scsim_scv_attach(reader, &v)) != SCSIM_S_OK) {
                fprintf(stderr, "scv_session: attach: %s (0x%08X)\n", scsim_hresult_name(hr), hr);
                return 3;
        }
        printf("reader: %s\n", scsim_scv_reader(v));
        rc = reader != NULL ? removed(v, argv + 3) : reset_by_other(v);
        scsim_scv_free(&v);
        printf("%s\n", rc == 0 ? "all ok" : "FAILED");
        return rc;
}
