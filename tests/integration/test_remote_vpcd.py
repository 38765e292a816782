# SPDX-License-Identifier: MIT
"""scsim-vpcd and non-loopback addresses: refused without --allow-remote, in both directions; with
it, a warning that vpcd has no authentication, then the bridge serves as usual; no warning on
loopback. Needs no pcscd: the test plays vpcd.

Usage: test_remote_vpcd.py SCSIM_VPCD"""
import os
import signal
import socket
import subprocess
import sys

from scsimtest import check
from vpcd_peer import (TIMEOUT, accept, frame, free_port, listen_loopback, recv_frame,
                       start_listening_bridge)

vpcd = sys.argv[1]
WARNING = "vpcd has no authentication"


def refused(args, what):
    r = subprocess.run([vpcd] + args, capture_output=True, text=True, timeout=TIMEOUT)
    check(r.returncode == 2 and "--allow-remote" in r.stderr and "SSH tunnel" in r.stderr,
          "%s refused without --allow-remote, the message names it and the tunnel" % what)


def stop(bridge):
    if bridge.poll() is None:
        bridge.send_signal(signal.SIGTERM)
    try:
        return bridge.wait(TIMEOUT)
    finally:
        if bridge.poll() is None:
            bridge.kill()
            bridge.wait()


port = free_port()
refused(["--vpcd", "192.0.2.1:%d" % port], "connecting to 192.0.2.1")
refused(["--reverse", "--listen", "0.0.0.0:%d" % port], "listening on every IPv4 interface")
refused(["--reverse", "--listen", "[::]:%d" % port], "listening on every IPv6 interface")

# A port another program listens on: the bridge says so and exits, never serving someone else's.
squatter = socket.socket()
squatter.bind(("127.0.0.1", 0))
squatter.listen(1)
r = subprocess.run([vpcd, "--reverse", "--listen", "0.0.0.0:%d" % squatter.getsockname()[1],
                    "--allow-remote"], capture_output=True, text=True, timeout=TIMEOUT)
check(r.returncode == 3 and "cannot listen on 0.0.0.0:%d" % squatter.getsockname()[1] in r.stderr
      and "slot 0: listening on" not in r.stderr,
      "a port in use: the bridge says it cannot listen there and exits 3")
squatter.close()

# Asked for: the warning comes first, then the card is served on every address, loopback too.
bridge, before, port = start_listening_bridge(
    [vpcd, "--reverse", "--listen", "0.0.0.0:{port}", "--allow-remote", "-v"], os.devnull)
try:
    warned = [line for line in before.splitlines() if WARNING in line]
    check(len(warned) == 1 and "warning" in warned[0] and "0.0.0.0:%d" % port in warned[0],
          "--allow-remote --listen 0.0.0.0: one warning naming the address, before listening")
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s.sendall(frame(b"\x04"))
    atr = recv_frame(s)
    check(atr is not None and len(atr) > 2, "the card answers the ATR request")
    s.close()
finally:
    # stopped whatever happened, its exit checked only when nothing did: a failure shows itself
    code = stop(bridge)
check(code == 0, "SIGTERM: exit 0")

# Connecting out to a remote vpcd: the warning says so (the address need not answer).
bridge = subprocess.Popen([vpcd, "--vpcd", "192.0.2.1:%d" % port, "--allow-remote"],
                          stderr=subprocess.PIPE, text=True)
try:
    line = bridge.stderr.readline()
    check(WARNING in line and "connecting to 192.0.2.1:%d" % port in line,
          "--allow-remote --vpcd 192.0.2.1: the warning names where it connects")
finally:
    stop(bridge)

# Loopback with --allow-remote: nothing to warn about.
server = listen_loopback()
bridge = subprocess.Popen([vpcd, "--vpcd", "127.0.0.1:%d" % server.getsockname()[1],
                           "--allow-remote"], stderr=subprocess.PIPE, text=True)
try:
    c = accept(server)
    c.sendall(frame(b"\x04"))
    check(recv_frame(c) is not None, "loopback: the bridge connects and answers")
    c.close()
finally:
    code = stop(bridge)
check(code == 0, "SIGTERM: exit 0")
err = bridge.stderr.read()
check(WARNING not in err, "loopback: no warning")
