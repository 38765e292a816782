# SPDX-License-Identifier: MIT
"""scsim conform against a shipped profile through pcscd and vpcd: every check that runs passes.

    scsim run --profile P -- python3 test_conform.py SCSIM SUITE PROFILE_FILE ARTIFACTS

The suite runs twice: safe (no --destructive) and --destructive, each with
JSON, JUnit XML and TAP read as CI tools read them. The only skips allowed
are those the profile explains (listed below, with why); after the runs
every code has all its tries. On the default card the command line's
safety rules and exit codes are tried too.
"""
import os
import sys

from smartcard import scard

from test_conform_common import (check, fail, load_json, run, validate_junit, validate_tap,
                                 verdicts)

# Checks each profile cannot run even with --destructive, because of what it is.
EXPECTED_SKIPS = {
    ("iso7816", "iso7816-chv"): {
        "iso.chv.block[app-pin]",          # no unblock code: never blocked
        "iso.chv.unblock-wrong[app-pin]",  # no unblock code
        "iso.chv.disable[app-pin]",        # may_disable is false
    },
    ("iso7816", "two-apps"): {
        "iso.chv.block[pay-pin]", "iso.chv.block[id-pin]",
        "iso.chv.unblock-wrong[pay-pin]", "iso.chv.unblock-wrong[id-pin]",
        "iso.chv.disable[pin]", "iso.chv.disable[pay-pin]", "iso.chv.disable[id-pin]",
    },
    ("iso7816", "piv"): {
        "iso.cases.read",        # no EF anyone may read
        "iso.chv.disable[pin]",  # a PIV PIN cannot be disabled
    },
    ("piv", "piv"): {
        "piv.status.deselect",   # no second application on the card
        "piv.key.policy",        # no key in the profile (piv.key.generate makes them)
    },
    ("iso7816", "yubikey5"): {
        "iso.cases.read",        # no EF anyone may read
        "iso.chv.disable[pin]",  # a PIV PIN cannot be disabled
        # a YubiKey 5's ATR announces no logical channels
        "iso.channel.open-close", "iso.channel.basic", "iso.channel.reset",
        "iso.chv.channel[pin]", "iso.chv.channel-close[pin]", "iso.chv.counter-channels[pin]",
    },
    ("piv", "yubikey5"): {
        "piv.key.policy",        # no key in the profile (piv.key.generate makes them)
    },
    ("openpgp", "openpgp"): {
        "openpgp.pw1.unblock-rc",  # no resetting code, as cards ship
    },
}

# VERIFY without data for every code the profiles have: (SELECT first or None, query, SW).
FULL_TRIES = {
    "iso7816-chv": [(None, "0020000100", 0x63C3),
                    ("00A4040C07F0534353494D01", "0020008100", 0x63C3)],
    "two-apps": [(None, "0020000100", 0x63C3),
                 ("00A4040C07F0534353494D10", "0020008100", 0x63C3),
                 ("00A4040C07F0534353494D20", "0020008100", 0x63C5)],
    "piv": [("00A404000BA000000308000010000100", "0020008000", 0x63C3)],
    "yubikey5": [("00A404000BA000000308000010000100", "0020008000", 0x63C3)],
    "openpgp": [("00A4040006D27600012401", "0020008200", 0x63C3),
                ("00A4040006D27600012401", "0020008300", 0x63C3)],
}


def conform(scsim, suite, card, artifacts, tag, destructive):
    junit = os.path.join(artifacts, "conform_%s_%s.xml" % (tag, "d" if destructive else "s"))
    extra = ["--destructive"] if destructive else []
    argv = [scsim, "conform", "--suite", suite, "--card", card] + extra
    rc, out, err = run(argv + ["--json", "--junit", junit])
    report = load_json(out)
    check(rc == 0, "%s %s: exit 0 (%s)" % (tag, " ".join(extra), err.strip() or "no message"))
    check(report["ok"] and report["failed"] == 0 and report["errors"] == 0
          and report["environment"] is None, "%s: no check failed, the run went to the end" % tag)
    validate_junit(junit, report)
    rc, out, _ = run(argv + ["--tap"])
    check(rc == 0, "%s --tap: exit 0" % tag)
    validate_tap(out, report)
    return report


