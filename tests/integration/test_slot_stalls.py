# SPDX-License-Identifier: MIT
"""One slot of scsim-vpcd never holds up another. A peer stalled inside a frame, a peer trickling a
frame one byte at a time and a peer that stops reading its answers each lose their own connection
after the bridge's frame bound, while another slot keeps answering the whole time. Plays vpcd on
both slots (vpcd_peer.py); needs no pcscd. Prints the figures it asserts on.

Usage: test_slot_stalls.py SCSIM_VPCD ARTIFACT_DIR"""
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time

from scsimtest import check, fail
from vpcd_peer import (TIMEOUT, accept, bridge_bounds, frame, handshake, listen_block,
                       transmit, wait_closed)

vpcd = sys.argv[1]
artifacts = sys.argv[2]

QUERY = "00200001"           # 63Cx: tries left, nothing spent
SERIAL = "00CA005A00"        # 9000
VERIFY_OK = "002000010431323334"
RESET_REF = "0020FF01"
SELECT_BIG = "00A4000C020103"
READ_BIG = "00B00000000000"  # case 2E, Le 65536: the whole 32767-byte file
# The default card's PIN, and one file big enough that a reader who stops reading fills every
# socket buffer between it and the bridge within a few answers.
PROFILE = """name: big-answers
label: the default PIN and a 32 KiB file, answers that fill buffers
historical_bytes: "80 73 F4 01 DB 55 53 43 53 49 4D"
serial: "53 43 00 00 00 00 00 01"
chvs:
  pin: {reference: "01", value: "1234", length: 4..8, format: digits, padding: none, retries: 3}
files:
  big: {type: ef, fid: "0103", size: 32767, read: always, update: never}
"""


def expect(c, apdu, sw, what):
    got = transmit(c, apdu)
    if got != sw:
        fail("%s: %s -> %04X, want %04X" % (what, apdu, got & 0xFFFF, sw))


