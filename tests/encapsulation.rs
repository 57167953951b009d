//! Mirrored, tunnelled and fragmented PTP: the lab's captures re-wrapped
//! by this test in every encapsulation ptpscope peels (GRE, ERSPAN I/II/III,
//! VXLAN, Geneve, MPLS) and cut into IPv4 and IPv6 fragments must analyze
//! exactly as the plain captures do; bad fragments are counted with their
//! reason; ERSPAN type III timestamps can time the frames; mirror sessions
//! can be capture points of their own.

mod common;

use std::path::{Path, PathBuf};

use common::{ptpscope, shared_capture};
use ptpscope::capture::{Points, read_file};
use serde_json::Value;

/// The frames of a capture: (capture time ns, bytes).
fn frames(path: &Path) -> Vec<(i64, Vec<u8>)> {
    let mut v = Vec::new();
    let mut points = Points::default();
    read_file(path, None, &mut points, |f, _| {
        v.push((f.time_ns.unwrap(), f.data.to_vec()))
    })
    .unwrap();
    v
}

fn lab(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

/// A nanosecond pcap of Ethernet frames.
fn pcap_ns(frames: &[(i64, Vec<u8>)]) -> Vec<u8> {
    let mut b = vec![0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    b.extend(65535u32.to_le_bytes());
    b.extend(1u32.to_le_bytes());
    for (t, f) in frames {
        let (s, ns) = (t.div_euclid(1_000_000_000), t.rem_euclid(1_000_000_000));
        for v in [s as u32, ns as u32, f.len() as u32, f.len() as u32] {
            b.extend(v.to_le_bytes());
        }
        b.extend(f);
    }
    b
}

fn write(name: &str, frames: &[(i64, Vec<u8>)]) -> PathBuf {
    common::tmp(name, &pcap_ns(frames))
}

const OUTER_SRC: [u8; 4] = [198, 51, 100, 1];
const OUTER_DST: [u8; 4] = [198, 51, 100, 2];

fn eth(ethertype: u16) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 0xe1, 2, 0, 0, 0, 0, 0xe0];
    f.extend(ethertype.to_be_bytes());
    f
}

/// An outer IPv4 header for `payload_len` octets of `protocol`.
fn ipv4(protocol: u8, payload_len: usize) -> Vec<u8> {
    let mut h = vec![0x45, 0];
    h.extend(((20 + payload_len) as u16).to_be_bytes());
    h.extend([0, 1, 0, 0, 64, protocol, 0, 0]);
    h.extend(OUTER_SRC);
    h.extend(OUTER_DST);
    h
}

fn ipv6(next: u8, payload_len: usize) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend((payload_len as u16).to_be_bytes());
    h.extend([next, 64]);
    h.extend([0x20, 0x01, 0x0d, 0xb8].iter().chain(&[0; 11]).chain(&[1]));
    h.extend([0x20, 0x01, 0x0d, 0xb8].iter().chain(&[0; 11]).chain(&[2]));
    h
}

fn udp(dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = 49152u16.to_be_bytes().to_vec();
    u.extend(dport.to_be_bytes());
    u.extend(((8 + payload.len()) as u16).to_be_bytes());
    u.extend([0, 0]);
    u.extend(payload);
    u
}

/// Outer Ethernet + IPv4 around a GRE packet.
fn over_gre(gre_header: &[u8], inner: &[u8]) -> Vec<u8> {
    let mut f = eth(0x0800);
    f.extend(ipv4(47, gre_header.len() + inner.len()));
    f.extend(gre_header);
    f.extend(inner);
    f
}

fn gre_teb(frame: &[u8]) -> Vec<u8> {
    // Checksum and key present (key 42), transparent Ethernet bridging.
    over_gre(&[0xa0, 0, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0, 42], frame)
}

/// Plain GRE carrying the inner IPv4 packet (the frame's Ethernet header
/// dropped); L2 frames go in transparent Ethernet bridging.
fn gre_ip(frame: &[u8]) -> Vec<u8> {
    if frame[12..14] == [0x08, 0x00] {
        over_gre(&[0, 0, 0x08, 0x00], &frame[14..])
    } else {
        over_gre(&[0, 0, 0x65, 0x58], frame)
    }
}

fn erspan1(frame: &[u8]) -> Vec<u8> {
    over_gre(&[0, 0, 0x88, 0xbe], frame)
}

