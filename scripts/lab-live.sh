#!/usr/bin/env bash
# Live capture in the namespace lab: `ptpscope analyze --interface` on the
# slave's veth while linuxptp (or a packet sender) runs.
#
#   sudo scripts/lab-live.sh ptp4l SECONDS OUTDIR      grandmaster + slave (E2E, L2), analyze live
#   sudo scripts/lab-live.sh blast RATE SECONDS OUTDIR  scripts/ptp-blast.py sends RATE Sync/s
#   sudo scripts/lab-live.sh serve SECONDS OUTDIR       grandmaster + slave, `ptpscope serve -i sl0`
#                                                       publishing OUTDIR/clock and the ClockBound segment
#                                                       OUTDIR/clockbound/shm0 (metrics: OUTDIR/metrics.txt);
#                                                       with chronyd installed, chronyd -x in the slave's
#                                                       namespace takes serve's SOCK samples
#                                                       (OUTDIR/chrony-sources.csv, chrony-tracking.csv)
#   sudo scripts/lab-live.sh failover SECONDS OUTDIR    grandmaster + slave, `ptpscope serve -i sl0` as in
#                                                       `serve`; once serve publishes time, SECONDS
#                                                       synchronized, then the grandmaster's ptp4l killed
#                                                       (holdover) for SECONDS, then another grandmaster
#                                                       (clockIdentity 020000.fffe.000003) for SECONDS.
#                                                       Marker files hold the CLOCK_REALTIME ns of each
#                                                       step (OUTDIR/synchronized, gm-killed,
#                                                       gm2-started, stopping); OUTDIR/metrics.log has
#                                                       the metrics' status, disruptions and grandmaster
#                                                       changes every 0.1 s
#   sudo scripts/lab-live.sh tap SECONDS OUTDIR         grandmaster + slave, tcpdump on the slave's
#                                                       veth (OUTDIR/slave.pcap), ptp4l logs kept
#   sudo scripts/lab-live.sh bridge SECONDS OUTDIR      grandmaster and slave joined by a Linux bridge in
#                                                       a third namespace (a switch that knows no PTP),
#                                                       tcpdump there on what enters the bridge's two
#                                                       ports (OUTDIR/bridge.pcap), ptp4l logs kept
#
# BIN (default target/release/ptpscope) must be built with `--features live`.
# Lab safety (DESIGN.md): ptp4l runs with `free_running 1` and `time_stamping
# software`; traffic stays on a veth pair between namespaces made here, and
# they are removed on exit, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${BIN:-target/release/ptpscope}")
MODE=$1 A2=${2:-} A3=${3:-} A4=${4:-}
TAG=psl$$-$MODE
NS_GM=$TAG-gm NS_SL=$TAG-sl NS_BR=$TAG-br
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  sleep 0.2
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  ip netns del "$NS_GM" 2>/dev/null || true
  ip netns del "$NS_SL" 2>/dev/null || true
  ip netns del "$NS_BR" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
[ "$(id -u)" = 0 ] || { echo "lab-live: needs root (network namespaces)" >&2; exit 2; }

ip netns add "$NS_GM"; ip netns add "$NS_SL"
if [ "$MODE" = bridge ]; then
  # gm0 -- brg [br0] brs -- sl0
  ip netns add "$NS_BR"
  ip link add gm0 netns "$NS_GM" address 02:00:00:00:00:01 type veth peer brg netns "$NS_BR" address 02:00:00:00:00:11
  ip link add sl0 netns "$NS_SL" address 02:00:00:00:00:02 type veth peer brs netns "$NS_BR" address 02:00:00:00:00:12
  ip -n "$NS_BR" link add br0 type bridge
  for dev in brg brs; do ip -n "$NS_BR" link set "$dev" master br0; ip -n "$NS_BR" link set "$dev" up; done
  ip -n "$NS_BR" link set br0 up
else
  ip link add gm0 netns "$NS_GM" address 02:00:00:00:00:01 type veth peer sl0 netns "$NS_SL" address 02:00:00:00:00:02
fi
for x in "$NS_GM gm0" "$NS_SL sl0"; do read -r ns dev <<< "$x"; ip -n "$ns" link set "$dev" up; ip -n "$ns" link set lo up; done

# ptp4l configurations OUT/gm.cfg and OUT/sl.cfg (each with its own UDS
# socket: two instances on one machine), logging each estimate (every 1 s).
ptp4l_cfgs() {
  mkdir -p "$1"
  for role in gm sl; do
    { echo "[global]"; echo "free_running 1"; echo "time_stamping software"
      echo "logSyncInterval -3"; echo "logMinDelayReqInterval -3"; echo "logAnnounceInterval -1"
      echo "uds_address $1/$role.uds"; echo "freq_est_interval 0"; echo "summary_interval -3"
      [ $role = gm ] && echo "priority1 1" || echo "slaveOnly 1"; } > "$1/$role.cfg"
  done
}

