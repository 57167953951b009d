//! What dist/ ships for operators: the Prometheus alert rules (checked and
//! unit-tested by the real promtool), the Grafana dashboard (every query
//! parsed by promtool), and that both name only metrics `serve` exposes.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{lab, tmp};

fn dist(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("dist")
        .join(name)
}

fn promtool() -> bool {
    let ok = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: promtool not installed (Debian: apt install prometheus)");
    }
    ok
}

/// The dashboard's queries, with its variables filled in.
fn dashboard_queries() -> Vec<String> {
    let d: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist("grafana-dashboard.json")).unwrap()).unwrap();
    let mut v = Vec::new();
    for p in d["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().unwrap() {
            let e = t["expr"].as_str().unwrap();
            v.push(e.replace("$job", "ptpscope").replace("$instance", ".*"));
        }
    }
    assert!(v.len() >= 12, "{v:?}");
    v
}

/// `ptpscope_*` names in a text (metric names, without `_total` suffixes
/// stripped: counters are matched with their suffix).
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("ptpscope_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.insert(tail[..end].to_owned());
        rest = &tail[end..];
    }
    out
}

/// The metric names `serve` exposes: its /metrics page during a replay.
fn served_metric_names() -> BTreeSet<String> {
    let clock = tmp("dist-clock", b"");
    let _ = std::fs::remove_file(&clock);
    let mut serve = Command::new(env!("CARGO_BIN_EXE_ptpscope"))
        .args(["serve", "--metrics", "127.0.0.1:0", "--clock"])
        .arg(&clock)
        .arg("--replay")
        .arg(lab("lab-p2p-tc.pcapng"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(serve.stderr.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("ptpscope: metrics at http://")
                .map(|a| a.trim_end_matches("/metrics").to_owned())
        })
        .expect("serve says where its metrics are");
    // A few estimates in, every family has a sample.
    let mut page = String::new();
    for _ in 0..150 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        page.clear();
        s.read_to_string(&mut page).unwrap();
        if page.contains("ptpscope_bound_nanoseconds{")
            && page.contains("ptpscope_hop_residence_median_nanoseconds{")
        {
            break;
        }
    }
    let _ = serve.kill();
    let _ = serve.wait();
    let names: BTreeSet<String> = page
        .lines()
        .filter(|l| l.starts_with("ptpscope_"))
        .map(|l| l.split(['{', ' ']).next().unwrap().to_owned())
        .collect();
    assert!(names.len() >= 10, "{page}");
    names
}

#[test]
fn dashboard_and_alerts_name_only_metrics_serve_exposes() {
    let served = served_metric_names();
    let mut used = BTreeSet::new();
    for q in dashboard_queries() {
        used.extend(metric_names(&q));
    }
    used.extend(metric_names(
        &std::fs::read_to_string(dist("prometheus-alerts.yml")).unwrap(),
    ));
    let unknown: Vec<_> = used.difference(&served).collect();
    assert!(
        unknown.is_empty(),
        "not exposed by serve: {unknown:?}; serve has {served:?}"
    );
    // Every metric serve has is on the dashboard.
    let mut on_dashboard = BTreeSet::new();
    for q in dashboard_queries() {
        on_dashboard.extend(metric_names(&q));
    }
    let missing: Vec<_> = served.difference(&on_dashboard).collect();
    assert!(missing.is_empty(), "not on the dashboard: {missing:?}");
}

#[test]
fn alert_rules_pass_promtool_check_and_their_unit_tests() {
    if !promtool() {
        return;
    }
    let check = Command::new("promtool")
        .args(["check", "rules"])
        .arg(dist("prometheus-alerts.yml"))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let test = Command::new("promtool")
        .args(["test", "rules"])
        .arg(dist("prometheus-alerts.test.yml"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&test.stdout);
    assert!(test.status.success() && out.contains("SUCCESS"), "{out}");
}

#[test]
fn dashboard_queries_are_valid_promql() {
    if !promtool() {
        return;
    }
    // Each query as a recording rule: promtool parses it.
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, q) in dashboard_queries().iter().enumerate() {
        rules.push_str(&format!(
            "      - record: dashboard:query{i}\n        expr: {}\n",
            serde_json::to_string(q).unwrap()
        ));
    }
    let f = tmp("dashboard-rules.yml", rules.as_bytes());
    let check = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    // And it would have refused a broken one.
    let bad = tmp(
        "dashboard-bad.yml",
        b"groups:\n  - name: x\n    rules:\n      - record: x:y\n        expr: \"rate(ptpscope_status[\"\n",
    );
    let check = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!check.status.success());
}
