# SPDX-License-Identifier: MIT
"""scsim-vpcd keeps its secrets to itself: it is not dumpable and its core size limit is 0 even when
started with an unlimited one, so SIGSEGV or SIGABRT leave no core file (checked against a control
process that does leave one, when the machine's core_pattern writes files into the working
directory); its trace file is created 0600, started anew, and a planted symlink or FIFO is refused.
Needs no pcscd; as root the bridge runs as nobody, so that /proc shows whether it is dumpable.

Usage: test_bridge_private.py SCSIM_VPCD"""
import glob
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

from scsimtest import check
from vpcd_peer import TIMEOUT, start_listening_bridge

NOBODY = 65534
src = sys.argv[1]
work = tempfile.mkdtemp()
os.chmod(work, 0o755)
run_as = NOBODY if os.geteuid() == 0 else None
# Its own copy, so that nobody can run it whatever the modes of the build tree.
vpcd = os.path.join(work, "scsim-vpcd")
shutil.copy2(src, vpcd)
cores = os.path.join(work, "cores")
os.mkdir(cores)
if run_as is not None:
    os.chown(cores, run_as, run_as)
# Whatever the bridge does, it starts allowed to dump cores of any size.
hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(extra=()):
    args = [vpcd, "--reverse", "--listen", "127.0.0.1:%d" % free_port(), "-v"] + list(extra)
    if run_as is not None:
        args = ["setpriv", "--reuid=%d" % run_as, "--regid=%d" % run_as, "--clear-groups"] + args
    old = os.getcwd()
    os.chdir(cores)
    try:
        bridge, _ = start_listening_bridge(args, os.path.join(work, "bridge.log"))
    finally:
        os.chdir(old)
    return bridge


def kill_and_reap(pid, sig):
    os.kill(pid, sig)
    _, status = os.waitpid(pid, 0)
    return status


def proc_owner_and_uid(pid):
    st = os.stat("/proc/%d/status" % pid)
    with open("/proc/%d/status" % pid) as f:
        uid = int(next(l for l in f if l.startswith("Uid:")).split()[1])
    return st.st_uid, uid


def core_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        line = next(l for l in f if l.startswith("Max core file size"))
    return line.split()[4:6]


try:
    bridge = start()
    try:
        owner, uid = proc_owner_and_uid(bridge.pid)
        check(uid != 0, "the bridge runs as uid %d, so /proc tells whether it is dumpable" % uid)
        check(owner == 0, "not dumpable: /proc/PID is owned by root, not by uid %d" % uid)
        check(core_limit(bridge.pid) == ["0", "0"], "core file size limit 0 (soft and hard)")
    finally:
        bridge.kill()
        bridge.wait(TIMEOUT)

    with open("/proc/sys/kernel/core_pattern") as f:
        pattern = f.read().strip()
    if pattern.startswith("|") or "/" in pattern:
        print("note: core_pattern %r does not write into the working directory; core files not "
              "checked (dumpable and the limit are)" % pattern)
    else:
        prefix = ["setpriv", "--reuid=%d" % run_as, "--regid=%d" % run_as,
                  "--clear-groups"] if run_as is not None else []
        control = subprocess.Popen(prefix + ["sleep", str(TIMEOUT)], cwd=cores)
        status = kill_and_reap(control.pid, signal.SIGSEGV)
        control.returncode = -signal.SIGSEGV
        made = glob.glob(os.path.join(cores, "*"))
        if not (os.WCOREDUMP(status) and made):
            print("note: a control process left no core file here (core_pattern %r); core files not "
                  "checked (dumpable and the limit are)" % pattern)
        else:
            check(True, "a control process killed by SIGSEGV dumps %s" % os.path.basename(made[0]))
            for f in made:
                os.unlink(f)
            for sig in (signal.SIGSEGV, signal.SIGABRT):
                bridge = start()
                status = kill_and_reap(bridge.pid, sig)
                bridge.returncode = -sig
                check(os.WIFSIGNALED(status) and not os.WCOREDUMP(status),
                      "%s: the bridge dies without dumping core" % signal.Signals(sig).name)
                check(glob.glob(os.path.join(cores, "*")) == [], "%s: no core file in its working "
                                                                 "directory" % signal.Signals(sig).name)

    # The trace: created 0600, started anew; a planted symlink or FIFO is refused, not followed.
    traces = os.path.join(work, "traces")
    os.mkdir(traces, 0o700)
    if run_as is not None:
        os.chown(traces, run_as, run_as)
    trace = os.path.join(traces, "apdus.trace")
    os.umask(0o022)
    for old in (False, True):
        if old:
            with open(trace, "a") as f:
                f.write("a line from an older run\n")
            os.chmod(trace, 0o644)
        bridge = start(["--trace", trace])
        bridge.terminate()
        bridge.wait(TIMEOUT)
        mode = os.stat(trace).st_mode & 0o777
        check(mode == 0o600, "trace file mode %o, want 600 (%s file)" % (mode, "an old" if old else "a new"))
        if old:
            with open(trace) as f:
                check("older run" not in f.read(), "an old trace is started anew")

    target = os.path.join(work, "target")
    with open(target, "w") as f:
        f.write("not yours\n")
    os.unlink(trace)
    os.symlink(target, trace)
    r = subprocess.run([vpcd, "--trace", trace, "--reverse", "--listen", "127.0.0.1:%d" % free_port()],
                       capture_output=True, text=True, timeout=TIMEOUT)
    with open(target) as f:
        kept = f.read() == "not yours\n"
    check(r.returncode == 3 and "symbolic link" in r.stderr and kept,
          "a symlink as the trace is refused (exit %d: %s), its target untouched" % (r.returncode, r.stderr.strip()))
    os.unlink(trace)
    os.mkfifo(trace, 0o600)
    r = subprocess.run([vpcd, "--trace", trace, "--reverse", "--listen", "127.0.0.1:%d" % free_port()],
                       capture_output=True, text=True, timeout=TIMEOUT)
    check(r.returncode == 3 and "regular file" in r.stderr,
          "a FIFO as the trace is refused at once (exit %d: %s)" % (r.returncode, r.stderr.strip()))
finally:
    shutil.rmtree(work)
