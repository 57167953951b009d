//! The attack kinds against known truth and real captures: every
//! simulated attack is found inside its window (and no attack kind outside
//! it), no attack kind is raised on a clean capture or simulation, and the
//! TIMESAFE captures' attacks are named.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{capture_files, ptpscope, shared_capture, tmp};
use ptpscope::report::ATTACK_KINDS;
use serde_json::Value;

/// Simulates `scenario` with `seed`; analyzes it against its truth:
/// (analyze JSON, truth JSON).
fn simulate(scenario: &str, seed: u64) -> (Value, Value) {
    let dir = tmp("placeholder", b"");
    let dir = dir.parent().unwrap();
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let pcap: PathBuf = dir.join(format!("attack-{scenario}-{seed}-{n}.pcapng"));
    let truth: PathBuf = dir.join(format!("attack-{scenario}-{seed}-{n}.truth.json"));
    let seed = seed.to_string();
    let out = ptpscope(&[
        "simulate",
        "-s",
        scenario,
        "--seed",
        &seed,
        "-o",
        pcap.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = analyze(&pcap, &["--truth", truth.to_str().unwrap()]);
    let t = serde_json::from_slice(&std::fs::read(&truth).unwrap()).expect("truth JSON");
    let _ = std::fs::remove_file(&pcap);
    let _ = std::fs::remove_file(&truth);
    (a, t)
}

fn analyze(file: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["analyze", "--no-progress", "-f", "json"];
    args.extend_from_slice(extra);
    args.push(file.to_str().unwrap());
    let out = ptpscope(&args);
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("analyze JSON")
}

/// The attack-kind findings of an analysis.
fn attacks(v: &Value) -> Vec<&Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ATTACK_KINDS.contains(&f["kind"].as_str().unwrap()))
        .collect()
}

fn kinds(v: &Value) -> Vec<&str> {
    attacks(v)
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect()
}

const SCENARIOS: [&str; 9] = [
    "attack-spoofed-messages",
    "attack-spoofed-source",
    "attack-rogue-announce",
    "attack-grandmaster-flapping",
    "attack-message-flood",
    "attack-replayed-messages",
    "attack-invalid-field",
    "attack-asymmetry-change",
    "attack-time-step",
];

#[test]
fn every_simulated_attack_is_found_inside_its_window() {
    for scenario in SCENARIOS {
        for seed in [1, 2] {
            let (v, truth) = simulate(scenario, seed);
            let attack = &truth["attacks"][0];
            let kind = attack["kind"].as_str().unwrap();
            let start = attack["start_ns"].as_i64().unwrap();
            let end = attack["end_ns"].as_i64().unwrap();
            let found = attacks(&v);
            let mine = found
                .iter()
                .find(|f| f["kind"] == kind)
                .unwrap_or_else(|| panic!("{scenario} seed {seed}: no {kind} in {found:?}"));
            let e = &mine["evidence"];
            assert!(e["count"].as_u64().unwrap() > 0, "{mine}");
            assert!(mine["clause"].as_str().unwrap().contains("1588"), "{mine}");
            // Capture times are the point's clock (tens of µs off true
            // time); a step back at the window's end is seen a window of
            // samples later.
            for f in &found {
                let first = f["evidence"]["first_ns"].as_i64().unwrap();
                let last = f["evidence"]["last_ns"].as_i64().unwrap();
                assert!(
                    start - 10_000_000 <= first && last <= end + 1_000_000_000,
                    "{scenario} seed {seed}: {} at {first}..{last}, outside the window {start}..{end}",
                    f["kind"]
                );
            }
            // The hard bound holds through every attack, and so does a
            // record carried forward (but across the grandmaster's own
            // step, which no record can foresee and the scorer skips).
            for e in v["estimates"].as_array().unwrap() {
                let ours = &e["truth"]["ours"];
                assert_eq!(ours["hard_coverage"], 1.0, "{scenario} seed {seed}: {e}");
                assert_eq!(ours["carried_coverage"], 1.0, "{scenario} seed {seed}: {e}");
                let skipped = ours["carried_across_steps"].as_u64().unwrap();
                if scenario == "attack-time-step" {
                    eprintln!(
                        "{scenario} seed {seed}: {} carried checks, {skipped} across the step not made",
                        ours["carried_checks"]
                    );
                    assert!(skipped > 0, "{e}");
                } else {
                    assert_eq!(skipped, 0, "{scenario}: {e}");
                }
            }
            // What an attacker sends under the grandmaster's name reaches
            // no estimate: the offset stays as true as without it.
            if matches!(
                scenario,
                "attack-spoofed-messages" | "attack-replayed-messages"
            ) {
                assert!(
                    v["set_aside"][if scenario.contains("spoofed") {
                        "spoofed"
                    } else {
                        "replayed"
                    }]
                    .as_u64()
                    .unwrap()
                        > 100
                );
                let ours = &v["estimates"][0]["truth"]["ours"];
                let rms = ours["rms_ns"].as_f64().unwrap();
                assert!(rms < 1_000.0, "{scenario}: rms {rms} ns against the truth");
            }
        }
    }
}

