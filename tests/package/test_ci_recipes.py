#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The CI recipes (GitHub Actions, GitLab CI, Dockerfile) run the README's test command in Debian 12,
# install nothing beside scripts/setup, and are word for word what docs/ci.md shows.
# usage: test_ci_recipes.py SOURCE_DIR
import re
import sys
from pathlib import Path

import yaml

SRC = Path(sys.argv[1])
IMAGE = "debian:12"
# Package managers a recipe could use to install what scripts/setup does not.
INSTALLERS = re.compile(r"\b(apt-get|apt|aptitude|dpkg|pip3?|npm|apk|dnf|yum)\s+(install|add|-i)\b")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def readme_test_command():
    """The README's test command: the line of its first sh block that runs scripts/test."""
    text = (SRC / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    for line in (block.group(1) if block else "").splitlines():
        command = line.split("#")[0].strip()
        if command.endswith("scripts/test"):
            return command
    fail("README.md: no test command (a line running scripts/test) in its first sh block")
    return None


def doc_block(doc, path):
    """The fenced block that follows the first line of docs/ci.md starting with `path`."""
    start = re.search(r"^`" + re.escape(path) + r"`.*$", doc, re.M)
    if not start:
        return None
    block = re.compile(r"^```[a-z]*\n(.*?)^```$", re.S | re.M).search(doc, start.end())
    return block.group(1) if block else None


def check_installs_nothing(path, text):
    for n, line in enumerate(text.splitlines(), 1):
        if not line.lstrip().startswith("#") and INSTALLERS.search(line):
            fail(f"{path}:{n}: installs something itself; only scripts/setup may: {line.strip()}")


def check_github(path, command):
    workflow = yaml.safe_load((SRC / path).read_text())
    runs = []
    for name, job in (workflow.get("jobs") or {}).items():
        container = job.get("container")
        image = container.get("image") if isinstance(container, dict) else container
        if image != IMAGE:
            fail(f"{path}: job {name} runs in {image!r}, not {IMAGE}")
        runs += [step.get("run", "").strip() for step in job.get("steps", [])]
    if command not in runs:
        fail(f"{path}: no step runs exactly {command!r} (steps run {runs})")


def check_gitlab(path, command):
    pipeline = yaml.safe_load((SRC / path).read_text())
    jobs = {k: v for k, v in pipeline.items() if isinstance(v, dict) and "script" in v}
    if not jobs:
        fail(f"{path}: no job")
    if not any(job.get("image") == IMAGE and command in job["script"] for job in jobs.values()):
        fail(f"{path}: no job runs {command!r} in {IMAGE}")


def check_dockerfile(path):
    lines = [l for l in (SRC / path).read_text().splitlines() if l and not l.startswith("#")]
    if not lines or lines[0] != f"FROM {IMAGE}":
        fail(f"{path}: does not start FROM {IMAGE}")
    if not any(l.startswith("RUN bash scripts/setup") for l in lines):
        fail(f"{path}: does not install through scripts/setup")


def main():
    command = readme_test_command()
    if command is None or not (SRC / "scripts/test").is_file():
        fail("scripts/test, the README's test command, is missing")
        return
    doc = (SRC / "docs/ci.md").read_text()
    recipes = {
        ".github/workflows/ci.yml": lambda p: check_github(p, command),
        ".gitlab-ci.yml": lambda p: check_gitlab(p, command),
        "Dockerfile": check_dockerfile,
    }
    for path, check in recipes.items():
        text = (SRC / path).read_text()
        check(path)
        check_installs_nothing(path, text)
        if doc_block(doc, path) != text:
            fail(f"docs/ci.md does not show {path} as it is in the repository")


main()
if failures:
    sys.exit(1)
print("ok: GitHub Actions, GitLab CI and Dockerfile recipes")
