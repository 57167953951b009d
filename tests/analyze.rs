//! `ptpscope analyze` over real captures: counts against tshark, exchanges,
//! roles, health and grandmaster changes, several capture points, bad input.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{lab, pcap, ptpscope, shared_capture, sync_frame, tmp};
use serde_json::Value;

fn analyze(args: &[&str]) -> (Value, String, Option<i32>) {
    let mut a = vec!["analyze", "--format", "json"];
    a.extend_from_slice(args);
    let out = ptpscope(&a);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("analyze {args:?}: not JSON ({e}); stderr: {stderr}"));
    (v, stderr, out.status.code())
}

fn analyze_file(f: &Path) -> Value {
    let (v, err, code) = analyze(&[f.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{}: {err}", f.display());
    v
}

#[test]
fn message_counts_match_tshark_for_every_capture() {
    if !common::have("tshark") {
        return;
    }
    let files = common::capture_files();
    assert!(!files.is_empty());
    for f in &files {
        let mut want: BTreeMap<String, u64> = BTreeMap::new();
        for l in common::tshark_ptp_fields(f, &["ptp.v2.messagetype"]).lines() {
            let name = common::ptp_type_name(l).unwrap_or("other");
            *want.entry(name.to_owned()).or_default() += 1;
        }
        let v = analyze_file(f);
        let got: BTreeMap<String, u64> = v["messages"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| common::PTP_TYPES.iter().any(|(_, n)| n == k))
            .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
            .collect();
        assert_eq!(got, want, "{}", f.display());
    }
}

#[test]
fn e2e_lab_capture_exchanges_roles_and_health() {
    for file in ["lab-l2-e2e.pcap", "lab-udp4-e2e.pcap"] {
        let v = analyze_file(&lab(file));
        let m = &v["messages"];
        let ex = &v["exchanges"];
        // Every Follow_Up and Delay_Resp of a clean capture is matched
        // (the first message may have been cut off by the capture start).
        let fu = m["Follow_Up"].as_u64().unwrap();
        let sfu = ex["sync_follow_up"]["matched"].as_u64().unwrap();
        assert!(sfu + 1 >= fu && sfu <= fu, "{file}: {sfu} of {fu}");
        let dr = m["Delay_Resp"].as_u64().unwrap();
        assert_eq!(ex["delay_req_resp"]["matched"], dr, "{file}");
        assert!(ex["e2e_measurements"].as_u64().unwrap() > 0);
        assert_eq!(ex["sync_follow_up"]["orphans"], 0);
        let resp = &ex["delay_req_resp"]["response_ns"];
        assert!(resp["median"].as_i64().unwrap() > 0, "{resp}");

        let clocks = v["clocks"].as_array().unwrap();
        let role = |id: &str| {
            clocks
                .iter()
                .find(|c| c["clock_identity"] == id)
                .map(|c| c["role"].as_str().unwrap().to_owned())
        };
        assert_eq!(role("020000.fffe.000001").as_deref(), Some("grandmaster"));
        assert_eq!(role("020000.fffe.000002").as_deref(), Some("slave"));
        let gm = &v["grandmasters"][0];
        assert_eq!(gm["grandmaster_identity"], "020000.fffe.000001");
        assert_eq!(gm["priority1"], 1);
        assert_eq!(gm["current"], true);
        assert_eq!(v["grandmaster_changes"][0]["reason"], "first");

        // ptp4l ran with logSyncInterval -3: Syncs every 125 ms.
        let health = v["health"].as_array().unwrap();
        let sync = health
            .iter()
            .find(|h| h["message_type"] == "Sync")
            .expect("a Sync stream");
        assert_eq!(sync["advertised_log_interval"], -3);
        assert_eq!(sync["advertised_interval_ns"], 125_000_000);
        let mean = sync["interval_ns"]["mean"].as_f64().unwrap();
        assert!((mean / 125e6 - 1.0).abs() < 0.05, "{mean}");
        let p99 = sync["interval_ns"]["p99"].as_i64().unwrap();
        assert!(p99 as f64 >= mean * 0.99 && p99 <= sync["interval_ns"]["max"].as_i64().unwrap());
        assert_eq!(sync["gaps"], 0);
        assert_eq!(sync["duplicates"], 0);
        assert_eq!(v["errors"]["count"], 0);
    }
}

#[test]
fn p2p_gptp_and_unicast_exchanges() {
    let v = analyze_file(&lab("lab-p2p-tc.pcapng"));
    let pd = &v["exchanges"]["pdelay"];
    assert!(pd["matched"].as_u64().unwrap() > 0, "{pd}");
    // Each interface of the pcapng file is a capture point.
    assert_eq!(v["points"].as_array().unwrap().len(), 2);
    let tc = v["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["clock_identity"] == "020000.fffe.000011")
        .expect("the P2P TC's clock");
    assert_eq!(tc["role"], "peer-delay only");
    assert_eq!(tc["ports"].as_array().unwrap().len(), 2);

    let v = analyze_file(&lab("lab-gptp.pcap"));
    assert!(v["exchanges"]["pdelay"]["matched"].as_u64().unwrap() > 0);
    let gm = v["grandmasters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["current"] == true)
        .unwrap();
    assert_eq!(gm["major_sdo_id"], 1, "802.1AS: transportSpecific 1");
    assert!(gm["path_trace"].is_array(), "PATH_TRACE kept: {gm}");

    let v = analyze_file(&lab("lab-unicast.pcap"));
    let u = &v["exchanges"]["unicast_negotiation"];
    assert!(u["matched"].as_u64().unwrap() >= 3, "{u}");
}

#[test]
fn grandmaster_changes_in_an_announce_attack() {
    let Some(f) =
        shared_capture("genesys-neu_s-plane_security__prod_successful_announce_attack_ptp.pcap")
    else {
        return;
    };
    let v = analyze_file(&f);
    let changes = v["grandmaster_changes"].as_array().unwrap();
    assert!(changes.len() > 2, "{changes:?}");
    assert!(changes.iter().any(|c| c["reason"] == "better"));
    assert!(v["grandmasters"].as_array().unwrap().len() >= 2);
}

#[test]
fn two_files_are_two_points_merged_in_time_order() {
    let (a, b) = (
        lab("lab-e2e-tc-gm-side.pcap"),
        lab("lab-e2e-tc-slave-side.pcap"),
    );
    let one = analyze_file(&a);
    let two = analyze_file(&b);
    let (v, err, code) = analyze(&[
        "--point",
        &format!("gm-side={}", a.display()),
        "--point",
        &format!("slave-side={}", b.display()),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let names: Vec<&str> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gm-side", "slave-side"]);
    let n = |v: &Value, k: &str| v["exchanges"][k]["matched"].as_u64().unwrap();
    // Exchanges are matched per point: the sum of both files.
    for k in ["sync_follow_up", "delay_req_resp"] {
        assert_eq!(n(&v, k), n(&one, k) + n(&two, k), "{k}");
    }
    assert_eq!(
        v["ptp_messages"].as_u64().unwrap(),
        one["ptp_messages"].as_u64().unwrap() + two["ptp_messages"].as_u64().unwrap()
    );
    // Health streams are per point.
    let sync_streams = v["health"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["message_type"] == "Sync")
        .count();
    assert_eq!(sync_streams, 2);
}

#[test]
fn text_summary_names_the_sections() {
    let out = ptpscope(&["analyze", lab("lab-l2-e2e.pcap").to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for s in ["Messages", "Exchanges", "Clocks", "Grandmasters", "Health"] {
        assert!(text.contains(s), "{s} missing:\n{text}");
    }
    assert!(text.contains("020000.fffe.000001 sdo 0 domain 0   grandmaster"));
}

#[test]
fn malformed_messages_are_listed_and_the_rest_analyzed() {
    let mut bad = sync_frame(2);
    bad[14 + 3] = 0x40; // messageLength 64 > 44 present
    let f = tmp(
        "analyze-mixed.pcap",
        &pcap(&[sync_frame(1), bad, sync_frame(3), sync_frame(5)]),
    );
    let (v, err, code) = analyze(&[f.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v["errors"]["count"], 1);
    let e = &v["errors"]["first"][0];
    assert_eq!(e["frame"], 2);
    assert_eq!(e["field"], "messageLength");
    assert_eq!(e["offset"], 2);
    assert_eq!(e["point"], "analyze-mixed");
    assert_eq!(v["messages"]["Sync"], 3);
    assert_eq!(v["messages"]["malformed"], 1);
    // Two-step Syncs 1, 3, 5: sequence 2 (malformed) and 4 are missing,
    // and no Follow_Up ever came.
    assert_eq!(v["health"][0]["gaps"], 2);
    assert_eq!(v["exchanges"]["sync_follow_up"]["unmatched"], 3);
    assert_eq!(v["exchanges"]["sync_follow_up"]["matched"], 0);
}

#[test]
fn bad_files_name_the_file_and_fail() {
    // Nothing readable at all: the error alone, no empty analysis.
    let f = tmp("not-a-capture.pcap", b"this is not a capture file at all");
    let out = ptpscope(&["analyze", "-f", "json", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not-a-capture.pcap: not a pcap"), "{err}");
    assert!(out.stdout.is_empty());

    // A truncated file: what was read is analyzed, the error is named.
    let whole = pcap(&[sync_frame(1), sync_frame(2), sync_frame(3)]);
    let f = tmp("truncated.pcap", &whole[..whole.len() - 10]);
    let (v, err, code) = analyze(&[f.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("truncated.pcap") && err.contains("frame 3"),
        "{err}"
    );
    assert_eq!(v["messages"]["Sync"], 2);

    let out = ptpscope(&["analyze", "--match-timeout", "0", "x.pcap"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--match-timeout"));
}

#[test]
fn json_schema_has_the_documented_keys() {
    let v = analyze_file(&lab("lab-l2-e2e.pcap"));
    for k in [
        "schema_version",
        "points",
        "ptp_messages",
        "messages",
        "exchanges",
        "clocks",
        "grandmasters",
        "grandmaster_changes",
        "health",
        "errors",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    for k in ["sync_follow_up", "delay_req_resp", "pdelay"] {
        for f in ["matched", "unmatched", "orphans", "late"] {
            assert!(v["exchanges"][k][f].is_u64(), "{k}.{f}");
        }
    }
    let c = &v["clocks"][0];
    for k in ["clock_identity", "ports", "role", "grandmaster"] {
        assert!(c.get(k).is_some(), "clock.{k}");
    }
    let h = &v["health"][0];
    for k in [
        "point",
        "port",
        "message_type",
        "advertised_log_interval",
        "gaps",
        "duplicates",
    ] {
        assert!(h.get(k).is_some(), "health.{k}");
    }
    assert!(h["interval_ns"]["mean"].is_f64() && h["interval_ns"]["p99"].is_i64());
}

/// The lab's clocks all read CLOCK_REALTIME: the true offset of every capture
/// point to the grandmaster is 0, and the causal bound must contain it.
#[test]
fn estimates_contain_the_true_offset_of_zero() {
    for file in [
        "lab-l2-e2e.pcap",
        "lab-udp4-e2e.pcap",
        "lab-unicast.pcap",
        "lab-e2e-tc-gm-side.pcap",
        "lab-e2e-tc-keepmac-gm-side.pcap",
    ] {
        let v = analyze_file(&lab(file));
        let e = &v["estimates"][0];
        assert_eq!(e["port"], "020000.fffe.000002-1", "{file}");
        assert!(e["samples"].as_u64().unwrap() >= 10, "{file}: {e}");
        let off = e["offset_ns"]["median"].as_i64().unwrap();
        let hard = e["bound_ns"]["hard_median"].as_i64().unwrap();
        let delay = e["path_delay_ns"]["median"].as_i64().unwrap();
        assert!(off.abs() <= hard, "{file}: offset {off} outside ±{hard}");
        assert!(delay > 0 && hard >= delay, "{file}: {e}");
        assert!(e["bound_ns"]["stat_median"].as_i64().unwrap() > 0);
        assert_eq!(e["bound_ns"]["confidence"], 0.95);
        assert!(
            e["frequency_ppb"].as_f64().unwrap().abs() < 10_000.0,
            "{file}"
        );
        assert!(!e["series"].as_array().unwrap().is_empty());
    }
}

/// Behind a ptp4l TC, the capture precedes the TC's egress timestamp: the
/// corrections exceed what the point saw, and every sample is set aside.
#[test]
fn samples_contradicting_causality_are_set_aside() {
    let v = analyze_file(&lab("lab-e2e-tc-slave-side.pcap"));
    let e = &v["estimates"][0];
    assert_eq!(e["samples"], 0);
    assert!(e["inconsistent_samples"].as_u64().unwrap() > 10);
    assert!(e["note"].as_str().unwrap().contains("negative path delay"));
    assert!(e["offset_ns"]["median"].is_null());
}

#[test]
fn an_arb_grandmasters_offset_is_called_an_epoch_difference() {
    let Some(f) = shared_capture("field/announce-domain127-loginterval-minus2.pcap") else {
        eprintln!("skipped: ../shared/captures is absent");
        return;
    };
    let v = analyze_file(&f);
    let texts: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["text"].as_str())
        .collect();
    let t = texts
        .iter()
        .find(|t| t.contains("exceeds the hard bound"))
        .unwrap_or_else(|| panic!("{texts:?}"));
    assert!(
        t.contains("ARB timescale") && t.contains("difference of two epochs"),
        "{t}"
    );
    assert!(!t.contains("is wrong"), "{t}");
}

/// Unicast negotiation over L2, written with the project's own encoder and
/// pcapng writer: who sends what, when.
mod unicast_capture {
    use std::path::Path;

    use ptpscope::capture::write::PcapngWriter;
    use ptpscope::wire::message::Signaling;
    use ptpscope::wire::{
        Body, ClockIdentity, Correction, Flags, Header, Message, MessageType, PortIdentity, Tlv,
        TlvBody, TlvType,
    };

    pub fn port(last: u8) -> PortIdentity {
        PortIdentity {
            clock_identity: ClockIdentity([2, 0, 0, 0xff, 0xfe, 0, 0, last]),
            port_number: 1,
        }
    }

    pub const ALL_PORTS: PortIdentity = PortIdentity {
        clock_identity: ClockIdentity([0xff; 8]),
        port_number: 0xffff,
    };

    pub fn request(t: MessageType) -> TlvBody<'static> {
        TlvBody::RequestUnicastTransmission {
            message_type: t.0 << 4,
            log_inter_message_period: -4,
            duration_field: 300,
        }
    }

    pub fn grant(t: MessageType, duration_field: u32) -> TlvBody<'static> {
        TlvBody::GrantUnicastTransmission {
            message_type: t.0 << 4,
            log_inter_message_period: -4,
            duration_field,
            reserved: 0,
            renewal: 1,
        }
    }

    pub fn cancel(acknowledge: bool, t: MessageType) -> TlvBody<'static> {
        if acknowledge {
            TlvBody::AcknowledgeCancelUnicastTransmission {
                message_type: t.0 << 4,
                reserved: 0,
            }
        } else {
            TlvBody::CancelUnicastTransmission {
                message_type: t.0 << 4,
                reserved: 0,
            }
        }
    }

    fn tlv_type(b: &TlvBody<'_>) -> TlvType {
        match b {
            TlvBody::RequestUnicastTransmission { .. } => TlvType::REQUEST_UNICAST_TRANSMISSION,
            TlvBody::GrantUnicastTransmission { .. } => TlvType::GRANT_UNICAST_TRANSMISSION,
            TlvBody::CancelUnicastTransmission { .. } => TlvType::CANCEL_UNICAST_TRANSMISSION,
            _ => TlvType::ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION,
        }
    }

    /// One Signaling (§13.12) in an Ethernet frame (0x88F7).
    pub struct Sent {
        pub time_ms: i64,
        pub from: PortIdentity,
        pub sequence_id: u16,
        pub to: PortIdentity,
        pub tlvs: Vec<TlvBody<'static>>,
    }

    pub fn write(path: &Path, sent: &[Sent]) {
        let mut w = PcapngWriter::create(path).unwrap();
        let i = w.add_interface("lan", 1, 65535).unwrap();
        for s in sent {
            let mut tlvs = Vec::new();
            for &body in &s.tlvs {
                let tlv = Tlv {
                    tlv_type: tlv_type(&body),
                    body,
                    extra: &[],
                };
                tlv.emit(&mut tlvs);
            }
            let mut m = Message {
                header: Header {
                    major_sdo_id: 0,
                    message_type: MessageType::SIGNALING,
                    minor_version_ptp: 1,
                    version_ptp: 2,
                    message_length: 0,
                    domain_number: 44,
                    minor_sdo_id: 0,
                    flags: Flags(Flags::UNICAST),
                    correction_field: Correction(0),
                    message_type_specific: [0; 4],
                    source_port_identity: s.from,
                    sequence_id: s.sequence_id,
                    control_field: 5,
                    log_message_interval: 0x7f,
                },
                body: Body::Signaling(Signaling {
                    target_port_identity: s.to,
                }),
                suffix: &tlvs,
                trailer: &[],
            };
            m.fix_length();
            let mac = s.from.clock_identity.0;
            let mut frame = vec![0x01, 0x1b, 0x19, 0, 0, 0, 2, 0, 0, 0, 0, mac[7], 0x88, 0xf7];
            m.emit(&mut frame);
            let t = 1_795_000_000_000_000_000 + s.time_ms * 1_000_000;
            w.write_packet(i, t, &frame, frame.len() as u32).unwrap();
        }
        w.flush().unwrap();
    }
}

/// IEEE 1588-2019 §16.1: a request re-sent with a new sequenceId is a retry
/// (the one it replaced went unanswered), a GRANT answers the latest request
/// for its messageType, each TLV and each requester apart; the same
/// sequenceId again is a duplicate; a grant of duration 0 is a denial.
#[test]
fn unicast_retries_are_unanswered_requests_not_duplicates() {
    use ptpscope::wire::MessageType;
    use unicast_capture::{ALL_PORTS, Sent, cancel, grant, port, request};

    let (gm, a, b) = (port(1), port(0x30), port(0x31));
    let sent = |time_ms, from, sequence_id, to, tlvs| Sent {
        time_ms,
        from,
        sequence_id,
        to,
        tlvs,
    };
    let both = || vec![request(MessageType::SYNC), request(MessageType::ANNOUNCE)];
    let f = std::env::temp_dir().join(format!("ptpscope-unicast-{}.pcapng", std::process::id()));
    unicast_capture::write(
        &f,
        &[
            // A asks for Sync and Announce, hears nothing, asks again.
            sent(0, a, 0, ALL_PORTS, both()),
            sent(1000, a, 1, ALL_PORTS, both()),
            // One GRANT message answers both, 1 ms after the retry.
            sent(
                1001,
                gm,
                0,
                a,
                vec![
                    grant(MessageType::ANNOUNCE, 300),
                    grant(MessageType::SYNC, 300),
                ],
            ),
            // B asks for Sync (captured twice) and is denied 2 ms later.
            sent(1002, b, 0, ALL_PORTS, vec![request(MessageType::SYNC)]),
            sent(1002, b, 0, ALL_PORTS, vec![request(MessageType::SYNC)]),
            sent(1004, gm, 1, b, vec![grant(MessageType::SYNC, 0)]),
            // B's Delay_Resp request is never answered.
            sent(
                1010,
                b,
                1,
                ALL_PORTS,
                vec![request(MessageType::DELAY_RESP)],
            ),
            // The grantor cancels A's Sync; A acknowledges 1 ms later.
            sent(1500, gm, 2, a, vec![cancel(false, MessageType::SYNC)]),
            sent(1501, a, 2, gm, vec![cancel(true, MessageType::SYNC)]),
        ],
    );
    let v = analyze_file(&f);
    let u = &v["exchanges"]["unicast_negotiation"];
    let counts = |u: &Value| {
        [
            "matched",
            "unmatched",
            "retries",
            "duplicates",
            "orphans",
            "late",
            "one_step",
        ]
        .map(|k| u[k].as_u64().unwrap())
    };
    assert_eq!(counts(u), [3, 3, 2, 1, 0, 0, 1], "{u}");
    assert_eq!(u["response_ns"]["median"], 1_000_000, "{u}");
    assert_eq!(u["response_ns"]["max"], 2_000_000, "{u}");
    let c = &v["exchanges"]["unicast_cancel"];
    assert_eq!(counts(c), [1, 0, 0, 0, 0, 0, 0], "{c}");
    assert_eq!(c["response_ns"]["max"], 1_000_000, "{c}");
    // The Sync/Follow_Up counts carry no retries.
    assert_eq!(v["exchanges"]["sync_follow_up"]["retries"], 0);
    let finding = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "unicast negotiation")
        .unwrap_or_else(|| panic!("{}", v["findings"]));
    assert!(
        finding["text"]
            .as_str()
            .unwrap()
            .starts_with("3 unanswered (2 followed by a retry)"),
        "{finding}"
    );

    let out = ptpscope(&["analyze", f.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("unicast negotiation"))
        .unwrap_or_else(|| panic!("{text}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    for w in [
        ["3", "matched"],
        ["3", "unanswered"],
        ["2", "retries"],
        ["1", "denied"],
    ] {
        assert!(words.windows(2).any(|p| p == w), "{w:?} in {line}");
    }
    assert!(line.contains("response median 1.000 ms"), "{line}");
    let _ = std::fs::remove_file(&f);
}

/// The field case it comes from (field/README.md): requests for Sync at 0,
/// 1 and 2 s with sequenceIds 0, 1, 2, the GRANT 1 ms after the third.
#[test]
fn unicast_request_retry_field_capture() {
    let Some(f) = shared_capture("field/unicast-request-retry-1s.pcap") else {
        eprintln!("skipped: ../shared/captures is absent");
        return;
    };
    let v = analyze_file(&f);
    let u = &v["exchanges"]["unicast_negotiation"];
    assert_eq!(u["matched"], 1, "{u}");
    assert_eq!(u["unmatched"], 2, "{u}");
    assert_eq!(u["retries"], 2, "{u}");
    assert_eq!(u["duplicates"], 0, "{u}");
    assert_eq!(u["response_ns"]["median"], 1_000_000, "{u}");
    let out = ptpscope(&["analyze", f.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l.contains("unicast negotiation")
            && l.contains("2 unanswered")
            && l.contains("2 retries")
            && l.contains("response median 1.000 ms")),
        "{text}"
    );
}

/// `analyze` says which timescale the capture clock runs: the TIMESAFE
/// capture was taken by a NIC synchronized to its PTP-timescale
/// grandmaster (TAI); the same capture with its record times moved back
/// by currentUtcOffset (37 s) is what a UTC software clock would have
/// stamped.
#[test]
fn estimates_say_which_timescale_the_capture_clock_runs() {
    let Some(f) =
        shared_capture("genesys-neu_s-plane_security__2024-10-08-sync_attack_singlestep_1.pcap")
    else {
        return;
    };
    let timescale = |file: &std::path::Path| {
        let out = ptpscope(&["analyze", "-f", "json", file.to_str().unwrap()]);
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["estimates"][0]["timescale"].clone()
    };
    let tai = timescale(&f);
    assert_eq!(tai["grandmaster"], "PTP");
    assert_eq!(tai["current_utc_offset_s"], 37);
    assert_eq!(tai["capture_clock"], "TAI");
    let vs_utc = tai["offset_vs_utc_median_ns"].as_i64().unwrap();
    assert!((vs_utc - 37_000_000_000).abs() < 100_000, "{vs_utc}");
    // A little-endian microsecond pcap: ts_sec of each record − 37.
    let mut b = std::fs::read(&f).unwrap();
    let mut at = 24;
    while at + 16 <= b.len() {
        let s = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) - 37;
        b[at..at + 4].copy_from_slice(&s.to_le_bytes());
        at += 16 + u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
    }
    let utc = timescale(&common::tmp("timesafe-utc.pcap", &b));
    assert_eq!(utc["capture_clock"], "UTC");
    let vs_utc_moved = utc["offset_vs_utc_median_ns"].as_i64().unwrap();
    eprintln!("TIMESAFE: against UTC {vs_utc} ns; moved back 37 s, {vs_utc_moved} ns");
    assert!(vs_utc_moved.abs() < 100_000, "{vs_utc_moved}");
    // The same capture moved by whole seconds: the same offset to 1 µs.
    assert!(
        (vs_utc - 37_000_000_000 - vs_utc_moved).abs() < 1_000,
        "{vs_utc} {vs_utc_moved}"
    );
    // The lab's free-running ptp4l grandmasters announce ARB.
    let arb = timescale(&common::lab("lab-l2-e2e.pcap"));
    assert_eq!(
        (arb["grandmaster"].as_str(), arb["capture_clock"].as_str()),
        (Some("ARB"), Some("unknown"))
    );
}

/// `analyze -f json --truth TRUTH PCAP`, parsed.
fn analyze_against(truth: &std::path::Path, pcap: &std::path::Path) -> serde_json::Value {
    let out = ptpscope(&[
        "analyze",
        "-f",
        "json",
        "--truth",
        truth.to_str().unwrap(),
        pcap.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The simulated TAI grandmaster (`tai-leap-second` without its leap
/// second, 15 s): analyze says the grandmaster runs the PTP
/// timescale with currentUtcOffset 37 and the capture clock UTC, and its
/// offset against UTC is the truth's.
#[test]
fn a_simulated_tai_grandmaster_and_utc_host_are_told_apart() {
    let dir = std::env::temp_dir().join(format!("ptpscope-analyze-tai-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pcap, truth) = (dir.join("tai.pcapng"), dir.join("tai.truth.json"));
    // A leap second must fall inside a run: without it, 15 s.
    let scenario = common::scenario_variant(
        "tai-leap-second",
        &dir,
        &[("leap_second = true", "leap_second = false")],
    );
    common::simulate(&scenario, &pcap, &truth, &["--duration", "15"]);
    let v = analyze_against(&truth, &pcap);
    let e = &v["estimates"][0];
    let t = &e["timescale"];
    assert_eq!(t["grandmaster"], "PTP", "{t}");
    assert_eq!(t["current_utc_offset_s"], 37, "{t}");
    assert_eq!(t["capture_clock"], "UTC", "{t}");
    // The truth against UTC: the host clock's own error, 25 µs and 8 ppm.
    let tv: serde_json::Value = serde_json::from_slice(&std::fs::read(&truth).unwrap()).unwrap();
    let mut utc: Vec<f64> = tv["points"][0]["utc_offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_f64().unwrap())
        .collect();
    utc.sort_by(f64::total_cmp);
    let (lo, hi) = (utc[0], utc[utc.len() - 1]);
    let vs_utc = t["offset_vs_utc_median_ns"].as_f64().unwrap();
    assert!(
        lo - 1_000.0 <= vs_utc && vs_utc <= hi + 1_000.0,
        "{vs_utc} outside the truth's {lo}..{hi}"
    );
    // And it is the estimates' median to a few µs (it once was the
    // histogram's, good to 1.6 % of 37 s): the series' own median.
    let mut series: Vec<f64> = e["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["offset_ns"].as_f64().unwrap() + 37e9)
        .collect();
    series.sort_by(f64::total_cmp);
    let median = series[series.len() / 2];
    assert!(
        (vs_utc - median).abs() < 5_000.0,
        "{vs_utc} vs the series' {median}"
    );
    // Against the grandmaster (TAI) the truth is −37 s less that error,
    // and every estimate's hard bound contains it.
    assert_eq!(e["truth"]["found"], true, "{e}");
    assert_eq!(e["truth"]["ours"]["hard_coverage"], 1.0, "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The same across its leap second (40 s), inserted and deleted: the UTC
/// host's clock steps back a second and reads 23:59:59 twice, or steps
/// forward and never reads it. Each estimate is scored against the truth
/// of the reading it was made at, the second time round inside a repeated
/// second (scored against the first, hard coverage read 0.973), and an
/// estimate is carried no further than the leap, as serve's record is not.
/// Every estimate's hard bound, and every estimate carried forward,
/// contains the truth; no attack kind is raised (a deleted second once
/// made an `asymmetry_change` of a second).
#[test]
fn across_a_leap_second_every_estimate_contains_the_truth() {
    for (name, edits) in [
        ("leap61", &[][..]),
        (
            "leap59",
            &[("leap_second = true", "leap_second = true\nleap59 = true")][..],
        ),
    ] {
        let dir =
            std::env::temp_dir().join(format!("ptpscope-analyze-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (pcap, truth) = (dir.join("leap.pcapng"), dir.join("leap.truth.json"));
        let scenario = common::scenario_variant("tai-leap-second", &dir, edits);
        common::simulate(&scenario, &pcap, &truth, &[]);
        let tv: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&truth).unwrap()).unwrap();
        let repeated = tv["points"][0]["offsets"][0]["repeated"].as_array();
        match name {
            "leap61" => assert!(repeated.is_some_and(|r| r.len() >= 2), "no repeated second"),
            _ => assert!(repeated.is_none(), "a deleted second repeats nothing"),
        }
        let v = analyze_against(&truth, &pcap);
        let e = &v["estimates"][0];
        let ours = &e["truth"]["ours"];
        eprintln!(
            "tai-leap-second {name}: {} estimates, hard coverage {}, carried {} of {} checks",
            e["samples"], ours["hard_coverage"], ours["carried_coverage"], ours["carried_checks"]
        );
        assert!(e["samples"].as_f64().unwrap() > 500.0, "{name}: {e}");
        assert_eq!(ours["hard_coverage"], 1.0, "{name}: {e}");
        assert_eq!(ours["carried_coverage"], 1.0, "{name}: {e}");
        let attacks: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["kind"].as_str())
            .filter(|k| ptpscope::report::ATTACK_KINDS.contains(k))
            .collect();
        assert!(attacks.is_empty(), "{name}: {attacks:?}");
        // The leap is one finding; what the host clock's step with it
        // made is told there, not apart. Left: the host's clock is off
        // UTC by its simulated error, more than the bound.
        let findings = v["findings"].as_array().unwrap();
        let mut kinds: Vec<&str> = findings.iter().filter_map(|f| f["kind"].as_str()).collect();
        kinds.sort_unstable();
        assert_eq!(kinds, ["leap_second", "offset_beyond_bound"], "{name}");
        let leap = findings
            .iter()
            .find(|f| f["kind"] == "leap_second")
            .unwrap();
        let folded = &leap["evidence"]["figures"];
        eprintln!("tai-leap-second {name}: leap_second {folded}");
        assert_eq!(folded["causality_conflicts"], 1.0, "{name}: {leap}");
        assert_eq!(folded["flag_changes"], 1.0, "{name}: {leap}");
        assert_eq!(
            e["timescale"]["current_utc_offset_s"],
            if name == "leap61" { 38 } else { 36 },
            "{name}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// `tai-leap-second` with `edits` and the simulator's `extra` arguments,
/// simulated into its own directory (`name`) and analyzed against its
/// truth: the analysis, and the directory to remove.
fn leap_variant(name: &str, edits: &[(&str, &str)], extra: &[&str]) -> (Value, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("ptpscope-analyze-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pcap, truth) = (dir.join("leap.pcapng"), dir.join("leap.truth.json"));
    let scenario = common::scenario_variant("tai-leap-second", &dir, edits);
    common::simulate(&scenario, &pcap, &truth, extra);
    (analyze_against(&truth, &pcap), dir)
}

/// A capture mostly before the leap: its median offset is against the
/// UTC offset before it, and the capture clock is still seen to read UTC,
/// so the leap's finding takes in what its step made.
#[test]
fn a_capture_mostly_before_the_leap_still_reads_utc() {
    let (v, dir) = leap_variant("leap-early", &[], &["--duration", "28"]);
    let e = &v["estimates"][0];
    assert_eq!(e["timescale"]["capture_clock"], "UTC", "{e}");
    assert_eq!(e["timescale"]["current_utc_offset_s"], 37, "{e}");
    let utc = e["timescale"]["offset_vs_utc_median_ns"].as_i64().unwrap();
    assert!(utc.abs() < 1_000_000, "{utc}");
    let mut kinds: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["leap_second", "offset_beyond_bound"], "{v}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A grandmaster that steps its time 10 ms at the leap, seen by a capture
/// clock reading UTC: the conflict is not the leap's second, so it stays
/// an error, with its step, next to the leap's finding.
#[test]
fn a_grandmaster_step_at_a_leap_second_is_not_taken_for_it() {
    let (v, dir) = leap_variant(
        "leap-step",
        &[(
            "[[grandmasters]]",
            "[attack]\nkind = \"time_step\"\nstart_s = 20.02\nend_s = 30\nsize_ns = 10000000\n\n[[grandmasters]]",
        )],
        &[],
    );
    let findings = v["findings"].as_array().unwrap();
    let conflict = findings
        .iter()
        .find(|f| f["kind"] == "causality_conflicts")
        .unwrap_or_else(|| panic!("no causality_conflicts: {findings:?}"));
    assert_eq!(conflict["severity"], "error");
    let step = conflict["evidence"]["figures"]["first_step_ns"]
        .as_f64()
        .unwrap();
    assert!((step + 1.01e9).abs() < 1e5, "{step}");
    let leap = findings
        .iter()
        .find(|f| f["kind"] == "leap_second")
        .unwrap();
    assert!(
        leap["evidence"]["figures"]["causality_conflicts"].is_null(),
        "{leap}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A capture clock on TAI (a NIC synchronized by PTP) does not step at the
/// leap: the leap is still one finding, and nothing else is laid on it.
#[test]
fn a_leap_second_seen_by_a_clock_on_tai_is_the_leap_alone() {
    let (v, dir) = leap_variant("leap-tai", &[("utc = true", "utc = false")], &[]);
    let e = &v["estimates"][0];
    assert_eq!(e["timescale"]["capture_clock"], "TAI", "{e}");
    assert_eq!(e["conflicts"], 0, "{e}");
    assert_eq!(e["truth"]["ours"]["hard_coverage"], 1.0, "{e}");
    let findings = v["findings"].as_array().unwrap();
    let leap: Vec<_> = findings
        .iter()
        .filter(|f| f["kind"] == "leap_second")
        .collect();
    assert_eq!(leap.len(), 1, "{findings:?}");
    let text = leap[0]["text"].as_str().unwrap();
    assert!(
        text.contains("inserted") && text.contains("37 → 38"),
        "{text}"
    );
    assert!(!text.contains("reads UTC"), "{text}");
    for k in [
        "leap_flag_change",
        "utc_offset_change",
        "causality_conflicts",
    ] {
        assert!(findings.iter().all(|f| f["kind"] != k), "{k}: {findings:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
