# SPDX-License-Identifier: MIT
"""scsim.Run: readers with cards through a private pcscd (`scsim run --start`), driven by its
control socket, stopped on exit."""
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from .control import Control, ControlOps, socket_path
from .errors import RunError


def find_scsim(explicit=None):
    """The scsim command: explicit, else $SCSIM_BIN, else the build tree beside this source
    tree (build/client/scsim), else scsim on PATH."""
    if explicit:
        return os.fspath(explicit)
    if os.environ.get("SCSIM_BIN"):
        return os.environ["SCSIM_BIN"]
    source = Path(__file__).resolve().parent.parent.parent
    built = source / "build" / "client" / "scsim"
    if (source / "sim" / "libscsim.map").is_file() and os.access(built, os.X_OK):
        return str(built)
    found = shutil.which("scsim")
    if found is None:
        raise RunError("the scsim command is not on PATH: install scsim, or give its path "
                       "(SCSIM_BIN, or --scsim-scsim under pytest)")
    return found


def parse_exports(text):
    """NAME -> value from the `export NAME='value'` lines of `scsim run --start`."""
    env = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if len(words) != 2 or words[0] != "export" or "=" not in words[1]:
            raise RunError("scsim run --start printed an unexpected line: %r" % line)
        name, value = words[1].split("=", 1)
        env[name] = value
    if "PCSCLITE_CSOCK_NAME" not in env or "SCSIM_RUN_DIR" not in env:
        raise RunError("scsim run --start did not export PCSCLITE_CSOCK_NAME and SCSIM_RUN_DIR: "
                       "%r" % text)
    return env


def _slot_args(slots):
    """--slots N, or one --slot N:PROFILE[:STATE] per entry of a list."""
    if isinstance(slots, int):
        return ["--slots", str(slots)]
    args = []
    for n, entry in enumerate(slots):
        if entry is None:
            continue
        profile, state = (entry, None) if isinstance(entry, (str, os.PathLike)) else entry
        spec = "%d:%s" % (n, os.fspath(profile))
        if state is not None:
            spec += ":" + os.fspath(state)
        args += ["--slot", spec]
    return ["--slots", str(len(slots))] + args


class Run(ControlOps):
    """`scsim run --start` with these options, as a context manager.

    slots: a number of readers (1 to 16), or a list giving each slot its profile (or a
    (profile, state) pair); profile and state: every slot's default (slot n's state is
    STATE.n beyond slot 0, as scsim run says). With export (the default) the run's variables
    are put in os.environ while it runs, so pyscard in this process reaches its pcscd: do so
    before this process's first PC/SC call, which fixes the pcscd libpcsclite talks to."""

    def __init__(self, slots=1, profile=None, state=None, removable=False, reader_name=None,
                 trace=None, scsim=None, timeout=30, export=True, args=()):
        self.scsim = find_scsim(scsim)
        self.argv = [self.scsim, "run", "--start", "--timeout", str(timeout)]
        self.argv += _slot_args(slots)
        if profile is not None:
            self.argv += ["--profile", os.fspath(profile)]
        if state is not None:
            self.argv += ["--state", os.fspath(state)]
        if removable:
            self.argv.append("--removable")
        if reader_name is not None:
            self.argv += ["--reader-name", reader_name]
        if trace is not None:
            self.argv += ["--trace", os.fspath(trace)]
        self.argv += list(args)
        self.timeout = timeout
        self.export = export
        self.env = {}
        self.control = None
        self._saved = None

    @property
    def readers(self):
        """The reader names, slot 0 first."""
        names, n = [], 0
        while "SCSIM_READER_%d" % n in self.env:
            names.append(self.env["SCSIM_READER_%d" % n])
            n += 1
        return names

    @property
    def reader(self):
        return self.env["SCSIM_READER"]

    @property
    def run_dir(self):
        return self.env["SCSIM_RUN_DIR"]

    def environ(self, base=None):
        """An environment for a subprocess (opensc-tool, ykman...): base (default os.environ)
        plus the run's variables."""
        env = dict(os.environ if base is None else base)
        env.update(self.env)
        return env

    def start(self):
        if self.env:
            raise RunError("this Run is already started (%s)" % self.run_dir)
        with tempfile.TemporaryFile() as err:
            # stderr to a file: the daemons it starts may keep a pipe open long after.
            try:
                p = subprocess.run(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=err, timeout=self.timeout + 30)
            except subprocess.TimeoutExpired:
                raise RunError("%s did not answer in %d s" % (" ".join(self.argv),
                                                               self.timeout + 30)) from None
            except OSError as e:
                raise RunError("cannot run %s: %s (give the scsim command with SCSIM_BIN, or "
                               "--scsim-scsim under pytest)" % (self.scsim, e.strerror)) from None
            err.seek(0)
            said = err.read().decode(errors="replace").strip()
        if p.returncode != 0:
            raise RunError("%s failed (exit %d): %s" % (shlex.join(self.argv), p.returncode,
                                                         said or "no message"))
        self.env = parse_exports(p.stdout.decode())
        self.control = Control(socket_path(self.env))
        if self.export:
            self._saved = {k: os.environ.get(k) for k in self.env}
            os.environ.update(self.env)
        return self

    def stop(self):
        """Stop pcscd and the bridge and remove the run directory (scsim run --stop)."""
        if not self.env:
            return
        if self.control is not None:
            self.control.close()
        if self._saved is not None:
            for k, v in self._saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            self._saved = None
        run_dir, self.env = self.run_dir, {}
        p = subprocess.run([self.scsim, "run", "--stop", run_dir], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        if p.returncode != 0:
            raise RunError("scsim run --stop %s failed (exit %d): %s" % (
                run_dir, p.returncode, p.stdout.decode(errors="replace").strip()))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return "<scsim.Run %s>" % (self.run_dir if self.env else "(not started)")
