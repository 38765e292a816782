/* SPDX-License-Identifier: MIT */
/*
 * The YAML loader on good input: every field reaches the model, the two ATR
 * forms, both content forms, nested rules, and the ways a profile is found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include <scsim/card.h>
#include <scsim/err.h>
#include <scsim/profile.h>

#include "card_steps.h"
#include "profile/model.h"

static const char full[] =
    "name: full\n"
    "label: \"every field\"\n"
    "atr: \"3B 02 41 42\"\n" /* T=0 only: no TCK */
    "serial: \"0102\"\n"
    "keys:\n"
    "  k:\n"
    "    reference: \"02\"\n"
    "    algorithm: aes-128\n"
    "    value: \"000102030405060708090A0B0C0D0E0F\"\n"
    "    retries: 7\n"
    "chvs:\n"
    "  pin:\n"
    "    reference: \"00\"\n"
    "    value_hex: \"61 62 00\"\n"
    "    length: 2..12\n"
    "    format: bytes\n"
    "    padding: FF\n"
    "    retries: 15\n"
    "    puk: puk\n"
    "    reset_retry_counter: {any: [{key: k}, {all: [{chv: pin2}, {key: k}]}]}\n"
    "    may_disable: true\n"
    "    enabled: false\n"
    "  pin2:\n"
    "    reference: \"1F\"\n"
    "    value: \"Ab c\"\n"
    "    length: 4\n"
    "    format: alnum\n"
    "    padding: \"00\"\n"
    "    retries: 1\n"
    "  puk:\n"
    "    reference: \"03\"\n"
    "    verifiable: false\n"
    "    value: \"99999999\"\n"
    "    length: 8\n"
    "    retries: 2\n"
    "files:\n"
    "  a:\n"
    "    type: ef\n"
    "    fid: \"2F00\"\n"
    "    sfi: 30\n"
    "    content_hex: \"DEADBEEF\"\n"
    "    read: {chv: pin}\n"
    "    update: {any: [{key: k}, {all: [{chv: pin2}, {key: k}]}]}\n"
    "  d:\n"
    "    type: df\n"
    "    fid: \"4000\"\n"
    "    aid: \"A0000000010203040506070809101112\"\n"
    "    keys:\n"
    "      dk:\n"
    "        reference: \"82\"\n"
    "        algorithm: aes-128\n"
    "        value: \"FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF\"\n"
    "        retries: 3\n"
    "        keep_on_deselect: true\n"
    "    chvs:\n"
    "      dpin:\n"
    "        reference: \"81\"\n"
    "        value: \"0000\"\n"
    "        length: 4\n"
    "        retries: 3\n"
    "        keep_on_deselect: true\n"
    "    files:\n"
    "      e:\n"
    "        type: ef\n"
    "        fid: \"2F00\"\n" /* same FID as a, other DF: fine */
    "        size: 10\n"
    "        content: \"hi\"\n"
    "        read: always\n"
    "        update: {chv: dpin}\n";

static scsim_profile *load(const char *text)
{
        scsim_profile *p = NULL;
        scsim_diag diag;
        char msg[1024];

        if (scsim_profile_load_buffer("test.yaml", text, strlen(text), &p, &diag) != SCSIM_OK) {
                scsim_diag_format(&diag, msg, sizeof(msg));
                print_error("%s\n", msg);
        }
        return p;
}

