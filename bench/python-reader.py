#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Per-test cost of the pytest fixture scsim_reader (a fresh card through the control socket,
a connection, one APDU) against a bare pyscard SCardReconnect(SCARD_RESET_CARD) and the same
APDU, rounds alternating in one run, median of the per-round ratios."""
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))

from scsim import Run  # noqa: E402
from scsim.pcsc import Connection  # noqa: E402
from scsim.pytest_plugin import fresh_reader  # noqa: E402

QUERY = "00200001"  # VERIFY without data: tries left, nothing spent


def fixture_round(run):
    t0 = time.perf_counter()
    reader = fresh_reader(run, 0)
    sw = reader.connect().transmit(QUERY)[1]
    reader.close()
    t = time.perf_counter() - t0
    assert sw == 0x63C3, "a fresh card has 3 tries, got %04X" % sw
    return t


def floor_round(run):
    with Connection(run.readers[0]) as c:
        t0 = time.perf_counter()
        c.reconnect()
        c.transmit(QUERY)
        return time.perf_counter() - t0


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with Run(removable=True) as run:
        fixture_round(run)
        floor_round(run)
        fix, flo = [], []
        for _ in range(rounds):
            fix.append(fixture_round(run))
            flo.append(floor_round(run))
    ratios = sorted(a / b for a, b in zip(fix, flo))
    print("python-reader: scsim_reader's per-test cost vs SCardReconnect, %d rounds" % rounds)
    print("  scsim_reader (reset, connect, APDU)   %8.2f ms median" % (statistics.median(fix) * 1e3))
    print("  floor (SCardReconnect, APDU)          %8.2f ms median" % (statistics.median(flo) * 1e3))
    print("  ratio fixture/floor                   %8.1f median (min %.1f, max %.1f)"
          % (statistics.median(ratios), ratios[0], ratios[-1]))


if __name__ == "__main__":
    if os.geteuid() != 0 and "SCSIM_BIN" not in os.environ:
        print("python-reader: runs scsim run (root, or where user namespaces are allowed)",
              file=sys.stderr)
    main()
