# SPDX-License-Identifier: MIT
"""Runs last (ctest FIXTURES_CLEANUP): scans every trace and log the integration tests left in
ARTIFACT_DIR for the PINs, PUK and keys they used (scan_secrets.py), and fails on any finding.

Before that it proves the scan can fail: the same APDUs with --trace-secrets (in a scratch
directory) must be reported, and the masked run (kept in ARTIFACT_DIR, with a -vv log) must not.
Needs no pcscd: the script plays vpcd itself.

Usage: test_no_secrets.py SCSIM_VPCD ARTIFACT_DIR"""
import os
import signal
import subprocess
import sys
import tempfile

import scan_secrets
from scsimtest import check, fail
from vpcd_peer import TIMEOUT, accept, frame, listen_loopback, recv_frame

vpcd, artifacts = sys.argv[1], sys.argv[2]


def a(pin):
    return pin.encode().hex()


# (APDU, expected SW): every PIN-carrying command of the default card with the suite's codes
EXERCISE = [
    ("0020000104" + a("9999"), 0x63C2),
    ("0020000104" + a("1234"), 0x9000),
    ("0024000108" + a("1234") + a("2468"), 0x9000),
    ("0020000104" + a("2468"), 0x9000),
    ("0024000108" + a("2468") + a("1234"), 0x9000),
    ("0020000104" + a("1111"), 0x63C2),
    ("002C00010C" + a("12345678") + a("1234"), 0x9000),
    ("00A4040C07F0534353494D01", 0x9000),
    ("0020008106" + a("000000"), 0x9000),
    ("0020008106" + a("123456"), 0x63C2),
]


def exercise(dirname, secrets):
    trace = os.path.join(dirname, "secrets_exercise.trace")
    log_path = os.path.join(dirname, "secrets_exercise.log")
    for stale in (trace, log_path):
        if os.path.exists(stale):
            os.unlink(stale)
    server = listen_loopback()
    args = [vpcd, "--vpcd", "127.0.0.1:%d" % server.getsockname()[1], "-vv", "--trace", trace]
    with open(log_path, "w") as log:
        bridge = subprocess.Popen(args + (["--trace-secrets"] if secrets else []), stderr=log)
        try:
            c = accept(server)
            c.sendall(frame(b"\x01"))
            for apdu, sw in EXERCISE:
                c.sendall(frame(bytes.fromhex(apdu)))
                r = recv_frame(c)
                if r is None or r[-2:] != sw.to_bytes(2, "big"):
                    fail("%s -> %s, want %04X" % (apdu, r.hex() if r else "closed", sw))
            bridge.send_signal(signal.SIGTERM)
            check(bridge.wait(TIMEOUT) == 0, "exercise%s: %d PIN commands answered as expected"
                  % (" with --trace-secrets" if secrets else "", len(EXERCISE)))
        finally:
            if bridge.poll() is None:
                bridge.kill()
                bridge.wait()
    return trace, log_path


# 1. The scan fails when it should: --trace-secrets shows every PIN, and a leaky log is caught.
with tempfile.TemporaryDirectory() as scratch:
    exercise(scratch, True)
    with open(os.path.join(scratch, "leaky.log"), "w") as f:
        f.write("debug: key 404142434445464748494a4b4c4d4e4f\nnew PIN 2468 set\n")
    _, findings = scan_secrets.scan([scratch])
    names = {(os.path.basename(p), n) for p, _, n, _ in findings}
    want = {("secrets_exercise.trace", "PIN " + p) for p in ("1234", "2468", "9999", "1111", "000000",
                                                           "123456")}
    want |= {("secrets_exercise.trace", "PUK 12345678"), ("leaky.log", "admin key"),
             ("leaky.log", "PIN 2468")}
    check(want <= names, "the scan reports every code of a --trace-secrets trace and a leaky log "
          "(%d findings)" % len(findings))
    check(all(os.path.basename(p) != "secrets_exercise.log" for p, _, _, _ in findings),
          "the -vv log of that run holds no secret")

# 2. The same run masked, kept among the artifacts, then everything the suite left there.
os.makedirs(artifacts, exist_ok=True)
trace, log_path = exercise(artifacts, False)
files, findings = scan_secrets.scan([artifacts])
for path, line, name, how in findings:
    print("LEAK: %s:%d: %s (%s)" % (path, line, name, how), file=sys.stderr)
print("scanned: " + ", ".join(sorted(os.path.relpath(f, artifacts) for f in files)))
check(trace in files and log_path in files, "the masked exercise's trace and log are scanned")
check(not findings, "no PIN, PUK or key in %d traces and logs of the suite" % len(files))