static void every_field(void **state)
{
        static const uint8_t atr[] = {0x3b, 0x02, 0x41, 0x42};
        scsim_profile *p = load(full);
        const struct prof_rule *r;

        (void)state;
        assert_non_null(p);
        assert_string_equal(p->name, "full");
        assert_string_equal(p->label, "every field");
        assert_int_equal(p->atr_len, 4);
        assert_memory_equal(p->atr, atr, 4);
        assert_int_equal(p->serial_len, 2);

        assert_int_equal(p->nkeys, 2);
        assert_int_equal(p->keys[0].ref, 0x02);
        assert_int_equal(p->keys[0].retries, 7);
        assert_int_equal(p->keys[0].value[15], 0x0f);
        assert_int_equal(p->keys[1].ref, 0x82);
        assert_int_equal(p->keys[1].df, 2);
        assert_true(p->keys[1].keep_on_deselect);

        assert_int_equal(p->nchvs, 4);
        assert_string_equal(p->chvs[0].name, "pin");
        assert_int_equal(p->chvs[0].ref, 0x00);
        assert_int_equal(p->chvs[0].value_len, 3);
        assert_memory_equal(p->chvs[0].value, "ab\0", 3);
        assert_int_equal(p->chvs[0].min_len, 2);
        assert_int_equal(p->chvs[0].max_len, 12);
        assert_int_equal(p->chvs[0].format, PROF_CHV_BYTES);
        assert_int_equal(p->chvs[0].padding, PROF_PAD_FF);
        assert_int_equal(p->chvs[0].retries, 15);
        assert_int_equal(p->chvs[0].puk, 2);
        assert_true(p->chvs[0].may_disable);
        assert_false(p->chvs[0].enabled);
        r = &p->rules[p->chvs[0].reset_rule];
        assert_int_equal(r->kind, PROF_RULE_ANY);
        assert_int_equal(r->nterms, 2);
        assert_int_equal(p->rules[r->terms[0]].kind, PROF_RULE_KEY);
        assert_int_equal(p->rules[r->terms[1]].kind, PROF_RULE_ALL);
        assert_int_equal(p->chvs[1].format, PROF_CHV_ALNUM);
        assert_int_equal(p->chvs[1].padding, PROF_PAD_00);
        assert_int_equal(p->chvs[1].min_len, 4);
        assert_int_equal(p->chvs[1].max_len, 4);
        assert_true(p->chvs[2].has_ref);
        assert_false(p->chvs[2].verifiable);
        assert_int_equal(p->chvs[3].df, 2);
        assert_true(p->chvs[3].keep_on_deselect);

        assert_int_equal(p->nfiles, 4);
        assert_int_equal(p->files[1].sfi, 30);
        assert_int_equal(p->files[1].size, 4);
        assert_int_equal(p->files[1].content_len, 4);
        assert_memory_equal(p->blob + p->files[1].content_off, "\xde\xad\xbe\xef", 4);
        /* an equal rule written twice takes one pool slot */
        assert_int_equal(p->files[1].update_rule, p->chvs[0].reset_rule);
        assert_int_equal(p->files[2].type, PROF_FILE_DF);
        assert_int_equal(p->files[2].aid_len, 16);
        assert_int_equal(p->files[3].parent, 2);
        assert_int_equal(p->files[3].size, 10);
        assert_int_equal(p->files[3].content_len, 2);
        scsim_profile_free(&p);
}

/* historical_bytes: 3B, T0, TD1 80, TD2 01, the bytes, TCK */
static void atr_from_historical_bytes(void **state)
{
        static const char text[] = "name: h\nhistorical_bytes: \"\"\nserial: \"01\"\n";
        static const uint8_t want[] = {0x3b, 0x80, 0x80, 0x01, 0x01};
        scsim_profile *p = load(text);

        (void)state;
        assert_non_null(p);
        assert_int_equal(p->atr_len, sizeof(want));
        assert_memory_equal(p->atr, want, sizeof(want));
        assert_int_equal(p->nfiles, 1);
        scsim_profile_free(&p);
}

/* A buffer need not end in NUL: only len bytes are read. */
static void buffer_is_length_bounded(void **state)
{
        static const char text[] = "name: n\natr: \"3B 00\"\nserial: \"01\"\nXXXXX";
        scsim_profile *p = NULL;
        scsim_diag diag;

        (void)state;
        assert_int_equal(scsim_profile_load_buffer("b", text, sizeof(text) - 1 - 5, &p, &diag),
                         SCSIM_OK);
        scsim_profile_free(&p);
        assert_int_equal(scsim_profile_load_buffer("b", text, sizeof(text) - 1, &p, &diag),
                         SCSIM_ERR_PROFILE);
        assert_null(p);
        assert_string_equal(diag.file, "b");
        assert_int_equal(diag.line, 4);
}

