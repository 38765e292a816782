# SPDX-License-Identifier: MIT
"""Reverse mode (scsim-vpcd --reverse): a local process that connects and says nothing cannot hold
a slot. vpcd asks for the ATR as soon as it connects, so a connection that sends no frame within the
idle bound is dropped, and vpcd, waiting behind it, gets the slot. A connection that spoke and then
went silent for the idle bound gives the slot to a newcomer. Plays vpcd (vpcd_peer.py); no pcscd.

Usage: test_reverse_idle.py SCSIM_VPCD ARTIFACT_DIR"""
import os
import socket
import sys
import time

from scsimtest import check
from vpcd_peer import (TIMEOUT, bridge_bounds, frame, handshake, log_complete, recv_frame,
                       start_listening_bridge, transmit, wait_closed)

vpcd = sys.argv[1]
artifacts = sys.argv[2]
os.makedirs(artifacts, exist_ok=True)
log_path = os.path.join(artifacts, "reverse_idle.log")

bridge, started, port = start_listening_bridge(
    [vpcd, "--reverse", "--listen", "127.0.0.1:{port}", "-v"], log_path)
try:
    _, idle = bridge_bounds(started)
    t0 = time.monotonic()  # before connecting: the bridge's clock starts at its accept
    silent = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)

    # vpcd connects behind the silent peer and asks for the ATR at once, as it does.
    v = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    v.sendall(frame(b"\x04"))
    t_drop = wait_closed(silent, idle / 1000 + TIMEOUT)
    print("figures: silent connection dropped %s ms after it connected (idle bound %d ms)"
          % ("never" if t_drop is None else "%.0f" % ((t_drop - t0) * 1000), idle))
    check(t_drop is not None, "a silent connection is dropped")
    check(t_drop - t0 >= idle / 1000 - 0.01, "the silent connection was given the whole idle bound")
    atr = recv_frame(v)
    check(atr is not None and atr[0] in (0x3B, 0x3F), "vpcd, waiting behind it, gets the ATR")
    v.sendall(frame(b"\x01"))
    t_last = time.monotonic()  # before vpcd's last frame: the bridge hears it later
    check(transmit(v, "00CA005A00") == 0x9000, "and the slot serves its APDUs")

    # vpcd goes quiet; a newcomer asks for the slot. It waits for the idle bound, then gets it.
    n = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    n.sendall(frame(b"\x04"))
    atr2 = recv_frame(n)
    t_new = time.monotonic()
    check(atr2 == atr, "a newcomer gets the slot of a connection silent for the idle bound")
    check(t_new - t_last >= idle / 1000 - 0.01, "but only after the idle bound (%.0f ms)"
          % ((t_new - t_last) * 1000))
    check(wait_closed(v, TIMEOUT) is not None, "the silent connection was closed")
    handshake(n)
    check(transmit(n, "00200001") == 0x63C3, "the newcomer's card answers")
    silent.close()
    v.close()
    n.close()
finally:
    if bridge.poll() is None:
        bridge.terminate()
        bridge.wait(TIMEOUT)

log_complete(bridge)  # the thread copying the log may still be behind the bridge's exit
with open(log_path) as f:
    text = f.read()
check("slot 0: idle timeout" in text, "the log names the idle timeout")
check("gives the slot to a new connection" in text, "the log names the hand-over")
