//! The transparent-clock ledger over the lab's TC captures: flags for TCs
//! that re-source frames and TCs that keep the source MAC, residence
//! against tshark's per-message correction differences, and bad inputs.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{lab, pcap, ptpscope, tmp};
use serde_json::Value;

const RESOURCED: &str = "TC re-sourced the frame";
const KEPT: &str =
    "frame modified in transit with unchanged source MAC (IEEE 1588 TC vs IEEE 802.1Q)";

fn analyze(args: &[&str]) -> Value {
    let mut a = vec!["analyze", "--format", "json"];
    a.extend_from_slice(args);
    let out = ptpscope(&a);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn hop<'v>(v: &'v Value, from: &str, to: &str) -> &'v Value {
    v["hops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["from"] == from && h["to"] == to)
        .unwrap_or_else(|| panic!("no hop {from} -> {to} in {}", v["hops"]))
}

fn flags(h: &Value) -> Vec<String> {
    h["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

const SCENARIOS: [(&str, bool); 4] = [
    ("e2e-tc", false),
    ("e2e-tc-keepmac", true),
    ("p2p-tc", false),
    ("p2p-tc-keepmac", true),
];

#[test]
fn each_kind_of_tc_is_flagged_in_both_capture_forms() {
    for (name, keeps_mac) in SCENARIOS {
        let one = analyze(&[lab(&format!("lab-{name}.pcapng")).to_str().unwrap()]);
        let gm = format!("gm={}", lab(&format!("lab-{name}-gm-side.pcap")).display());
        let sl = format!(
            "sl={}",
            lab(&format!("lab-{name}-slave-side.pcap")).display()
        );
        let two = analyze(&["--point", &gm, "--point", &sl]);
        for (v, from, to) in [(&one, "tcg", "tcs"), (&two, "gm", "sl")] {
            let h = hop(v, from, to);
            let f = flags(h);
            let ctx = format!("{name} {from}->{to}: {f:?}");
            assert_eq!(h["source_mac_changed"], !keeps_mac, "{ctx}");
            assert_eq!(h["other_bytes_changed"], false, "{ctx}");
            assert_eq!(h["correction_added"], true, "{ctx}");
            if keeps_mac {
                assert!(f.iter().any(|x| x == KEPT), "{ctx}");
                assert!(!f.iter().any(|x| x == RESOURCED), "{ctx}");
            } else {
                assert!(f.iter().any(|x| x == RESOURCED), "{ctx}");
                assert!(!f.iter().any(|x| x == KEPT), "{ctx}");
            }
            let types = h["message_types"].as_array().unwrap();
            assert!(types.iter().any(|t| t == "Sync"), "{ctx}");
            let m = h["matched"].as_u64().unwrap();
            assert!(m > 50, "{ctx}: {m}");
            let r = h["residence_ns"]["median"].as_i64().unwrap();
            // ptp4l's software-timestamped residence: tens of µs, not ms.
            assert!((1_000..2_000_000).contains(&r), "{ctx}: {r}");
            assert!(
                !f.iter().any(|x| x.contains("not a transparent clock")),
                "{ctx}"
            );
            assert!(!f.iter().any(|x| x.contains("negative")), "{ctx}");
        }
        // The same traffic recorded by tcpdump and by dumpcap (which start
        // and stop a few frames apart): the same residence, near enough.
        let (a, b) = (hop(&one, "tcg", "tcs"), hop(&two, "gm", "sl"));
        let med = |h: &Value| h["residence_ns"]["median"].as_f64().unwrap();
        assert!((med(a) / med(b) - 1.0).abs() < 0.2, "{name}: {a} vs {b}");
    }
}

#[test]
fn e2e_two_step_tc_puts_delay_req_residence_in_delay_resp() {
    let v = analyze(&[lab("lab-e2e-tc.pcapng").to_str().unwrap()]);
    let back = hop(&v, "tcs", "tcg");
    assert_eq!(back["message_types"], serde_json::json!(["Delay_Req"]));
    assert!(
        flags(back)
            .iter()
            .any(|f| f.contains("carried in its Delay_Resp")),
        "{back}"
    );
    let c = v["delay_correction_consistency"].as_array().unwrap();
    let at = |p: &str| c.iter().find(|x| x["point"] == p).unwrap()["resp_minus_req_ns"].clone();
    assert_eq!(at("tcg")["max"], 0, "at the master's side they are equal");
    assert!(at("tcs")["median"].as_i64().unwrap() > 1_000);
    // Two-step TC: the Sync's residence travels in the Follow_Up.
    let fwd = hop(&v, "tcg", "tcs");
    let c = &fwd["sync_carriage"];
    assert_eq!(c["in_sync"], 0);
    assert!(c["in_follow_up"].as_u64().unwrap() > 20, "{c}");
    assert!(!flags(fwd).iter().any(|f| f.contains("mixed")));
}

/// tshark's per-message correction at each interface of a two-interface
/// pcapng, differenced, against our per-type median for the hop.
#[test]
fn residence_medians_match_tshark_correction_differences() {
    if !common::have("tshark") {
        return;
    }
    for (name, _) in SCENARIOS {
        let f = lab(&format!("lab-{name}.pcapng"));
        let fields = [
            "frame.interface_name",
            "ptp.v2.messagetype",
            "ptp.v2.clockidentity",
            "ptp.v2.sourceportid",
            "ptp.v2.sequenceid",
            "ptp.v2.correction.ns",
            "ptp.v2.correction.subns",
        ];
        let mut seen: HashMap<(String, String, String, String), HashMap<String, f64>> =
            HashMap::new();
        for l in common::tshark_ptp_fields(&f, &fields).lines() {
            let c: Vec<&str> = l.split('\t').collect();
            let ns: f64 = c[5].parse().unwrap();
            let sub: f64 = c[6].parse().unwrap_or(0.0);
            let ty = common::ptp_type_name(c[1]).unwrap_or("?");
            let key = (ty.into(), c[2].into(), c[3].into(), c[4].into());
            seen.entry(key)
                .or_default()
                .insert(c[0].into(), ns + sub / 65536.0);
        }
        let v = analyze(&[f.to_str().unwrap()]);
        let h = hop(&v, "tcg", "tcs");
        for t in h["per_type"].as_array().unwrap() {
            let code = t["message_type"].as_str().unwrap();
            let mut diffs: Vec<f64> = seen
                .iter()
                .filter(|((ty, ..), _)| ty == code)
                .filter_map(|(_, at)| Some(at.get("tcs")? - at.get("tcg")?))
                .collect();
            diffs.sort_by(f64::total_cmp);
            assert_eq!(
                diffs.len() as u64,
                t["matched"].as_u64().unwrap(),
                "{name} {t}"
            );
            let want = diffs[diffs.len().div_ceil(2) - 1];
            let got = t["residence_ns"]["median"].as_f64().unwrap();
            assert!(
                (got - want).abs() <= (want.abs() * 0.02).max(1.0),
                "{name} {}: ours {got}, tshark {want}",
                t["message_type"]
            );
        }
    }
}

#[test]
fn the_same_capture_twice_is_named_as_such() {
    let f = lab("lab-l2-e2e.pcap");
    let (a, b) = (format!("a={}", f.display()), format!("b={}", f.display()));
    let v = analyze(&["--point", &a, "--point", &b]);
    let h = hop(&v, "a", "b");
    assert!(
        flags(h).iter().any(|f| f.contains("one capture twice")),
        "{h}"
    );
    assert_eq!(h["correction_added"], false);
}

/// Rewrites a little-endian pcap with every timestamp moved by `secs`.
fn shifted(src: &Path, name: &str, secs: u32) -> std::path::PathBuf {
    let mut b = std::fs::read(src).unwrap();
    let mut off = 24;
    while off + 16 <= b.len() {
        let sec = u32::from_le_bytes(b[off..off + 4].try_into().unwrap());
        b[off..off + 4].copy_from_slice(&(sec + secs).to_le_bytes());
        let cap = u32::from_le_bytes(b[off + 8..off + 12].try_into().unwrap()) as usize;
        off += 16 + cap;
    }
    tmp(name, &b)
}

#[test]
fn points_whose_clocks_disagree_are_flagged_and_keep_their_corrections() {
    let gm = lab("lab-e2e-tc-gm-side.pcap");
    let sl = shifted(
        &lab("lab-e2e-tc-slave-side.pcap"),
        "skewed-slave-side.pcap",
        5,
    );
    let (a, b) = (
        format!("gm={}", gm.display()),
        format!("sl={}", sl.display()),
    );
    let v = analyze(&["--point", &a, "--point", &b]);
    let h = hop(&v, "gm", "sl");
    assert!(flags(h).iter().any(|f| f.contains("disagree")), "{h}");
    let plain = analyze(&[
        "--point",
        &a,
        "--point",
        &format!("sl={}", lab("lab-e2e-tc-slave-side.pcap").display()),
    ]);
    assert_eq!(h["residence_ns"], hop(&plain, "gm", "sl")["residence_ns"]);
    // Delay_Req still goes from the slave's side to the grandmaster's.
    let back = hop(&v, "sl", "gm");
    assert_eq!(back["message_types"], serde_json::json!(["Delay_Req"]));
    assert_eq!(back["matched"], hop(&plain, "sl", "gm")["matched"]);
}

#[test]
fn a_point_without_ptp_is_a_warning() {
    let mut lldp = vec![
        0x01, 0x80, 0xc2, 0, 0, 0x0e, 0x02, 0, 0, 0, 0, 9, 0x88, 0xcc,
    ];
    lldp.extend([0; 46]);
    let f = tmp("no-ptp.pcap", &pcap(&[lldp.clone(), lldp]));
    let v = analyze(&[
        lab("lab-l2-e2e.pcap").to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    let w = v["warnings"].as_array().unwrap();
    assert!(
        w.iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("no-ptp: 2 frames, no PTP message")),
        "{w:?}"
    );
    assert!(v["hops"].as_array().unwrap().is_empty());
}

#[test]
fn path_limits_hops_to_neighbours() {
    let f = lab("lab-e2e-tc.pcapng");
    let v = analyze(&["--path", "tcg,tcs", f.to_str().unwrap()]);
    assert!(v["hops"].as_array().unwrap().len() >= 2);
    let out = ptpscope(&["analyze", "--path", "tcg,nowhere", f.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nowhere"), "{err}");
}