case $MODE in
ptp4l)
  SECS=$A2 OUT=$A3
  ptp4l_cfgs "$OUT"
  ip netns exec "$NS_GM" ptp4l -q -f "$OUT/gm.cfg" -2 -E -i gm0 > "$OUT/gm.log" 2>&1 & PIDS+=($!)
  ip netns exec "$NS_SL" ptp4l -q -f "$OUT/sl.cfg" -2 -E -i sl0 > "$OUT/sl.log" 2>&1 & PIDS+=($!)
  ip netns exec "$NS_SL" "$BIN" analyze -i sl0 --duration "$SECS" -f json \
    --write "$OUT/live.pcapng" > "$OUT/live.json" 2> "$OUT/live.err"
  ;;
serve)
  SECS=$A2 OUT=$A3
  ptp4l_cfgs "$OUT"
  ip netns exec "$NS_GM" ptp4l -m -q -f "$OUT/gm.cfg" -2 -E -i gm0 > "$OUT/gm.log" 2>&1 & PIDS+=($!)
  ip netns exec "$NS_SL" ptp4l -m -q -f "$OUT/sl.cfg" -2 -E -i sl0 > "$OUT/sl.log" 2>&1 & PIDS+=($!)
  # chronyd, when installed, in the slave's namespace with serve as its SOCK
  # reference clock: -x, so it never touches the clock; no NTP sources, no
  # command port (chronyc talks to it over a Unix socket in OUT).
  CHRONY_ARGS=()
  if command -v chronyd > /dev/null; then
    chmod 700 "$OUT"
    cat > "$OUT/chrony.conf" <<CONF
