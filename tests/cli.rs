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
    // Cut inside the 24-octet file header: said so, not "a record".
    let f = tmp("header.pcap", &pcap(&[sync_frame(1)])[..10]);
    let out = ptpscope(&["decode", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("header.pcap: truncated capture: the file ends inside its header"),
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
    // The body is whole: it is shown as well.
    assert_eq!(recs[1]["timestamp"]["nanoseconds"], 1000, "{}", recs[1]);
    assert_eq!(
        recs[1]["body"]["origin_timestamp"]["seconds"],
        0x655d2f10u64
    );
    assert_eq!(recs[2]["error"]["field"], "sourcePortIdentity");
    assert!(recs[2]["body"].is_null() && recs[2]["sequence_id"].is_null());
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

/// A Signaling over L2 from 020000.fffe.000030-1: targetPortIdentity
/// "all ports", then `tlvs`; messageLength counts what is there.
fn signaling_frame(tlvs: &[&[u8]]) -> Vec<u8> {
    let mut m = vec![0x0c, 0x02, 0, 0, 0, 0, 0x04, 0];
    m.extend([0; 12]);
    m.extend([0x02, 0, 0, 0xff, 0xfe, 0, 0, 0x30, 0, 1, 0, 3, 5, 0x7f]);
    m.extend([0xff; 10]);
    for t in tlvs {
        m.extend_from_slice(t);
    }
    let len = m.len() as u16;
    m[2..4].copy_from_slice(&len.to_be_bytes());
    let mut f = vec![
        0x01, 0x1b, 0x19, 0, 0, 0, 0x02, 0, 0, 0, 0, 0x30, 0x88, 0xf7,
    ];
    f.extend(m);
    f
}

/// IEEE 1588-2019 §14: a message whose second TLV is bad keeps its header,
/// its body and its first TLV, in JSON, text and CSV.
#[test]
fn a_bad_tlv_keeps_the_header_body_and_tlvs_before_it() {
    let request: &[u8] = &[0x00, 0x04, 0x00, 0x06, 0x00, 0xfc, 0, 0, 0x01, 0x2c];
    let overrun: &[u8] = &[0x00, 0x04, 0x00, 0x1c, 0xb0, 0xfc, 0, 0, 0x01, 0x2c];
    let f = tmp(
        "bad-second-tlv.pcap",
        &pcap(&[
            signaling_frame(&[request, overrun]),
            signaling_frame(&[request]),
        ]),
    );
    let recs = decode_json(&f);
    assert_eq!(recs.len(), 2);
    let r = &recs[0];
    assert_eq!(r["error"]["field"], "lengthField", "{r}");
    assert_eq!(r["error"]["offset"], 56, "{r}");
    assert_eq!(r["message_type"], "Signaling");
    assert_eq!(r["source_port"], "020000.fffe.000030-1");
    assert_eq!(
        r["body"]["target_port_identity"],
        "ffffff.ffff.ffffff-65535"
    );
    let tlvs = r["tlvs"].as_array().unwrap();
    assert_eq!(tlvs.len(), 1, "{r}");
    assert_eq!(tlvs[0]["type"], "REQUEST_UNICAST_TRANSMISSION");
    assert_eq!(tlvs[0]["message_type"], "Sync");
    assert!(recs[1].get("error").is_none());

    let out = ptpscope(&["decode", f.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.contains(
            "** MALFORMED PTP Signaling seq 3 [REQUEST_UNICAST_TRANSMISSION]: lengthField at byte 56"
        ),
        "{first}"
    );
    let out = ptpscope(&["decode", "-f", "csv", f.to_str().unwrap()]);
    let csv = String::from_utf8(out.stdout).unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.contains(",REQUEST_UNICAST_TRANSMISSION,lengthField at byte 56"),
        "{row}"
    );
    // analyze counts it as one malformed message, not as a Signaling.
    let out = ptpscope(&["analyze", "-f", "json", f.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["messages"]["malformed"], 1);
    assert_eq!(v["messages"]["Signaling"], 1);
    assert_eq!(v["errors"]["first"][0]["offset"], 56);
}

/// The field cases of IEEE 1588-2019 §13–§14 (field/README.md): what
/// decoded before the fault is reported with it, and the offset is where
/// the faulty field starts.
#[test]
fn field_malformed_messages_keep_what_decoded() {
    let (Some(gptp), Some(mgmt)) = (
        shared_capture("field/gptp-signaling-tlv-length-28.pcap"),
        shared_capture("field/mgmt-time-short-data-bad-control.pcap"),
    ) else {
        eprintln!("skipped: ../shared/captures is absent");
        return;
    };
    let recs = decode_json(&gptp);
    let r = &recs[0];
    assert_eq!(r["error"]["field"], "lengthField", "{r}");
    assert_eq!(r["error"]["offset"], 46, "{r}");
    assert_eq!(r["major_sdo_id"], 1);
    assert_eq!(r["sequence_id"], 0);
    assert_eq!(
        r["body"]["target_port_identity"],
        "ffffff.ffff.ffffff-65535"
    );
    assert_eq!(r["tlvs"], serde_json::json!([]));
    assert!(recs[1].get("error").is_none());

    let recs = decode_json(&mgmt);
    let r = &recs[1];
    assert_eq!(r["error"]["field"], "currentTime", "{r}");
    assert_eq!(r["error"]["offset"], 54, "{r}");
    assert_eq!(r["control_field"], 0);
    assert_eq!(r["body"]["target_port_identity"], "020000.fffe.000009-1");
    assert_eq!(r["body"]["action_octet"], 2);
    assert!(recs[0].get("error").is_none() && recs[2].get("error").is_none());
}
