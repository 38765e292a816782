# SPDX-License-Identifier: MIT
"""16 slots of one scsim-vpcd under concurrent load, no pcscd: one thread per slot plays vpcd and
drives VERIFY (right, wrong, query, P1=FF), SELECT, READ BINARY and GET DATA with power off/on,
reset and ATR requests in between, for a bounded time. Every status word is checked; slot 3's PIN
is blocked first, so the other cards must not notice. The trace must hold exactly one well-formed
line per APDU. Prints the APDU rate; asserts zero errors.

Usage: test_load_slots.py SCSIM_VPCD ARTIFACT_DIR [SECONDS [MAX_ITERATIONS]]"""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

from scsimtest import check, fail
from vpcd_peer import TIMEOUT, frame, listen_block, recv_frame

SLOTS = 16
BLOCKED = 3
vpcd = sys.argv[1]
artifacts = sys.argv[2]
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
max_iter = int(sys.argv[4]) if len(sys.argv) > 4 else 100000

PIN_OK = "0020000104" + "31323334"
PIN_BAD = "0020000104" + "39393939"
QUERY = "00200001"
RESET_REF = "0020FF01"
SELECT_SECRET = "00A4020C020102"
SELECT_PUBLIC = "00A4020C020101"
READ = "00B0000000"
READ_PUBLIC = "00B0000020"
SERIAL = "00CA005A00"
SECRET = b"Global PIN verified: card-wide secret.\n".ljust(64, b"\0")
PUBLIC = b"scsim public file: anyone may read this.\n"[:0x20]


class Slot(threading.Thread):
    def __init__(self, n, server, deadline):
        super().__init__(name="slot%d" % n)
        self.n, self.server, self.deadline = n, server, deadline
        self.apdus = 0
        self.controls = 0
        self.iterations = 0
        self.errors = []
        self.nerrors = 0
        self.conn = None
        self.atr = None
        self.serial = None

    def error(self, what):
        self.nerrors += 1
        if len(self.errors) < 5:
            self.errors.append("slot %d iteration %d: %s" % (self.n, self.iterations, what))

    def control(self, byte):
        self.conn.sendall(frame(bytes([byte])))
        self.controls += 1
        if byte == 4:
            atr = recv_frame(self.conn)
            if atr is None:
                raise EOFError("the bridge closed the connection")
            if self.atr is None:
                self.atr = atr
            elif atr != self.atr:
                self.error("ATR changed: %s" % atr.hex())

    def tx(self, apdu, sw, data=None):
        self.conn.sendall(frame(bytes.fromhex(apdu)))
        r = recv_frame(self.conn)
        self.apdus += 1
        if r is None:
            raise EOFError("the bridge closed the connection after %s" % apdu)
        got = (r[-2] << 8) | r[-1] if len(r) >= 2 else -1
        if got != sw:
            self.error("%s -> %04X, want %04X" % (apdu, got, sw))
        elif data is not None and r[:-2] != data:
            self.error("%s -> data %s, want %s" % (apdu, r[:-2].hex(), data.hex()))
        return r[:-2]

    def start_cycle(self):
        """Every iteration starts from a fresh security state, reached a different way each time."""
        k = self.iterations % 3
        if k == 0:
            self.control(0)
            self.control(1)
        elif k == 1:
            self.control(2)
        else:
            self.control(4)
            self.control(2)

    def normal(self):
        self.tx(QUERY, 0x63C3)
        self.tx(PIN_BAD, 0x63C2)
        self.tx(QUERY, 0x63C2)
        self.tx(SELECT_SECRET, 0x9000)
        self.tx(READ, 0x6982)
        self.tx(PIN_OK, 0x9000)
        self.tx(QUERY, 0x9000)
        self.tx(READ, 0x9000, SECRET)
        self.tx(RESET_REF, 0x9000)
        self.tx(QUERY, 0x63C3)
        self.tx(READ, 0x6982)
        self.tx(SELECT_PUBLIC, 0x9000)
        self.tx(READ_PUBLIC, 0x9000, PUBLIC)
        self.tx(SERIAL, 0x9000, self.serial)

    def blocked(self):
        self.tx(QUERY, 0x6983)  # a blocked reference answers the query with 6983
        self.tx(PIN_OK, 0x6983)
        self.tx(SELECT_SECRET, 0x9000)
        self.tx(READ, 0x6982)
        self.tx(PIN_BAD, 0x6983)
        self.tx(SELECT_PUBLIC, 0x9000)
        self.tx(READ_PUBLIC, 0x9000, PUBLIC)
        self.tx(SERIAL, 0x9000, self.serial)

    def setup(self):
        self.conn, _ = self.server.accept()
        self.conn.settimeout(TIMEOUT)
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.control(4)
        self.control(1)
        data = self.tx(SERIAL, 0x9000)
        self.serial = data
        if self.n == BLOCKED:
            self.tx(PIN_BAD, 0x63C2)
            self.tx(PIN_BAD, 0x63C1)
            self.tx(PIN_BAD, 0x63C0)

    def loop(self):
        while self.iterations < max_iter and time.monotonic() < self.deadline:
            self.start_cycle()
            if self.n == BLOCKED:
                self.blocked()
            else:
                self.normal()
            self.iterations += 1
        # the final state every card must be in
        self.control(2)
        self.tx(QUERY, 0x6983 if self.n == BLOCKED else 0x63C3)

    def run(self):
        try:
            self.loop()
        except (OSError, EOFError) as e:
            self.error("connection: %s" % e)