fn erspan2(frame: &[u8], session: u16) -> Vec<u8> {
    let mut h = vec![0x10, 0, 0x88, 0xbe, 0, 0, 0, 1];
    h.extend([0x10, 0]);
    h.extend(session.to_be_bytes());
    h.extend([0; 4]);
    over_gre(&h, frame)
}

/// ERSPAN III with the given timestamp, granularity and, when given, a
/// platform subheader of ID `platform` holding `upper`.
fn erspan3(frame: &[u8], session: u16, ts: u32, gra: u16, sub: Option<(u8, u32)>) -> Vec<u8> {
    let mut h = vec![0x10, 0, 0x22, 0xeb, 0, 0, 0, 1];
    h.extend([0x20, 0]);
    h.extend(session.to_be_bytes());
    h.extend(ts.to_be_bytes());
    h.extend([0, 0]);
    h.extend((gra << 1 | u16::from(sub.is_some())).to_be_bytes());
    if let Some((platform, upper)) = sub {
        h.extend((u32::from(platform) << 26).to_be_bytes());
        h.extend(upper.to_be_bytes());
    }
    over_gre(&h, frame)
}

fn vxlan(frame: &[u8], vni: u32) -> Vec<u8> {
    vxlan_on(4789, frame, vni)
}

fn vxlan_on(port: u16, frame: &[u8], vni: u32) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0];
    v.extend((vni << 8).to_be_bytes());
    v.extend(frame);
    let u = udp(port, &v);
    let mut f = eth(0x0800);
    f.extend(ipv4(17, u.len()));
    f.extend(u);
    f
}

/// Geneve over IPv6, with one 8-octet option.
fn geneve(frame: &[u8], vni: u32) -> Vec<u8> {
    let mut g = vec![0x02, 0, 0x65, 0x58];
    g.extend((vni << 8).to_be_bytes());
    g.extend([0x01, 0x02, 0x03, 0x01, 0, 0, 0, 0]);
    g.extend(frame);
    let u = udp(6081, &g);
    let mut f = eth(0x86dd);
    f.extend(ipv6(17, u.len()));
    f.extend(u);
    f
}

/// Two MPLS labels; an Ethernet pseudowire with a control word, or the
/// frame's IPv4 packet directly.
fn mpls(frame: &[u8], control_word: bool) -> Vec<u8> {
    let mut f = eth(0x8847);
    f.extend([0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40]);
    if frame[12..14] == [0x08, 0x00] && !control_word {
        f.extend(&frame[14..]);
    } else {
        if control_word {
            f.extend([0; 4]);
        }
        f.extend(frame);
    }
    f
}

