//! `ptpscope decode` run as a program over real captures and broken files.

mod common;

use common::{decode_json, lab, pcap, ptpscope, shared_capture, sync_frame, tmp};

#[test]
fn text_output_of_a_lab_capture() {
    let out = ptpscope(&["decode", lab("lab-l2-e2e.pcap").to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 103);
    let first_sync = text.lines().find(|l| l.contains(" Sync ")).unwrap();
    assert!(
        first_sync.contains("02:00:00:00:00:01 → 01:1b:19:00:00:00 PTPv2.0 Sync dom 0"),
        "{first_sync}"
    );
    assert!(
        first_sync.contains("src 020000.fffe.000001-1"),
        "{first_sync}"
    );
    assert!(first_sync.ends_with("two-step"), "{first_sync}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("103 frames: 103 PTP messages (103 v2, 0 v1), 0 malformed PTP"),
        "{stderr}"
    );
}

#[test]
fn json_records_carry_the_documented_keys() {
    let recs = decode_json(&lab("lab-udp4-e2e.pcap"));
    assert_eq!(recs.len(), 79);
    let keys = [
        "point",
        "frame",
        "time_ns",
        "src_mac",
        "dst_mac",
        "vlan",
        "transport",
        "src_ip",
        "dst_ip",
        "message_type",
        "version",
        "domain",
        "sequence_id",
        "source_port",
        "flags",
        "correction_scaled",
        "log_message_interval",
        "timestamp",
        "requesting_port",
        "tlvs",
    ];
    for r in &recs {
        for k in keys {
            assert!(r.get(k).is_some(), "missing {k} in {r}");
        }
        assert_eq!(r["point"], "lab-udp4-e2e");
        assert_eq!(r["transport"], "udp4");
    }
    let resp = recs
        .iter()
        .find(|r| r["message_type"] == "Delay_Resp")
        .unwrap();
    assert_eq!(resp["src_ip"], "10.88.0.1");
    assert_eq!(resp["requesting_port"], "020000.fffe.000002-1");
    assert!(resp["timestamp"]["seconds"].as_u64().unwrap() > 1_700_000_000);
    // Frames are numbered from 1 in capture order, times are ns since 1970.
    assert_eq!(recs[0]["frame"], 1);
    assert!(recs[0]["time_ns"].as_i64().unwrap() > 1_700_000_000_000_000_000);
}

#[test]
fn corrections_unicast_and_domain_from_telecom_capture() {
    let Some(f) = shared_capture("the-tcpdump-group_tcpdump__ptp_corrections.pcap") else {
        return;
    };
    let recs = decode_json(&f);
    let sync = recs.iter().find(|r| r["message_type"] == "Sync").unwrap();
    assert_eq!(sync["domain"], 44);
    assert_eq!(sync["correction_scaled"].as_i64().unwrap() >> 16, 105045);
    assert!(
        sync["flags"]
            .as_array()
            .unwrap()
            .contains(&"unicastFlag".into())
    );
    assert!(
        !sync["flags"]
            .as_array()
            .unwrap()
            .contains(&"twoStepFlag".into())
    );
}

#[test]
fn ptpv1_is_reported_as_version_1() {
    let Some(f) = shared_capture("ebu_pi-list__ptpv1.pcap") else {
        return;
    };
    let recs = decode_json(&f);
    assert_eq!(recs.len(), 4);
    assert!(recs.iter().all(|r| r["version"] == "1"));
    assert_eq!(recs[0]["message_type"], "Sync");
}

#[test]
fn pcapng_interfaces_are_points_and_point_names_apply() {
    let recs = decode_json(&lab("lab-e2e-tc.pcapng"));
    let mut points: Vec<&str> = recs.iter().map(|r| r["point"].as_str().unwrap()).collect();
    points.sort();
    points.dedup();
    assert_eq!(points, ["tcg", "tcs"]);

    let f = lab("lab-l2-e2e.pcap");
    let arg = format!("slave={}", f.display());
    let out = ptpscope(&["decode", "-f", "json", "--point", &arg]);
    assert!(out.status.success());
    let first: serde_json::Value = serde_json::from_str(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["point"], "slave");
    let bad = ptpscope(&["decode", "--point", "noequals"]);
    assert!(!bad.status.success());
}

#[test]
fn tlvs_are_decoded_in_json() {
    let recs = decode_json(&lab("lab-unicast.pcap"));
    let grant = recs
        .iter()
        .flat_map(|r| r["tlvs"].as_array().unwrap().iter())
        .find(|t| t["type"] == "GRANT_UNICAST_TRANSMISSION")
        .expect("a grant");
    assert!(grant["duration_field"].as_u64().unwrap() > 0);
    // pmc's GETs: twenty management IDs, each decoded by name.
    let recs = decode_json(&lab("lab-management.pcap"));
    let ids: Vec<&str> = recs
        .iter()
        .map(|r| r["tlvs"][0]["management_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 20);
    assert!(ids.iter().all(|i| !i.starts_with("0x")), "{ids:?}");
    if let Some(f) = shared_capture("the-tcpdump-group_tcpdump__ptp_management.pcap") {
        let recs = decode_json(&f);
        let dds = recs
            .iter()
            .filter(|r| r["body"]["action_octet"] == 2)
            .flat_map(|r| r["tlvs"].as_array().unwrap().iter())
            .find(|t| t["management_id"] == "DEFAULT_DATA_SET")
            .expect("a DEFAULT_DATA_SET response");
        assert_eq!(dds["priority1"], 128);
        assert_eq!(dds["clock_quality"]["clock_class"], 248);
        assert_eq!(dds["clock_identity"], "000000.fffe.000012");
    }
    let recs = decode_json(&lab("lab-gptp.pcap"));
    let fu = recs
        .iter()
        .find(|r| r["message_type"] == "Follow_Up")
        .unwrap();
    assert_eq!(fu["major_sdo_id"], 1);
    assert_eq!(fu["tlvs"][0]["organization_id"], "00-80-c2");
    assert!(fu["tlvs"][0].get("cumulative_scaled_rate_offset").is_some());
}

#[test]
fn csv_has_header_and_one_row_per_message() {
    let out = ptpscope(&[
        "decode",
        "-f",
        "csv",
        lab("lab-l2-e2e.pcap").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("point,frame,time_ns,"));
    assert_eq!(lines.count(), 103);
}

#[test]
fn not_a_capture_is_one_clear_error() {
    let f = tmp(
        "notes.pcap",
        b"these are not the packets you are looking for",
    );
    let out = ptpscope(&["decode", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("notes.pcap: not a pcap or pcapng capture file"),
        "{err}"
    );
}

#[test]
fn truncated_capture_keeps_what_was_read_and_names_the_frame() {
    let mut b = pcap(&[sync_frame(1), sync_frame(2), sync_frame(3)]);
    b.truncate(b.len() - 10);
    let f = tmp("cut.pcap", &b);
    let out = ptpscope(&["decode", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cut.pcap: frame 3: truncated capture"),
        "{err}"
    );
}

#[test]
fn unsupported_link_type_is_an_error() {
    let mut b = pcap(&[sync_frame(1)]);
    b[20..24].copy_from_slice(&189u32.to_le_bytes()); // USB Linux
    let f = tmp("usb.pcap", &b);
    let out = ptpscope(&["decode", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("usb.pcap: frame 1: unsupported link type 189"),
        "{err}"
    );
}

#[test]
fn malformed_ptp_is_reported_in_place_and_decoding_goes_on() {
    let mut bad = sync_frame(2);
    bad[14 + 3] = 0x40; // messageLength 64 > 44 present
    let mut short = sync_frame(3);
    short.truncate(14 + 20);
    let f = tmp(
        "mixed.pcap",
        &pcap(&[sync_frame(1), bad, short, sync_frame(4)]),
    );
    let out = ptpscope(&["decode", "-f", "json", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let recs: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 4);
    assert!(recs[0].get("error").is_none());
    assert_eq!(recs[1]["error"]["field"], "messageLength");
    assert_eq!(recs[1]["error"]["offset"], 2);
    assert_eq!(
        recs[1]["sequence_id"], 2,
        "the readable header is still shown"
    );
    assert_eq!(recs[2]["error"]["field"], "sourcePortIdentity");
    assert_eq!(recs[2]["error"]["offset"], 20);
    assert_eq!(recs[3]["sequence_id"], 4);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("2 malformed PTP"), "{err}");

    let out = ptpscope(&["decode", f.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .contains("** MALFORMED PTP Sync seq 2: messageLength at byte 2"),
        "{text}"
    );
}

#[test]
fn analyze_of_an_unreadable_input_prints_only_the_error() {
    let dir = tmp("placeholder", b"");
    let dir = dir.parent().unwrap();
    let missing = dir.join("no-such-capture.pcap");
    for (arg, says) in [
        (
            missing.to_str().unwrap(),
            "no-such-capture.pcap: cannot open: No such file",
        ),
        (dir.to_str().unwrap(), ": cannot open: is a directory"),
    ] {
        for format in ["text", "json"] {
            let out = ptpscope(&["analyze", "-f", format, arg]);
            assert_eq!(out.status.code(), Some(1), "{arg}");
            assert!(
                out.stdout.is_empty(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
            let err = String::from_utf8(out.stderr).unwrap();
            assert!(err.contains(says), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }
    // decode: the error alone too.
    let out = ptpscope(&["decode", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.ends_with(": cannot open: is a directory\n"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // One good input of two: the analysis of what was read, and the error.
    let out = ptpscope(&[
        "analyze",
        "-f",
        "json",
        lab("lab-l2-e2e.pcap").to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["points"][0]["frames"], 103);
}
