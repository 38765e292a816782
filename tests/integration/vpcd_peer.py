# SPDX-License-Identifier: MIT
"""Playing vpcd's side of the wire in tests: length-prefixed frames over TCP (reference/vpcd.md)."""
import socket
import struct

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
