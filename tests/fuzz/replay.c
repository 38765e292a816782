/* SPDX-License-Identifier: MIT */
/*
 * Runs a fuzz target over every file of a corpus directory (or over files
 * named one by one), so that a plain build (no libFuzzer) replays the
 * committed corpus as a ctest test.
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char current[4096];

/* A broken invariant aborts: say which input broke it (write(2): a signal handler). */
static void on_abort(int sig)
{
        static const char head[] = "replay: input ";
        ssize_t ignored;

        ignored = write(2, head, sizeof(head) - 1);
        ignored = write(2, current, strlen(current));
        ignored = write(2, "\n", 1);
        (void)ignored;
        signal(sig, SIG_DFL);
        raise(sig);
}

static int replay_file(const char *path)
{
        FILE *fp = fopen(path, "rb");
        uint8_t *buf = NULL;
        long n;
        int ok = -1;

        if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
            fseek(fp, 0, SEEK_SET) != 0)
                goto fail;
        if ((buf = malloc((size_t)n + 1)) == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n)
                goto fail;
        snprintf(current, sizeof(current), "%s", path);
        LLVMFuzzerTestOneInput(buf, (size_t)n);
        ok = 0;
fail:
        if (fp != NULL)
                fclose(fp);
        free(buf);
        return ok;
}

int main(int argc, char **argv)
{
        size_t count = 0;

        signal(SIGABRT, on_abort);
        for (int a = 1; a < argc; a++) {
                struct stat sb;
                DIR *d;
                struct dirent *e;
                if (stat(argv[a], &sb) == 0 && S_ISREG(sb.st_mode)) {
                        if (replay_file(argv[a]) != 0) {
                                fprintf(stderr, "replay: cannot read %s\n", argv[a]);
                                return 1;
                        }
                        count++;
                        continue;
                }
                if ((d = opendir(argv[a])) == NULL) {
                        fprintf(stderr, "replay: cannot open corpus %s\n", argv[a]);
                        return 1;
                }
                while ((e = readdir(d)) != NULL) {
                        char path[4096];
                        if (e->d_name[0] == '.')
                                continue;
                        snprintf(path, sizeof(path), "%s/%s", argv[a], e->d_name);
                        if (replay_file(path) != 0) {
                                fprintf(stderr, "replay: cannot read %s\n", path);
                                closedir(d);
                                return 1;
                        }
                        count++;
                }
                closedir(d);
        }
        if (count == 0) {
                fprintf(stderr, "replay: empty corpus\n");
                return 1;
        }
        printf("replay: %zu inputs, no invariant broken\n", count);
        return 0;
}
