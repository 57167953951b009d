#!/usr/bin/env bash
# Decoder benchmark over a large capture: ptpscope against tcpdump and tshark
# on the same file. Prints Markdown tables (wall-clock times of RUNS rounds,
# best and median, peak RSS from GNU time) and the issue's ratios, each the
# median over rounds of the two commands' times in one round.
#
#   scripts/bench.sh            # 1,000,000 packets, 5 rounds (tshark: 1 run)
#   N=100000 RUNS=1 scripts/bench.sh
#   BIG10=0 ...                  # skip the 10x-length memory runs
#   RSS_RUNS=3 ...               # runs of each length, taken in turn
#   TSHARK=0 ...                 # skip tshark (minutes on the 1M capture)
#   BIN=target/dist/ptpscope ... # another build (default: cargo build --release)
#   PERF=0 ...                   # skip the CPU time per thread (perf record)
#   BASE=/path/to/ptpscope ...   # also time another build's analyze, in the
#                                # same rounds (before against after)
#
# Two inputs of N packets: plain repetitions of the lab capture (each one a
# step of the offset, sequenceIds start over) and one steady run
# (make-big-capture.py --continuous). The floor is the memory bandwidth
# needed to read the file once: dd from the page cache.
set -euo pipefail
cd "$(dirname "$0")/.."
# EPOCHREALTIME's decimal point (timed, below).
export LC_NUMERIC=C
N=${N:-1000000}
RUNS=${RUNS:-5}
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
for tool in tcpdump python3 /usr/bin/time; do
  command -v "$tool" > /dev/null || { echo "bench.sh: needs $tool" >&2; exit 1; }
done
# The programs and files as shell words (eval below), spaces and all.
Q_BIN=$(printf %q "$BIN") Q_BIG=$(printf %q "$BIG") Q_CONT=$(printf %q "$CONT")

# The commands timed in rounds: each round runs every one of them once, in
# this order, so that a change in the machine's speed (on this VM a
# command's time moves by up to 50 % from one minute to the next) falls on
# all of them alike. LABEL|COMMAND (shell words).
COMMANDS=(
  "dd if=FILE of=/dev/null bs=1M (reading the file once)|dd if=$Q_BIG of=/dev/null bs=1M status=none"
  "tcpdump -r FILE -w /dev/null|tcpdump -r $Q_BIG -w /dev/null"
  "ptpscope decode --format count (decode only)|$Q_BIN decode --format count $Q_BIG"
  "ptpscope decode --format json|$Q_BIN decode --format json $Q_BIG"
  "ptpscope decode (text)|$Q_BIN decode $Q_BIG"
  "ptpscope analyze|$Q_BIN analyze --no-progress $Q_BIG"
  "ptpscope analyze --format json|$Q_BIN analyze --no-progress -f json $Q_BIG"
  "ptpscope analyze --no-estimates|$Q_BIN analyze --no-progress --no-estimates $Q_BIG"
  "ptpscope analyze, steady capture|$Q_BIN analyze --no-progress $Q_CONT"
  "tcpdump -r FILE -w /dev/null, steady capture|tcpdump -r $Q_CONT -w /dev/null"
  "ptpscope report -o DIR|$Q_BIN report --no-progress $Q_BIG -o bench-data/report-big"
)
if [ -n "${BASE:-}" ]; then
  Q_BASE=$(printf %q "$BASE")
  COMMANDS+=(
    "BASE analyze|$Q_BASE analyze --no-progress $Q_BIG"
    "BASE analyze, steady capture|$Q_BASE analyze --no-progress $Q_CONT"
  )
fi

# timed CMD...: one run into bench-data/time.out ("seconds max_rss_kib");
# a command that fails stops the bench. The wall time is bash's
# EPOCHREALTIME (microseconds) around GNU time, not GNU time's own %e
# (10 ms steps: 0.12 s / 0.08 s could only read 1.50x), less OVERHEAD:
# what starting GNU time and a command that does nothing takes (2.0-2.6
# ms here), the median of 9 runs of `true`, measured first. GNU time
# gives the peak RSS.
OVERHEAD=0
timed() {
  local t0 t1
  t0=$EPOCHREALTIME
  if ! /usr/bin/time -o bench-data/rss.out -f "%M" "$@" > /dev/null 2> bench-data/stderr.out; then
    echo "bench.sh: failed: $*" >&2
    tail -n 5 bench-data/stderr.out >&2
    exit 1
  fi
  t1=$EPOCHREALTIME
  echo "$(awk -v a="$t0" -v b="$t1" -v o="$OVERHEAD" 'BEGIN { printf "%.4f", b - a - o }') $(tail -n 1 bench-data/rss.out)" \
    > bench-data/time.out
}
OVERHEAD=$(for _ in $(seq 9); do timed true; cut -d' ' -f1 bench-data/time.out; done | sort -n | sed -n 5p)

