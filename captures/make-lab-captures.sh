#!/usr/bin/env bash
# Records small real PTP captures with linuxptp between network namespaces.
#
#   sudo captures/make-lab-captures.sh [OUTDIR]     (default: captures/)
#   LAB_ONLY="e2e-tc-keepmac p2p-tc" sudo ...        only these scenarios
#
# Needs root, iproute2, linuxptp (ptp4l, pmc), tcpdump and dumpcap
# (wireshark-common). Safety rules of the lab (DESIGN.md):
#   - every ptp4l runs with `free_running 1` and `time_stamping software`, so
#     nothing ever steps or slews this machine's clock;
#   - all traffic stays on veth pairs between namespaces this script creates;
#   - the namespaces and processes are removed on exit, even on failure.
# All namespaces share CLOCK_REALTIME: the true offset between them is 0.
set -euo pipefail

OUT=$(realpath "${1:-$(dirname "$0")}")
SECS=${LAB_SECONDS:-6}
TAG=ps$$
NS_GM=$TAG-gm NS_TC=$TAG-tc NS_SL=$TAG-sl
WORK=$(mktemp -d)
PIDS=()

for tool in ip ptp4l pmc tcpdump dumpcap; do
  command -v "$tool" >/dev/null || { echo "make-lab-captures: $tool not found" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "make-lab-captures: needs root (network namespaces)" >&2; exit 2; }

cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  for ns in "$NS_GM" "$NS_TC" "$NS_SL"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# want NAME: whether scenario NAME runs (all unless LAB_ONLY lists some).
want() { [ -z "${LAB_ONLY:-}" ] || [[ " $LAB_ONLY " == *" $1 "* ]]; }

# Fresh namespaces; gm <-> sl directly, or gm <-> tc <-> sl.
topology() {
  for ns in "$NS_GM" "$NS_TC" "$NS_SL"; do ip netns del "$ns" 2>/dev/null || true; ip netns add "$ns"; done
  if [ "$1" = direct ]; then
    ip link add gm0 netns "$NS_GM" address 02:00:00:00:00:01 type veth peer sl0 netns "$NS_SL" address 02:00:00:00:00:02
    in_ns "$NS_GM" ip addr add 10.88.0.1/24 dev gm0
    in_ns "$NS_SL" ip addr add 10.88.0.2/24 dev sl0
    for x in "$NS_GM gm0" "$NS_SL sl0"; do set -- $x; in_ns "$1" ip link set "$2" up; in_ns "$1" ip link set lo up; done
  else
    # A TC re-sources what it forwards with its egress port's MAC. With
    # `tc-keepmac` each TC port has the MAC of the far end on the other
    # side, so forwarded frames keep their source MAC.
    local tcg_mac=02:00:00:00:00:11 tcs_mac=02:00:00:00:00:12
    if [ "$1" = tc-keepmac ]; then tcg_mac=02:00:00:00:00:02 tcs_mac=02:00:00:00:00:01; fi
    ip link add gm0 netns "$NS_GM" address 02:00:00:00:00:01 type veth peer tcg netns "$NS_TC" address $tcg_mac
    ip link add sl0 netns "$NS_SL" address 02:00:00:00:00:02 type veth peer tcs netns "$NS_TC" address $tcs_mac
    for x in "$NS_GM gm0" "$NS_SL sl0" "$NS_TC tcg" "$NS_TC tcs"; do set -- $x; in_ns "$1" ip link set "$2" up; in_ns "$1" ip link set lo up; done
  fi
}

# conf NAME [extra lines...]: a ptp4l config with the lab's safety settings.
conf() {
  local f=$WORK/$1.cfg; shift
  { echo "[global]"; echo "free_running 1"; echo "time_stamping software"
    echo "logSyncInterval -3"; echo "logMinDelayReqInterval -3"; echo "logMinPdelayReqInterval -2"
    echo "logAnnounceInterval -1"; echo "tx_timestamp_timeout 100"
    printf '%s\n' "$@"; } > "$f"
  echo "$f"
}

