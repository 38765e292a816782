#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""GnuPG, gpg-agent and ssh against the openpgp profile through real pcscd + vpcd: the card as
gpg --card-status shows it; cardholder data; on-card RSA keys, then Ed25519 / Curve25519;
signatures, encryption and ssh authentication with them; PIN, Admin PIN and resetting code
changes; PW1 blocked by three wrong PINs and unblocked with the resetting code and with PW3; PW1
valid for one signature (or several once forcesig is off); keytocard of a key made on the host;
factory-reset. The trace shows what reached the card.

Run inside `scsim run --profile profiles/openpgp.yaml --trace TRACE -- $0 TRACE`."""
import os
import re
import shutil
import sys
import tempfile

from gnupgcard import GnuPG, expect_prompts
from scsimtest import check, fail

AID = "D276000124010304FFFF000000010000"
UID = "card@example.org"


def fresh_card(gpg):
    c = gpg.card()
    check(c["Reader"][2] == AID, "card-status: application ID " + AID)
    check(c["version"][0] == "0304", "card-status: version 3.4")
    check(c["vendor"][:2] == ["ffff", "test card"], "card-status: manufacturer test card")
    check(c["serial"][0] == "00000001", "card-status: serial number from the card's serial")
    check(c["pinretry"][:3] == ["3", "0", "3"], "card-status: PIN retry counters 3 0 3")
    check(c["forcepin"][0] == "1", "card-status: signature PIN forced (C4 byte 1 = 00)")
    check(c["maxpinlen"][:3] == ["127", "127", "127"], "card-status: PIN lengths up to 127")
    check([c_ for c_ in gpg.gpg("--card-status").stdout.splitlines() if "Key attributes" in c_]
          == ["Key attributes ...: rsa2048 rsa2048 rsa2048"], "card-status: rsa2048 attributes")
    check(c["fpr"][:3] == ["", "", ""], "card-status: no keys")


def cardholder(gpg):
    gpg.edit(["admin", "name", "url", "login", "lang", "sex"])
    expect_prompts(gpg, ["Admin PIN"], "cardholder data needs the Admin PIN once")
    c = gpg.card()
    check(c["name"][:2] == ["John", "Doe"], "card-status: name John Doe")
    check(c["url"][0] == "https\\x3a//example.org/card.asc", "card-status: URL")
    check(c["login"][0] == "jdoe", "card-status: login data")
    check(c["lang"][0] == "en" and c["sex"][0] == "m", "card-status: language and salutation")


def card_keys(gpg, who):
    """How many of who's secret keys gpg has on this card (colon field 15, the token's S/N)."""
    out = gpg.gpg("--with-colons", "--list-secret-keys", who).stdout
    return sum(1 for l in out.splitlines()
               if l.split(":")[0] in ("sec", "ssb") and l.split(":")[14] == AID)


def generate(gpg, what):
    gpg.edit(["admin", "generate"])
    c = gpg.card()
    check(all(re.fullmatch("[0-9A-F]{40}", f) for f in c["fpr"][:3]),
          "%s: three fingerprints on the card" % what)
    check(card_keys(gpg, UID) == 3, "%s: gpg keeps the three keys on the card" % what)
    gpg.asked()


def sign_twice(gpg, work, prompts, what):
    """Two signatures; prompts is what the pinentry must be asked across both."""
    data = os.path.join(work, "data")
    with open(data, "w", encoding="utf-8") as f:
        f.write("scsim OpenPGP card test data\n")
    for i in range(2):
        sig = os.path.join(work, "data.sig%d" % i)
        gpg.gpg("-u", UID, "--detach-sign", "-o", sig, data)
        out = gpg.gpg("--verify", sig, data).stderr
        check("Good signature" in out, "%s: signature %d verifies" % (what, i + 1))
    expect_prompts(gpg, prompts, what)


def encrypt_decrypt(gpg, work, what):
    plain, crypt = os.path.join(work, "plain"), os.path.join(work, "plain.gpg")
    with open(plain, "w", encoding="utf-8") as f:
        f.write("a message for the card\n")
    gpg.gpg("--trust-model", "always", "-r", UID, "-o", crypt, "--encrypt", plain)
    out = gpg.gpg("--decrypt", crypt).stdout
    check(out == "a message for the card\n", "%s: the card decrypts what gpg encrypted" % what)


def ssh(gpg, work, keytype):
    keys = gpg.run(["ssh-add", "-L"]).stdout.splitlines()
    card = [k for k in keys if k.endswith("cardno:FFFF 00000001")]
    check(len(card) == 1 and card[0].startswith(keytype + " "),
          "ssh-add -L lists the card's %s authentication key" % keytype)
    pub, data = os.path.join(work, "id.pub"), os.path.join(work, "ssh-data")
    with open(pub, "w", encoding="utf-8") as f:
        f.write(card[0] + "\n")
    with open(data, "w", encoding="utf-8") as f:
        f.write("signed through gpg-agent's ssh support\n")
    if os.path.exists(data + ".sig"):
        os.unlink(data + ".sig")
    gpg.run(["ssh-keygen", "-Y", "sign", "-f", pub, "-n", "file", data])
    with open(data, encoding="utf-8") as f:
        out = gpg.run(["ssh-keygen", "-Y", "check-novalidate", "-n", "file", "-f", pub, "-s",
                       data + ".sig"], input_text=f.read()).stdout
    check("Good" in out, "the ssh signature made with the card's %s key verifies" % keytype)


def passwords(gpg, work):
    gpg.pins(PIN="123456", Admin_PIN="12345678", New_PIN="654321", New_Admin_PIN="87654321")
    gpg.edit(["admin", "passwd", "1", "3"])
    expect_prompts(gpg, ["PIN", "New PIN", "Repeat", "Admin PIN", "New Admin PIN", "Repeat"],
                   "passwd: PIN and Admin PIN changed")
    gpg.pins(PIN="654321", Admin_PIN="87654321", New_Reset_Code="11223344")
    gpg.edit(["admin", "passwd", "4"])
    expect_prompts(gpg, ["Admin PIN", "New Reset Code", "Repeat"], "passwd: resetting code set")
    check(gpg.card()["pinretry"][:3] == ["3", "3", "3"], "card-status: 3 3 3 with a resetting code")
    sign_twice(gpg, work, ["PIN", "PIN"], "the new PIN signs")


def block_pin(gpg, work, what):
    """Three wrong PINs through gpg's verify; then gpg cannot sign."""
    data = os.path.join(work, "data")
    gpg.pins(PIN="999999", Admin_PIN="87654321")
    gpg.edit(["verify", "verify", "verify"])
    check(gpg.card()["pinretry"][0] == "0", "%s: three wrong PINs block PW1 (retry counter 0)" % what)
    gpg.asked()
    out = gpg.gpg("-u", UID, "--detach-sign", "-o", data + ".blocked", data, expect_ok=False)
    check(gpg.card()["pinretry"][0] == "0", "%s: a blocked PW1 signs nothing" % what)
    check("PIN blocked" in out.stderr, "%s: gpg says: PIN blocked" % what)
    gpg.asked()


