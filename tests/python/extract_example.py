# SPDX-License-Identifier: MIT
"""Writes the fenced ```python block that follows `<!-- example: NAME -->` in a Markdown file to
DIR/NAME, so the docs' example is the file the tests run."""
import re
import sys


def main(doc, name, out_dir):
    text = open(doc, encoding="utf-8").read()
    m = re.search(r"<!-- example: %s -->\s*```python\n(.*?)```" % re.escape(name), text, re.S)
    if m is None:
        sys.exit("%s: no ```python block after <!-- example: %s -->" % (doc, name))
    with open("%s/%s" % (out_dir, name), "w", encoding="utf-8") as f:
        f.write(m.group(1))


if __name__ == "__main__":
    main(*sys.argv[1:])
