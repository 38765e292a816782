#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs an integration test command when the machine can host a private pcscd; exit 77 (ctest: skipped) otherwise.
if [ "$(id -u)" != 0 ]; then
        echo "skipped: a private pcscd needs root (mount namespace)"
        exit 77
fi
for tool in pcscd /usr/lib/pcsc/drivers/serial/libifdvpcd.so; do
        if ! command -v "$tool" >/dev/null 2>&1 && [ ! -e "$tool" ]; then
                echo "skipped: $tool is not installed"
                exit 77
        fi
done
exec "$@"
