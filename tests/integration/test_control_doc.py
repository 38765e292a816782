# SPDX-License-Identifier: MIT
"""docs/control.md's pytest recipe, run as written against a real card: the page stays true.

Run inside `scsim run --removable -- python3 test_control_doc.py docs/control.md`.
"""
import os
import sys
import textwrap

from smartcard.System import readers

from scsimtest import check, fail


def recipe(path):
    """The indented Python block that follows 'pytest, with pyscard' in the page."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("pytest, with pyscard"))
    block = []
    for line in lines[start + 1:]:
        if line and not line.startswith("    "):
            break
        block.append(line)
    return textwrap.dedent("\n".join(block))


code = recipe(sys.argv[1])
check("def test_" in code, "the page has a pytest recipe")
scope = {}
exec(compile(code, sys.argv[1], "exec"), scope)
reader = next((r for r in readers() if str(r) == os.environ["SCSIM_READER"]), None)
if reader is None:
    fail("no reader %s" % os.environ["SCSIM_READER"])
connection = reader.createConnection()
connection.connect()
tests = [name for name in scope if name.startswith("test_")]
for name in tests:
    scope[name](connection)
    check(True, "docs/control.md: %s passed" % name)
_, sw1, sw2 = connection.transmit([0x00, 0x20, 0x00, 0x01])
check((sw1, sw2) == (0x63, 0xC3), "the recipe's fault was spent: the card answers again")
connection.disconnect()