fn analyze_json(file: &Path, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["analyze", "-f", "json"];
    let arg = format!("lab={}", file.display());
    args.extend(["--point", &arg]);
    args.extend(extra);
    let out = ptpscope(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The analysis without the per-point frame counts (wrapping adds none,
/// but fragments add frames).
fn without_frame_counts(mut v: Value) -> Value {
    for p in v["points"].as_array_mut().unwrap() {
        p["frames"] = Value::Null;
    }
    v
}

#[test]
fn every_encapsulation_analyzes_as_the_plain_capture() {
    for capture in [
        "lab-udp4-e2e.pcap",
        "lab-l2-e2e.pcap",
        "lab-p2p-tc-slave-side.pcap",
    ] {
        let plain = frames(&lab(capture));
        let (want, _) = analyze_json(&write(&format!("plain-{capture}"), &plain), &[]);
        assert!(want["ptp_messages"].as_u64().unwrap() > 20);
        type Wrap = fn(&[u8]) -> Vec<u8>;
        let wraps: [(&str, Wrap, &str); 10] = [
            ("gre-teb", gre_teb, "gre-42"),
            ("gre-ip", gre_ip, "gre"),
            ("erspan1", erspan1, "erspan1"),
            ("erspan2", |f| erspan2(f, 7), "erspan2-7"),
            ("erspan3", |f| erspan3(f, 9, 0, 0, None), "erspan3-9"),
            ("vxlan", |f| vxlan(f, 100), "vxlan-100"),
            ("vxlan-linux", |f| vxlan_on(8472, f, 101), "vxlan-101"),
            ("geneve", |f| geneve(f, 200), "geneve-200"),
            ("mpls-cw", |f| mpls(f, true), "mpls-32"),
            ("mpls", |f| mpls(f, false), "mpls-32"),
        ];
        for (name, wrap, label) in wraps {
            let wrapped: Vec<_> = plain.iter().map(|(t, f)| (*t, wrap(f))).collect();
            let file = write(&format!("{name}-{capture}"), &wrapped);
            let (got, stderr) = analyze_json(&file, &[]);
            // An IP packet carried without its Ethernet header has no MACs
            // to inventory; all else is the same.
            let no_macs = name == "gre-ip" || name == "mpls";
            if no_macs {
                for k in [
                    "ptp_messages",
                    "messages",
                    "exchanges",
                    "health",
                    "estimates",
                ] {
                    assert_eq!(got[k], want[k], "{name} around {capture}: {k}");
                }
            } else {
                assert_eq!(got, want, "{name} around {capture}");
            }
            let kind = label.split('-').next().unwrap();
            assert!(
                stderr.contains(&format!("; {} in {kind}", plain.len())),
                "{name}: {stderr}"
            );
            // Records report the inner frame's addresses and name the
            // encapsulation with its session.
            let records = common::decode_json(&file);
            let inner = common::decode_json(&write(&format!("plain-{capture}"), &plain));
            assert_eq!(records.len(), inner.len());
            for (r, i) in records.iter().zip(&inner) {
                for k in [
                    "src_mac", "dst_mac", "src_ip", "dst_ip", "src_port", "dst_port",
                ] {
                    if no_macs && i["src_ip"] != Value::Null && k.ends_with("mac") {
                        continue;
                    }
                    assert_eq!(r[k], i[k], "{name} {k}");
                }
                assert_eq!(r["encapsulation"], serde_json::json!([label]), "{name}");
            }
        }
    }
}

/// The IPv4 header and UDP datagram of an Ethernet frame, if it holds one.
fn udp4_parts(frame: &[u8]) -> Option<(&[u8], &[u8])> {
    if frame[12..14] != [0x08, 0x00] || frame[23] != 17 {
        return None;
    }
    let ihl = usize::from(frame[14] & 0x0f) * 4;
    Some((&frame[14..14 + ihl], &frame[14 + ihl..]))
}

/// The frame's datagram cut into IPv4 fragments of `size` octets (a
/// multiple of 8), the last first.
fn fragment4(frame: &[u8], id: u16, size: usize) -> Vec<Vec<u8>> {
    let Some((ip, datagram)) = udp4_parts(frame) else {
        return vec![frame.to_vec()];
    };
    let mut out = Vec::new();
    for (i, chunk) in datagram.chunks(size).enumerate() {
        let more = (i + 1) * size < datagram.len();
        let mut h = ip.to_vec();
        h[2..4].copy_from_slice(&((ip.len() + chunk.len()) as u16).to_be_bytes());
        h[4..6].copy_from_slice(&id.to_be_bytes());
        let word = ((i * size / 8) as u16) | if more { 0x2000 } else { 0 };
        h[6..8].copy_from_slice(&word.to_be_bytes());
        let mut f = frame[..14].to_vec();
        f.extend(h);
        f.extend(chunk);
        out.push(f);
    }
    out.reverse();
    out
}

/// The frame's UDP datagram over IPv6, whole or cut into fragments of
/// `size` octets (in order).
fn as_ipv6(frame: &[u8], id: u32, size: Option<usize>) -> Vec<Vec<u8>> {
    let Some((_, datagram)) = udp4_parts(frame) else {
        return vec![frame.to_vec()];
    };
    let mut dst = frame[..14].to_vec();
    dst[12..14].copy_from_slice(&[0x86, 0xdd]);
    let Some(size) = size else {
        let mut f = dst;
        f.extend(ipv6(17, datagram.len()));
        f.extend(datagram);
        return vec![f];
    };
    datagram
        .chunks(size)
        .enumerate()
        .map(|(i, chunk)| {
            let more = (i + 1) * size < datagram.len();
            let mut f = dst.clone();
            f.extend(ipv6(44, 8 + chunk.len()));
            f.extend([17, 0]);
            f.extend((((i * size) as u16) | u16::from(more)).to_be_bytes());
            f.extend(id.to_be_bytes());
            f.extend(chunk);
            f
        })
        .collect()
}

#[test]
fn fragmented_ptp_is_reassembled_in_ipv4_and_ipv6() {
    let plain = frames(&lab("lab-udp4-e2e.pcap"));
    let (want4, _) = analyze_json(&write("frag-plain4.pcap", &plain), &[]);
    let mut cut = Vec::new();
    for (i, (t, f)) in plain.iter().enumerate() {
        for piece in fragment4(f, i as u16, 16) {
            cut.push((*t, piece));
        }
    }
    assert!(cut.len() > 3 * plain.len());
    let (got, stderr) = analyze_json(&write("frag4.pcap", &cut), &[]);
    assert_eq!(
        without_frame_counts(got),
        without_frame_counts(want4.clone())
    );
    let n = plain.len();
    assert!(
        stderr.contains(&format!(
            "{} IP fragments: {n} datagrams reassembled, 0 not",
            cut.len()
        )),
        "{stderr}"
    );

    let whole6: Vec<_> = plain
        .iter()
        .flat_map(|(t, f)| as_ipv6(f, 0, None).into_iter().map(move |x| (*t, x)))
        .collect();
    let (want6, _) = analyze_json(&write("frag-plain6.pcap", &whole6), &[]);
    assert_eq!(want6["ptp_messages"], want4["ptp_messages"]);
    let cut6: Vec<_> = plain
        .iter()
        .enumerate()
        .flat_map(|(i, (t, f))| {
            as_ipv6(f, 0x10000 + i as u32, Some(24))
                .into_iter()
                .map(move |x| (*t, x))
        })
        .collect();
    let (got6, stderr) = analyze_json(&write("frag6.pcap", &cut6), &[]);
    assert_eq!(without_frame_counts(got6), without_frame_counts(want6));
    assert!(
        stderr.contains(&format!("{n} datagrams reassembled, 0 not")),
        "{stderr}"
    );
}

#[test]
fn bad_fragments_are_counted_with_their_reason() {
    let plain = frames(&lab("lab-udp4-e2e.pcap"));
    let (t, sync) = plain
        .iter()
        .find(|(_, f)| udp4_parts(f).is_some_and(|(_, d)| d.len() > 40))
        .unwrap()
        .clone();
    let pieces = fragment4(&sync, 1, 16);
    let mut bad = Vec::new();
    // 1. Overlapping: a fragment re-sent with different octets.
    let mut evil = pieces[1].clone();
    let last = evil.len() - 1;
    evil[last] ^= 0xff;
    bad.extend([pieces[0].clone(), pieces[1].clone(), evil]);
    bad.extend(pieces[2..].iter().cloned());
    // 2. Inconsistent: two last fragments that disagree on the length.
    let mut other = fragment4(&sync, 2, 16);
    let mut longer = other[0].clone();
    longer.extend([0; 8]);
    let total = (longer.len() - 14) as u16;
    longer[16..18].copy_from_slice(&total.to_be_bytes());
    bad.extend([other.remove(0), longer]);
    // 3. Timed out: a datagram whose rest comes 31 s later.
    let late = fragment4(&sync, 4, 16);
    let mut frames: Vec<(i64, Vec<u8>)> = bad.into_iter().map(|f| (t, f)).collect();
    frames.push((t, late[0].clone()));
    for f in &late[1..] {
        frames.push((t + 31_000_000_000, f.clone()));
    }
    // (Its late fragments, like those after the overlap, are ignored: each
    // datagram is counted once.) 4. Never completed: the first fragment
    // only, at the end.
    frames.push((t + 31_000_000_000, fragment4(&sync, 3, 16).pop().unwrap()));
    // Ignored: the overlapped datagram's fragments after the overlap, and
    // the timed-out one's that came late.
    let ignored = (pieces.len() - 2) + (late.len() - 1);
    let out = ptpscope(&[
        "decode",
        "-f",
        "count",
        write("bad-frags.pcap", &frames).to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            &format!("datagrams reassembled, 4 not (1 timed out, 1 overlapping, 1 inconsistent, 1 incomplete at the end), {ignored} fragments of datagrams already ended ignored")
        ),
        "{stderr}"
    );
    // None of them became a message.
    assert!(stderr.contains(": 0 PTP messages"), "{stderr}");
}

#[test]
fn erspan_type_iii_timestamps_time_the_frames() {
    let plain = frames(&lab("lab-udp4-e2e.pcap"));
    let (want, _) = analyze_json(&write("erspan-t-plain.pcap", &plain), &[]);
    // The analyzer's capture clock is late by a varying 1..2 ms; the
    // switch's IEEE 1588 timestamps (seconds in platform subheader 0x5)
    // are the original times.
    let mirrored: Vec<_> = plain
        .iter()
        .enumerate()
        .map(|(i, (t, f))| {
            let (s, ns) = (t / 1_000_000_000, t % 1_000_000_000);
            let late = 1_000_000 + (i as i64 * 7919) % 1_000_000;
            (t + late, erspan3(f, 3, ns as u32, 2, Some((5, s as u32))))
        })
        .collect();
    let file = write("erspan-t.pcap", &mirrored);
    let (by_capture, _) = analyze_json(&file, &[]);
    assert_ne!(by_capture, want);
    let (by_switch, _) = analyze_json(&file, &["--time-source", "erspan"]);
    assert_eq!(by_switch, want);

    // 100 ns units in 32 bits (wrapping every 429 s), no subheader: the
    // wrap is resolved near the capture time, to 100 ns.
    let coarse: Vec<_> = plain
        .iter()
        .map(|(t, f)| (t + 1_500_000, erspan3(f, 3, (t / 100) as u32, 1, None)))
        .collect();
    let file = write("erspan-t100.pcap", &coarse);
    let out = ptpscope(&[
        "decode",
        "-f",
        "json",
        "--time-source",
        "erspan",
        file.to_str().unwrap(),
    ]);
    let times: Vec<i64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["time_ns"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let want: Vec<i64> = plain.iter().map(|(t, _)| t / 100 * 100).collect();
    assert_eq!(times, want);

    // Frames without an ERSPAN III header get no time, and are counted.
    let file = write("erspan-none.pcap", &plain);
    let out = ptpscope(&[
        "decode",
        "-f",
        "count",
        "--time-source",
        "erspan",
        file.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "; {} without an ERSPAN type III timestamp",
            plain.len()
        )),
        "{stderr}"
    );
}

#[test]
fn each_mirror_session_can_be_a_capture_point() {
    // The TC lab pair, mirrored from both sides of the transparent clock
    // into one capture as VXLAN 100 (grandmaster side) and 200 (slave
    // side), analyzes like the two files as two points.
    let gm = frames(&lab("lab-e2e-tc-gm-side.pcap"));
    let slave = frames(&lab("lab-e2e-tc-slave-side.pcap"));
    let mut both: Vec<_> = gm
        .iter()
        .map(|(t, f)| (*t, vxlan(f, 100)))
        .chain(slave.iter().map(|(t, f)| (*t, vxlan(f, 200))))
        .collect();
    both.sort_by_key(|(t, _)| *t);
    let file = write("sessions.pcap", &both);
    let out = ptpscope(&[
        "analyze",
        "-f",
        "json",
        "--point-per-session",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<(&str, u64)> = got["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["frames"].as_u64() > Some(0))
        .map(|p| (p["name"].as_str().unwrap(), p["frames"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("sessions/vxlan-100", gm.len() as u64),
            ("sessions/vxlan-200", slave.len() as u64)
        ]
    );
    let out = ptpscope(&[
        "analyze",
        "-f",
        "json",
        "--point",
        &format!(
            "sessions/vxlan-100={}",
            lab("lab-e2e-tc-gm-side.pcap").display()
        ),
        "--point",
        &format!(
            "sessions/vxlan-200={}",
            lab("lab-e2e-tc-slave-side.pcap").display()
        ),
    ]);
    let want: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!want["hops"].as_array().unwrap().is_empty());
    assert_eq!(got["hops"], want["hops"]);
    assert_eq!(got["exchanges"], want["exchanges"]);
}

#[test]
fn shared_erspan_capture_gives_what_tshark_finds() {
    let Some(f) = shared_capture("field/erspan-mirrored-ptp.pcap") else {
        return;
    };
    let records = common::decode_json(&f);
    assert_eq!(records.len(), 72);
    assert!(records.iter().all(|r| r["error"].is_null()));
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["encapsulation"][0].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "erspan2-7").count(), 36);
    assert_eq!(kinds.iter().filter(|k| **k == "erspan3-7").count(), 36);
    if common::have("tshark") {
        let n = common::tshark_ptp_fields(&f, &["ptp.v2.messagetype"])
            .lines()
            .count();
        assert_eq!(n, 72);
    }
}

#[test]
fn shared_fragmented_signaling_is_one_message_with_100_tlvs() {
    let Some(f) = shared_capture("field/ipv4-fragmented-signaling.pcap") else {
        return;
    };
    let records = common::decode_json(&f);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["message_type"], "Signaling");
    assert_eq!(records[0]["message_length"], 1644);
    assert_eq!(records[0]["tlvs"].as_array().unwrap().len(), 100);
    assert!(records[0]["error"].is_null());
    let (v, _) = analyze_json(&f, &[]);
    assert_eq!(v["messages"].get("malformed"), None);
}
