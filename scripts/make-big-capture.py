#!/usr/bin/env python3
"""Repeats the records of a little-endian pcap file until it holds about N
packets, shifting capture times so they keep increasing.

    scripts/make-big-capture.py [--continuous] captures/lab-l2-e2e.pcap bench-data/big.pcap 1000000

Plain repetition leaves the PTP messages as they were: each repetition is a
step of the capture span in every capture point's offset, and sequence ids
start over (what the decoder and analyzer benchmarks need, not what an
estimator meets). `--continuous` also shifts, in PTP over UDP/IPv4, every
message's timestamp by the same span and its sequenceId past the stream's
previous repetition (Follow_Up with its Sync, Delay_Resp with its
Delay_Req), and zeroes the UDP checksum (none): one long steady run.
"""
import struct
import sys

args = [a for a in sys.argv[1:] if a != "--continuous"]
continuous = len(args) != len(sys.argv) - 1
src, dst, want = args[0], args[1], int(args[2])
data = open(src, "rb").read()
magic = data[:4]
if magic not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
    sys.exit(f"{src}: not a little-endian pcap file")
records, off = [], 24
while off + 16 <= len(data):
    sec, frac, cap, orig = struct.unpack("<IIII", data[off:off + 16])
    records.append((sec, frac, data[off + 16:off + 16 + cap], orig))
    off += 16 + cap
span = records[-1][0] - records[0][0] + 1

# Message types with a timestamp at offset 34, and the stream whose
# sequence ids a message shares: (type, port identity).
TIMESTAMPED = {0, 1, 2, 3, 8, 9, 10, 11}
BASE = {8: 0, 9: 1, 3: 2, 10: 2}


def ptp_offset(frame):
    """Offset of the PTP message in an Ethernet/IPv4/UDP frame, or None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 0x0F) * 4
    if frame[23] != 17:
        return None
    udp = 14 + ihl
    dport = struct.unpack(">H", frame[udp + 2:udp + 4])[0]
    if dport not in (319, 320) or len(frame) < udp + 8 + 44:
        return None
    return udp


def stream(msg):
    t = msg[0] & 0x0F
    if t in (9, 3, 10):  # responses: the requester's stream
        return (BASE[t], msg[44:54])
    return (BASE.get(t, t), msg[20:30])


seq_span = {}
if continuous:
    for _, _, frame, _ in records:
        u = ptp_offset(frame)
        if u is not None:
            msg = frame[u + 8:]
            s = struct.unpack(">H", msg[30:32])[0]
            lo, hi = seq_span.get(stream(msg), (s, s))
            seq_span[stream(msg)] = (min(lo, s), max(hi, s))


def shifted(frame, rep):
    u = ptp_offset(frame)
    if u is None or rep == 0:
        return frame
    f = bytearray(frame)
    f[u + 6:u + 8] = b"\x00\x00"
    p = u + 8
    msg = frame[p:]
    if msg[0] & 0x0F in TIMESTAMPED:
        secs = int.from_bytes(msg[34:40], "big") + rep * span
        f[p + 34:p + 40] = secs.to_bytes(6, "big")
    lo, hi = seq_span.get(stream(msg), (0, 0))
    s = (struct.unpack(">H", msg[30:32])[0] + rep * (hi - lo + 1)) % 65536
    f[p + 30:p + 32] = struct.pack(">H", s)
    return bytes(f)


with open(dst, "wb") as out:
    out.write(data[:24])
    n, rep = 0, 0
    while n < want:
        for sec, frac, frame, orig in records:
            if continuous:
                frame = shifted(frame, rep)
            out.write(struct.pack("<IIII", sec + rep * span, frac, len(frame), orig))
            out.write(frame)
            n += 1
            if n == want:
                break
        rep += 1
print(f"{dst}: {n} packets")
