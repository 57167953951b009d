#!/usr/bin/env bash
# Writes every user-visible output of a ptpscope binary over the shipped and
# shared captures and the scenarios into one folder, so two builds can be
# compared byte for byte:
#   scripts/outputs.sh BIN OUTDIR     then   diff -r OUTDIR_A OUTDIR_B
# Used to show a refactor changed no output.
set -uo pipefail
bin=$(realpath "$1"); out=$2
cd "$(dirname "$0")/.."
mkdir -p "$out"
shared=../shared/captures
caps=(captures/*.pcap captures/*.pcapng)
[ -d "$shared" ] && caps+=("$shared"/*.pcap "$shared"/*.pcapng "$shared"/field/*.pcap)
for c in "${caps[@]}"; do
  n=$(basename "$c")
  "$bin" analyze --no-progress -f json "$c" >"$out/$n.analyze.json" 2>"$out/$n.analyze.err"; echo "rc=$?" >>"$out/$n.analyze.err"
  "$bin" analyze --no-progress "$c" >"$out/$n.analyze.txt" 2>/dev/null
  "$bin" decode -f json "$c" >"$out/$n.decode.json" 2>"$out/$n.decode.err"
done
# Several points at once: the merge and the ledger.
"$bin" analyze --no-progress -f json captures/lab-e2e-tc-gm-side.pcap captures/lab-e2e-tc-slave-side.pcap >"$out/merge-e2e.json" 2>&1
"$bin" analyze --no-progress -f json --path lab-p2p-tc-keepmac-gm-side,lab-p2p-tc-keepmac-slave-side captures/lab-p2p-tc-keepmac-gm-side.pcap captures/lab-p2p-tc-keepmac-slave-side.pcap >"$out/merge-p2p-path.json" 2>&1
"$bin" analyze --no-progress -f json --delay-asymmetry 250 --delay-asymmetry lab-l2-e2e=-40 captures/lab-l2-e2e.pcap >"$out/asym.json" 2>&1
# Simulated scenarios with their truth.
tmp=$(mktemp -d)
for s in scenarios/*.toml; do
  n=$(basename "$s" .toml)
  "$bin" simulate -s "$s" --duration 60 -o "$tmp/$n.pcapng" --truth "$tmp/$n.truth.json" >/dev/null 2>&1
  "$bin" analyze --no-progress -f json --truth "$tmp/$n.truth.json" "$tmp/$n.pcapng" >"$out/sim-$n.json" 2>&1
  "$bin" analyze --no-progress --truth "$tmp/$n.truth.json" "$tmp/$n.pcapng" >"$out/sim-$n.txt" 2>&1
  sha256sum <"$tmp/$n.pcapng" | cut -c1-64 >"$out/sim-$n.pcapng.sha"
  sha256sum <"$tmp/$n.truth.json" | cut -c1-64 >"$out/sim-$n.truth.sha"
done
TZ=UTC "$bin" report --no-progress -o "$tmp/rep" captures/lab-e2e-tc-keepmac.pcapng >/dev/null 2>&1
(cd "$tmp/rep" && sha256sum * ) >"$out/report.sha"
rm -rf "$tmp"
