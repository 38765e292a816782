/* SPDX-License-Identifier: MIT */
/*
 * Loading hostile 1 MiB profiles: each case is written to a file and loaded
 * with scsim_profile_load_file, against a floor that reads the same file and
 * scans its bytes, measured in this run. Prints both times and the ratio;
 * the goal is every case, refused or not, under a second.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <scsim/scsim.h>

#define SIZE (1024 * 1024) /* the largest file the loader reads */
#define RUNS 3

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A growing buffer that stops at SIZE. */
struct text {
        char *b;
        size_t n;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
put(struct text *t, const char *fmt, ...)
{
        char line[512];
        va_list ap;
        int w;

        va_start(ap, fmt);
        w = vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        if (w < 0 || t->n + (size_t)w > SIZE)
                return 0;
        memcpy(t->b + t->n, line, (size_t)w);
        t->n += (size_t)w;
        return 1;
}

/* pattern with each "%d" replaced by n, appended whole or not at all. */
static int put_pattern(struct text *t, const char *pattern, int n)
{
        char line[512], num[16];
        size_t o = 0;

        snprintf(num, sizeof(num), "%d", n);
        for (const char *p = pattern; *p != '\0' && o + sizeof(num) < sizeof(line); p++) {
                if (p[0] == '%' && p[1] == 'd') {
                        o += (size_t)snprintf(line + o, sizeof(line) - o, "%s", num);
                        p++;
                } else {
                        line[o++] = *p;
                }
        }
        line[o] = '\0';
        return put(t, "%s", line);
}

/*
 * head, then pattern repeated (count times, 0: until the file is full), then
 * tail, then a comment up to 1 MiB: bulk that costs libfyaml nothing, so
 * the structure just within the loader's bounds is what is measured.
 */
static void fill(struct text *t, const char *head, const char *pattern, int count, const char *tail)
{
        put(t, "%s", head);
        for (int i = 0; (count == 0 || i < count) && put_pattern(t, pattern, i); i++)
                ;
        put(t, "%s", tail != NULL ? tail : "");
        if (count != 0 && put(t, "\n#"))
                while (t->n < SIZE)
                        t->b[t->n++] = 'x';
}

static void same_byte(struct text *t, char c)
{
        memset(t->b, c, SIZE);
        t->n = SIZE;
}

static void deep_indent(struct text *t)
{
        for (int i = 0; t->n + (size_t)i + 3 <= SIZE; i++) {
                memset(t->b + t->n, ' ', (size_t)i);
                t->n += (size_t)i;
                put(t, "a:\n");
        }
}

static void hex_content(struct text *t)
{
        put(t, "name: h\natr: \"3B 00\"\nserial: \"01\"\nfiles:\n  e:\n    type: ef\n"
               "    fid: \"0001\"\n    read: always\n    update: always\n    content_hex: \"");
        while (t->n + 5 <= SIZE)
                put(t, "AB ");
        put(t, "\"\n");
}

/* Mappings of 127 keys (the most one may have) up to the node bound. */
static void full_mappings(struct text *t)
{
        for (int m = 0; m < 78; m++) {
                put(t, "m%d:\n", m);
                for (int k = 0; k < 127; k++)
                        put(t, "  key%d: v\n", k);
        }
        if (put(t, "#"))
                while (t->n < SIZE)
                        t->b[t->n++] = 'x';
}

/* Every table of the model full, and EF contents to fill 1 MiB: a profile that loads. */
static void largest(struct text *t)
{
        put(t, "name: big\nlabel: every table full\natr: \"3B 00\"\nserial: \"01\"\nchvs:\n");
        for (int i = 0; i < 16; i++)
                put(t, "  c%d: {reference: \"%02X\", value: \"1234\", length: 4..8, retries: 3}\n",
                    i, i);
        put(t, "keys:\n");
        for (int i = 0; i < 16; i++)
                put(t,
                    "  k%d: {reference: \"%02X\", algorithm: aes-128, retries: 3, value: "
                    "\"00112233445566778899AABBCCDDEEFF\"}\n",
                    i, i);
        put(t, "files:\n");
        for (int f = 1; f < 64; f++) {
                put(t,
                    "  f%d:\n    type: ef\n    fid: \"%04X\"\n    read: {any: [{chv: c%d}, "
                    "{key: k%d}]}\n    update: {chv: c%d}\n"
                    "    content_hex: \"",
                    f, f, f % 16, f % 16, f % 16);
                for (int b = 0; b < 8000; b++)
                        put(t, "%02X", b & 0xff);
                put(t, "\"\n");
        }
}

struct bench_case {
        const char *name;
        const char *head, *pattern;
        int count; /* of pattern; 0: until 1 MiB */
        const char *tail;
        char byte; /* pattern NULL: 1 MiB of this byte, or special */
        void (*special)(struct text *t);
};

/*
 * The first cases are the reports (quadratic keys, 1 MiB of '['); then
 * what libfyaml is slowest at, each at the most the bounds let through.
 */
static const struct bench_case cases[] = {
    {"95k keys in one mapping", "", "k%d: 1\n", 0, NULL, 0, NULL},
    {"20k keys in one mapping", "", "k%d: 1\n", 20000, NULL, 0, NULL},
    {"1 MiB of [", NULL, NULL, 0, NULL, '[', NULL},
    {"1 MiB of {", NULL, NULL, 0, NULL, '{', NULL},
    {"1 MiB of NUL", NULL, NULL, 0, NULL, '\0', NULL},
    {"1 MiB of -", NULL, NULL, 0, NULL, '-', NULL},
    {"blank lines", NULL, NULL, 0, NULL, '\n', NULL},
    {"comment lines", "", "# %d\n", 0, NULL, 0, NULL},
    {"one long scalar", "name: ", "x", 0, NULL, 0, NULL},
    {"16k { on one line", "", "{", 16380, NULL, 0, NULL},
    {"16k [ over lines", "", "[\n", 16380, NULL, 0, NULL},
    {"flow list key, 16k items", "- [", "item-%d-xxxxxxxxxxxx, ", 16380, "]", 0, NULL},
    {"flow mapping, 8k keys", "{", "key-%d-xxxxxxxxxx: v, ", 8190, "}", 0, NULL},
    {"flow list, 16k lines", "[", "item-%d,\n", 16380, "]", 0, NULL},
    {"nested flows over lines", "", "[a, {b: [\n", 4090, NULL, 0, NULL},
    {"tags and anchors in flow", "- [", "!t &a%d x, ", 5460, "]", 0, NULL},
    {"aliases in flow", "- [", "*a, ", 8190, "]", 0, NULL},
    {"16k-item block list", "", "- %d\n", 16380, NULL, 0, NULL},
    {"78 mappings of 127 keys", NULL, NULL, 0, NULL, 0, full_mappings},
    {"complex keys", "", "? k%d\n: 1\n", 8190, NULL, 0, NULL},
    {"documents", "", "---\n", 16380, NULL, 0, NULL},
    {"deeper and deeper indents", NULL, NULL, 0, NULL, 0, deep_indent},
    {"1 MiB of content_hex", NULL, NULL, 0, NULL, 0, hex_content},
    {"a mistake on every line", "name: e\natr: \"3B 00\"\nserial: \"01\"\nchvs:\n",
     "  c%d: {reference: \"91\", value: x, length: 99, retries: 0, format: none, sizee: 1}\n", 120,
     NULL, 0, NULL},
    {"the largest valid profile", NULL, NULL, 0, NULL, 0, largest},
};

static volatile size_t sink;

/* The floor: read the file as the loader does and look at every byte once. */
static double floor_time(const char *path)
{
        static char buf[SIZE + 1];
        double t0 = now();
        FILE *f = fopen(path, "rb");
        size_t n, lines = 0;

        if (f == NULL)
                return -1;
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
                lines += buf[i] == '\n';
        sink += lines;
        return now() - t0;
}

static double load_time(const char *path, int *rc, char *msg, size_t cap)
{
        scsim_profile *p = NULL;
        scsim_diag diag;
        double t0 = now(), t;

        *rc = scsim_profile_load_file(path, &p, &diag);
        t = now() - t0;
        if (*rc != SCSIM_OK)
                scsim_diag_format(&diag, msg, cap);
        else
                snprintf(msg, cap, "loaded");
        scsim_profile_free(&p);
        return t;
}

static double median(double *v)
{
        for (int i = 0; i < RUNS; i++)
                for (int j = i + 1; j < RUNS; j++)
                        if (v[j] < v[i]) {
                                double x = v[i];
                                v[i] = v[j];
                                v[j] = x;
                        }
        return v[RUNS / 2];
}

static int run_case(const struct bench_case *c, struct text *t, char *path, double *worst)
{
        double lt[RUNS], ft[RUNS], load, fl;
        char msg[1024];
        int rc = 0;
        FILE *f;

        t->n = 0;
        if (c->special != NULL)
                c->special(t);
        else if (c->pattern != NULL)
                fill(t, c->head, c->pattern, c->count, c->tail);
        else
                same_byte(t, c->byte);
        if ((f = fopen(path, "wb")) == NULL || fwrite(t->b, 1, t->n, f) != t->n || fclose(f) != 0)
                return -1;
        for (int r = 0; r < RUNS; r++) {
                ft[r] = floor_time(path);
                lt[r] = load_time(path, &rc, msg, sizeof(msg));
        }
        load = median(lt);
        fl = median(ft);
        if (load > *worst)
                *worst = load;
        printf("%-28s %7zu B  load %8.1f ms  floor %6.2f ms  ratio %7.0f  %s\n", c->name, t->n,
               load * 1e3, fl * 1e3, load / fl,
               strstr(msg, ": ") != NULL ? strstr(msg, ": ") + 2 : msg);
        return 0;
}

int main(void)
{
        char path[] = "/tmp/scsim-bench-profile-XXXXXX";
        struct text t = {malloc(SIZE), 0};
        double worst = 0;
        int fd = mkstemp(path);

        if (fd < 0 || t.b == NULL) {
                perror("profile-load");
                return 1;
        }
        close(fd);
        printf("profile-load: %d runs per case, median; floor = read the file and scan its "
               "bytes\n",
               RUNS);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                if (run_case(&cases[i], &t, path, &worst) != 0) {
                        perror(path);
                        unlink(path);
                        return 1;
                }
        unlink(path);
        free(t.b);
        printf("worst load: %.1f ms (goal: under 1000 ms)\n", worst * 1e3);
        return worst < 1.0 ? 0 : 1;
}