/* The loaded "full" card works: padded bytes PIN, disabled requirement, DF key scope. */
static void full_profile_behaves(void **state)
{
        scsim_profile *p = load(full);
        scsim_card *c;
        const uint8_t *atr;
        size_t atr_len;

        (void)state;
        assert_non_null(p);
        c = scsim_card_new(p);
        assert_non_null(c);
        assert_int_equal(scsim_card_power_on(c, &atr, &atr_len), SCSIM_OK);
        /* pin starts with its requirement disabled: EF a reads without VERIFY */
        assert_int_equal(xmit(c, "00 A4 00 0C 02 2F00", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 B0 00 00 00", NULL, NULL), 0x9000);
        /* 12 bytes padded with FF; the value itself is 61 62 00 */
        assert_int_equal(xmit(c, "00 28 00 00 0C 616200FFFFFFFFFFFFFFFFFF", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 20 FF 00", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 B0 00 00 00", NULL, NULL), 0x6982);
        assert_int_equal(xmit(c, "00 20 00 00 0C 616200FFFFFFFFFFFFFFFFFF", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 B0 00 00 00", NULL, NULL), 0x9000);
        /* puk has a reference but is not verifiable */
        assert_int_equal(xmit(c, "00 20 00 03 08 3939393939393939", NULL, NULL), 0x6a88);
        scsim_card_free(&c);
        scsim_profile_free(&p);
}

/* Hex fields follow scsim_hex_decode's rule: spaces or colons between bytes. */
static void hex_with_colons(void **state)
{
        static const char text[] = "name: c\n"
                                   "atr: \"3B:02 41:42\"\n"
                                   "serial: 53:43:00:01\n"
                                   "files:\n"
                                   "  d:\n"
                                   "    type: df\n"
                                   "    fid: \"50:00\"\n"
                                   "    aid: \"F0:53:43: 53 49:4D 01\"\n";
        static const uint8_t aid[] = {0xf0, 0x53, 0x43, 0x53, 0x49, 0x4d, 0x01};
        scsim_profile *p = load(text);

        (void)state;
        assert_non_null(p);
        assert_int_equal(p->serial_len, 4);
        assert_memory_equal(p->serial, "\x53\x43\x00\x01", 4);
        assert_int_equal(p->files[1].fid, 0x5000);
        assert_int_equal(p->files[1].aid_len, sizeof(aid));
        assert_memory_equal(p->files[1].aid, aid, sizeof(aid));
        scsim_profile_free(&p);
}

static void open_resolves(void **state)
{
        scsim_profile *p = NULL;
        scsim_diag diag;
        char msg[1024];

        (void)state;
        assert_int_equal(scsim_profile_open("iso7816-chv", &p, &diag), SCSIM_OK);
        assert_string_equal(scsim_profile_name(p), "iso7816-chv");
        scsim_profile_free(&p);

        /* a path is a file, even when a name of the same spelling exists */
        assert_int_equal(scsim_profile_open(SCSIM_SOURCE_DIR "/profiles/two-apps.yaml", &p, &diag),
                         SCSIM_OK);
        assert_string_equal(scsim_profile_name(p), "two-apps");
        scsim_profile_free(&p);

        assert_int_equal(setenv("SCSIM_PROFILE_PATH", "::/nonexistent", 1), 0);
        assert_int_equal(scsim_profile_open("no-such-card", &p, &diag), SCSIM_ERR_IO);
        assert_null(p);
        scsim_diag_format(&diag, msg, sizeof(msg));
        assert_non_null(strstr(msg, "no profile named 'no-such-card'"));
#ifdef SCSIM_BUILD_TREE_PROFILES
        /* a program in the build tree finds the shipped profiles in the source tree */
        assert_string_equal(scsim_profile_install_dir(), SCSIM_SOURCE_DIR "/profiles");
        assert_int_equal(scsim_profile_open("two-apps", &p, &diag), SCSIM_OK);
        assert_string_equal(scsim_profile_name(p), "two-apps");
        scsim_profile_free(&p);
#endif

        assert_int_equal(setenv("SCSIM_PROFILE_PATH", SCSIM_SOURCE_DIR "/profiles", 1), 0);
        assert_int_equal(scsim_profile_open("two-apps", &p, &diag), SCSIM_OK);
        scsim_profile_free(&p);
        /* the embedded default wins over a file of that name */
        assert_int_equal(setenv("SCSIM_PROFILE_PATH", SCSIM_SOURCE_DIR "/tests/profiles/bad", 1),
                         0);
        assert_int_equal(scsim_profile_open("iso7816-chv", &p, &diag), SCSIM_OK);
        scsim_profile_free(&p);
        /* and a bad file found by name reports its own path */
        assert_int_equal(scsim_profile_open("empty", &p, &diag), SCSIM_ERR_PROFILE);
        assert_non_null(strstr(diag.file, "tests/profiles/bad/empty.yaml"));
        unsetenv("SCSIM_PROFILE_PATH");

        assert_int_equal(scsim_profile_load_file("/nonexistent/x.yaml", &p, &diag), SCSIM_ERR_IO);
        scsim_diag_format(&diag, msg, sizeof(msg));
        assert_string_equal(msg, "/nonexistent/x.yaml: cannot open: No such file or directory");
        assert_int_equal(scsim_profile_open("./nonexistent.yaml", &p, &diag), SCSIM_ERR_IO);
        assert_int_equal(scsim_profile_load_buffer("x", NULL, 1, &p, &diag),
                         SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_profile_open(NULL, &p, &diag), SCSIM_ERR_INVALID_ARGUMENT);
}

/*
 * SFIs: given, `none`, or FID b5..b1 when free; the FCP's tag 88 says which,
 * and READ BINARY by SFI finds exactly those.
 */
static void short_identifiers(void **state)
{
        static const char yaml[] = "name: sfi\n"
                                   "historical_bytes: \"\"\n"
                                   "serial: \"01\"\n"
                                   "files:\n"
                                   "  a: {type: ef, fid: \"0101\", content: \"a\", read: always, "
                                   "update: never}\n"
                                   "  b: {type: ef, fid: \"0201\", content: \"b\", read: always, "
                                   "update: never}\n"
                                   "  c: {type: ef, fid: \"0103\", sfi: none, content: \"c\", "
                                   "read: always, update: never}\n"
                                   "  d: {type: ef, fid: \"0120\", sfi: 3, content: \"d\", "
                                   "read: always, update: never}\n"
                                   "  e: {type: ef, fid: \"011F\", content: \"e\", read: always, "
                                   "update: never}\n";
        scsim_profile *p = NULL;
        scsim_diag diag;
        scsim_card *c;

        (void)state;
        assert_int_equal(scsim_profile_load_buffer("sfi", yaml, strlen(yaml), &p, &diag), SCSIM_OK);
        assert_int_equal(p->files[1].sfi, 1); /* 0101: its own */
        assert_int_equal(p->files[2].sfi, 0); /* 0201: 1 is taken */
        assert_int_equal(p->files[3].sfi, 0); /* none */
        assert_int_equal(p->files[4].sfi, 3); /* given */
        assert_int_equal(p->files[5].sfi, 0); /* 011F: 31 is no SFI */
        assert_non_null(c = scsim_card_new(p));
        assert_int_equal(scsim_card_power_on(c, NULL, NULL), SCSIM_OK);
        assert_int_equal(xmit(c, "00 B0 81 00 01", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 B0 83 00 01", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 B0 82 00 01", NULL, NULL), 0x6A82);
        run_steps(c, (const char *const[]){
                         "00A4000402010300 -> 6211 80020001 820141 83020103 880100 8A0105 9000",
                         "00A4000402012000 -> 6211 80020001 820141 83020120 880118 8A0105 9000",
                         "00A4000402020100 -> 6211 80020001 820141 83020201 880100 8A0105 9000",
                         NULL});
        scsim_card_free(&c);
        scsim_profile_free(&p);
}

struct listed {
        char lines[16][600];
        size_t n;
};

static int collect(void *ctx, const char *name, const char *path)
{
        struct listed *l = ctx;

        if (l->n < 16)
                snprintf(l->lines[l->n++], sizeof(l->lines[0]), "%s %s", name,
                         path != NULL ? path : "-");
        return 0;
}

static int stop_at_second(void *ctx, const char *name, const char *path)
{
        int *calls = ctx;

        (void)name;
        (void)path;
        return ++*calls == 2 ? 42 : 0;
}

static void touch(const char *dir, const char *file)
{
        char path[600];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
}

/*
 * The names a profile can be opened by, in the order scsim_profile_open
 * looks; a name shadowed by an earlier directory, a name that would read as
 * a path and anything not a regular file are left out.
 */
static void list_in_search_order(void **state)
{
        char one[] = "/tmp/scsim-list-XXXXXX", two[] = "/tmp/scsim-list-XXXXXX", sub[600],
             env[1300], want[600];
        struct listed l;
        int calls = 0;

        (void)state;
        assert_non_null(mkdtemp(one));
        assert_non_null(mkdtemp(two));
        touch(one, "b.yaml");
        touch(one, "a.yaml");
        touch(one, "x.yaml.yaml");
        touch(one, "notes.txt");
        snprintf(sub, sizeof(sub), "%s/d.yaml", one);
        assert_int_equal(mkdir(sub, 0700), 0);
        touch(two, "a.yaml");
        touch(two, "c.yaml");
        snprintf(env, sizeof(env), "%s::/nonexistent:%s", one, two);
        assert_int_equal(setenv("SCSIM_PROFILE_PATH", env, 1), 0);
        memset(&l, 0, sizeof(l));
        assert_int_equal(scsim_profile_list(collect, &l), SCSIM_OK);
        assert_true(l.n >= 4);
        assert_string_equal(l.lines[0], "iso7816-chv -");
        snprintf(want, sizeof(want), "a %s/a.yaml", one);
        assert_string_equal(l.lines[1], want);
        snprintf(want, sizeof(want), "b %s/b.yaml", one);
        assert_string_equal(l.lines[2], want);
        snprintf(want, sizeof(want), "c %s/c.yaml", two);
        assert_string_equal(l.lines[3], want);
        for (size_t i = 4; i < l.n; i++) /* the rest: the installed directory */
                assert_non_null(strstr(l.lines[i], scsim_profile_install_dir()));
        assert_int_equal(scsim_profile_list(stop_at_second, &calls), 42);
        assert_int_equal(calls, 2);
        assert_int_equal(scsim_profile_list(NULL, NULL), SCSIM_ERR_INVALID_ARGUMENT);
        unsetenv("SCSIM_PROFILE_PATH");
        rmdir(sub);
        snprintf(env, sizeof(env), "rm -rf '%s' '%s'", one, two);
        assert_int_equal(system(env), 0);
}

/* A name that is not there, but nearly: the nearest one is suggested. */
static void open_suggests_a_name(void **state)
{
        scsim_profile *p = NULL;
        scsim_diag diag;

        (void)state;
        assert_int_equal(setenv("SCSIM_PROFILE_PATH", SCSIM_SOURCE_DIR "/profiles", 1), 0);
        assert_int_equal(scsim_profile_open("PIV", &p, &diag), SCSIM_ERR_IO);
        assert_non_null(strstr(diag.message, "no profile named 'PIV'"));
        if (strstr(diag.message, "; did you mean 'piv'?") == NULL)
                fail_msg("got: %s", diag.message);
        assert_int_equal(scsim_profile_open("two-app", &p, &diag), SCSIM_ERR_IO);
        assert_non_null(strstr(diag.message, "; did you mean 'two-apps'?"));
        /* four letters short, but the start of it */
        assert_int_equal(scsim_profile_open("iso7816", &p, &diag), SCSIM_ERR_IO);
        assert_non_null(strstr(diag.message, "; did you mean 'iso7816-chv'?"));
        assert_int_equal(scsim_profile_open("iso-chv", &p, &diag), SCSIM_ERR_IO);
        assert_null(strstr(diag.message, "did you mean"));
        assert_int_equal(scsim_profile_open("xyz", &p, &diag), SCSIM_ERR_IO);
        assert_null(strstr(diag.message, "did you mean"));
        unsetenv("SCSIM_PROFILE_PATH");
}

/* A FIFO used to block the load forever; a directory or a socket is no profile either. */
static void refuses_non_regular_files(void **state)
{
        char dir[] = "/tmp/scsim-fifo-XXXXXX", fifo[600], msg[1024];
        scsim_profile *p = NULL;
        scsim_diag diag;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(fifo, sizeof(fifo), "%s/p.yaml", dir);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_int_equal(scsim_profile_load_file(fifo, &p, &diag), SCSIM_ERR_IO);
        assert_null(p);
        scsim_diag_format(&diag, msg, sizeof(msg));
        assert_true(strlen(msg) > strlen(fifo));
        assert_string_equal(msg + strlen(fifo), ": is a FIFO, not a profile file");
        assert_int_equal(scsim_profile_open(fifo, &p, &diag), SCSIM_ERR_IO);
        assert_int_equal(scsim_profile_load_file(dir, &p, &diag), SCSIM_ERR_IO);
        assert_string_equal(diag.message, "is a directory, not a profile file");
        unlink(fifo);
        {
                struct sockaddr_un sa = {.sun_family = AF_UNIX};
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);
                assert_true(fd >= 0);
                snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s.yaml", dir);
                assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
                assert_int_equal(scsim_profile_load_file(sa.sun_path, &p, &diag), SCSIM_ERR_IO);
                assert_string_equal(diag.message, "is a socket, not a profile file");
                close(fd);
                unlink(sa.sun_path);
        }
        rmdir(dir);
}

/* A path longer than the diagnostic's file field keeps its end, and the message. */
static void long_paths_keep_their_end(void **state)
{
        char path[1024], msg[2048];
        size_t n;
        scsim_profile *p = NULL;
        scsim_diag diag;
        FILE *f;

        (void)state;
        n = (size_t)snprintf(path, sizeof(path), "/tmp/scsim-long-%d", (int)getpid());
        mkdir(path, 0700);
        for (int i = 0; i < 3; i++) {
                n += (size_t)snprintf(path + n, sizeof(path) - n, "/%0100d", i);
                assert_int_equal(mkdir(path, 0700), 0);
        }
        snprintf(path + n, sizeof(path) - n, "/bad.yaml");
        assert_non_null(f = fopen(path, "w"));
        fputs("name: x\nhistorical_bytes: \"\"\nserial: \"01\"\nlabel: [1]\n", f);
        fclose(f);
        assert_true(strlen(path) > sizeof(diag.file));
        assert_int_equal(scsim_profile_load_file(path, &p, &diag), SCSIM_ERR_PROFILE);
        assert_int_equal(strlen(diag.file), sizeof(diag.file) - 1);
        assert_memory_equal(diag.file, "...", 3);
        assert_string_equal(diag.file + 3, path + strlen(path) - (sizeof(diag.file) - 4));
        scsim_diag_format(&diag, msg, sizeof(msg));
        assert_non_null(strstr(msg, "/bad.yaml:4:9: label: expected text, got a list"));
        unlink(path);
        snprintf(path + n, sizeof(path) - n, "/missing.yaml");
        assert_int_equal(scsim_profile_open(path, &p, &diag), SCSIM_ERR_IO);
        scsim_diag_format(&diag, msg, sizeof(msg));
        assert_non_null(strstr(msg, "/missing.yaml: cannot open: No such file or directory"));
        snprintf(msg, sizeof(msg), "rm -rf /tmp/scsim-long-%d", (int)getpid());
        assert_int_equal(system(msg), 0);
}

/* Something that is not a profile is refused without quoting it. */
static void non_profiles_not_quoted(void **state)
{
        static const char shadow[] = "root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\n"
                                     "daemon:*:19000:0:99999:7:::\n";
        scsim_profile *p = NULL;
        scsim_diag diag;

        (void)state;
        assert_int_equal(scsim_profile_load_buffer("shadow", shadow, strlen(shadow), &p, &diag),
                         SCSIM_ERR_PROFILE);
        assert_string_equal(diag.message, "not a profile: none of its top-level keys is a "
                                          "profile field (name, atr, serial, files ...)");
        assert_int_equal(diag.line, 1);
        assert_int_equal(diag.column, 1);
}

/* Every shipped profile loads from the source tree. */
static void shipped_profiles_load(void **state)
{
        static const char *const names[] = {"iso7816-chv", "two-apps"};
        char path[4096];

        (void)state;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                scsim_profile *p = NULL;
                scsim_diag diag;
                snprintf(path, sizeof(path), "%s/profiles/%s.yaml", SCSIM_SOURCE_DIR, names[i]);
                assert_int_equal(scsim_profile_load_file(path, &p, &diag), SCSIM_OK);
                assert_string_equal(scsim_profile_name(p), names[i]);
                scsim_profile_free(&p);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(every_field),
            cmocka_unit_test(atr_from_historical_bytes),
            cmocka_unit_test(buffer_is_length_bounded),
            cmocka_unit_test(full_profile_behaves),
            cmocka_unit_test(hex_with_colons),
            cmocka_unit_test(open_resolves),
            cmocka_unit_test(list_in_search_order),
            cmocka_unit_test(refuses_non_regular_files),
            cmocka_unit_test(long_paths_keep_their_end),
            cmocka_unit_test(non_profiles_not_quoted),
            cmocka_unit_test(open_suggests_a_name),
            cmocka_unit_test(shipped_profiles_load),
            cmocka_unit_test(short_identifiers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
