#!/usr/bin/env bash
# The estimator's targets (README, "Estimates"): prints a Markdown table.
#
#   scripts/bench-estimate.sh          # all three; the lab part needs root + linuxptp + tcpdump
#   LAB=0 scripts/bench-estimate.sh    # skip the lab run
#   SEEDS="1 2 3" LAB_SECS=60 RUNS=5 scripts/bench-estimate.sh
#
# 1. Cost: `analyze` against `analyze --no-estimates` on two 1,000,000-packet
#    captures made from the lab's UDP/IPv4 capture by
#    scripts/make-big-capture.py when missing: one steady run (--continuous)
#    and plain repetition (a clock step every repetition): wall clock (the
#    fastest and the median of RUNS alternating runs) and CPU time.
# 2. Simulated congested LAN, one run per seed: our rms error against the
#    ptp4l-like baseline's, hard- and statistical-bound coverage.
# 3. Lab: ptp4l grandmaster and slave (free_running 1, software time
#    stamps) in namespaces, joined directly (tcpdump on the slave's
#    interface) and through a Linux bridge (tcpdump on what enters it); our
#    offset rms (truth 0: one CLOCK_REALTIME) against ptp4l's own "master
#    offset" rms; captures and logs stay in bench-data/lab-estimate/MODE/.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-11}
SEEDS=${SEEDS:-1 2 3 4 5}
N=1000000
SRC=captures/lab-udp4-e2e.pcap
BIG=bench-data/big-$N.pcap
CONT=bench-data/cont-$N.pcap
mkdir -p bench-data
[ -f "$BIG" ] || python3 scripts/make-big-capture.py "$SRC" "$BIG" "$N" >&2
[ -f "$CONT" ] || python3 scripts/make-big-capture.py --continuous "$SRC" "$CONT" "$N" >&2
cargo build --release -q
BIN=target/release/ptpscope
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# Wall-clock and CPU (user + system) seconds of `analyze` with and without
# the estimator, alternating, RUNS times each: "wall cpu wall cpu" per line
# (with, then without).
pairs() { # FILE
  python3 - "$BIN" "$1" "$RUNS" <<'PY'
import os, subprocess, sys, time
bin, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def run(*extra):
    t = time.perf_counter()
    p = subprocess.Popen([bin, "analyze", "--no-progress", "-f", "json", *extra, path],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return time.perf_counter() - t, ru.ru_utime + ru.ru_stime
for _ in range(runs):
    a, b = run(), run("--no-estimates")
    print("%.4f %.4f %.4f %.4f" % (*a, *b))
PY
}

echo "## Estimation cost ($RUNS alternating runs each, $(nproc) cores)"
echo
echo "Share = (with - without) / with. Wall: the fastest runs and the medians;"
echo "CPU: user + system, medians."
echo
echo "| capture | samples | conflicts | analyze (fastest / median) | --no-estimates | wall share fastest / median | CPU with / without | CPU share |"
echo "|---|---|---|---|---|---|---|---|"
for f in "$CONT" "$BIG"; do
  read -r samples conflicts < <("$BIN" analyze --no-progress -f json "$f" 2> /dev/null |
    python3 -c 'import json,sys; e=json.load(sys.stdin)["estimates"]; print(sum(x["samples"] for x in e), sum(x["conflicts"] for x in e))')
  pairs "$f" | python3 -c '
import statistics as st, sys
rows = [list(map(float, l.split())) for l in sys.stdin]
wa, ca, wb, cb = ([r[i] for r in rows] for i in range(4))
share = lambda a, b: (a - b) / a * 100
print("| %s | %s | %s | %.3f / %.3f s | %.3f / %.3f s | %.1f%% / %.1f%% | %.3f / %.3f s | %.1f%% |" % (
    sys.argv[1], sys.argv[2], sys.argv[3], min(wa), st.median(wa), min(wb), st.median(wb),
    share(min(wa), min(wb)), share(st.median(wa), st.median(wb)), st.median(ca), st.median(cb),
    share(st.median(ca), st.median(cb))))
' "$(basename "$f")" "$samples" "$conflicts"
done
echo
if command -v valgrind > /dev/null; then
  # Instructions are what a loaded machine cannot blur: valgrind's count on
  # a tenth of the steady capture.
  SMALL=bench-data/cont-100000.pcap
  [ -f "$SMALL" ] || python3 scripts/make-big-capture.py --continuous "$SRC" "$SMALL" 100000 >&2
  irefs() {
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
      "$BIN" analyze --no-progress -f json "$@" "$SMALL" 2>&1 > /dev/null |
      awk '/I *refs/ {gsub(",", "", $NF); print $NF}'
  }
  a=$(irefs) b=$(irefs --no-estimates)
  awk -v a="$a" -v b="$b" -v f="$(basename "$SMALL")" 'BEGIN {printf "Instructions (valgrind) on %s: %.1f M with the estimator, %.1f M without: %.1f%%.\n\n", f, a / 1e6, b / 1e6, (a - b) / a * 100}'
fi
echo "$(basename "$CONT"): $(basename "$SRC") repeated with its PTP timestamps and sequence ids"
echo "shifted along (one steady run); $(basename "$BIG"): repeated as it is, a step of the"
echo "capture's span in the offset at every repetition (the estimator restarts)."
echo

echo "## Simulated congested LAN (seeds: $SEEDS)"
echo
echo "| seed | samples | ours rms ns | baseline rms ns | baseline / ours (target >= 5) | hard coverage (target 1) | stat coverage (target >= 0.95) |"
echo "|---|---|---|---|---|---|---|"
for seed in $SEEDS; do
  "$BIN" simulate -s congested-lan --seed "$seed" -o "$W/c.pcapng" --truth "$W/c.json" 2> /dev/null
  "$BIN" analyze --no-progress -f json --truth "$W/c.json" "$W/c.pcapng" 2> /dev/null |
    python3 -c '
import json, sys
seed = sys.argv[1]
for e in json.load(sys.stdin)["estimates"]:
    o, b = e["truth"]["ours"], e["truth"]["baseline"]
    print("| %s | %d | %.0f | %.0f | %.1f | %.3f | %.3f |" % (seed, e["samples"], o["rms_ns"],
          b["rms_ns"], b["rms_ns"] / o["rms_ns"], o["hard_coverage"], o["stat_coverage"]))
' "$seed"
done
echo

if [ "${LAB:-1}" = 1 ]; then
  echo "## Lab (ptp4l free_running, software time stamps, truth 0)"
  echo
  if [ "$(id -u)" != 0 ] || ! command -v ptp4l > /dev/null || ! command -v tcpdump > /dev/null; then
    echo "skipped: needs root, ptp4l and tcpdump"
  else
    echo "| capture point | samples | ours rms ns | ours median ns | hard coverage (target 1) | ptp4l master offsets | ptp4l rms ns | ptp4l median ns | ours / ptp4l rms (target <= 0.5) |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for mode in tap bridge; do
      out=bench-data/lab-estimate/$mode
      rm -rf "$out"
      scripts/lab-live.sh $mode "${LAB_SECS:-60}" "$out" > /dev/null
      pcap=$out/slave.pcap
      [ $mode = bridge ] && pcap=$out/bridge.pcap
      "$BIN" analyze --no-progress -f json "$pcap" 2> /dev/null > "$W/lab.json"
      python3 - "$W/lab.json" "$out/sl.log" $mode <<'PY'
import json, math, re, sys
est = json.load(open(sys.argv[1]))["estimates"]
logged = [int(m.group(1)) for m in re.finditer(r"master offset\s+(-?\d+)", open(sys.argv[2]).read())]
p4 = math.sqrt(sum(x * x for x in logged) / len(logged)) if logged else float("nan")
p4med = sorted(logged)[len(logged) // 2] if logged else float("nan")
where = {"tap": "slave's veth (tcpdump there)", "bridge": "Linux bridge between them (what enters its ports)"}
for e in est:
    s = e["series"]
    cov = sum(abs(x["offset_ns"]) <= x["hard_bound_ns"] for x in s) / len(s)
    print("| %s | %d | %.0f | %s | %.3f | %d | %.0f | %s | %.2f |" % (where[sys.argv[3]], e["samples"],
          e["offset_ns"]["rms"], e["offset_ns"]["median"], cov, len(logged), p4, p4med, e["offset_ns"]["rms"] / p4))
PY
    done
  fi
fi
