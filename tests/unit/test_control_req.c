/* SPDX-License-Identifier: MIT */
/* The control socket's request parser: each request line to its fields, or an error naming the
 * field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control_req.h"

struct good_case {
        const char *line;
        enum ctl_op op;
        unsigned slot;
};

static const struct good_case good[] = {
    {"{\"op\":\"status\"}", CTL_STATUS, 0},
    {"{\"op\":\"status\",\"slot\":1}", CTL_STATUS, 1},
    {"{\"op\":\"remove\",\"slot\":1}", CTL_REMOVE, 1},
    {"{\"op\":\"insert\",\"slot\":0,\"profile\":\"piv\"}", CTL_INSERT, 0},
    {"{\"op\":\"swap\",\"slot\":0,\"state\":\"/tmp/x\"}", CTL_SWAP, 0},
    {"{\"op\":\"power\",\"slot\":0,\"action\":\"cycle\"}", CTL_POWER, 0},
    {"{\"op\":\"reset\",\"slot\":0}", CTL_RESET, 0},
    {"{\"op\":\"reset\",\"slot\":1,\"in_place\":true}", CTL_RESET, 1},
    {"{\"op\":\"snapshot\",\"slot\":0}", CTL_SNAPSHOT, 0},
    {"{\"op\":\"restore\",\"slot\":0,\"snapshot\":3}", CTL_RESTORE, 0},
    {"{\"op\":\"clear\",\"slot\":0}", CTL_CLEAR, 0},
    {"  {\"slot\":1, \"op\":\"clear\", \"fault\":2}  ", CTL_CLEAR, 1},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\"}", CTL_FAULT, 0},
};

static void test_good(void **state)
{
        struct ctl_req r;
        char err[256];

        (void)state;
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                int rc = ctl_req_parse(good[i].line, strlen(good[i].line), 2, &r, err, sizeof(err));
                if (rc != 0)
                        fail_msg("%s: %s", good[i].line, err);
                assert_int_equal(r.op, good[i].op);
                assert_int_equal(r.slot, good[i].slot);
        }
}

struct bad_case {
        const char *line;
        const char *err; /* a substring of the message */
};

static const struct bad_case bad[] = {
    {"", "not a JSON object"},
    {"not json", "not a JSON object"},
    {"[1]", "not a JSON object"},
    {"\"status\"", "not a JSON object"},
    {"{\"op\":\"status\"} {}", "not a JSON object"},
    {"{\"op\":\"status\"", "not a JSON object"},
    {"{}", "\"op\": missing"},
    {"{\"op\":7}", "\"op\": missing or not a string"},
    {"{\"op\":\"nope\",\"slot\":0}", "unknown operation 'nope'"},
    {"{\"op\":\"remove\"}", "\"slot\": missing"},
    {"{\"op\":\"remove\",\"slot\":2}", "\"slot\": expected a number from 0 to 1"},
    {"{\"op\":\"remove\",\"slot\":-1}", "\"slot\": expected"},
    {"{\"op\":\"remove\",\"slot\":\"0\"}", "\"slot\": expected"},
    {"{\"op\":\"remove\",\"slot\":true}", "\"slot\": expected"},
    {"{\"op\":\"remove\",\"slot\":0.5}", "\"slot\": expected"},
    {"{\"op\":\"remove\",\"slot\":99999999999999999999}", "\"slot\": expected"},
    {"{\"op\":\"remove\",\"slot\":0,\"sloot\":1}", "\"sloot\": not a field of remove"},
    {"{\"op\":\"insert\",\"slot\":0,\"profile\":7}", "\"profile\": expected a string"},
    {"{\"op\":\"insert\",\"slot\":0,\"profile\":\"\"}", "\"profile\": expected a non-empty"},
    {"{\"op\":\"insert\",\"slot\":0,\"state\":\"a\\u0000b\"}", "\"state\": expected"},
    {"{\"op\":\"swap\",\"slot\":0}", "swap needs a profile or a state"},
    {"{\"op\":\"power\",\"slot\":0}", "\"action\": missing"},
    {"{\"op\":\"power\",\"slot\":0,\"action\":\"up\"}", "\"action\": unknown value 'up'"},
    {"{\"op\":\"reset\",\"slot\":0,\"in_place\":1}", "\"in_place\": expected true or false"},
    {"{\"op\":\"remove\",\"slot\":0,\"in_place\":true}", "\"in_place\": not a field of remove"},
    {"{\"op\":\"restore\",\"slot\":0}", "\"snapshot\": missing"},
    {"{\"op\":\"restore\",\"slot\":0,\"snapshot\":0}", "\"snapshot\": expected"},
    {"{\"op\":\"clear\",\"slot\":0,\"fault\":\"1\"}", "\"fault\": expected"},
    {"{\"op\":\"fault\",\"slot\":0}", "\"kind\": missing"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"melt\"}", "\"kind\": unknown value"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"sw\"}", "\"sw\": missing"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"sw\",\"sw\":\"6F\"}", "\"sw\": expected 4 hex"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"sw\",\"sw\":\"6G00\"}", "\"sw\": '6G00': not hex"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"sw\",\"sw\":6900}", "\"sw\": expected a string"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\",\"sw\":\"6F00\"}", "\"sw\": only for kind sw"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"delay\"}", "\"ms\": missing"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"delay\",\"ms\":60001}", "\"ms\": expected"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"mute\",\"ms\":0}", "\"ms\": a mute lasts"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\",\"ms\":5}", "\"ms\": only for kinds"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\",\"offset\":1}", "\"offset\": only for"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\",\"when\":\"after\"}", "\"when\": only for"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"sw\",\"sw\":\"6F00\",\"when\":\"soon\"}",
     "\"when\": unknown value"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\",\"count\":0}", "\"count\": expected"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\",\"match\":\"20\"}", "\"match\": expected"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\",\"match\":{}}", "\"match\": expected"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\",\"match\":{\"ins\":\"2\"}}", "\"ins\""},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\",\"match\":{\"ins\":\"2020\"}}", "\"ins\""},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\",\"match\":{\"prefix\":\"\"}}", "\"prefix\""},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\",\"match\":{\"prefix\":"
     "\"00112233445566778899AABBCCDDEEFF00\"}}",
     "\"prefix\": '"},
    {"{\"op\":\"fault\",\"slot\":0,\"kind\":\"drop\",\"match\":{\"ins\":\"20\",\"prefix\":\"00\"}}",
     "\"match\": expected"},
};

