/* SPDX-License-Identifier: MIT */
/* The scsim command's platform layer on Windows: hex digits by the C library, the console's echo.
 */
#include <ctype.h>
#include <io.h>
#include <stdlib.h>

#include <windows.h>

#include "cli_platform.h"

/* libcrypto is not there for mingw-w64 on Debian; strtol is, and reads one digit as well */
int plat_hexchar2int(unsigned char c)
{
        char digit[2] = {(char)c, '\0'}, *end = NULL;
        long v;

        if (!isxdigit(c))
                return -1;
        v = strtol(digit, &end, 16);
        return end == digit + 1 ? (int)v : -1;
}

int plat_stdin_is_terminal(void)
{
        return _isatty(_fileno(stdin));
}

struct console_mode {
        HANDLE h;
        DWORD mode;
};

int plat_quiet_open(struct plat_quiet *q, const char *prompt)
{
        struct console_mode *old = NULL;
        FILE *con = fopen("CONIN$", "r");

        q->in = NULL;
        q->saved = NULL;
        if (con == NULL)
                return -1;
        if ((old = malloc(sizeof(*old))) == NULL)
                goto fail;
        old->h = (HANDLE)_get_osfhandle(_fileno(con));
        if (old->h == INVALID_HANDLE_VALUE || !GetConsoleMode(old->h, &old->mode))
                goto fail;
        /* line input stays on: the console hands over one line, not echoed */
        if (!SetConsoleMode(old->h, (old->mode & ~(DWORD)ENABLE_ECHO_INPUT) | ENABLE_LINE_INPUT))
                goto fail;
        fprintf(stderr, "%s: ", prompt);
        fflush(stderr);
        q->in = con;
        q->saved = old;
        return 0;
fail:
        free(old);
        fclose(con);
        return -1;
}

void plat_quiet_close(struct plat_quiet *q)
{
        struct console_mode *old = q->saved;

        if (q->in == NULL)
                return;
        SetConsoleMode(old->h, old->mode);
        fprintf(stderr, "\n");
        fclose(q->in);
        free(old);
        q->in = NULL;
        q->saved = NULL;
}

void plat_no_core_dumps(void)
{
        /* Windows writes no core file of its own; a crash dump is the debugger's or WER's call */
}
