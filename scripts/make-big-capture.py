#!/usr/bin/env python3
"""Repeats the records of a little-endian pcap file until it holds about N
packets, shifting capture times so they keep increasing.

    scripts/make-big-capture.py captures/lab-l2-e2e.pcap bench-data/big.pcap 1000000
"""
import struct
import sys

src, dst, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
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
with open(dst, "wb") as out:
    out.write(data[:24])
    n, rep = 0, 0
    while n < want:
        for sec, frac, frame, orig in records:
            out.write(struct.pack("<IIII", sec + rep * span, frac, len(frame), orig))
            out.write(frame)
            n += 1
            if n == want:
                break
        rep += 1
print(f"{dst}: {n} packets")