ptp4l_in() { # NS LOGNAME ARGS...
  local ns=$1 log=$2; shift 2
  ip netns exec "$ns" ptp4l -m -q "$@" > "$WORK/$log.log" 2>&1 &
  PIDS+=($!)
}

tcpdump_in() { # NS IFACE FILE
  ip netns exec "$1" tcpdump -q -i "$2" -s 256 -U -w "$3" 'ether proto 0x88f7 or udp port 319 or udp port 320' 2>/dev/null &
  PIDS+=($!)
}

dumpcap_in() { # NS FILE IFACES...
  local ns=$1 file=$2; shift 2
  local args=(); for i in "$@"; do args+=(-i "$i"); done
  ip netns exec "$ns" dumpcap -q "${args[@]}" -s 256 -f 'ether proto 0x88f7 or udp port 319 or udp port 320' -w "$file" 2>/dev/null &
  PIDS+=($!)
}

finish() { # stop every process of this scenario, keep the logs
  sleep "$SECS"
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -INT "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  PIDS=()
}

keep_log() { cp "$WORK/$1.log" "$OUT/$2.ptp4l.log"; }

# gm_and_slave TRANSPORT_FLAG: grandmaster and slave on one veth pair, E2E.
gm_and_slave() {
  topology direct
  ptp4l_in "$NS_GM" gm -f "$(conf gm 'priority1 1')" "$1" -E -i gm0
  ptp4l_in "$NS_SL" sl -f "$(conf sl 'slaveOnly 1')" "$1" -E -i sl0
}

if want l2-e2e; then
  echo "== l2-e2e: grandmaster and slave over IEEE 802.3, E2E, two-step"
  gm_and_slave -2
  tcpdump_in "$NS_SL" sl0 "$OUT/lab-l2-e2e.pcap"
  finish; keep_log sl lab-l2-e2e
fi

if want udp4-e2e; then
  echo "== udp4-e2e: the same over UDP/IPv4"
  gm_and_slave -4
  tcpdump_in "$NS_SL" sl0 "$OUT/lab-udp4-e2e.pcap"
  finish; keep_log sl lab-udp4-e2e
fi

# tc_scenario NAME TOPOLOGY CLOCK_TYPE DELAY_FLAG: grandmaster, a ptp4l
# transparent clock and a slave, recorded on both TC ports as two pcaps and
# as one two-interface pcapng.
tc_scenario() {
  topology "$2"
  ptp4l_in "$NS_GM" gm -f "$(conf gm 'priority1 1')" -2 "$4" -i gm0
  # ptp4l derives the clockIdentity from the first port's MAC: with the far
  # ends' MACs the TC would share the slave's identity, so set it.
  ptp4l_in "$NS_TC" tc -f "$(conf tc "clock_type $3" 'clockIdentity 020000.fffe.000011')" -2 "$4" -i tcg -i tcs
  ptp4l_in "$NS_SL" sl -f "$(conf sl 'slaveOnly 1')" -2 "$4" -i sl0
  tcpdump_in "$NS_TC" tcg "$OUT/lab-$1-gm-side.pcap"
  tcpdump_in "$NS_TC" tcs "$OUT/lab-$1-slave-side.pcap"
  dumpcap_in "$NS_TC" "$OUT/lab-$1.pcapng" tcg tcs
  finish; keep_log sl "lab-$1"
}

if want e2e-tc; then
  echo "== e2e-tc: through a ptp4l E2E transparent clock (re-sources frames), recorded on both sides"
  tc_scenario e2e-tc tc E2E_TC -E
fi
if want e2e-tc-keepmac; then
  echo "== e2e-tc-keepmac: the same, TC ports given the far ends' MACs (keeps the source MAC)"
  tc_scenario e2e-tc-keepmac tc-keepmac E2E_TC -E
fi
if want p2p-tc; then
  echo "== p2p-tc: peer delay through a ptp4l P2P transparent clock"
  tc_scenario p2p-tc tc P2P_TC -P