static void test_bad(void **state)
{
        struct ctl_req r;
        char err[256];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int rc = ctl_req_parse(bad[i].line, strlen(bad[i].line), 2, &r, err, sizeof(err));
                if (rc == 0)
                        fail_msg("accepted: %s", bad[i].line);
                if (strstr(err, bad[i].err) == NULL)
                        fail_msg("%s: '%s' does not say '%s'", bad[i].line, err, bad[i].err);
        }
}

static void test_fault_fields(void **state)
{
        const char *line = "{\"op\":\"fault\",\"slot\":1,\"kind\":\"sw\",\"sw\":\"6a82\","
                           "\"when\":\"after\",\"match\":{\"prefix\":\"00A4\"},\"count\":3}";
        struct ctl_req r;
        char err[256];

        (void)state;
        assert_int_equal(ctl_req_parse(line, strlen(line), 2, &r, err, sizeof(err)), 0);
        assert_int_equal(r.fault.kind, SCSIM_FAULT_SW);
        assert_int_equal(r.fault.sw, 0x6A82);
        assert_true(r.fault.after);
        assert_int_equal(r.fault.prefix_len, 2);
        assert_memory_equal(r.fault.prefix, "\x00\xA4", 2);
        assert_false(r.fault.match_ins);
        assert_int_equal(r.fault.count, 3);
        line = "{\"op\":\"fault\",\"slot\":0,\"kind\":\"mute\",\"match\":{\"ins\":\"B0\"}}";
        assert_int_equal(ctl_req_parse(line, strlen(line), 2, &r, err, sizeof(err)), 0);
        assert_int_equal(r.fault.kind, SCSIM_FAULT_MUTE);
        assert_int_equal(r.fault.ms, 5000); /* the documented default */
        assert_true(r.fault.match_ins);
        assert_int_equal(r.fault.ins, 0xB0);
        assert_int_equal(r.fault.count, 0); /* until cleared */
        line = "{\"op\":\"fault\",\"slot\":0,\"kind\":\"tear\",\"when\":\"before\"}";
        assert_int_equal(ctl_req_parse(line, strlen(line), 2, &r, err, sizeof(err)), 0);
        assert_int_equal(r.fault.kind, SCSIM_FAULT_TEAR);
        assert_false(r.fault.after);
}

/* The length given is what counts: no reading past it, and longer than a line is refused. */
static void test_lengths(void **state)
{
        static char big[CTL_LINE_MAX + 2];
        const char *line = "{\"op\":\"status\"}XXXX";
        struct ctl_req r;
        char err[256];

        (void)state;
        assert_int_equal(ctl_req_parse(line, 15, 2, &r, err, sizeof(err)), 0);
        assert_int_not_equal(ctl_req_parse(line, 14, 2, &r, err, sizeof(err)), 0);
        memset(big, ' ', sizeof(big));
        memcpy(big, "{\"op\":\"status\"}", 15);
        assert_int_equal(ctl_req_parse(big, CTL_LINE_MAX, 2, &r, err, sizeof(err)), 0);
        assert_int_not_equal(ctl_req_parse(big, CTL_LINE_MAX + 1, 2, &r, err, sizeof(err)), 0);
        assert_non_null(strstr(err, "longer than"));
        /* A message that does not fit is cut, not overrun. */
        assert_int_not_equal(ctl_req_parse("{}", 2, 2, &r, err, 8), 0);
        assert_int_equal(strlen(err), 7);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_good),
            cmocka_unit_test(test_bad),
            cmocka_unit_test(test_fault_fields),
            cmocka_unit_test(test_lengths),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
