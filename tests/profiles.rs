//! Profiles told from real captures, and their violations: the TIMESAFE
//! captures are ITU-T G.8275.1, the scapy gPTP capture IEEE 802.1AS; the
//! same G.8275.1 traffic moved to domain 0 violates its domain range; no
//! clean capture raises a profile finding but the one that breaks its
//! profile (C37.238 over UDP); header mismatches are `invalid_field`.

mod common;

use std::path::{Path, PathBuf};

use common::{capture_files, pcap, ptpscope, shared_capture, sync_frame, tmp};
use ptpscope::report::PROFILE_KINDS;
use serde_json::Value;

fn analyze(file: &Path) -> Value {
    let out = ptpscope(&[
        "analyze",
        "--no-progress",
        "-f",
        "json",
        file.to_str().unwrap(),
    ]);
    serde_json::from_slice(&out.stdout).expect("analyze JSON")
}

/// (majorSdoId/domain, profile) of every domain.
fn profiles(v: &Value) -> Vec<(String, String)> {
    v["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                format!("{}/{}", p["major_sdo_id"], p["domain"]),
                p["profile"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn profile_findings(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .filter(|k| PROFILE_KINDS.contains(k))
        .collect()
}

fn pair(d: &str, p: &str) -> (String, String) {
    (d.to_string(), p.to_string())
}

#[test]
fn real_captures_are_identified() {
    let cases = [
        (
            "genesys-neu_s-plane_security__2024-10-08-sync_attack_1.pcap",
            "0/24",
            "g8275_1",
        ),
        (
            "genesys-neu_s-plane_security__2024-10-06-announce_attack_UEdata.pcap",
            "0/24",
            "g8275_1",
        ),
        (
            "genesys-neu_s-plane_security__prod_successful_announce_attack_ptp.pcap",
            "0/24",
            "g8275_1",
        ),
        (
            "weinshec_scapy-gptp__ptp_example.pcapng",
            "1/0",
            "ieee802_1as",
        ),
        (
            "the-tcpdump-group_tcpdump__ptp_corrections.pcap",
            "0/44",
            "g8275_2",
        ),
        ("ebu_pi-list__PTP_clock.pcap", "0/0", "aes67_or_st2059_2"),
        ("ebu_pi-list__PTP_at_clock.pcap", "0/0", "c37_238"),
    ];
    for (name, domain, profile) in cases {
        let Some(f) = shared_capture(name) else {
            eprintln!("skipped: ../shared/captures is absent");
            return;
        };
        assert_eq!(profiles(&analyze(&f)), [pair(domain, profile)], "{name}");
    }
    let field = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures/field/announce-domain127-loginterval-minus2.pcap");
    if field.exists() {
        assert_eq!(profiles(&analyze(&field)), [pair("0/127", "st2059_2")]);
    }
}

#[test]
fn the_lab_captures_run_no_named_profile_but_gptp() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let v = analyze(&root.join("lab-gptp.pcap"));
    assert_eq!(profiles(&v), [pair("1/0", "ieee802_1as")]);
    // ptp4l's E2E over Ethernet at Sync 8/s: outside the default profile's
    // Sync range, so named by nothing.
    let v = analyze(&root.join("lab-l2-e2e.pcap"));
    assert_eq!(profiles(&v), [pair("0/0", "unknown")]);
    let basis = v["profiles"][0]["basis"].to_string();
    assert!(basis.contains("outside the default"), "{basis}");
}

/// The frames of a little-endian pcap with their record headers, each
/// frame's bytes changed by `edit`.
fn rewrite_pcap(bytes: &[u8], edit: impl Fn(&mut [u8])) -> Vec<u8> {
    assert_eq!(&bytes[..4], [0xd4, 0xc3, 0xb2, 0xa1], "little-endian pcap");
    let mut out = bytes[..24].to_vec();
    let mut i = 24;
    while i + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[i + 8..i + 12].try_into().unwrap()) as usize;
        let end = (i + 16 + len).min(bytes.len());
        let mut rec = bytes[i..end].to_vec();
        edit(&mut rec[16..]);
        out.extend(rec);
        i = end;
    }
    out
}

#[test]
fn g8275_1_moved_to_domain_0_violates_its_domain_range() {
    let Some(f) = shared_capture("genesys-neu_s-plane_security__2024-10-08-sync_attack_1.pcap")
    else {
        eprintln!("skipped: ../shared/captures is absent");
        return;
    };
    let moved = rewrite_pcap(&std::fs::read(&f).unwrap(), |frame| {
        // Untagged Ethernet PTP: domainNumber is octet 4 of the message.
        if frame.len() > 18 && frame[12..14] == [0x88, 0xf7] {
            frame[18] = 0;
        }
    });
    let v = analyze(&tmp("g8275-1-domain-0.pcap", &moved));
    assert_eq!(profiles(&v), [pair("0/0", "g8275_1")]);
    let kinds = profile_findings(&v);
    assert_eq!(kinds, ["profile_domain"], "{v}");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "profile_domain")
        .unwrap();
    assert!(f["clause"].as_str().unwrap().contains("G.8275.1"), "{f}");
    assert!(f["text"].as_str().unwrap().contains("24–43"), "{f}");
}

#[test]
fn clean_captures_raise_no_profile_finding_but_c37_238_over_udp() {
    let mut files: Vec<PathBuf> = capture_files()
        .into_iter()
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("genesys-neu_"))
        })
        .collect();
    let field = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/field");
    if let Ok(rd) = std::fs::read_dir(&field) {
        files.extend(
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "pcap")),
        );
    }
    for f in files {
        let v = analyze(&f);
        let got = profile_findings(&v);
        // A C37.238 power-profile clock (its TLV in every Announce) over
        // UDP with unicast negotiation: the profile maps PTP onto Ethernet.
        if f.ends_with("ebu_pi-list__PTP_at_clock.pcap") {
            assert_eq!(
                got,
                ["profile_transport", "profile_transport"],
                "{}",
                f.display()
            );
        } else {
            assert_eq!(got, Vec::<&str>::new(), "{}", f.display());
        }
    }
}

#[test]
fn version_and_length_mismatches_are_invalid_fields() {
    let mut version = sync_frame(1);
    version[15] = 0x03; // versionPTP 3
    let mut short = sync_frame(2);
    short[16..18].copy_from_slice(&30u16.to_be_bytes()); // below a Sync's 44
    let good = sync_frame(3);
    let v = analyze(&tmp("mismatch.pcap", &pcap(&[version, short, good])));
    let invalid: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "invalid_field")
        .collect();
    let texts: Vec<&str> = invalid
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(invalid.len(), 2, "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("versionPTP 3")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("messageLength")),
        "{texts:?}"
    );
    assert_eq!(v["messages"]["malformed"], 2);
}
