#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus for fuzz_apdu: card sessions in the target's record format.

Each starts with 4 zero bytes, the allocation-failure seed (0: nothing
fails; tests/fuzz/fail_alloc.h). The next byte picks the profile (0
iso7816-chv, 1 two-apps, 2 piv, 3 openpgp). Then a
record is one op byte and, unless it is F0 (power cycle) or F1 (warm reset),
F2 c (management key on channel c) or F3 i c (the right code of CHV i on
channel c), F4 r c (OpenPGP's password 81 + r on channel c), that many
bytes of C-APDU. The STATE seeds set the profile byte's bit 7: a state file
is attached, F5 b arms a commit failure (stage 1 + (b & 3) after (b >> 2) & 7
calls at that stage: 00 before the write, 01 after it, 02 after its sync, 03
after a new file's rename) and F6 checks the file against the card. Run from
the repository root; seeds are committed.
"""
import os

SESSIONS = {
    "verify": ["00200001", "002000010431323334", "00200001", "0020FF01", "002000010431313131"],
    "block-unblock": ["002000010431313131"] * 3 + ["00200001", "002C0001 0C 3132333435363738 39393939",
                                                   "002000010439393939"],
    "reset-between": ["002000010431313131", "F1", "002000010431313131", "F0", "00200001"],
    "app-pin": ["00A4040C07F0534353494D01", "0020008106303030303030", "00A4020C025001",
                "00B0000000", "00A4000C023F00", "00B0000000"],
    "change": ["00240001083132333435363738", "0024010104 39393939", "0020000104 39393939"],
    "channels": ["0070000001", "01200001 04 31323334", "01A4000C020102", "01B0000000",
                 "01708001", "0070000200", "02A4040C07F0534353494D01"],
    "challenge": ["0084000010", "0082000110 00000000000000000000000000000000", "002C0301"],
    "chaining": ["002000010431323334", "00A4000C020102", "10D60000024142", "00D600020143",
                 "00B0000003", "10D600000141", "00200001"],
    "get-response": ["00A40004020101", "00C0000005", "00C0000000", "00A40000020101"],
    "extended": ["00A4000C0000020101", "00B00000000010", "00A4000400000201010000"],
    "select": ["00A4080C0450005001", "00A4030C", "00A4090C025000", "00A4040E05F053435349",
               "00CA005A00"],
    "disable": ["002600010431323334", "00A4000C020102", "00B0000000", "0028000104 31323334"],
}
PIV_SELECT = "00A4040009A00000030800001000"
PIV = {
    "piv-verify": [PIV_SELECT, "0020008008313233343536FFFF", "00200080", "0020FF80", "00200080"],
    "piv-block-unblock": [PIV_SELECT] + ["0020008008393939393939FFFF"] * 3 +
                         ["002C008010 3132333435363738 313233343536FFFF", "00200080"],
    "piv-change": [PIV_SELECT, "0024008010 313233343536FFFF 363534333231FFFF", "00200080"],
    "piv-get-data": [PIV_SELECT, "00CB3FFF055C035FC102", "00CB3FFF055C035FC107", "00FD0000",
                     "00F80000", "00F70080"],
    "piv-mgmt-auth": [PIV_SELECT, "0087039B047C028000", "0087039B167C1480080102030405060708"
                      "81080102030405060708"],
    # with the management key and the PIN: key generation, signing, PUT DATA, retries, reset
    "piv-admin": ["F2 00", "0047009A 05 AC03800111", "F3 00 00", "0087119A 26 7C24 8200 8120"
                  + "11" * 32, "00DB3FFF 0A 5C035FC105 5303 700100", "00FA0000 00"],
    "piv-admin-rsa": ["F2 01", "0147009A 05 AC03800106", "F3 00 01", "01F7009A00",
                      "F0", "F2 00", "00FE119D 22 0620" + "01" * 32],
    "piv-reset": [PIV_SELECT] + ["0020008008393939393939FFFF"] * 3 +
                 ["002C008010 3932333435363738 313233343536FFFF"] * 3 + ["00FB0000", "F3 00 00"],
}
TWO_APPS = {
    "two-apps-select": ["00A4000C023F00", "00200001", "00A4020C02" "1000", "00200081"],
}
# With a state file (the profile, then its bit 7): commits failing at each stage.
STATE = {
    "state-verify": (0, ["F5 00", "002000010431313131", "F6", "F5 02", "F3 00 00", "F6",
                         "F5 01", "002000010431313131", "F5 00", "F3 00 00", "F6"]),
    "state-full-restore": (0, ["F3 00 00", "F3 00 00", "F6", "F5 00", "002000010431313131",
                               "F6", "F5 02", "00240001083132333435363738", "F6"]),
    "state-update": (0, ["F3 00 00", "00A4000C020102", "F5 01", "00D60000024142", "F6",
                         "00D60000024142", "F5 04", "00D60000024344", "F6"]),
    "state-piv-grow": (2, ["F2 00", "F5 03", "00DB3FFF 0A 5C035FC105 5303 700100", "F6",
                           "F5 01", "00DB3FFF 0A 5C035FC105 5303 700100", "F6",
                           "F5 02", "0047009A 05 AC03800111", "F6", "F5 00", "00FB0000", "F6"]),
    "state-piv-pin": (2, [PIV_SELECT, "F5 02", "0020008008393939393939FFFF", "F6", "F3 00 00",
                          "F5 02", "F3 00 00", "F6", "F5 01",
                          "002C008010 3132333435363738 313233343536FFFF", "F6"]),
    "state-openpgp": (3, ["F5 02", "F4 00 00", "F6", "F5 01", "F4 02 00", "F6", "F5 00",
                          "0020008106 313131313131", "F6", "F4 01 00", "F5 03", "F4 00 00"]),
    # a right old code, then the change's own write fails (the 3rd write before the code's restore
    # rode on the change, the 2nd since): the counter stays spent, never raised by a 6581
    "state-chv-change-fails": (0, ["002000010431313131", "F5 08",
                                   "00240001083132333435363738", "F6", "002000010431313131",
                                   "F5 04", "00240001083536373831323334", "F6"]),
    "state-openpgp-change-fails": (3, ["00A4040006D27600012401", "0020008106 313131313131",
                                       "F5 08", "002400810C 313233343536 363534333231", "F6",
                                       "0020008106 313131313131", "F5 04",
                                       "002400810C 363534333231 313233343536", "F6"]),
}

out = "tests/fuzz/corpus/fuzz_apdu"
os.makedirs(out, exist_ok=True)
def sessions():
    for name, apdus in SESSIONS.items():
        yield name, 0, apdus
    for name, apdus in TWO_APPS.items():
        yield name, 1, apdus
    for name, apdus in PIV.items():
        yield name, 2, apdus
    for name, (profile, apdus) in STATE.items():
        yield name, 0x80 | profile, apdus


for name, profile, apdus in sessions():
    data = bytearray(4) + bytearray([profile])
    for a in apdus:
        b = bytes.fromhex(a.replace(" ", ""))
        if a in ("F0", "F1") or a[:2] in ("F2", "F3", "F4", "F5", "F6"):
            data += b
        else:
            data.append(len(b))
            data += b
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"{len(SESSIONS) + len(TWO_APPS) + len(PIV) + len(STATE)} seeds in {out}")
