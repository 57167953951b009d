//! `ptpscope serve --replay` and `ptpscope time` as programs: the record
//! appears with the right mode, `time` reads it, SIGTERM removes it.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{lab, ptpscope};

#[test]
fn serve_replay_then_time_then_sigterm() {
    let clock = std::env::temp_dir().join(format!("ptpscope-serve-test-{}", std::process::id()));
    let serve = Command::new(env!("CARGO_BIN_EXE_ptpscope"))
        .args(["serve", "--replay"])
        .arg(lab("lab-l2-e2e.pcap"))
        .arg("--clock")
        .arg(&clock)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    // The capture's first estimate comes within its first seconds.
    let start = Instant::now();
    let json = loop {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no time from serve"
        );
        std::thread::sleep(Duration::from_millis(100));
        let out = ptpscope(&["time", "--json", "--clock", clock.to_str().unwrap()]);
        if out.status.success() {
            break serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap();
        }
    };
    assert_eq!(json["status"], "synchronized", "{json}");
    assert_eq!(json["grandmaster"], "020000.fffe.000001", "{json}");
    let (e, l) = (
        json["earliest_ns"].as_i64().unwrap(),
        json["latest_ns"].as_i64().unwrap(),
    );
    assert!(e < l && json["bound_ns"].as_i64().unwrap() > 0, "{json}");
    assert!(json["error"].is_null());
    let mode = std::fs::metadata(&clock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "readable by all, writable by the owner");
    let text = ptpscope(&["time", "--clock", clock.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        text.contains(" ns (synchronized; grandmaster 020000.fffe.000001"),
        "{text}"
    );
    assert!(
        text.contains("earliest ") && text.contains("latest "),
        "{text}"
    );
    // SIGTERM: a clean stop that removes the record.
    let pid = serve.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = serve.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("the record is removed"), "{err}");
    assert!(!clock.exists());
    let gone = ptpscope(&["time", "--clock", clock.to_str().unwrap()]);
    assert!(!gone.status.success());
    let msg = String::from_utf8_lossy(&gone.stderr);
    assert!(msg.contains("is ptpscope serve running?"), "{msg}");
}

#[test]
fn serve_refuses_bad_options() {
    let clock = std::env::temp_dir().join(format!("ptpscope-serve-bad-{}", std::process::id()));
    let clock = clock.to_str().unwrap();
    let out = ptpscope(&[
        "serve",
        "--replay",
        "/nonexistent.pcap",
        "--clock",
        clock,
        "--metrics",
        "0.0.0.0:9999",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loopback only"), "{err}");
    let out = ptpscope(&[
        "serve", "--replay", "x.pcap", "--clock", clock, "--valid", "0",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--valid 0"));
    // Checked before the record is created: nothing is left behind.
    let out = ptpscope(&[
        "serve",
        "--replay",
        "x.pcap",
        "--clock",
        clock,
        "--max-drift-ppm",
        "0",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-drift-ppm 0"));
    assert!(!std::path::Path::new(clock).exists());
}

/// The offsets `serve -v` published for a fast replay of `capture`.
fn published_offsets(capture: &str, extra: &[&str]) -> Vec<i64> {
    let clock = std::env::temp_dir().join(format!(
        "ptpscope-serve-asym-{}-{}",
        std::process::id(),
        extra.len()
    ));
    let mut args = vec!["serve", "--fast", "-v", "--clock", clock.to_str().unwrap()];
    args.extend_from_slice(extra);
    let lab = lab(capture);
    args.extend(["--replay", lab.to_str().unwrap()]);
    let out = ptpscope(&args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    err.lines()
        .filter(|l| l.starts_with("ptpscope: synchronized offset "))
        .map(|l| l.split(' ').nth(3).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn serve_applies_a_known_delay_asymmetry() {
    // E2E: the Sync's leg is the mean path delay plus delayAsymmetry, so
    // the offset moves by minus it (IEEE 1588-2019 §11.3, §16.8).
    let plain = published_offsets("lab-l2-e2e.pcap", &[]);
    let moved = published_offsets("lab-l2-e2e.pcap", &["--delay-asymmetry", "3000"]);
    let named = published_offsets(
        "lab-l2-e2e.pcap",
        &[
            "--delay-asymmetry",
            "lab-l2-e2e=-500",
            "--delay-asymmetry",
            "9",
        ],
    );
    assert!(plain.len() > 5, "{plain:?}");
    assert_eq!(plain.len(), moved.len());
    assert_eq!(plain.len(), named.len());
    // Each offset moves by the asymmetry, except where the estimator
    // clamps it into the causal interval, which assumes no asymmetry: then
    // it moves less, never the other way.
    let check = |v: &[i64], by: i64| {
        let exact = plain
            .iter()
            .zip(v)
            .filter(|(p, m)| (*p + by - *m).abs() <= 1)
            .count();
        assert!(exact * 10 >= plain.len() * 7, "{by}: {plain:?} {v:?}");
        for (p, m) in plain.iter().zip(v) {
            let d = m - p;
            assert!(
                d * by.signum() >= 0 && d.abs() <= by.abs() + 1,
                "{by}: {p} {m}"
            );
        }
    };
    check(&moved, -3000);
    check(&named, 500);
    let out = ptpscope(&["serve", "--replay", "x.pcap", "--delay-asymmetry", "a=b"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--delay-asymmetry a=b"));
}
