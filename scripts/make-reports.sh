#!/usr/bin/env bash
# Regenerates the example reports in reports/ from the captures in captures/.
# TZ=UTC so that the local times in them do not depend on who ran it.
#
#   scripts/make-reports.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
BIN=target/release/ptpscope
export TZ=UTC
for d in reports/*/; do rm -rf "$d"; done
# A transparent clock that rewrites frames and keeps its source MAC, seen on
# both sides: hops, residence histograms, the MAC finding, estimates.
"$BIN" report -o reports/e2e-tc-keepmac \
  --point gm-side=captures/lab-e2e-tc-keepmac-gm-side.pcap \
  --point slave-side=captures/lab-e2e-tc-keepmac-slave-side.pcap
# A peer-to-peer TC seen on both sides: P2P estimates from Pdelay.
"$BIN" report -o reports/p2p-tc \
  --point gm-side=captures/lab-p2p-tc-gm-side.pcap \
  --point slave-side=captures/lab-p2p-tc-slave-side.pcap
# Unicast negotiation over UDP/IPv4, one capture point.
"$BIN" report -o reports/unicast captures/lab-unicast.pcap
du -sh reports/*/