def apdus_on(c, n):
    """n checked APDUs on a healthy slot; their completion times."""
    done = []
    for i in range(n // 2):
        expect(c, QUERY, 0x63C3, "the healthy slot")
        expect(c, SERIAL, 0x9000, "the healthy slot")
        done += [time.monotonic()] * 2
    return done


class CloseWatch(threading.Thread):
    """Notes when the bridge closes a connection, as it happens (wait_closed in a thread)."""

    def __init__(self, c, limit):
        super().__init__(daemon=True)
        self.c, self.limit, self.at = c, limit, None
        self.done = threading.Event()
        self.start()

    def run(self):
        self.at = wait_closed(self.c, self.limit)
        self.done.set()

    def result(self):
        self.join(self.limit + TIMEOUT)
        return self.at


def stall(a, b, bound):
    """Slot 0 sends 5 bytes of a 12-byte frame and nothing more; slot 1 runs 200 APDUs."""
    handshake(a)
    t0 = time.monotonic()
    a.sendall(bytes.fromhex("000A00A404"))
    watch = CloseWatch(a, bound / 1000 + TIMEOUT)
    start = time.monotonic()
    done = apdus_on(b, 200)
    t_drop = watch.result()
    a.close()
    print("figures: stall: slot 1's 200 APDUs took %.1f ms; slot 0 dropped %s ms after its "
          "first byte (bound %d ms)" % ((done[-1] - start) * 1000,
                                        "never" if t_drop is None else "%.0f" % ((t_drop - t0) * 1000),
                                        bound))
    check(t_drop is not None, "the stalled slot is dropped")
    check(done[-1] < t_drop, "slot 1's 200 APDUs completed while slot 0 was still inside its frame "
                             "bound")
    check(t_drop - t0 >= bound / 1000 - 0.01, "slot 0 was given its whole frame bound")


def trickle(a, b, bound):
    """Slot 0 sends a 12-byte frame one byte every quarter bound; slot 1 runs VERIFY rounds."""
    wire = bytes.fromhex("000A00A4040C05F053435349")
    pace = bound / 4000
    first = threading.Event()
    out = {"sent": 0, "t0": None, "t_drop": None}

    def drip():
        a.settimeout(pace)
        for i, byte in enumerate(wire):
            sending = time.monotonic()  # before the byte: the bridge's clock starts later
            try:
                a.sendall(bytes([byte]))
            except OSError:
                break
            out["sent"] = i + 1
            if i == 0:
                out["t0"] = sending
                first.set()
            try:
                if a.recv(1) == b"":  # the pace: a close ends the drip at once
                    break
            except socket.timeout:
                continue
            except OSError:
                break
        out["t_drop"] = time.monotonic()

    handshake(a)
    t = threading.Thread(target=drip)
    t.start()
    first.wait(TIMEOUT)
    start = time.monotonic()
    for _ in range(50):
        expect(b, VERIFY_OK, 0x9000, "VERIFY on slot 1")
        expect(b, QUERY, 0x9000, "VERIFY query on slot 1")
        expect(b, RESET_REF, 0x9000, "VERIFY P1=FF on slot 1")
        expect(b, QUERY, 0x63C3, "VERIFY query on slot 1")
    done = time.monotonic()
    t.join(len(wire) * pace + TIMEOUT)
    a.close()
    t0, t_drop, sent = out["t0"], out["t_drop"], out["sent"]
    print("figures: trickle: slot 1's 50 VERIFY rounds (200 APDUs) took %.1f ms; slot 0 dropped "
          "%.0f ms after its first byte, %d of %d bytes sent (bound %d ms)"
          % ((done - start) * 1000, (t_drop - t0) * 1000, sent, len(wire), bound))
    check(sent < len(wire), "the trickling slot is dropped before its frame completes")
    check(done < t_drop, "slot 1's VERIFY rounds completed while slot 0 was still trickling")
    check(t_drop - t0 >= bound / 1000 - 0.01, "the trickle was given its whole frame bound")


def deaf(a, b, bound):
    """Slot 0 asks for twice as many 32 KiB answers as the kernel may buffer and reads none; slot 1
    runs APDUs until slot 0 is dropped. The answer stuck in the bridge fills the bound before the
    drop."""
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        wmem_max = int(f.read().split()[2])
    handshake(a)
    expect(a, SELECT_BIG, 0x9000, "SELECT the big file")
    a.sendall(frame(bytes.fromhex(READ_BIG)) * (2 * (wmem_max // 32767 + 1)))
    watch = CloseWatch(a, bound / 1000 + TIMEOUT)
    done = []
    while not watch.done.is_set():
        done += apdus_on(b, 2)
    t_drop = watch.result()
    a.close()
    if t_drop is None:
        fail("the slot that reads no answers is never dropped")
    in_bound = [d for d in done if d >= t_drop - bound / 1000]
    print("figures: deaf reader: slot 1 answered %d APDUs in the %d ms before slot 0's drop, "
          "%d in all" % (len(in_bound), bound, len(done)))
    check(len(in_bound) >= 200, "slot 1 answered at least 200 APDUs while slot 0's answer waited")


os.makedirs(artifacts, exist_ok=True)
log_path = os.path.join(artifacts, "slot_stalls.log")
work = tempfile.mkdtemp()
profile = os.path.join(work, "big.yaml")
with open(profile, "w") as f:
    f.write(PROFILE)
base, servers = listen_block(2)
# Slot 0's reader keeps a small receive window, so a deaf reader's answers back up sooner.
servers[0].setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
log = open(log_path, "w")
bridge = subprocess.Popen(
    [vpcd, "--slots", "2", "--vpcd", "127.0.0.1:%d" % base, "--profile", profile, "-v"],
    stderr=log)
try:
    for srv in servers:  # a bridge that refused to start fails the test now, not after TIMEOUT
        while not select.select([srv], [], [], 1)[0]:
            if bridge.poll() is not None:
                fail("scsim-vpcd exited with %d; see %s" % (bridge.returncode, log_path))
    a, b = accept(servers[0]), accept(servers[1])
    with open(log_path) as f:  # written before the bridge connected
        bound, _ = bridge_bounds(f.read())
    handshake(b)
    stall(a, b, bound)
    trickle(accept(servers[0]), b, bound)
    deaf(accept(servers[0]), b, bound)
    a = accept(servers[0])
    handshake(a)
    expect(a, SERIAL, 0x9000, "slot 0 after its three drops")
    check(True, "slot 0 serves vpcd again after each drop")
finally:
    if bridge.poll() is None:
        bridge.terminate()
        bridge.wait(TIMEOUT)
    log.close()
    os.unlink(profile)
    os.rmdir(work)

with open(log_path) as f:
    text = f.read()
check(text.count("slot 0: frame timeout") == 2, "the log names the frame timeout of the stall and "
                                                "the trickle")
check("slot 0: answer timeout" in text, "the log names the answer timeout of the deaf reader")
check("slot 1: disconnected" not in text, "slot 1 was never disconnected")
