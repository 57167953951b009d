#!/usr/bin/env bash
# Decoder benchmark over a large capture: ptpscope against tcpdump and tshark
# on the same file. Prints a Markdown table (best of RUNS wall-clock times,
# peak RSS from GNU time).
#
#   scripts/bench.sh            # 1,000,000 packets, 3 runs (tshark: 1 run)
#   N=100000 RUNS=1 scripts/bench.sh
#   BIG10=0 ...                  # skip the 10x-length memory run
#   TSHARK=0 ...                 # skip tshark (minutes on the 1M capture)
#   BIN=target/dist/ptpscope ... # another build (default: cargo build --release)
#
# Two inputs of N packets: plain repetitions of the lab capture (each one a
# step of the offset, sequenceIds start over) and one steady run
# (make-big-capture.py --continuous). The floor is the memory bandwidth
# needed to read the file once: dd from the page cache.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
RUNS=${RUNS:-3}
SRC=${SRC:-captures/lab-udp4-e2e.pcap}
BIG=bench-data/big-$N.pcap
CONT=bench-data/cont-$N.pcap
mkdir -p bench-data
[ -f "$BIG" ] || python3 scripts/make-big-capture.py "$SRC" "$BIG" "$N" >&2
[ -f "$CONT" ] || python3 scripts/make-big-capture.py --continuous "$SRC" "$CONT" "$N" >&2
if [ -z "${BIN:-}" ]; then
  cargo build --release -q
  BIN=target/release/ptpscope
fi

# best_of RUNS CMD...: prints "seconds max_rss_kib" of the fastest run.
best_of() {
  local runs=$1; shift
  local best="" rss=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -o bench-data/time.out -f "%e %M" "$@" > /dev/null 2>/dev/null
    local out t m
    out=$(tail -n 1 bench-data/time.out)
    t=${out% *} m=${out#* }
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; fi
  done
  echo "$best $rss"
}

row() { # LABEL RUNS CMD...
  local label=$1 runs=$2; shift 2
  read -r t m < <(best_of "$runs" "$@")
  local rate n=${ROW_N:-$N}
  rate=$(awk "BEGIN{ if ($t > 0) printf \"%.0f\", $n / $t; else print \"-\" }")
  printf '| %s | %s | %s | %.1f |\n' "$label" "$t" "$rate" "$(awk "BEGIN{print $m/1024}")"
  echo "$label $t" >> bench-data/times
  echo "$label $m" >> bench-data/rss
}

: > bench-data/times
: > bench-data/rss
echo "File: $BIG ($N packets, $(du -h "$BIG" | cut -f1)), machine: $(nproc) cores"
echo
echo "| command | wall s | packets/s | peak RSS MiB |"
echo "|---|---|---|---|"
cat "$BIG" > /dev/null # in the page cache
row "dd if=FILE of=/dev/null bs=1M (reading the file once)" "$RUNS" dd if="$BIG" of=/dev/null bs=1M status=none
row "tcpdump -r FILE -w /dev/null" "$RUNS" tcpdump -r "$BIG" -w /dev/null
row "ptpscope decode --format count (decode only)" "$RUNS" "$BIN" decode --format count "$BIG"
row "ptpscope decode --format json" "$RUNS" "$BIN" decode --format json "$BIG"
row "ptpscope decode (text)" "$RUNS" "$BIN" decode "$BIG"
row "ptpscope analyze" "$RUNS" "$BIN" analyze --no-progress "$BIG"
row "ptpscope analyze --format json" "$RUNS" "$BIN" analyze --no-progress -f json "$BIG"
row "ptpscope analyze --no-estimates" "$RUNS" "$BIN" analyze --no-progress --no-estimates "$BIG"
row "ptpscope analyze, steady capture" "$RUNS" "$BIN" analyze --no-progress "$CONT"
row "ptpscope report -o DIR" "$RUNS" "$BIN" report --no-progress "$BIG" -o bench-data/report-big
if [ "${BIG10:-1}" = 1 ]; then
  # Memory must not grow with the capture: the same traffic, ten times longer.
  BIG10F=bench-data/big-$((N * 10)).pcap
  [ -f "$BIG10F" ] || python3 scripts/make-big-capture.py "$SRC" "$BIG10F" "$((N * 10))" >&2
  row "ptpscope analyze, RSS at 1x" 1 "$BIN" analyze --no-progress "$BIG"
  ROW_N=$((N * 10)) row "ptpscope analyze, 10x the capture" 1 "$BIN" analyze --no-progress "$BIG10F"
fi
if [ "${TSHARK:-1}" = 1 ] && command -v tshark > /dev/null; then
  row "tshark -r FILE -T ek" 1 tshark -n -r "$BIG" -T ek
  row "tshark -r FILE -T fields (5 PTP fields)" 1 tshark -n -r "$BIG" -T fields \
    -e frame.number -e ptp.v2.messagetype -e ptp.v2.sequenceid -e ptp.v2.correction.ns -e ptp.v2.clockidentity
fi
echo
awk '
  /^dd if=FILE/ {c=$NF} /^ptpscope decode --format count/ {d=$NF} /^tcpdump/ {t=$NF}
  /^ptpscope decode --format json/ {j=$NF} /^tshark -r FILE -T ek/ {e=$NF}
  /^ptpscope analyze [0-9.]+$/ {a=$NF} /^ptpscope analyze, steady capture/ {s=$NF}
  /^ptpscope report -o DIR/ {r=$NF}
  END {
    if (c) printf "floor: the file read once from the page cache: %.3f s\n", c;
    if (t) printf "decode-only / tcpdump: %.2fx (target <= 1.2x)\n", d/t;
    if (e) printf "tshark -T ek / ptpscope json: %.0fx (target >= 150x)\n", e/j;
    if (t) printf "analyze / tcpdump, stepping capture: %.2fx (target <= 1.5x)\n", a/t;
    if (t) printf "analyze / tcpdump, steady capture: %.2fx (target <= 1.5x)\n", s/t;
    if (a) printf "report / analyze: %.2fx (target < 2x)\n", r/a;
    if (e) printf "tshark -T ek / ptpscope analyze: %.0fx (target >= 100x)\n", e/a;
  }' bench-data/times
if [ "${BIG10:-1}" = 1 ]; then
  printf "peak RSS, 10x the packets / 1x: %s (target <= 1.2x)\n" \
    "$(awk '/RSS at 1x/ {a=$NF} /10x the capture/ {b=$NF} END {if (a) printf "%.2fx", b/a}' bench-data/rss)"
fi
