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
