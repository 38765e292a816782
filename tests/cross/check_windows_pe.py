#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Cross-builds the ISCardVerify client for Windows with mingw-w64 and inspects the PE files.
#
# usage: check_windows_pe.py SOURCE_DIR BUILD_DIR LINUX_CLIENT_LIB
#
# Nothing runs the results here (Debian 12's Wine has only stubs for winscard.dll):
# the checks read what the linker wrote. The DLL imports winscard's W functions and
# exports exactly the functions and data iscardverify.h marks SCSIM_SCV_API, which are
# the public symbols of the Linux library too; scsim.exe reaches PC/SC only through
# the DLL, needs no DLL beyond Windows' own and ours, carries its UTF-8 manifest and
# has the client verbs and no others; a user's program links to the DLL with the header.
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

TRIPLE = "x86_64-w64-mingw32"
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def run(cmd, log=None):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        sys.exit("FAIL: %s exited %d" % (" ".join(cmd), r.returncode))
    return r.stdout


def imports(pe):
    """{dll name (lower case): [member names]} from objdump -p's import tables."""
    out, dll = {}, None
    for line in run([TRIPLE + "-objdump", "-p", pe]).splitlines():
        m = re.match(r"\s*DLL Name: (\S+)", line)
        if m:
            dll = m.group(1).lower()
            out[dll] = []
            continue
        m = re.match(r"\s+[0-9a-f]+\s+\d+\s+(\S+)\s*$", line)
        if dll is not None and m:
            out[dll].append(m.group(1))
        elif dll is not None and line.strip() == "":
            dll = None
    return out


def exports(pe):
    text = run([TRIPLE + "-objdump", "-p", pe])
    table = text.split("[Ordinal/Name Pointer] Table", 1)
    if len(table) < 2:
        return set()
    names = set()
    for line in table[1].splitlines()[1:]:
        m = re.match(r"\s+\[\s*\d+\]\s+(\S+)", line)
        if not m:
            break
        names.add(m.group(1))
    return names


def header_api(src):
    """What the header marks for export, as the compiler sees it when building the DLL."""
    text = run([TRIPLE + "-gcc", "-E", "-P", "-DSCSIM_ISCARDVERIFY_BUILD",
                os.path.join(src, "client/include/scsim/iscardverify.h")])
    names = set()
    for part in text.split("dllexport))")[1:]:
        decl = re.split(r"[(;]", part, maxsplit=1)[0]
        names.add(re.findall(r"[A-Za-z_]\w*", decl)[-1])
    return names


def linux_api(lib):
    names = set()
    for line in run(["nm", "-g", "--defined-only", lib]).splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TDR" and re.match(r"(scsim_|SCSIM_)", f[2]):
            names.add(f[2])
    return names


