#!/bin/sh
# SPDX-License-Identifier: MIT
# A card removed in the middle of an ISCardVerify session: the library says
# SCARD_W_REMOVED_CARD. Under `scsim run` (one slot), a second scsim-vpcd
# serves vpcd's idle second slot so this test can take that card away
# without ending scsim run's own bridge.
#   scsim run -- test_client_removed.sh SCV_SESSION   (SCSIM_VPCD, SCSIM_RUN_DIR set)
set -eu
scv=${1:?usage: test_client_removed.sh PATH_TO_SCV_SESSION}
: "${SCSIM_VPCD:?the harness sets SCSIM_VPCD}" "${SCSIM_RUN_DIR:?run me under scsim run}"
port=$(sed -n 's|^DEVICENAME *[^:]*:\([0-9][0-9]*\)$|\1|p' "$SCSIM_RUN_DIR/reader.conf.d/scsim")
[ -n "$port" ] || { echo "no vpcd port in $SCSIM_RUN_DIR/reader.conf.d/scsim"; exit 1; }
reader=${SCSIM_READER_1:-Virtual PCD 00 01}

"$SCSIM_VPCD" --vpcd "127.0.0.1:$((port + 1))" &
card=$!
trap 'kill "$card" 2>/dev/null || true' EXIT
# scv_session waits through PC/SC for the card, verifies, runs the kill, waits
# for PC/SC to show the reader empty, then expects SCARD_W_REMOVED_CARD.
"$scv" removed "$reader" kill "$card"