# bench-data/rounds holds "round label-index seconds rss" lines.
: > bench-data/rounds
: > bench-data/times
: > bench-data/rss
echo "File: $BIG ($N packets, $(du -h "$BIG" | cut -f1)), machine: $(nproc) cores, $RUNS rounds"
echo "Wall times less ${OVERHEAD} s each (starting GNU time)"
echo
cat "$BIG" "$CONT" > /dev/null # in the page cache
for r in $(seq "$RUNS"); do
  for i in "${!COMMANDS[@]}"; do
    eval "timed ${COMMANDS[$i]#*|}"
    echo "$r $i $(tail -n 1 bench-data/time.out)" >> bench-data/rounds
  done
done

# Per command: best and median time, packets/s at the best, the largest
# peak RSS; then the issue's targets, each ratio the median over rounds of
# the two commands' times in the same round (and the ratio of the bests).
LABELS=$(printf '%s\n' "${COMMANDS[@]%%|*}") N=$N python3 - <<'PY'
import os, statistics
labels = os.environ["LABELS"].split("\n")
n = int(os.environ["N"])
rounds = {}
for line in open("bench-data/rounds"):
    r, i, t, m = line.split()
    rounds.setdefault(int(i), []).append((int(r), float(t), int(m)))
print("| command | wall s, best | wall s, median | packets/s at best | peak RSS MiB |")
print("|---|---|---|---|---|")
for i, label in enumerate(labels):
    runs = rounds.get(i, [])
    if not runs:
        continue
    times = [t for _, t, _ in runs]
    best = min(times)
    rate = f"{n / best:,.0f}" if best > 0 else "-"
    rss = max(m for _, _, m in runs) / 1024
    print(f"| {label} | {best:.3f} | {statistics.median(times):.3f} | {rate} | {rss:.1f} |")
    with open("bench-data/times", "a") as f:
        f.write(f"{label} {best}\n")
print()
def by_label(prefix):
    for i, label in enumerate(labels):
        if label == prefix:
            return {r: t for r, t, _ in rounds.get(i, [])}
    return {}
def ratio(a, b, what, target):
    ta, tb = by_label(a), by_label(b)
    per = sorted(ta[r] / tb[r] for r in ta if r in tb and tb[r] > 0)
    if not per:
        return
    best = min(ta.values()) / min(tb.values()) if min(tb.values()) > 0 else float("nan")
    print(f"{what}: {statistics.median(per):.2f}x median of {len(per)} rounds "
          f"({per[0]:.2f}-{per[-1]:.2f}), {best:.2f}x best against best ({target})")
tcp = "tcpdump -r FILE -w /dev/null"
floor = by_label("dd if=FILE of=/dev/null bs=1M (reading the file once)")
if floor:
    print(f"floor: the file read once from the page cache: {min(floor.values()):.3f} s")
ratio("ptpscope decode --format count (decode only)", tcp, "decode-only / tcpdump", "target <= 1.2x")
ratio("ptpscope analyze", tcp, "analyze / tcpdump, stepping capture", "target <= 1.5x")
ratio("ptpscope analyze, steady capture", tcp + ", steady capture",
      "analyze / tcpdump, steady capture", "target <= 1.5x")
ratio("ptpscope report -o DIR", "ptpscope analyze", "report / analyze", "target < 2x")
ratio("BASE analyze", tcp, "BASE analyze / tcpdump, stepping capture", "the other build")
ratio("BASE analyze, steady capture", tcp + ", steady capture",
      "BASE analyze / tcpdump, steady capture", "the other build")