def main():
    src, out, linux_lib = sys.argv[1:4]
    for tool in ("gcc", "objdump", "windres"):
        if shutil.which(TRIPLE + "-" + tool) is None:
            sys.exit("FAIL: %s-%s missing: bash scripts/setup installs gcc-mingw-w64-x86-64 "
                     "and binutils-mingw-w64-x86-64" % (TRIPLE, tool))
    run(["cmake", "-S", src, "-B", out, "-DCMAKE_BUILD_TYPE=Release",
         "-DCMAKE_TOOLCHAIN_FILE=" + os.path.join(src, "cmake/mingw-w64-x86_64.cmake")])
    run(["cmake", "--build", out, "-j", "2"])
    dll = os.path.join(out, "client/libscsim-iscardverify.dll")
    exe = os.path.join(out, "client/scsim.exe")

    for pe in (dll, exe):
        fmt = run([TRIPLE + "-objdump", "-f", pe])
        check("file format pei-x86-64" in fmt, os.path.basename(pe) + " is a 64-bit PE file")

    # the DLL: winscard through the W functions, nothing to ship beside it
    imp = imports(dll)
    system = {"kernel32.dll", "msvcrt.dll", "winscard.dll"}
    check(set(imp) <= system, "DLL imports only %s (got %s)" % (sorted(system), sorted(imp)))
    scard = set(imp.get("winscard.dll", []))
    wanted = {"SCardEstablishContext", "SCardListReadersW", "SCardGetStatusChangeW",
              "SCardConnectW", "SCardTransmit", "SCardReconnect", "SCardDisconnect",
              "SCardReleaseContext", "g_rgSCardT0Pci", "g_rgSCardT1Pci"}
    check(wanted <= scard, "DLL imports from winscard.dll: %s (missing %s)"
          % (sorted(wanted), sorted(wanted - scard)))
    ansi = sorted(n for n in scard if re.match(r"SCard\w+A$", n))
    check(not ansi, "no ANSI (A) winscard function: reader names go through UTF-16 (got %s)" % ansi)

    # the DLL's exports are the public API, no more and no less
    exp, hdr, lin = exports(dll), header_api(src), linux_api(linux_lib)
    check(len(hdr) > 0 and exp == hdr, "DLL exports = SCSIM_SCV_API declarations (%d); extra %s, "
          "missing %s" % (len(hdr), sorted(exp - hdr), sorted(hdr - exp)))
    check(lin == hdr, "the Linux library's public symbols = SCSIM_SCV_API declarations; "
          "unmarked %s, marked but absent %s" % (sorted(lin - hdr), sorted(hdr - lin)))

    # the command: PC/SC only through our DLL, the public API only
    imp = imports(exe)
    ours = "libscsim-iscardverify.dll"
    check(set(imp) <= {"kernel32.dll", "msvcrt.dll", ours},
          "scsim.exe imports only kernel32, msvcrt and %s (got %s)" % (ours, sorted(imp)))
    check(set(imp.get(ours, [])) <= exp and len(imp.get(ours, [])) > 0,
          "scsim.exe uses only exported functions of " + ours)
    rsrc = run([TRIPLE + "-objdump", "-p", exe])
    check(re.search(r"Type Table:.*\n\s*[0-9a-f]+\s+Entry: ID: 0x000018", rsrc) is not None,
          "scsim.exe carries a manifest resource (RT_MANIFEST)")
    tree = ET.parse(os.path.join(src, "client/scsim.exe.manifest"))
    acp = [e.text for e in tree.iter() if e.tag.endswith("}activeCodePage")]
    check(acp == ["UTF-8"], "the manifest sets the UTF-8 code page")
    with open(exe, "rb") as f:
        body = f.read()
    for verb in ("verify", "change-code", "unblock", "reset-security-state", "status", "demo"):
        check(("usage: scsim " + verb + " ").encode() in body, "scsim.exe has the verb " + verb)
    for verb in ("run", "profile", "state"):
        check(("usage: scsim " + verb).encode() not in body, "scsim.exe has no verb " + verb)

    # a program of a user's: the header and the import library are enough, data included
    user_c = os.path.join(out, "user.c")
    user_exe = os.path.join(out, "user.exe")
    with open(user_c, "w") as f:
        f.write("#include <scsim/iscardverify.h>\n"
                "int main(void)\n{\n"
                "        scsim_iscardverify *cv = NULL;\n"
                "        return scsim_create_chv_verification(NULL, &cv) == SCSIM_S_OK &&\n"
                "               SCSIM_IID_ISCardVerify.data1 != 0;\n}\n")
    run([TRIPLE + "-gcc", "-Wall", "-Werror", "-o", user_exe, user_c,
         "-I", os.path.join(src, "client/include"), "-L", os.path.dirname(dll),
         "-lscsim-iscardverify"])
    got = set(imports(user_exe).get(ours, []))
    check({"scsim_create_chv_verification", "SCSIM_IID_ISCardVerify"} <= got,
          "a user's program imports functions and data from %s (got %s)" % (ours, sorted(got)))

    if failures:
        sys.exit("%d check(s) failed" % len(failures))


main()
