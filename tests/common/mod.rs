//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project's own captures (`captures/`) and, when present beside the
/// checkout, the shared corpus (`../shared/captures/`).
pub fn capture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v = Vec::new();
    for dir in [root.join("captures"), root.join("../shared/captures")] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            eprintln!(
                "note: {} not found, its captures are skipped",
                dir.display()
            );
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let ext = p.extension().and_then(|s| s.to_str()).unwrap_or("");
            if ext == "pcap" || ext == "pcapng" {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

pub fn shared_capture(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures")
        .join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} not present", p.display());
        None
    }
}

pub fn ptpscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ptpscope"))
        .args(args)
        .output()
        .expect("run ptpscope")
}

/// Every JSON record `ptpscope decode --format json FILE` prints.
pub fn decode_json(file: &Path) -> Vec<serde_json::Value> {
    let out = ptpscope(&["decode", "--format", "json", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: {tool} not installed");
    }
    ok
}

pub fn lab(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

pub fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ptpscope-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A little-endian microsecond pcap of Ethernet frames.
pub fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    b.extend(65535u32.to_le_bytes());
    b.extend(1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        for v in [1_700_000_000u32, i as u32, f.len() as u32, f.len() as u32] {
            b.extend(v.to_le_bytes());
        }
        b.extend(f);
    }
    b
}

/// An Ethernet frame carrying a PTP Sync with sequenceId `seq`.
pub fn sync_frame(seq: u16) -> Vec<u8> {
    let mut f = vec![0x01, 0x1b, 0x19, 0, 0, 0, 0x02, 0, 0, 0, 0, 1, 0x88, 0xf7];
    f.extend([0x00, 0x02, 0x00, 0x2c, 0x00, 0x00, 0x02, 0x00]);
    f.extend([0; 8]); // correctionField
    f.extend([0; 4]);
    f.extend([0x02, 0, 0, 0xff, 0xfe, 0, 0, 1, 0, 1]);
    f.extend(seq.to_be_bytes());
    f.extend([0x00, 0xfd]);
    f.extend([0, 0, 0x65, 0x5d, 0x2f, 0x10, 0, 0, 0x03, 0xe8]);
    f
}

/// PTPv2 messageType values and the names ptpscope gives them.
pub const PTP_TYPES: [(u64, &str); 10] = [
    (0, "Sync"),
    (1, "Delay_Req"),
    (2, "Pdelay_Req"),
    (3, "Pdelay_Resp"),
    (8, "Follow_Up"),
    (9, "Delay_Resp"),
    (10, "Pdelay_Resp_Follow_Up"),
    (11, "Announce"),
    (12, "Signaling"),
    (13, "Management"),
];

/// The name of a messageType as tshark prints it (`0x0b`).
pub fn ptp_type_name(tshark: &str) -> Option<&'static str> {
    let code = u64::from_str_radix(tshark.trim().trim_start_matches("0x"), 16).ok()?;
    PTP_TYPES.iter().find(|(n, _)| *n == code).map(|(_, s)| *s)
}

/// `tshark -T fields` over every PTPv2 message of `file`: one line per
/// message, the first occurrence of each of `fields`, tab-separated.
pub fn tshark_ptp_fields(file: &Path, fields: &[&str]) -> String {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(file);
    cmd.args([
        "-Y",
        "ptp.v2.messagetype",
        "-T",
        "fields",
        "-E",
        "occurrence=f",
    ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(out.status.success(), "tshark failed on {}", file.display());
    String::from_utf8(out.stdout).expect("tshark prints UTF-8")
}

/// `ptpscope simulate -s SCENARIO -o PCAP --truth TRUTH [extra]`, checked.
pub fn simulate(scenario: &Path, pcap: &Path, truth: &Path, extra: &[&str]) {
    let mut args = vec![
        "simulate",
        "-s",
        scenario.to_str().unwrap(),
        "-o",
        pcap.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = ptpscope(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The named scenario `name`'s TOML with each (from, to) replaced,
/// written into `dir`.
pub fn scenario_variant(name: &str, dir: &Path, edits: &[(&str, &str)]) -> PathBuf {
    let named = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml")),
    )
    .unwrap();
    let mut text = named.clone();
    for (from, to) in edits {
        assert!(text.contains(from), "{name}: no {from}");
        text = text.replace(from, to);
    }
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}
