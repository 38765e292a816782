# SPDX-License-Identifier: MIT
"""Concurrent PC/SC clients through a real pcscd on both readers of `scsim run --slots 2`: several
processes per reader, each repeating a checked VERIFY/SELECT/READ BINARY sequence inside
SCardBeginTransaction/SCardEndTransaction for a bounded time; one transaction in four ends with
SCARD_RESET_CARD, which the other clients must notice (SCARD_W_RESET_CARD) and reconnect after.
Prints the figures; asserts zero errors.

Usage: test_load_pcsc.py [SECONDS [CLIENTS_PER_READER]]   (inside scsim run --slots 2)"""
import json
import os
import subprocess
import sys
import time

from smartcard import scard

from scsimtest import PROTOCOLS, check, fail

SECRET = b"Global PIN verified: card-wide secret.\n".ljust(64, b"\0")


def worker(reader, seconds, max_tx):
    out = {"apdus": 0, "transactions": 0, "resets_seen": 0, "errors": []}

    def error(msg):
        if len(out["errors"]) < 10:
            out["errors"].append(msg)

    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hr != scard.SCARD_S_SUCCESS:
        fail("SCardEstablishContext: " + scard.SCardGetErrorMessage(hr))
    hr, h, proto = scard.SCardConnect(ctx, reader, scard.SCARD_SHARE_SHARED, PROTOCOLS)
    if hr != scard.SCARD_S_SUCCESS:
        fail("SCardConnect: " + scard.SCardGetErrorMessage(hr))
    atr0 = None

    def tx(apdu, sw, data=None):
        hr, r = scard.SCardTransmit(h, proto, list(bytes.fromhex(apdu)))
        out["apdus"] += 1
        if hr != scard.SCARD_S_SUCCESS:
            error("%s: %s" % (apdu, scard.SCardGetErrorMessage(hr)))
            return None
        got = (r[-2] << 8) | r[-1] if len(r) >= 2 else -1
        if got != sw:
            error("%s -> %04X, want %04X" % (apdu, got, sw))
        elif data is not None and bytes(r[:-2]) != data:
            error("%s -> data %s" % (apdu, bytes(r[:-2]).hex()))
        return bytes(r[:-2])

    serial = None
    deadline = time.monotonic() + seconds
    n = 0
    # pcsc-lite does not queue transaction waiters fairly (they poll), so a client may be starved
    # while others hold the card; it keeps trying past the deadline until it had one transaction.
    while (time.monotonic() < deadline or n == 0) and n < max_tx:
        hr = scard.SCardBeginTransaction(h)
        if hr == scard.SCARD_W_RESET_CARD:
            # another client ended its transaction with a reset: reconnect, then try again
            out["resets_seen"] += 1
            hr, proto = scard.SCardReconnect(h, scard.SCARD_SHARE_SHARED, PROTOCOLS,
                                             scard.SCARD_LEAVE_CARD)
            if hr != scard.SCARD_S_SUCCESS:
                error("SCardReconnect: " + scard.SCardGetErrorMessage(hr))
                break
            continue
        if hr != scard.SCARD_S_SUCCESS:
            error("SCardBeginTransaction: " + scard.SCardGetErrorMessage(hr))
            break
        # Inside the transaction the card is ours: the previous holder left it unverified.
        hr, _, _, _, atr = scard.SCardStatus(h)
        if hr != scard.SCARD_S_SUCCESS:
            error("SCardStatus: " + scard.SCardGetErrorMessage(hr))
        elif atr0 is None:
            atr0 = bytes(atr)
        elif bytes(atr) != atr0:
            error("ATR changed: %s -> %s" % (atr0.hex(), bytes(atr).hex()))
        tx("00200001", 0x63C3)
        tx("002000010439393939", 0x63C2)
        tx("00200001", 0x63C2)
        tx("00A4020C020102", 0x9000)
        tx("00B0000000", 0x6982)
        tx("002000010431323334", 0x9000)
        tx("00200001", 0x9000)
        tx("00B0000000", 0x9000, SECRET)
        s = tx("00CA005A00", 0x9000)
        if serial is None:
            serial = s
        elif s != serial:
            error("serial changed: %s" % s.hex())
        reset = n % 4 == 3
        if not reset:
            tx("0020FF01", 0x9000)
            tx("00200001", 0x63C3)
        hr = scard.SCardEndTransaction(h, scard.SCARD_RESET_CARD if reset else scard.SCARD_LEAVE_CARD)
        if hr != scard.SCARD_S_SUCCESS:
            error("SCardEndTransaction: " + scard.SCardGetErrorMessage(hr))
            break
        n += 1
        out["transactions"] = n
    out["serial"] = serial.hex() if serial else None
    scard.SCardDisconnect(h, scard.SCARD_LEAVE_CARD)
    scard.SCardReleaseContext(ctx)
    print(json.dumps(out))


if len(sys.argv) > 1 and sys.argv[1] == "worker":
    worker(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
    sys.exit(0)

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
per_reader = int(sys.argv[2]) if len(sys.argv) > 2 else 3
max_tx = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
readers = [os.environ["SCSIM_READER_0"], os.environ["SCSIM_READER_1"]]
start = time.monotonic()
procs = []
for r in readers:
    for _ in range(per_reader):
        procs.append((r, subprocess.Popen([sys.executable, __file__, "worker", r, str(seconds), str(max_tx)],
                                          stdout=subprocess.PIPE, text=True)))
results = []
for r, p in procs:
    try:
        so, _ = p.communicate(timeout=seconds + 240)
    except subprocess.TimeoutExpired:
        p.kill()
        fail("a client on %s is stuck" % r)
    if p.returncode != 0:
        fail("a client on %s exited %d" % (r, p.returncode))
    res = json.loads(so.strip().splitlines()[-1])
    res["reader"] = r
    results.append(res)
elapsed = time.monotonic() - start
errors = [e for res in results for e in res["errors"]]
for e in errors:
    print("error: " + e, file=sys.stderr)
apdus = sum(res["apdus"] for res in results)
txs = sum(res["transactions"] for res in results)
resets = sum(res["resets_seen"] for res in results)
print("figures: %d clients on 2 readers, %.1f s, %d transactions, %d APDUs (%.0f APDUs/s), "
      "%d resets seen by other clients" % (len(results), elapsed, txs, apdus, apdus / elapsed, resets))
check(not errors, "zero errors from %d concurrent clients" % len(results))
print("per client (reader, transactions, resets seen): %s" % [(res["reader"][-5:], res["transactions"], res["resets_seen"]) for res in results])
check(all(res["transactions"] > 0 for res in results), "every client completed transactions")
for r in readers:
    serials = {res["serial"] for res in results if res["reader"] == r}
    check(len(serials) == 1, "%s: every client saw the same card" % r)
check(len({res["serial"] for res in results}) == 2, "the two readers hold different cards")
check(resets > 0, "resets by one client were seen by the others")