PY
if [ "${PERF:-1}" = 1 ] && command -v perf > /dev/null; then
  # Where analyze's CPU time goes: the share of perf's samples (at 999 Hz,
  # little overhead) per thread. The reading (and estimating) thread
  # bears the program's name (15 characters at most).
  reader=$(basename "$BIN" | cut -c1-15)
  cpu_split() { # FILE: "thread percent" lines, or nothing when perf fails
    perf record -q -F 999 -o bench-data/perf.data "$BIN" analyze --no-progress "$1" \
      > /dev/null 2> bench-data/stderr.out || return 0
    perf report -i bench-data/perf.data --no-children --sort comm -q 2> /dev/null |
      awk '$1 ~ /%$/ {sub("%", "", $1); print $2, $1}' || true
  }
  cpu_split "$BIG" > bench-data/split-big
  cpu_split "$CONT" > bench-data/split-cont
  if [ -s bench-data/split-big ]; then
    echo
    echo "| analyze, share of CPU samples per thread (perf) | $(basename "$BIG") | $(basename "$CONT") |"
    echo "|---|---|---|"
    # Every thread perf saw (the reading one first): a build with
    # another set of threads shows its own.
    threads=$( (echo "$reader"; cut -d' ' -f1 bench-data/split-big bench-data/split-cont) |
      awk '!seen[$0]++')
    while IFS= read -r t; do
      printf '| %s | %s %% | %s %% |\n' "$t" \
        "$(awk -v t="$t" '$1 == t {print $2}' bench-data/split-big)" \
        "$(awk -v t="$t" '$1 == t {print $2}' bench-data/split-cont)"
    done <<< "$threads"
  else
    echo "perf record failed (perf_event_paranoid? linux-tools?): no CPU split" >&2
  fi
fi
# The memory ratio (RSS_RUNS runs of each length, in turn: a run's peak
# moves with how many batches wait between the threads) and tshark (one
# run each).
HEADED=0
row() { # LABEL CMD...
  local label=$1; shift
  if [ "$HEADED" = 0 ]; then
    HEADED=1
    echo
    echo "| command (one run a row) | wall s | packets/s | peak RSS MiB |"
    echo "|---|---|---|---|"
  fi
  timed "$@"
  local t m rate n=${ROW_N:-$N}
  read -r t m < bench-data/time.out
  rate=$(awk "BEGIN{ if ($t > 0) printf \"%.0f\", $n / $t; else print \"-\" }")
  printf '| %s | %s | %s | %.1f |\n' "$label" "$t" "$rate" "$(awk "BEGIN{print $m/1024}")"
  echo "$label $t" >> bench-data/times
  echo "$label $m" >> bench-data/rss
}
if [ "${BIG10:-1}" = 1 ]; then
  # Memory must not grow with the capture: the same traffic, ten times longer.
  BIG10F=bench-data/big-$((N * 10)).pcap
  [ -f "$BIG10F" ] || python3 scripts/make-big-capture.py "$SRC" "$BIG10F" "$((N * 10))" >&2
  # Both into the page cache the same way: a mapped file's pages come
  # into RSS a page-cache folio at a time, and the folios' size depends
  # on how the file was read in (one read with 2 MiB folios showed 2 MiB
  # more peak RSS than the same file read in otherwise).
  python3 - "$BIG" "$BIG10F" <<'PY'
import os, sys
for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)  # a file just written: dirty pages are not dropped
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
PY
  cat "$BIG" "$BIG10F" > /dev/null
  for _ in $(seq "${RSS_RUNS:-3}"); do
    row "ptpscope analyze, RSS at 1x" "$BIN" analyze --no-progress "$BIG"
    ROW_N=$((N * 10)) row "ptpscope analyze, 10x the capture" "$BIN" analyze --no-progress "$BIG10F"
  done
fi
if [ "${TSHARK:-1}" = 1 ] && command -v tshark > /dev/null; then
  row "tshark -r FILE -T ek" tshark -n -r "$BIG" -T ek
  row "tshark -r FILE -T fields (5 PTP fields)" tshark -n -r "$BIG" -T fields \
    -e frame.number -e ptp.v2.messagetype -e ptp.v2.sequenceid -e ptp.v2.correction.ns -e ptp.v2.clockidentity
fi
echo
# tshark ran once, after the rounds: against the best of ptpscope's.
awk '
  /^ptpscope decode --format json / {j=$NF} /^tshark -r FILE -T ek/ {e=$NF}
  /^ptpscope analyze [0-9.]+$/ {a=$NF}
  END {
    if (e && j) printf "tshark -T ek / ptpscope decode --format json: %.0fx (target >= 150x)\n", e/j;
    if (e && a) printf "tshark -T ek / ptpscope analyze: %.0fx (target >= 100x)\n", e/a;
  }' bench-data/times
if [ "${BIG10:-1}" = 1 ]; then
  printf "peak RSS, 10x the packets / 1x: %s (target <= 1.2x)\n" "$(python3 - <<'PY'
import statistics
a, b = [], []
for line in open("bench-data/rss"):
    v = float(line.split()[-1])
    if "RSS at 1x" in line:
        a.append(v)
    elif "10x the capture" in line:
        b.append(v)
if a and b:
    m, n = statistics.median(a), statistics.median(b)
    print(f"{n / m:.2f}x median of {len(b)} runs each ({min(b) / max(a):.2f}-{max(b) / min(a):.2f})")
else:
    print("no runs (RSS_RUNS=0)")
PY
)"
fi
