# SPDX-License-Identifier: MIT
"""scsim-vpcd against a scripted vpcd: bogus frames close the slot's connection with a log line, the
bridge reconnects, long APDUs and reverse mode work, SIGTERM exits 0. Needs no pcscd.

Usage: test_bogus_frames.py SCSIM_VPCD"""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile

from scsimtest import check, fail
from vpcd_peer import TIMEOUT, accept, frame, recv_frame, start_listening_bridge

vpcd = sys.argv[1]


def expect_closed(s, what):
    s.settimeout(TIMEOUT)
    try:
        data = s.recv(1)
    except ConnectionResetError:
        data = b""
    check(data == b"", "%s: the bridge closed the connection" % what)
    s.close()


log = tempfile.TemporaryFile(mode="w+")
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
server.settimeout(TIMEOUT)
port = server.getsockname()[1]
bridge = subprocess.Popen([vpcd, "--vpcd", "127.0.0.1:%d" % port, "-v"], stderr=log)
try:
    c = accept(server)
    c.sendall(frame(b"\x04"))
    atr = recv_frame(c)
    check(atr is not None and len(atr) >= 2 and atr[0] in (0x3B, 0x3F), "ATR request answered")
    c.sendall(frame(b"\x01"))
    c.sendall(frame(bytes.fromhex("00CA005A00")))
    r = recv_frame(c)
    check(r is not None and r[-2:] == b"\x90\x00", "GET DATA after power on answers 9000")

    c.sendall(b"\x00\x00")
    expect_closed(c, "zero-length frame")

    c = accept(server)
    check(True, "the bridge reconnected after the bogus frame")
    c.sendall(b"\x00\x0a\x00\xa4\x04")
    c.shutdown(socket.SHUT_WR)
    expect_closed(c, "truncated frame")

    c = accept(server)
    c.sendall(frame(b"\x07"))
    expect_closed(c, "unknown control byte")

    c = accept(server)
    c.sendall(frame(b"\x01"))
    # Extended case 3E carrying 65000 data bytes: the frame is read whole, the card answers.
    big = bytes.fromhex("00D60000") + b"\x00" + struct.pack(">H", 65000) + b"\x55" * 65000
    c.sendall(frame(big))
    r = recv_frame(c)
    check(r is not None and len(r) >= 2, "a %d-byte APDU gets an answer (SW %s)" % (len(big), r[-2:].hex()))
    c.sendall(frame(bytes.fromhex("00CA005A00")))
    r = recv_frame(c)
    check(r is not None and r[-2:] == b"\x90\x00", "the slot still works after the long APDU")

    bridge.send_signal(signal.SIGTERM)
    check(bridge.wait(TIMEOUT) == 0, "SIGTERM: exit 0")
    log.seek(0)
    text = log.read()
    for why in ("zero-length frame", "truncated frame", "unknown control byte 07"):
        check("bogus frame: " + why in text, "log line names the %s" % why)
finally:
    if bridge.poll() is None:
        bridge.kill()
        bridge.wait()

# Reverse mode: we play vpcd connecting out to the bridge.
# A free port taken by someone else before the bridge binds it is tried again (the helper).
bridge, _, rport = start_listening_bridge(
    [vpcd, "--reverse", "--listen", "127.0.0.1:{port}", "-v"], os.devnull)
try:
    s = socket.create_connection(("127.0.0.1", rport), timeout=TIMEOUT)
    check(s is not None, "connected to the bridge in reverse mode")
    s.sendall(frame(b"\x04"))
    check(recv_frame(s) == atr, "reverse mode: same ATR")
    bridge.send_signal(signal.SIGINT)
    check(bridge.wait(TIMEOUT) == 0, "SIGINT: exit 0")
finally:
    if bridge.poll() is None:
        bridge.kill()
        bridge.wait()

# Loopback only unless asked.
r = subprocess.run([vpcd, "--vpcd", "192.0.2.1:35963"], capture_output=True, text=True, timeout=TIMEOUT)
check(r.returncode == 2 and "--allow-remote" in r.stderr, "non-loopback address refused without --allow-remote")
r = subprocess.run([vpcd, "--profile", "no-such-profile"], capture_output=True, text=True, timeout=TIMEOUT)
check(r.returncode == 2 and "no-such-profile" in r.stderr, "bad profile: exit 2 with the diagnostic")