refclock SOCK $OUT/chrony.sock refid PTPS poll 0 filter 1
pidfile $OUT/chronyd.pid
bindcmdaddress $OUT/chronyc.sock
cmdport 0
CONF
    ip netns exec "$NS_SL" chronyd -x -d -U -u root -f "$OUT/chrony.conf" > "$OUT/chronyd.log" 2>&1 & PIDS+=($!)
    for _ in $(seq 50); do [ -S "$OUT/chrony.sock" ] && break; sleep 0.1; done
    CHRONY_ARGS=(--chrony-sock "$OUT/chrony.sock")
  fi
  # More serve options, e.g. SERVE_ARGS="--drift-bound measured".
  read -ra EXTRA <<< "${SERVE_ARGS:-}"
  ip netns exec "$NS_SL" "$BIN" serve -i sl0 --clock "$OUT/clock" --duration "$SECS" \
    --metrics 127.0.0.1:9477 --clockbound "$OUT/clockbound/shm0" "${CHRONY_ARGS[@]}" "${EXTRA[@]}" \
    > "$OUT/serve.out" 2> "$OUT/serve.err" & SERVE=$!; PIDS+=($SERVE)
  # The metrics page, from inside the slave's namespace, half way.
  sleep $((SECS / 2))
  ip netns exec "$NS_SL" python3 -c 'import urllib.request as u; print(u.urlopen("http://127.0.0.1:9477/metrics").read().decode())' \
    > "$OUT/metrics.txt" 2>&1 || true
  # What chrony made of serve's samples, a second before serve stops.
  if [ ${#CHRONY_ARGS[@]} -gt 0 ]; then
    sleep $((SECS - SECS / 2 - 1))
    chronyc -h "$OUT/chronyc.sock" -c sources > "$OUT/chrony-sources.csv" 2>&1 || true
    chronyc -h "$OUT/chronyc.sock" -c tracking > "$OUT/chrony-tracking.csv" 2>&1 || true
  fi
  wait "$SERVE"
  ;;
failover)
  SECS=$A2 OUT=$A3
  ptp4l_cfgs "$OUT"
  # The second grandmaster: the same port, another clockIdentity (and its
  # own UDS socket).
  { sed "s|$OUT/gm.uds|$OUT/gm2.uds|" "$OUT/gm.cfg"; echo "clockIdentity 020000.fffe.000003"; } > "$OUT/gm2.cfg"
  # `sleep & wait`: the trap runs at once on a signal, not after the sleep.
  pause() { sleep "$1" & wait $!; }
  mark() { date +%s%N > "$OUT/$1"; }
  ip netns exec "$NS_GM" ptp4l -m -q -f "$OUT/gm.cfg" -2 -E -i gm0 > "$OUT/gm.log" 2>&1 & GM=$!; PIDS+=($GM)
  ip netns exec "$NS_SL" ptp4l -m -q -f "$OUT/sl.cfg" -2 -E -i sl0 > "$OUT/sl.log" 2>&1 & PIDS+=($!)
  ip netns exec "$NS_SL" "$BIN" serve -i sl0 --clock "$OUT/clock" --clockbound "$OUT/clockbound/shm0" \
    --metrics 127.0.0.1:9477 --holdover-after 2 --valid 60 --duration $((3 * SECS + 60)) \
    > "$OUT/serve.out" 2> "$OUT/serve.err" & SERVE=$!; PIDS+=($SERVE)
  # The metrics page, from inside the slave's namespace, every 0.1 s until
  # serve has stopped.
  ip netns exec "$NS_SL" python3 - "$OUT/metrics.log" $((3 * SECS + 60)) <<'PY' & PIDS+=($!)
import sys, time, urllib.request
names = ("ptpscope_status", "ptpscope_disruptions", "ptpscope_grandmaster_changes")
end = time.monotonic() + float(sys.argv[2])
with open(sys.argv[1], "w") as log:
    while time.monotonic() < end:
        try:
            page = urllib.request.urlopen("http://127.0.0.1:9477/metrics", timeout=1).read().decode()
            values = dict(line.split(" ", 1) for line in page.splitlines() if line.split(" ")[0] in names)
            log.write(" ".join([str(time.time_ns())] + [values.get(n, "-") for n in names]) + "\n")
            log.flush()
        except OSError:
            pass
        time.sleep(0.1)
PY
  # Synchronized: `ptpscope time` has time to give (at most 30 s).
  for _ in $(seq 300); do "$BIN" time --clock "$OUT/clock" > /dev/null 2>&1 && break; pause 0.1; done
  mark synchronized
  pause "$SECS"
  # The grandmaster dies: serve holds over.
  kill "$GM"; wait "$GM" || true
  mark gm-killed
  pause "$SECS"
  # Another grandmaster takes over: a grandmaster change.
  mark gm2-started
  ip netns exec "$NS_GM" ptp4l -m -q -f "$OUT/gm2.cfg" -2 -E -i gm0 > "$OUT/gm2.log" 2>&1 & PIDS+=($!)
  pause "$SECS"
  mark stopping
  kill "$SERVE"; wait "$SERVE"
  ;;
tap)
  SECS=$A2 OUT=$A3
  ptp4l_cfgs "$OUT"
  ip netns exec "$NS_SL" tcpdump -q -i sl0 -s 256 -j host -U -w "$OUT/slave.pcap" ether proto 0x88f7 \
    2> "$OUT/tcpdump.err" & PIDS+=($!)
  sleep 0.5
  ip netns exec "$NS_GM" ptp4l -m -q -f "$OUT/gm.cfg" -2 -E -i gm0 > "$OUT/gm.log" 2>&1 & PIDS+=($!)
  ip netns exec "$NS_SL" ptp4l -m -q -f "$OUT/sl.cfg" -2 -E -i sl0 > "$OUT/sl.log" 2>&1 & PIDS+=($!)
  sleep "$SECS"
  ;;
bridge)
  SECS=$A2 OUT=$A3
  ptp4l_cfgs "$OUT"
  # What enters the bridge on either port, timestamped on receipt like
  # both directions at a switch's mirror port; the copy the bridge passes
  # up to br0 itself is left out (Linux cooked v2 records the interface).
  BR0=$(ip -n "$NS_BR" -o link show br0 | cut -d: -f1)
  ip netns exec "$NS_BR" tcpdump -q -i any -Q in -s 256 -j host -U -w "$OUT/bridge.pcap" \
    "ether proto 0x88f7 and not ifindex $BR0" 2> "$OUT/tcpdump.err" & PIDS+=($!)
  sleep 0.5
  ip netns exec "$NS_GM" ptp4l -m -q -f "$OUT/gm.cfg" -2 -E -i gm0 > "$OUT/gm.log" 2>&1 & PIDS+=($!)
  ip netns exec "$NS_SL" ptp4l -m -q -f "$OUT/sl.cfg" -2 -E -i sl0 > "$OUT/sl.log" 2>&1 & PIDS+=($!)
  sleep "$SECS"
  ;;
blast)
  RATE=$A2 SECS=$A3 OUT=$A4
  mkdir -p "$OUT"
  ip netns exec "$NS_SL" "$BIN" analyze -i sl0 --duration "$((SECS + 3))" -f json \
    > "$OUT/blast.json" 2> "$OUT/blast.err" & CAP=$!
  sleep 1.5
  ip netns exec "$NS_GM" python3 scripts/ptp-blast.py gm0 "$RATE" "$SECS" > "$OUT/sender.txt"
  wait "$CAP"
  ;;
*) echo "lab-live: unknown mode $MODE" >&2; exit 2 ;;
esac
