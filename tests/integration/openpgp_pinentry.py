#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A pinentry for the OpenPGP card tests: answers gpg-agent from a file, logs what was asked.

gpg-agent runs it as `pinentry-program` (through a wrapper that passes the
two paths): PINS holds lines NAME=VALUE (PIN, Admin_PIN, Reset_Code,
New_PIN, New_Admin_PIN, New_Reset_Code) and is read at every request, so a
test can change the answers between steps; LOG gets one line per request
naming which code was asked for, never the code itself. gpg-agent starts a
pinentry per request, so the answer to a confirmation ("Repeat this PIN"),
the new code just given, is kept in PINS.last. Once LOG has 200 lines every
request is cancelled, so a client that keeps asking ends instead of looping.
"""
import os
import sys

# What a request's description or prompt names, most specific first.
KINDS = ("New Reset Code", "New Admin PIN", "New PIN", "Admin PIN", "Reset Code", "PIN")
MAX_REQUESTS = 200


def answer(pins_path, desc, prompt):
    """The kind asked for and the value to give, or (kind, None) when unknown."""
    if desc.startswith("Repeat"):
        try:
            with open(pins_path + ".last", encoding="utf-8") as f:
                return "Repeat", f.read()
        except OSError:
            return "Repeat", None
    pins = {}
    with open(pins_path, encoding="utf-8") as f:
        for line in f:
            name, sep, value = line.rstrip("\n").partition("=")
            if sep:
                pins[name] = value
    for kind in KINDS:
        if kind in desc or kind in prompt:
            return kind, pins.get(kind.replace(" ", "_"))
    return "unknown", None


def main():
    pins_path, log_path = sys.argv[1], sys.argv[2]
    desc = prompt = ""

    def say(line):
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    say("OK scsim test pinentry")
    for line in sys.stdin:
        cmd, _, arg = line.rstrip("\n").partition(" ")
        if cmd == "SETDESC":
            desc = arg.replace("%0A", "\n")
        elif cmd == "SETPROMPT":
            prompt = arg
        if cmd == "GETPIN":
            kind, value = answer(pins_path, desc, prompt)
            with open(log_path, "a+", encoding="utf-8") as log:
                log.seek(0)
                requests = sum(1 for _ in log)
                log.write(kind + "\n")
            if value is None or requests >= MAX_REQUESTS:
                say("ERR 83886179 Operation cancelled <Pinentry>")
                continue
            if kind.startswith("New"):
                fd = os.open(pins_path + ".last", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(value)
            say("D " + value.replace("%", "%25"))
            say("OK")
        elif cmd == "BYE":
            try:
                say("OK")
            except BrokenPipeError:  # gpg-agent need not read the last OK
                pass
            break
        else:
            say("OK")


if __name__ == "__main__":
    main()
