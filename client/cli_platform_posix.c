/* SPDX-License-Identifier: MIT */
/* The scsim command's platform layer on POSIX: libcrypto's hex digits, termios, no dumps. */
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <openssl/crypto.h>

#include "cli_platform.h"

int plat_hexchar2int(unsigned char c)
{
        return OPENSSL_hexchar2int(c);
}

int plat_stdin_is_terminal(void)
{
        return isatty(STDIN_FILENO);
}

int plat_quiet_open(struct plat_quiet *q, const char *prompt)
{
        struct termios *old = NULL, quiet;
        FILE *tty = fopen("/dev/tty", "r+");

        q->in = NULL;
        q->saved = NULL;
        if (tty == NULL)
                return -1;
        if ((old = malloc(sizeof(*old))) == NULL || tcgetattr(fileno(tty), old) != 0)
                goto fail;
        quiet = *old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        fprintf(tty, "%s: ", prompt);
        fflush(tty);
        if (tcsetattr(fileno(tty), TCSAFLUSH, &quiet) != 0)
                goto fail;
        q->in = tty;
        q->saved = old;
        return 0;
fail:
        free(old);
        fclose(tty);
        return -1;
}

void plat_quiet_close(struct plat_quiet *q)
{
        if (q->in == NULL)
                return;
        tcsetattr(fileno(q->in), TCSAFLUSH, (struct termios *)q->saved);
        fprintf(q->in, "\n");
        fclose(q->in);
        free(q->saved);
        q->in = NULL;
        q->saved = NULL;
}

void plat_no_core_dumps(void)
{
#ifdef __linux__
        /* also keeps other processes of the same user from reading our memory through ptrace */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}
