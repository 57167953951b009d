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
