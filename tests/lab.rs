//! Lab test: records fresh captures with linuxptp in network namespaces
//! (`captures/make-lab-captures.sh`, every ptp4l free-running with software
//! timestamps) and decodes them. Needs root, ptp4l, pmc, tcpdump and dumpcap;
//! skipped with a printed reason otherwise.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn fresh_lab_captures_decode_cleanly() {
    if !is_root() {
        eprintln!("skipped: the lab needs root for network namespaces");
        return;
    }
    for tool in ["ip", "ptp4l", "pmc", "tcpdump", "dumpcap"] {
        if !on_path(tool) {
            eprintln!("skipped: {tool} not installed");
            return;
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("ptpscope-lab-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let status = Command::new("bash")
        .arg(root.join("captures/make-lab-captures.sh"))
        .arg(&out)
        .status()
        .expect("run the lab script");
    assert!(status.success(), "lab script failed");

    let types = |file: &str| -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in common::decode_json(&out.join(file)) {
            assert!(r.get("error").is_none(), "{file}: {r}");
            *m.entry(r["message_type"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        m
    };
    for (file, want) in [
        (
            "lab-l2-e2e.pcap",
            &["Announce", "Sync", "Follow_Up", "Delay_Req", "Delay_Resp"][..],
        ),
        (
            "lab-udp4-e2e.pcap",
            &["Announce", "Sync", "Follow_Up", "Delay_Req", "Delay_Resp"],
        ),
        (
            "lab-e2e-tc-gm-side.pcap",
            &["Announce", "Sync", "Follow_Up"],
        ),
        (
            "lab-e2e-tc-slave-side.pcap",
            &["Announce", "Sync", "Follow_Up"],
        ),
        ("lab-e2e-tc.pcapng", &["Announce", "Sync", "Follow_Up"]),
        (
            "lab-p2p-tc.pcapng",
            &["Sync", "Pdelay_Req", "Pdelay_Resp", "Pdelay_Resp_Follow_Up"],
        ),
        ("lab-gptp.pcap", &["Sync", "Follow_Up", "Pdelay_Req"]),
        ("lab-management.pcap", &["Management"]),
        ("lab-unicast.pcap", &["Signaling"]),
    ] {
        let seen = types(file);
        for t in want {
            assert!(
                seen.get(*t).is_some_and(|&n| n > 0),
                "{file}: no {t} in {seen:?}"
            );
        }
        let size = std::fs::metadata(out.join(file)).unwrap().len();
        assert!(size < 200_000, "{file}: {size} bytes");
    }
    let _ = std::fs::remove_dir_all(&out);
}