os.makedirs(artifacts, exist_ok=True)
trace_path = os.path.join(artifacts, "load_slots.trace")
log_path = os.path.join(artifacts, "load_slots.log")
for stale in (trace_path, log_path):  # nothing left from an earlier run
    if os.path.exists(stale):
        os.unlink(stale)
try:
    base, servers = listen_block(SLOTS)
except OSError as e:
    fail(str(e))
log = open(log_path, "w")
bridge = subprocess.Popen([vpcd, "--slots", str(SLOTS), "--vpcd", "127.0.0.1:%d" % base, "-v",
                           "--trace", trace_path], stderr=log)
try:
    slots = [Slot(n, servers[n], 0) for n in range(SLOTS)]
    # Connections first (sequentially, each accept waits on the bridge), then the timed run.
    for s in slots:
        try:
            s.setup()
        except (OSError, EOFError) as e:
            fail("slot %d: setup: %s" % (s.n, e))
    check(all(s.nerrors == 0 for s in slots), "16 slots connected; slot %d's PIN blocked" % BLOCKED)
    serials = [int.from_bytes(s.serial[2:], "big") for s in slots]
    check(serials == [serials[0] + n for n in range(SLOTS)],
          "16 distinct serials, slot n = slot 0 + n")
    check(len({s.atr for s in slots}) == 1, "one ATR on every slot")
    start = time.monotonic()
    for s in slots:
        s.deadline = start + seconds
        s.start()
    for s in slots:
        s.join(seconds + 10 * TIMEOUT)
        if s.is_alive():
            fail("slot %d's client is stuck" % s.n)
    elapsed = time.monotonic() - start
    bridge.send_signal(signal.SIGTERM)
    rc = bridge.wait(TIMEOUT)
finally:
    if bridge.poll() is None:
        bridge.kill()
        bridge.wait()
    log.close()

errors = sum(s.nerrors for s in slots)
for e in [e for s in slots for e in s.errors][:40]:
    print("error: %s" % e, file=sys.stderr)
apdus = sum(s.apdus for s in slots)
controls = sum(s.controls for s in slots)
iters = [s.iterations for s in slots]
print("figures: %d slots, %.1f s, %d APDUs (%.0f APDUs/s), %d control bytes, iterations per slot "
      "%d..%d" % (SLOTS, elapsed, apdus, apdus / elapsed, controls, min(iters), max(iters)))
check(errors == 0, "zero errors over %d APDUs on %d slots" % (apdus, SLOTS))
check(min(iters) > 0, "every slot completed iterations")
check(rc == 0, "SIGTERM after the load: exit 0")

# One complete line per APDU and per control event, slot by slot: nothing torn or lost.
line_re = re.compile(r"^\S+Z slot (\d+) (?:(power on|power off|reset)|[A-Z][A-Z ]*[A-Z]? ?C: [0-9A-F ]+"
                     r"(?:\[\d+ bytes masked\])? ?R: (?:-|[0-9A-F ]+) SW [0-9A-F]{4} .*)$")
per_slot = [0] * SLOTS
events = [0] * SLOTS
bad = 0
with open(trace_path) as f:
    for line in f:
        m = line_re.match(line.rstrip("\n"))
        if not m:
            bad += 1
            if bad < 5:
                print("malformed trace line: %r" % line, file=sys.stderr)
            continue
        if m.group(2):
            events[int(m.group(1))] += 1
        else:
            per_slot[int(m.group(1))] += 1
check(bad == 0, "every trace line is well formed")
check(per_slot == [s.apdus for s in slots], "the trace has exactly one line per APDU on each slot (%d lines)" % sum(per_slot))
check(all(e > 0 for e in events), "power and reset events are traced on each slot")