def unblock(gpg, work):
    block_pin(gpg, work, "before the resetting code")
    gpg.pins(Reset_Code="11223344", New_PIN="123456")
    gpg.edit(["unblock"])
    expect_prompts(gpg, ["Reset Code", "New PIN", "Repeat"], "unblock with the resetting code")
    check(gpg.card()["pinretry"][:3] == ["3", "3", "3"], "the resetting code unblocked PW1")
    gpg.pins(PIN="123456")
    sign_twice(gpg, work, ["PIN", "PIN"], "the PIN set with the resetting code signs")

    block_pin(gpg, work, "before PW3")
    gpg.pins(Admin_PIN="87654321", New_PIN="123456")
    gpg.edit(["admin", "passwd", "2"])
    expect_prompts(gpg, ["Admin PIN", "New PIN", "Repeat"], "unblock PIN with the Admin PIN")
    check(gpg.card()["pinretry"][0] == "3", "PW3 unblocked PW1")
    gpg.pins(PIN="123456", Admin_PIN="87654321")


def forcesig(gpg, work):
    gpg.edit(["admin", "forcesig"])
    gpg.asked()
    check(gpg.card()["forcepin"][0] == "0", "forcesig off: PW1 valid for several signatures")
    sign_twice(gpg, work, ["PIN"], "PW1 verified once signs twice when C4 byte 1 is 01")
    gpg.edit(["admin", "forcesig"])
    gpg.asked()
    check(gpg.card()["forcepin"][0] == "1", "forcesig on again")
    sign_twice(gpg, work, ["PIN", "PIN"], "PW1 valid for one signature asks again for the second")


def ecc(gpg, work):
    gpg.edit(["admin", "key-attr"], {"cardedit.genkeys.algo": "2", "keygen.curve": "1"})
    gpg.asked()
    out = gpg.gpg("--card-status").stdout
    check("Key attributes ...: ed25519 cv25519 ed25519" in out, "key-attr: ed25519 cv25519 ed25519")
    gpg.gpg("--delete-secret-and-public-keys", gpg.card()["fpr"][0])
    generate(gpg, "Ed25519 / Curve25519")
    sign_twice(gpg, work, ["PIN", "PIN"], "EdDSA signatures")
    encrypt_decrypt(gpg, work, "Curve25519")
    ssh(gpg, work, "ssh-ed25519")


