# SPDX-License-Identifier: MIT
"""scsim-vpcd on a state file as an operator meets it: a second bridge on the same file is
refused naming the first; an encrypted file needs its key (--state-key) and keeps its counters;
a FIFO given as --state is refused at once. Needs no pcscd: this script plays vpcd.

Usage: test_state_bridge.py SCSIM_VPCD SCSIM"""
import os
import shutil
import subprocess
import sys
import tempfile

from scsimtest import check
from vpcd_peer import accept, frame, listen_loopback, recv_frame

vpcd = sys.argv[1]
scsim = sys.argv[2]
work = tempfile.mkdtemp(prefix="scsim-state-bridge-")
state = os.path.join(work, "card.state")
key = os.path.join(work, "key")
with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
    f.write("5a" * 32 + "\n")
server = listen_loopback()
port = server.getsockname()[1]
WRONG = bytes.fromhex("002000010431313131")
QUERY = bytes.fromhex("00200001")


def bridge(*extra):
    return subprocess.Popen([vpcd, "--vpcd", "127.0.0.1:%d" % port, "--state", state] + list(extra),
                            stderr=subprocess.PIPE, text=True)


def refused(p, what):
    """The bridge must exit 3 by itself, promptly, with what in its message."""
    try:
        err = p.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        p.kill()
        check(False, what + ": the bridge did not give up")
    check(p.returncode == 3 and what in err, "refused (exit %d): %s" % (p.returncode, err.strip()))


def sw(c, apdu):
    c.sendall(frame(apdu))
    r = recv_frame(c)
    return r[-2] << 8 | r[-1]


a = bridge("--state-key", key)
c = accept(server)
c.sendall(frame(b"\x01"))
check(sw(c, WRONG) == 0x63C2, "a wrong PIN through the bridge with an encrypted state")
refused(bridge("--state-key", key), "in use by process %d" % a.pid)
a.terminate()
check(a.wait(30) == 0, "the first bridge ends cleanly on SIGTERM")
c.close()
refused(bridge(), "is encrypted: give its key")
r = subprocess.run([scsim, "state", "show", "--state-key", key, state], capture_output=True,
                   text=True)
check(r.returncode == 0 and "tries  2/3" in r.stdout and "encrypted (AES-256-GCM)" in r.stdout,
      "scsim state show --state-key reads it")
b = bridge("--state-key", key)
c = accept(server)
c.sendall(frame(b"\x01"))
check(sw(c, QUERY) == 0x63C2, "the counter survived the restart, encrypted")
b.terminate()
b.wait(30)
c.close()
fifo = os.path.join(work, "fifo")
os.mkfifo(fifo, 0o600)
state = fifo
refused(bridge(), "a FIFO, not a regular file")
shutil.rmtree(work)
