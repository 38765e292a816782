# SPDX-License-Identifier: MIT
"""pcscd killed: `scsim run` restarts it, the bridge reconnects, and the card kept its retry counter."""
import os
import select
import signal
import subprocess
import sys

from scsimtest import Card, PIN_BAD, PIN_OK, check, verify, verify_query

scsim = sys.argv[1]
pidfile = os.path.join(os.environ["SCSIM_RUN_DIR"], "run", "pcscd.pid")


def pcscd_pid():
    with open(pidfile, "rb") as f:  # pcscd writes a trailing NUL
        return int(f.read().strip(b"\0\n "))


c = Card()
atr = c.atr()
c.expect_sw(verify(PIN_BAD), 0x63C2, "wrong PIN before the restart")
c.close()

old = pcscd_pid()
fd = os.pidfd_open(old)
os.kill(old, signal.SIGKILL)
ready, _, _ = select.select([fd], [], [], 60)
check(ready, "pcscd %d is gone" % old)
os.close(fd)

# `scsim run --wait` blocks on inotify and SCardGetStatusChange until the card is back.
subprocess.run([scsim, "run", "--wait", "--timeout", "60"], check=True, timeout=90)
check(pcscd_pid() != old, "a new pcscd runs")

c = Card()
check(c.atr() == atr, "same ATR after the restart")
c.expect_sw(verify_query(), 0x63C2, "the card kept its retry counter across the restart")
c.expect_sw(verify(PIN_OK), 0x9000, "right PIN after the restart")
c.close()
