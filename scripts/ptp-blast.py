#!/usr/bin/env python3
"""Sends PTPv2 Sync messages (L2, one-step, sequence numbers 0, 1, ...) on a
raw socket at a fixed rate, for live-capture drop tests in the namespace lab.

    ptp-blast.py IFACE RATE SECONDS     prints the number of frames sent
"""
import socket
import struct
import sys
import time

iface, rate, secs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
src = bytes.fromhex("020000000001")
dst = bytes.fromhex("011b19000000")


def frame(seq):
    header = (
        bytes([0x00, 0x02])               # Sync, versionPTP 2
        + struct.pack(">H", 44)           # messageLength
        + bytes([0, 0]) + b"\0\0"         # domain, minorSdoId, flags (one-step)
        + b"\0" * 8 + b"\0" * 4           # correctionField, messageTypeSpecific
        + bytes.fromhex("020000fffe000001") + struct.pack(">H", 1)
        + struct.pack(">H", seq & 0xFFFF)
        + bytes([0, 0xFD])                # controlField, logMessageInterval
    )
    body = b"\0" * 10                     # originTimestamp
    return dst + src + b"\x88\xf7" + header + body


frames = [frame(i) for i in range(65536)]
period = 1.0 / rate
total = int(rate * secs)
n = 0
start = time.perf_counter()
while n < total:
    target = start + n * period
    now = time.perf_counter()
    if now < target:
        continue
    s.send(frames[n & 0xFFFF])
    n += 1
elapsed = time.perf_counter() - start
print(f"sent {n} frames in {elapsed:.3f} s ({n / elapsed:.0f}/s)")
