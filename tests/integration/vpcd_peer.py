# SPDX-License-Identifier: MIT
"""Playing vpcd's side of the wire in tests: length-prefixed frames over TCP (reference/vpcd.md)."""
import random
import re
import select
import socket
import struct
import subprocess
import threading
import time

TIMEOUT = 60


def frame(payload):
    return struct.pack(">H", len(payload)) + payload


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_frame(s):
    hdr = recv_exact(s, 2)
    if hdr is None:
        return None
    return recv_exact(s, struct.unpack(">H", hdr)[0])


def accept(server):
    conn, _ = server.accept()
    conn.settimeout(TIMEOUT)
    return conn


def listen_loopback():
    """A listening socket on a free loopback port, as vpcd listens for cards."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(TIMEOUT)
    return server


def listen_block(n):
    """n listening loopback sockets on consecutive ports: vpcd's layout, slot i on BASE+i."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 60000 - n)
        socks = []
        try:
            for i in range(n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", base + i))
                s.listen(1)
                s.settimeout(TIMEOUT)
            return base, socks
        except OSError:
            for s in socks:
                s.close()
    raise OSError("no block of %d free loopback ports" % n)


def handshake(c):
    """What vpcd does on a new connection: ask for the ATR, then power the card on."""
    c.sendall(frame(b"\x04"))
    atr = recv_frame(c)
    if atr is None or len(atr) < 2:
        raise EOFError("no ATR")
    c.sendall(frame(b"\x01"))
    return atr


def transmit(c, apdu_hex):
    """One C-APDU, its status word (-1 when the connection closed)."""
    c.sendall(frame(bytes.fromhex(apdu_hex)))
    r = recv_frame(c)
    if r is None or len(r) < 2:
        return -1
    return (r[-2] << 8) | r[-1]


def wait_closed(c, limit):
    """Block until the peer closes or resets c, without reading what c holds: the monotonic time
    of the close, or None after limit seconds."""
    p = select.poll()
    p.register(c, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
    if not p.poll(limit * 1000):
        return None
    return time.monotonic()


def bridge_bounds(text):
    """The frame and idle bounds (ms) scsim-vpcd states at start with -v, from its log."""
    m = re.search(r"time bounds: (\d+) ms .*, (\d+) ms", text)
    if m is None:
        raise ValueError("no 'time bounds' line in the bridge's log")
    return int(m.group(1)), int(m.group(2))


def log_complete(bridge):
    """Once a bridge from start_listening_bridge has exited: wait until its whole log is in the
    file (the thread copying it reads to the end of the pipe, then closes the file)."""
    if bridge.poll() is None:
        raise RuntimeError("log_complete: scsim-vpcd is still running")
    bridge.log_pump.join(TIMEOUT)
    if bridge.log_pump.is_alive():
        raise RuntimeError("log_complete: the bridge's log was not closed within %d s" % TIMEOUT)


def free_port():
    """A port free on loopback now; free for as long as no one else takes it."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def start_listening_bridge(args, log_path, slots=2, tries=20):
    """Start scsim-vpcd --reverse ARGS -v, "{port}" in ARGS standing for a free port; return once
    all its slots listen (their log lines say so: a blocking read, no polling) with the process,
    its log so far and the port. With one card the bridge listens for two slots, the second (a
    spare card) on the next port. The rest of its log goes to log_path, line by line, by a thread:
    read log_path only after log_complete(bridge), or its last lines may not be there yet. A port
    probed free can be taken before the bridge binds it, and the next one was never probed (tests
    and pcscd of other runs listen on loopback ports too): the bridge then says it cannot listen
    and exits, and another port is tried. Once a slot listens it holds its port, and no one else
    can listen there: a connection to it reaches the bridge."""
    for _ in range(tries):
        port = free_port()
        bridge = subprocess.Popen([a.replace("{port}", str(port)) for a in args],
                                  stderr=subprocess.PIPE, text=True)
        seen = ""
        for line in bridge.stderr:
            seen += line
            # the bridge's own line (a warning about a remote address says "listening on" too)
            if "slot %d: listening on" % (slots - 1) in line:
                break
        else:
            rc = bridge.wait(TIMEOUT)
            if "cannot listen on" in seen and "in use" in seen:
                continue
            raise RuntimeError("scsim-vpcd exited (%d) without listening:\n%s" % (rc, seen))
        log = open(log_path, "w", buffering=1)
        log.write(seen)

        def pump():
            for line in bridge.stderr:
                log.write(line)
            log.close()

        bridge.log_pump = threading.Thread(target=pump, daemon=True)
        bridge.log_pump.start()
        return bridge, seen, port
    raise RuntimeError("no free port for scsim-vpcd in %d tries" % tries)
