# SPDX-License-Identifier: MIT
"""GnuPG in a throwaway home for the OpenPGP card tests: scdaemon on PC/SC, a pinentry of the
test's own (openpgp_pinentry.py), gpg --card-edit driven through --command-fd/--status-fd.

Every child gets a deadline; a question nobody planned for ends the test instead of hanging it.
"""
import os
import select
import subprocess
import sys
import time

from scsimtest import check, fail

HERE = os.path.dirname(os.path.abspath(__file__))
DEADLINE = 120  # seconds any one gpg, ssh or OpenSC command may take

# What --card-edit and --edit-key ask besides their prompt, and the answers the tests give.
ANSWERS = {
    "cardedit.genkeys.backup_enc": "n",
    "cardedit.genkeys.replace_keys": "y",
    "cardedit.genkeys.storekeytype": None,  # given per call
    "cardedit.genkeys.replace_key": "y",
    "keyedit.keytocard.use_primary": "y",
    "keygen.valid": "0",
    "keygen.name": "Card Test",
    "keygen.email": "card@example.org",
    "keygen.comment": "",
    "keygen.smartcard.surname": "Doe",
    "keygen.smartcard.givenname": "John",
    "cardedit.change_url": "https://example.org/card.asc",
    "cardedit.change_login": "jdoe",
    "cardedit.change_lang": "en",
    "cardedit.change_sex": "m",
    "cardedit.factory-reset.proceed": "y",
    "cardedit.factory-reset.really": "yes",
}


class GnuPG:
    """A GNUPGHOME with scdaemon on PC/SC (disable-ccid) and the test pinentry."""

    def __init__(self, work):
        self.home = os.path.join(work, "gnupg")
        os.mkdir(self.home, 0o700)
        self.pins_path = os.path.join(work, "pins")
        self.log_path = os.path.join(work, "pinentry.log")
        wrapper = os.path.join(work, "pinentry")
        with open(wrapper, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\nexec /usr/bin/python3 %s %s %s\n"
                    % (os.path.join(HERE, "openpgp_pinentry.py"), self.pins_path, self.log_path))
        os.chmod(wrapper, 0o700)
        with open(os.path.join(self.home, "scdaemon.conf"), "w", encoding="utf-8") as f:
            f.write("disable-ccid\n")
        with open(os.path.join(self.home, "gpg-agent.conf"), "w", encoding="utf-8") as f:
            f.write("pinentry-program %s\nenable-ssh-support\n" % wrapper)
        open(self.log_path, "w", encoding="utf-8").close()
        self.env = dict(os.environ, GNUPGHOME=self.home)
        self.pins(PIN="123456", Admin_PIN="12345678")
        self.env["SSH_AUTH_SOCK"] = self.gpgconf("--list-dirs", "agent-ssh-socket").strip()

    def pins(self, **codes):
        """What the pinentry answers from now on (PIN, Admin_PIN, Reset_Code, New_...)."""
        fd = os.open(self.pins_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for name, value in codes.items():
                f.write("%s=%s\n" % (name, value))

    def asked(self):
        """The codes the pinentry was asked for since the last call, in order."""
        with open(self.log_path, "r+", encoding="utf-8") as f:
            kinds = f.read().splitlines()
            f.seek(0)
            f.truncate()
        return kinds

    def run(self, argv, input_text=None, expect_ok=True):
        """Run a command in this home; its exit status is checked unless expect_ok is None."""
        p = subprocess.run(argv, env=self.env, input=input_text, capture_output=True, text=True,
                           timeout=DEADLINE, check=False)
        if expect_ok is not None and (p.returncode == 0) != expect_ok:
            print(p.stdout + p.stderr, file=sys.stderr)
            fail("%s %s (exit %d)" % ("expected success:" if expect_ok else "expected failure:",
                                      " ".join(argv), p.returncode))
        return p

    def gpg(self, *args, input_text=None, expect_ok=True):
        return self.run(["gpg", "--batch", "--yes"] + list(args), input_text, expect_ok)

    def gpgconf(self, *args):
        return self.run(["gpgconf"] + list(args)).stdout

    def card(self):
        """gpg --card-status --with-colons as a dict: first field -> the other fields."""
        out = self.gpg("--with-colons", "--card-status").stdout
        return {line.split(":")[0]: line.split(":")[1:] for line in out.splitlines() if ":" in line}

    def edit(self, commands, answers=None, edit=("--card-edit",), end="quit"):
        """Drive gpg's interactive editor: commands go to its prompt in order, then `end`;
        its other questions are answered from ANSWERS and answers. Returns gpg's status lines."""
        table = dict(ANSWERS, **(answers or {}))
        todo = list(commands)
        argv = ["gpg", "--command-fd", "0", "--status-fd", "1", "--no-tty"] + list(edit)
        p = subprocess.Popen(argv, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        status, buf = [], b""
        deadline = time.monotonic() + DEADLINE
        try:
            while True:
                ready, _, _ = select.select([p.stdout], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    fail("gpg %s: no answer within %d s" % (" ".join(edit), DEADLINE))
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    status.append(line.decode("utf-8", "replace"))
                    reply = self._reply(status[-1], todo, table, end)
                    if reply is not None:
                        p.stdin.write((reply + "\n").encode())
                        p.stdin.flush()
            p.wait(timeout=DEADLINE)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        return status

    @staticmethod
    def _reply(line, todo, table, end):
        words = line.split()
        if len(words) < 3 or words[0] != "[GNUPG:]" or words[1] not in ("GET_LINE", "GET_BOOL"):
            if len(words) >= 3 and words[1] == "GET_HIDDEN":
                fail("gpg asked for %s on the command fd; the pinentry should have" % words[2])
            return None
        keyword = words[2]
        if keyword in ("cardedit.prompt", "keyedit.prompt"):
            return todo.pop(0) if todo else end
        if keyword == "cardutil.change_pin.menu":  # passwd's own menu: its items, then Q
            return todo.pop(0) if todo else "q"
        if table.get(keyword) is None:
            fail("gpg asked %s, which the test did not plan for" % keyword)
        return table[keyword]

    def stop(self):
        """Stop the agent and scdaemon this home started."""
        subprocess.run(["gpgconf", "--kill", "all"], env=self.env, timeout=DEADLINE, check=False,
                       capture_output=True)


def expect_prompts(gpg, want, what):
    got = gpg.asked()
    check(got == want, "%s: the pinentry was asked %s (want %s)" % (what, got, want))
