/* SPDX-License-Identifier: MIT */
/* scsim run's readers and environment: names per vpcd pair, ports, secrets kept from children. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "run.h"

struct name_row {
        unsigned slots;
        const char *all;         /* --reader-name, or NULL */
        const char *per_slot[4]; /* --reader-name N:NAME for slots 0..3, or NULL */
        int want_rc;
        const char *want[5]; /* the readers of slots 0.. */
};

static const struct name_row name_rows[] = {
    {1, NULL, {NULL}, 0, {"Virtual PCD 00 00"}},
    {2, NULL, {NULL}, 0, {"Virtual PCD 00 00", "Virtual PCD 00 01"}},
    /* entry 1 reuses entry 0's name: it gets its number */
    {5,
     NULL,
     {NULL},
     0,
     {"Virtual PCD 00 00", "Virtual PCD 00 01", "Virtual PCD 1 00 00", "Virtual PCD 1 00 01",
      "Virtual PCD 2 00 00"}},
    {2, "Yubico YubiKey", {NULL}, 0, {"Yubico YubiKey 00 00", "Yubico YubiKey 00 01"}},
    {3,
     "Yubico YubiKey",
     {NULL, NULL, "Other"},
     0,
     {"Yubico YubiKey 00 00", "Yubico YubiKey 00 01", "Other 00 00"}},
    /* one vpcd entry, two names: refused */
    {2, NULL, {"A", "B"}, -1, {NULL}},
    {4, NULL, {NULL, NULL, "A", NULL}, -1, {NULL}},
    /* the last odd slot's partner is the spare, whatever its name would be */
    {3, NULL, {NULL, NULL, "C"}, 0, {"Virtual PCD 00 00", "Virtual PCD 00 01", "C 00 00"}},
};

static void test_reader_names(void **state)
{
        (void)state;
        for (size_t r = 0; r < sizeof(name_rows) / sizeof(name_rows[0]); r++) {
                const struct name_row *row = &name_rows[r];
                struct run_opts o;
                struct run_env e;

                memset(&o, 0, sizeof(o));
                memset(&e, 0, sizeof(e));
                o.slots = row->slots;
                o.reader_name = row->all;
                o.removable = true; /* only check the ports, keep none open */
                for (unsigned i = 0; i < 4; i++)
                        o.slot[i].reader = row->per_slot[i];
                e.opts = &o;
                print_message("row %zu\n", r);
                assert_int_equal(run_layout(&e), row->want_rc);
                if (row->want_rc != 0)
                        continue;
                assert_int_equal(e.entries, (row->slots + 1u) / 2u);
                assert_int_equal(e.vpcd_fd_count, 0);
                for (unsigned i = 0; i < row->slots; i++)
                        assert_string_equal(e.readers[i], row->want[i]);
        }
}

/* Reverse mode: the ports stay bound, listening and consecutive, for scsim-vpcd. */
static void test_reverse_ports_kept(void **state)
{
        struct run_opts o;
        struct run_env e;

        (void)state;
        memset(&o, 0, sizeof(o));
        memset(&e, 0, sizeof(e));
        o.slots = 3;
        e.opts = &o;
        assert_int_equal(run_layout(&e), 0);
        assert_int_equal(e.vpcd_fd_count, 4); /* the spare's port too */
        for (unsigned i = 0; i < e.vpcd_fd_count; i++) {
                struct sockaddr_in sa;
                socklen_t len = sizeof(sa);
                int listening = 0;
                socklen_t llen = sizeof(listening);
                assert_int_equal(getsockname(e.vpcd_fds[i], (struct sockaddr *)&sa, &len), 0);
                assert_int_equal(ntohs(sa.sin_port), e.port + i);
                assert_int_equal(ntohl(sa.sin_addr.s_addr), INADDR_LOOPBACK);
                assert_int_equal(
                    getsockopt(e.vpcd_fds[i], SOL_SOCKET, SO_ACCEPTCONN, &listening, &llen), 0);
                assert_true(listening);
                close(e.vpcd_fds[i]);
        }
}

struct secret_row {
        const char *name;
        bool secret;
};

static const struct secret_row secret_rows[] = {
    {"SCSIM_PIN=1234", true},         {"SCSIM_NEW_PIN=5678", true},
    {"SCSIM_PUK=12345678", true},     {"SCSIM_ADMIN_KEY=00", true},
    {"SCSIM_mgm_key=00", true},       {"SCSIM_PASSPHRASE=x", true},
    {"SCSIM_SO_CODE=x", true},        {"SCSIM_READER=Virtual PCD 00 00", false},
    {"SCSIM_RUN_DIR=/tmp/x", false},  {"SCSIM_PROFILE_PATH=/x", false},
    {"SCSIM_VPCD=/usr/bin/x", false}, {"PIN=1234", false},
    {"MY_SCSIM_PIN=1", false},        {"SCSIM_PIN", true},
};

static void test_secret_names(void **state)
{
        (void)state;
        for (size_t r = 0; r < sizeof(secret_rows) / sizeof(secret_rows[0]); r++) {
                print_message("%s\n", secret_rows[r].name);
                assert_int_equal(run_is_secret_name(secret_rows[r].name), secret_rows[r].secret);
        }
}

static void test_scrub(void **state)
{
        (void)state;
        assert_int_equal(setenv("SCSIM_PIN", "2468", 1), 0);
        assert_int_equal(setenv("SCSIM_PUK", "86427531", 1), 0);
        assert_int_equal(setenv("SCSIM_PROFILE_PATH", "/kept", 1), 0);
        run_scrub_secrets();
        assert_null(getenv("SCSIM_PIN"));
        assert_null(getenv("SCSIM_PUK"));
        assert_string_equal(getenv("SCSIM_PROFILE_PATH"), "/kept");
}

/* Where no way to start pcscd is left: what is missing, and the ways out. */
static void test_isolation_messages(void **state)
{
        char buf[1024];

        (void)state;
        run_isolation_explain(buf, sizeof(buf), EPERM, EPERM, false, 0);
        assert_non_null(strstr(buf, "CAP_SYS_ADMIN"));
        assert_non_null(strstr(buf, "user.max_user_namespaces"));
        assert_non_null(strstr(buf, "Ways out"));
        run_isolation_explain(buf, sizeof(buf), EPERM, EPERM, true, 4242);
        assert_non_null(strstr(buf, "a pcscd (pid 4242) already serves /run/pcscd"));
        assert_non_null(strstr(buf, "systemctl stop pcscd.socket pcscd"));
        assert_non_null(strstr(buf, "--cap-add SYS_ADMIN"));
        run_isolation_explain(buf, sizeof(buf), EPERM, EPERM, true, -1);
        assert_non_null(strstr(buf, "another pcscd already serves"));
        /* a short buffer is cut, never overrun */
        run_isolation_explain(buf, 16, EPERM, EPERM, false, 0);
        assert_int_equal(strlen(buf), 15);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_reader_names),       cmocka_unit_test(test_reverse_ports_kept),
            cmocka_unit_test(test_secret_names),       cmocka_unit_test(test_scrub),
            cmocka_unit_test(test_isolation_messages),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