def skips_are_explained(report, allowed, tag):
    skipped = {i for i, v in verdicts(report).items() if v == "skip"}
    unexplained = skipped - allowed
    if unexplained:
        why = {r["id"]: r["message"] for r in report["results"]}
        fail("%s: skipped without a reason this test knows: %s" %
             (tag, "; ".join("%s (%s)" % (i, why[i]) for i in sorted(unexplained))))
    check(allowed <= skipped, "%s: the expected skips are skips" % tag)
    passed = sum(1 for v in verdicts(report).values() if v == "pass")
    check(passed >= 10, "%s: %d checks passed" % (tag, passed))


def tries_are_full(profile):
    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    hr, h, proto = scard.SCardConnect(ctx, os.environ["SCSIM_READER"], scard.SCARD_SHARE_SHARED,
                                      scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
    if hr != scard.SCARD_S_SUCCESS:
        fail("SCardConnect: " + scard.SCardGetErrorMessage(hr))
    for select, query, want in FULL_TRIES[profile]:
        scard.SCardReconnect(h, scard.SCARD_SHARE_SHARED, proto, scard.SCARD_RESET_CARD)
        if select:
            scard.SCardTransmit(h, proto, list(bytes.fromhex(select + "00")))
        hr, resp = scard.SCardTransmit(h, proto, list(bytes.fromhex(query)))
        sw = resp[-2] << 8 | resp[-1]
        check(sw == want, "after the runs %s answers %04X (want %04X: every try)" %
              (query, sw, want))
    scard.SCardDisconnect(h, scard.SCARD_LEAVE_CARD)
    scard.SCardReleaseContext(ctx)


def command_line(scsim, card, artifacts):
    """Exit codes and the confirmation a reader that is not scsim's needs."""
    reader = os.environ["SCSIM_READER"]
    foreign = {k: v for k, v in os.environ.items() if not k.startswith("SCSIM_READER")}
    argv = [scsim, "conform", "--suite", "iso7816", "--card", card, "--reader", reader]
    rc, out, err = run(argv + ["--destructive"], env=foreign, new_session=True)
    check(rc == 2 and "--yes" in err and out == "",
          "--destructive on a reader not in SCSIM_READER*, no terminal: exit 2, nothing run")
    rc, out, _ = run(argv + ["--destructive", "--yes"], env=foreign, new_session=True)
    check(rc == 0 and "PASS  iso.chv.block[pin]" in out, "... and with --yes it runs (exit 0)")
    rc, _, err = run(argv[:-1] + ["No Such Reader"])
    check(rc == 3 and "No Such Reader" in err, "an unknown reader: exit 3, named")
    rc, _, err = run([scsim, "conform", "--suite", "iso9999"])
    check(rc == 2 and "iso9999" in err, "an unknown suite: exit 2, named")
    bad = os.path.join(artifacts, "conform_bad_card.yaml")
    with open(bad, "w") as f:
        f.write("name: bad\nchvs:\n  pin:\n    reference: \"01\"\n    retries: 40\n")
    rc, _, err = run([scsim, "conform", "--suite", "iso7816", "--card", bad])
    check(rc == 2 and "conform_bad_card.yaml:5:14: retries: expected a number 1..15" in err,
          "a bad card description: exit 2, file:line:column and what is expected")
    rc, out, _ = run([scsim, "conform", "--suite", "iso7816"])
    check(rc == 0 and "SKIP  iso.chv" not in out and "PASS  iso.select.mf" in out,
          "no --card: the checks that need no description run and pass")


def main():
    scsim, suite, card, artifacts = sys.argv[1:5]
    profile = os.path.splitext(os.path.basename(card))[0]
    tag = "%s_%s" % (suite, profile)
    allowed = EXPECTED_SKIPS[(suite, profile)]
    safe = conform(scsim, suite, card, artifacts, tag, False)
    destructive = {r["id"] for r in safe["results"] if r["destructive"]}
    check(bool(destructive), "%s: the suite has checks that need --destructive" % tag)
    skips_are_explained(safe, allowed | destructive, tag + " (safe)")
    full = conform(scsim, suite, card, artifacts, tag, True)
    skips_are_explained(full, allowed, tag + " (--destructive)")
    tries_are_full(profile)
    if profile == "iso7816-chv":
        command_line(scsim, card, artifacts)
        tries_are_full(profile)


main()
