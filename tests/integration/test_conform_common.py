# SPDX-License-Identifier: MIT
"""What the scsim conform tests share: running the verb, and reading its reports as CI tools do."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg)


def run(argv, env=None, new_session=False):
    """Run a command without a terminal on stdin; (exit code, stdout, stderr)."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                       start_new_session=new_session, timeout=600)
    return p.returncode, p.stdout, p.stderr


def load_json(text):
    try:
        return json.loads(text)
    except ValueError as e:
        fail("--json output is not JSON (%s): %r" % (e, text[:400]))


def verdicts(report):
    """{result id: "pass" | "fail" | "skip" | "error"} from a --json report."""
    return {r["id"]: r["verdict"] for r in report["results"]}


def validate_junit(path, report):
    """The shape Jenkins, GitLab and GitHub's reporters read: testsuites/testsuite/testcase."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fail("%s is not well-formed XML: %s" % (path, e))
    check(root.tag == "testsuites", "JUnit: the root is <testsuites>")
    suites = root.findall("testsuite")
    check(len(suites) == 1, "JUnit: one <testsuite>")
    suite = suites[0]
    cases = suite.findall("testcase")
    count = {"failure": 0, "error": 0, "skipped": 0}
    for c in cases:
        if not c.get("classname") or not c.get("name"):
            fail("JUnit: a <testcase> without classname or name")
        float(c.get("time"))
        children = [e.tag for e in c if e.tag in count]
        if len(children) > 1:
            fail("JUnit: testcase %s has %s" % (c.get("name"), children))
        for tag in children:
            count[tag] += 1
            el = c.find(tag)
            if el.get("message") is None:
                fail("JUnit: <%s> of %s has no message" % (tag, c.get("name")))
    for el in (root, suite):
        check(int(el.get("tests")) == len(cases) == len(report["results"]),
              "JUnit: <%s tests> is the number of checks (%d)" % (el.tag, len(cases)))
        check(int(el.get("failures")) == count["failure"] == report["failed"],
              "JUnit: <%s failures> counts the failed checks" % el.tag)
        check(int(el.get("errors")) == count["error"] == report["errors"],
              "JUnit: <%s errors> counts the errors" % el.tag)
        check(int(el.get("skipped")) == count["skipped"] == report["skipped"],
              "JUnit: <%s skipped> counts the skipped checks" % el.tag)
    names = [c.get("name") for c in cases]
    check(names == [r["id"] for r in report["results"]], "JUnit: testcases in the run's order")


def validate_tap(text, report):
    """TAP version 13: the plan, then one numbered line per check, diagnostics as YAML blocks."""
    lines = text.splitlines()
    check(lines[:1] == ["TAP version 13"], "TAP: starts with the version line")
    check(len(lines) > 1 and lines[1] == "1..%d" % len(report["results"]),
          "TAP: the plan is 1..%d" % len(report["results"]))
    n, bad, skips, in_yaml = 0, 0, 0, False
    for line in lines[2:]:
        if in_yaml:
            in_yaml = line != "  ..."
            continue
        if line == "  ---":
            in_yaml = True
        elif line.startswith("ok ") or line.startswith("not ok "):
            n += 1
            number = int(line.split()[2 if line.startswith("not") else 1])
            if number != n:
                fail("TAP: test %d numbered %d" % (n, number))
            bad += line.startswith("not ok ")
            skips += " # SKIP " in line
        elif not line.startswith("#"):
            fail("TAP: a line that is no test, diagnostic or comment: %r" % line)
    check(not in_yaml, "TAP: every YAML block is closed")
    check(n == len(report["results"]), "TAP: %d test lines" % n)
    check(bad == report["failed"] + report["errors"], "TAP: 'not ok' for every failure")
    check(skips == report["skipped"], "TAP: '# SKIP' for every skipped check")