#[test]
fn clean_simulations_raise_no_attack_kind() {
    for scenario in [
        "quiet-lan",
        "congested-lan",
        "asymmetric-path",
        "tc-chain",
        "p2p-tc",
        "gm-failover",
    ] {
        for seed in [1, 2, 3] {
            let (v, truth) = simulate(scenario, seed);
            assert!(truth["attacks"].as_array().is_none_or(|a| a.is_empty()));
            assert_eq!(kinds(&v), Vec::<&str>::new(), "{scenario} seed {seed}");
        }
    }
}

/// The genesys-neu captures record attacks; every other one is clean.
fn attack_capture(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("genesys-neu_"))
}

#[test]
fn clean_captures_raise_no_attack_kind() {
    let mut files: Vec<PathBuf> = capture_files()
        .into_iter()
        .filter(|p| !attack_capture(p))
        .collect();
    let field = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/field");
    match std::fs::read_dir(&field) {
        Ok(rd) => files.extend(
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng")),
        ),
        Err(_) => eprintln!("note: {} not found, skipped", field.display()),
    }
    assert!(files.len() >= 17, "{files:?}");
    for f in files {
        let v = analyze(&f, &[]);
        assert_eq!(kinds(&v), Vec::<&str>::new(), "{}", f.display());
    }
}

#[test]
fn the_timesafe_attacks_are_named() {
    let cases: [(&str, &[&str]); 5] = [
        (
            "genesys-neu_s-plane_security__2024-10-06-announce_attack_UEdata.pcap",
            &["rogue_announce", "grandmaster_flapping"],
        ),
        (
            "genesys-neu_s-plane_security__2024-10-08-announce_attack_1.pcap",
            &["rogue_announce"],
        ),
        (
            "genesys-neu_s-plane_security__2024-10-08-sync_attack_1.pcap",
            &["replayed_messages"],
        ),
        (
            "genesys-neu_s-plane_security__2024-10-08-sync_attack_singlestep_1.pcap",
            &["spoofed_messages", "invalid_field"],
        ),
        (
            "genesys-neu_s-plane_security__prod_successful_announce_attack_ptp.pcap",
            &["rogue_announce", "grandmaster_flapping"],
        ),
    ];
    for (name, expected) in cases {
        let Some(f) = shared_capture(name) else {
            eprintln!("skipped: ../shared/captures is absent");
            return;
        };
        let v = analyze(&f, &[]);
        let got = kinds(&v);
        for k in expected {
            assert!(got.contains(k), "{name}: {k} not in {got:?}");
        }
        // The sync attacks' messages are kept out of the estimate: none of
        // its samples is set aside any more, and the spoofed ones are
        // counted with their reason.
        if name.contains("sync_attack") {
            let e = &v["estimates"][0];
            assert_eq!(e["inconsistent_samples"], 0, "{name}: {e}");
            let s = &v["set_aside"];
            let n = s["spoofed"].as_u64().unwrap() + s["replayed"].as_u64().unwrap();
            assert!(n > 1000, "{name}: {s}");
        }
    }
}
