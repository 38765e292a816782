# SPDX-License-Identifier: MIT
"""Scans APDU traces and logs for the PINs, PUK and keys the test suite uses; exit 1 and one line
per finding when any appears, 0 when none does.

Usage: scan_secrets.py PATH...   (files, or directories scanned recursively)

Where each secret is looked for, and why there and not everywhere:
- every file: the secret as contiguous hex (31323334, either case). Traces print bytes spaced,
  logs print no hex, so a contiguous run can only be a leak.
- log files (anything but *.trace): spaced hex (31 32 33 34), and the raw text of the PIN when no
  letter or digit touches it (so a port like 41234 is not "1234").
- trace lines: the bytes of the C: and R: fields. Keys and codes of 8 bytes or more are looked
  for in every command and answer. Shorter PINs only in the data of the commands that carry PINs
  (VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, en/disable verification): a 4-digit run
  such as 12 34 also occurs in certificates' UTCTime and in random data, so finding it there
  proves nothing. Timestamps, slot numbers and command names are never looked at."""
import os
import re
import sys

# name -> the bytes a card receives
SECRETS = {
    "PIN 1234": b"1234",
    "PIN 000000": b"000000",
    "PIN 123456": b"123456",
    "PIN 2468": b"2468",
    "PIN 9999": b"9999",
    "PIN 1111": b"1111",
    "PUK 12345678": b"12345678",
    "OpenPGP PIN 654321": b"654321",
    "OpenPGP PIN 999999": b"999999",
    "OpenPGP Admin PIN 87654321": b"87654321",
    "OpenPGP resetting code 11223344": b"11223344",
    "admin key": bytes.fromhex("404142434445464748494A4B4C4D4E4F"),
    "PIV management key": bytes.fromhex("010203040506070801020304050607080102030405060708"),
}
PIN_INS = {0x20, 0x21, 0x24, 0x25, 0x26, 0x28, 0x2C, 0x2D}
LONG = 8  # secrets this long are searched in every trace field
TRACE_FIELDS = re.compile(r" C: (.*?) R: (.*) SW [0-9A-F]{4}\b")
HEX_RUN = re.compile(r"(?:[0-9A-F]{2} ?)+")


def field_runs(text):
    """Byte runs of a trace field; "[n bytes masked]" and other text end a run."""
    return [bytes.fromhex(m.group(0)) for m in HEX_RUN.finditer(text) if len(m.group(0).strip()) >= 2]


def scan_trace_line(line):
    m = TRACE_FIELDS.search(line)
    if not m:
        return []
    found = []
    cmd, rsp = field_runs(m.group(1)), field_runs(m.group(2))
    ins = cmd[0][1] if cmd and len(cmd[0]) >= 2 else None
    pin_cmd = ins in PIN_INS
    for name, value in SECRETS.items():
        if len(value) >= LONG or pin_cmd:
            runs = cmd + rsp if len(value) >= LONG else cmd
            if any(value in run for run in runs):
                found.append(name)
    return found


def scan_file(path):
    findings = []
    is_trace = path.endswith(".trace")
    with open(path, "rb") as f:
        blob = f.read()
    text = blob.decode("latin-1")
    upper = text.upper()
    for name, value in SECRETS.items():
        if value.hex().upper() in upper:
            findings.append((path, 0, name, "contiguous hex"))
        if not is_trace:
            if " ".join("%02X" % b for b in value) in upper:
                findings.append((path, 0, name, "spaced hex"))
            if re.search(r"(?<![0-9A-Za-z])%s(?![0-9A-Za-z])" % re.escape(value.decode("latin-1")), text):
                findings.append((path, 0, name, "raw text"))
    if is_trace:
        for n, line in enumerate(text.splitlines(), 1):
            for name in scan_trace_line(line):
                findings.append((path, n, name, "trace data field"))
    return findings


def files_under(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                for name in sorted(names):
                    yield os.path.join(root, name)
        else:
            yield p


def scan(paths):
    """(files scanned, findings)"""
    files = list(files_under(paths))
    findings = []
    for path in files:
        findings += scan_file(path)
    return files, findings


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    files, findings = scan(argv)
    for path, line, name, how in findings:
        print("%s:%d: %s (%s)" % (path, line, name, how))
    print("%d files scanned, %d findings" % (len(files), len(findings)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
