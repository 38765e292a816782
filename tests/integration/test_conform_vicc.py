# SPDX-License-Identifier: MIT
"""scsim conform against vsmartcard's vicc: the suite runs to the end, and docs/conformance.md's
table says what it found.

    scsim run -- python3 test_conform_vicc.py SCSIM DESCRIPTION DOCS ARTIFACTS

vicc (Debian's vsmartcard-vpicc) connects to vpcd's idle second slot of the
private pcscd. It dies on some commands; like a card the reader powers
again, it is started again at once, and the runner connects anew.
"""
import os
import re
import subprocess
import sys
import tempfile
import threading

from smartcard import scard

from test_conform_common import check, fail, load_json, run, validate_junit, verdicts

VICC = "/usr/bin/vicc"
VICC_PATH = "/usr/lib/python3/site-packages/virtualsmartcard"
CRYPTODOME = "/usr/lib/python3/dist-packages/Cryptodome"
TABLE = re.compile(r"^\| `([a-z0-9.\-\[\]]+)` \| (PASS|FAIL|SKIP|ERROR) \|")


def vpcd_port():
    conf = os.path.join(os.environ["SCSIM_RUN_DIR"], "reader.conf.d", "scsim")
    with open(conf) as f:
        m = re.search(r"^DEVICENAME\s+/dev/null:(\d+)$", f.read(), re.M)
    if not m:
        fail("%s: vpcd does not listen (DEVICENAME /dev/null:PORT): vicc cannot connect" % conf)
    return int(m.group(1))


class Vicc:
    """vicc on vpcd's slot 1, started again whenever it ends, until stopped."""

    def __init__(self, port, log):
        self.pythonpath = tempfile.mkdtemp(prefix="conform-vicc.")
        # Debian's vicc imports Crypto; python3-pycryptodome installs it as Cryptodome
        os.symlink(CRYPTODOME, os.path.join(self.pythonpath, "Crypto"))
        self.env = dict(os.environ, PYTHONPATH=VICC_PATH + ":" + self.pythonpath)
        self.argv = ["/usr/bin/python3", VICC, "-t", "iso7816", "-H", "127.0.0.1",
                     "-P", str(port + 1)]
        self.log, self.starts, self.stopping = log, 0, False
        self.reader = None
        self.proc = None
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.starts < 50:
            with self.lock:
                if self.stopping:
                    return
                self.proc = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL,
                                             stdout=self.log, stderr=self.log)
                self.starts += 1
            self.proc.wait()
            self.wait_pulled()

    def wait_pulled(self):
        """Until pcscd saw the card go: a card back before the next poll is never seen as new."""
        if self.reader is None:
            return
        hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        state = [(self.reader, scard.SCARD_STATE_UNAWARE)]
        for _ in range(20):
            hr, state = scard.SCardGetStatusChange(ctx, 5000, state)
            if hr != scard.SCARD_S_SUCCESS or state[0][1] & scard.SCARD_STATE_EMPTY:
                break
            state = [(self.reader, state[0][1])]
        scard.SCardReleaseContext(ctx)

    def stop(self):
        with self.lock:
            self.stopping = True
            if self.proc is not None and self.proc.poll() is None:
                self.proc.terminate()
        self.thread.join(30)
        os.unlink(os.path.join(self.pythonpath, "Crypto"))
        os.rmdir(self.pythonpath)


def vicc_reader():
    """The reader that is not scsim's, once it holds vicc's card (PC/SC tells; no sleeping)."""
    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    hr, readers = scard.SCardListReaders(ctx, [])
    others = [r for r in readers if r != os.environ["SCSIM_READER"]]
    if not others:
        fail("no second reader besides %s" % os.environ["SCSIM_READER"])
    state = [(others[0], scard.SCARD_STATE_UNAWARE)]
    for _ in range(20):
        hr, state = scard.SCardGetStatusChange(ctx, 30000, state)
        if hr != scard.SCARD_S_SUCCESS:
            fail("waiting for vicc's card: " + scard.SCardGetErrorMessage(hr))
        if state[0][1] & scard.SCARD_STATE_PRESENT:
            break
        state = [(others[0], state[0][1])]
    scard.SCardReleaseContext(ctx)
    check(bool(state[0][1] & scard.SCARD_STATE_PRESENT), "vicc's card is in %s" % others[0])
    return others[0]


def docs_table(path):
    """{check id: verdict} from the rows of docs/conformance.md's vicc table."""
    rows = {}
    with open(path) as f:
        for line in f:
            m = TABLE.match(line)
            if m:
                rows[m.group(1)] = m.group(2)
    return rows


def main():
    scsim, description, docs, artifacts = sys.argv[1:5]
    if not os.path.exists(VICC) or not os.path.isdir(CRYPTODOME):
        print("skipped: vicc needs vsmartcard-vpicc and python3-pycryptodome (scripts/setup)")
        sys.exit(77)
    log = open(os.path.join(artifacts, "conform_vicc.log"), "w")
    vicc = Vicc(vpcd_port(), log)
    try:
        reader = vicc.reader = vicc_reader()
        junit = os.path.join(artifacts, "conform_vicc.xml")
        # vicc is a peer's card, not scsim's: --destructive asks unless told --yes
        rc, out, err = run([scsim, "conform", "--reader", reader, "--suite", "iso7816",
                            "--card", description, "--destructive", "--yes", "--json",
                            "--junit", junit])
    finally:
        vicc.stop()
        log.close()
    report = load_json(out)
    check(report["environment"] is None, "the suite ran to the end (%s)" % err.strip())
    check(rc == (1 if report["failed"] else 0), "exit %d: 1 when a check failed" % rc)
    validate_junit(junit, report)
    found, documented = verdicts(report), docs_table(docs)
    if {k: v.upper() for k, v in found.items()} != documented:
        print("docs/conformance.md's vicc table should read:", file=sys.stderr)
        for r in report["results"]:
            print("| `%s` | %s | %s |" % (r["id"], r["verdict"].upper(), r["message"] or ""),
                  file=sys.stderr)
        fail("the vicc table in %s differs from this run" % docs)
    check(True, "docs/conformance.md's table matches the run: %d checks, %d failed" %
          (len(found), report["failed"]))
    print("vicc was started %d times" % vicc.starts)


main()