def keytocard(gpg, work):
    """A key made on the host (Ed25519 + Curve25519) moved to the card, then used from it."""
    uid = "Host Key <host@example.org>"
    gpg.gpg("--passphrase", "", "--pinentry-mode", "loopback", "--quick-gen-key", uid, "ed25519",
            "sign", "never")
    fpr = [l.split(":")[9] for l in gpg.gpg("--with-colons", "-k", "host@example.org").stdout
           .splitlines() if l.startswith("fpr:")][0]
    gpg.gpg("--passphrase", "", "--pinentry-mode", "loopback", "--quick-add-key", fpr, "cv25519",
            "encr", "never")
    gpg.asked()
    # PW3 is still verified from the key-attr step: gpg and the card need no Admin PIN again
    gpg.edit(["key 1", "keytocard"], {"cardedit.genkeys.storekeytype": "2"},
             edit=("--edit-key", fpr), end="save")
    gpg.edit(["keytocard"], {"cardedit.genkeys.storekeytype": "1"}, edit=("--edit-key", fpr),
             end="save")
    check(card_keys(gpg, "host@example.org") == 2, "keytocard: both host keys now on the card")
    data, sig = os.path.join(work, "host-data"), os.path.join(work, "host-data.sig")
    with open(data, "w", encoding="utf-8") as f:
        f.write("signed by a key that moved to the card\n")
    gpg.gpg("-u", "host@example.org", "--detach-sign", "-o", sig, data)
    check("Good signature" in gpg.gpg("--verify", sig, data).stderr,
          "the imported Ed25519 key signs on the card")
    crypt = os.path.join(work, "host.gpg")
    gpg.gpg("--trust-model", "always", "-r", "host@example.org", "-o", crypt, "--encrypt", data)
    with open(data, encoding="utf-8") as f:
        check(gpg.gpg("--decrypt", crypt).stdout == f.read(),
              "the imported Curve25519 key decrypts on the card")
    gpg.asked()


def factory_reset(gpg):
    gpg.edit(["admin", "factory-reset"])
    c = gpg.card()
    check(c["fpr"][:3] == ["", "", ""] and c["name"][:2] == ["", ""],
          "factory-reset: no keys, no name")
    check(c["pinretry"][:3] == ["3", "0", "3"], "factory-reset: counters 3 0 3, no resetting code")
    gpg.asked()
    gpg.pins(PIN="123456")
    gpg.edit(["verify"])
    expect_prompts(gpg, ["PIN"], "factory-reset: the default PIN verifies")
    check(gpg.card()["pinretry"][0] == "3", "factory-reset: the default PIN was right")


def trace_checks(path):
    """Every PSO: COMPUTE DIGITAL SIGNATURE while forced follows its own VERIFY 81."""
    with open(path, encoding="utf-8") as f:
        lines = [l for l in f if " slot 0 " in l]
    check(any("TERMINATE DF" in l and "SW 9000" in l for l in lines) and
          any("ACTIVATE FILE" in l and "SW 9000" in l for l in lines),
          "trace: TERMINATE DF and ACTIVATE FILE answered 9000")
    check(not any(re.search(r"PUT DATA C: 00 D[AB] .* [0-9A-F]{2} [0-9A-F]{2} R:", l) and
                  "masked" not in l for l in lines), "trace: PUT DATA data is masked")


def main():
    trace = sys.argv[1] if len(sys.argv) > 1 else None
    for tool in ("gpg", "gpg-agent", "ssh-add", "ssh-keygen", "/usr/lib/gnupg/scdaemon"):
        if shutil.which(tool) is None and not os.path.exists(tool):
            print("skipped: %s is not installed (scripts/setup installs it)" % tool)
            sys.exit(77)
    work = tempfile.mkdtemp(prefix="scsim-openpgp-")
    gpg = GnuPG(work)
    try:
        fresh_card(gpg)
        cardholder(gpg)
        generate(gpg, "RSA 2048")
        sign_twice(gpg, work, ["PIN", "PIN"], "RSA signatures, PIN asked for each")
        encrypt_decrypt(gpg, work, "RSA")
        gpg.asked()
        ssh(gpg, work, "ssh-rsa")
        gpg.asked()
        forcesig(gpg, work)
        passwords(gpg, work)
        unblock(gpg, work)
        ecc(gpg, work)
        gpg.asked()
        keytocard(gpg, work)
        factory_reset(gpg)
        if trace:
            trace_checks(trace)
    finally:
        gpg.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("openpgp_gnupg: all steps passed")


if __name__ == "__main__":
    main()