fi
if want p2p-tc-keepmac; then
  echo "== p2p-tc-keepmac: the same, TC ports given the far ends' MACs"
  tc_scenario p2p-tc-keepmac tc-keepmac P2P_TC -P
fi

if want gptp; then
  echo "== gptp: IEEE 802.1AS profile (transportSpecific 1, Follow_Up information TLV, PATH_TRACE)"
  topology direct
  GPTP=('transportSpecific 1' 'ptp_dst_mac 01:80:C2:00:00:0E' 'p2p_dst_mac 01:80:C2:00:00:0E'
    'follow_up_info 1' 'path_trace_enabled 1' 'neighborPropDelayThresh 100000000' 'assume_two_step 1'
    'min_neighbor_prop_delay -20000000' 'announceReceiptTimeout 3' 'syncReceiptTimeout 3')
  ptp4l_in "$NS_GM" gm -f "$(conf gm 'priority1 1' 'gmCapable 1' "${GPTP[@]}")" -2 -P -i gm0
  ptp4l_in "$NS_SL" sl -f "$(conf sl 'priority1 255' "${GPTP[@]}")" -2 -P -i sl0
  tcpdump_in "$NS_SL" sl0 "$OUT/lab-gptp.pcap"
  finish; keep_log sl lab-gptp
fi

if want management; then
  echo "== management: pmc GET requests over IEEE 802.3"
  gm_and_slave -2
  tcpdump_in "$NS_SL" sl0 "$WORK/mgmt-all.pcap"
  sleep 2
  in_ns "$NS_SL" pmc -2 -i sl0 -b 1 -t 1 \
    'GET CLOCK_DESCRIPTION' 'GET USER_DESCRIPTION' 'GET DEFAULT_DATA_SET' 'GET CURRENT_DATA_SET' \
    'GET PARENT_DATA_SET' 'GET TIME_PROPERTIES_DATA_SET' 'GET PORT_DATA_SET' 'GET PRIORITY1' \
    'GET PRIORITY2' 'GET DOMAIN' 'GET SLAVE_ONLY' 'GET LOG_ANNOUNCE_INTERVAL' \
    'GET ANNOUNCE_RECEIPT_TIMEOUT' 'GET LOG_SYNC_INTERVAL' 'GET VERSION_NUMBER' 'GET TIME' \
    'GET CLOCK_ACCURACY' 'GET UTC_PROPERTIES' 'GET TRACEABILITY_PROPERTIES' \
    'GET TIMESCALE_PROPERTIES' 'GET DELAY_MECHANISM' 'GET LOG_MIN_PDELAY_REQ_INTERVAL' \
    > "$WORK/pmc.log" 2>&1 || true
  SECS=1 finish
  # Keep the management exchange and the messages around it small.
  tcpdump -r "$WORK/mgmt-all.pcap" -w "$OUT/lab-management.pcap" 'ether proto 0x88f7 and ether[14] & 0x0f = 0x0d' 2>/dev/null
  cp "$WORK/pmc.log" "$OUT/lab-management.pmc.log"
fi

if want unicast; then
  echo "== unicast: UDP/IPv4 unicast negotiation (REQUEST/GRANT_UNICAST_TRANSMISSION)"
  topology direct
  ptp4l_in "$NS_GM" gm -f "$(conf gm 'priority1 1' 'unicast_listen 1')" -4 -E -i gm0
  cat > "$WORK/ucsl.cfg" <<EOF
$(cat "$(conf ucsl0 'slaveOnly 1' 'unicast_req_duration 60')")
[unicast_master_table]
table_id 1
logQueryInterval 0
UDPv4 10.88.0.1
[sl0]
unicast_master_table 1
EOF
  ptp4l_in "$NS_SL" sl -f "$WORK/ucsl.cfg" -4 -E
  tcpdump_in "$NS_SL" sl0 "$OUT/lab-unicast.pcap"
  finish; keep_log sl lab-unicast
fi

ls -l "$OUT"/lab-* 2>/dev/null || true
