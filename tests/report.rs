//! `ptpscope report` over real captures: every file is there, the figures
//! have their size and carry every point of their series, summary.json is
//! the analyze JSON, and the page loads in headless Chromium with every
//! image shown.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{lab, ptpscope};
use serde_json::Value;

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ptpscope-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The two sides of the keep-MAC transparent clock, as two capture points.
fn tc_pair() -> [String; 2] {
    [
        lab("lab-e2e-tc-keepmac-gm-side.pcap"),
        lab("lab-e2e-tc-keepmac-slave-side.pcap"),
    ]
    .map(|p| p.to_str().unwrap().to_owned())
}

/// (width, height) from a PNG's IHDR.
fn png_size(p: &Path) -> (u32, u32) {
    let b = std::fs::read(p).unwrap();
    assert_eq!(
        &b[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        p.display()
    );
    let be = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The texts of an SVG's text elements.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|s| {
            let body = &s[s.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_owned())
        })
        .collect()
}

/// The figures index.html shows, in order.
fn images(html: &str) -> Vec<String> {
    html.split("<img src=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_owned())
        .collect()
}

#[test]
fn report_of_a_transparent_clock_pair() {
    let dir = out_dir("tc");
    let [gm, slave] = tc_pair();
    let out = ptpscope(&["report", &gm, &slave, "-o", dir.to_str().unwrap()]);
    ok(&out);
    assert!(out.stdout.is_empty(), "report prints no summary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("report written"), "{stderr}");

    // summary.json is exactly what analyze --format json prints.
    let summary: Value = serde_json::from_str(&read(&dir.join("summary.json"))).unwrap();
    let analyze = ptpscope(&["analyze", "-f", "json", &gm, &slave]);
    ok(&analyze);
    let analyze: Value = serde_json::from_slice(&analyze.stdout).unwrap();
    assert_eq!(summary, analyze);

    let html = read(&dir.join("index.html"));
    let imgs = images(&html);
    let expected = [
        "estimate-0.png",
        "hop-0-correction.png",
        "hop-0-residence.png",
        "hop-1-correction.png",
        "timeline.png",
    ];
    assert_eq!(imgs, expected, "figures on the page");
    for png in &imgs {
        let svg = png.replace(".png", ".svg");
        for f in [png, &svg] {
            let len = std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
            assert!(len > 1000, "{f}: {len} bytes");
        }
        assert!(html.contains(&format!("href=\"{svg}\"")), "{svg} linked");
        let (w, h) = png_size(&dir.join(png));
        assert_eq!(w, 1000, "{png}");
        assert!(
            html.contains(&format!("width=\"{w}\" height=\"{h}\"")),
            "{png}: its size in the page"
        );
    }
    // Two panels (offset, delay) and three notes; two histogram panels
    // (Follow_Up, and Delay_Req's residence in Delay_Resp) and two notes.
    assert_eq!(
        png_size(&dir.join("estimate-0.png")),
        (1000, 48 + 2 * 320 + 3 * 20)
    );
    assert_eq!(
        png_size(&dir.join("hop-0-residence.png")),
        (1000, 48 + 2 * 320 + 2 * 20)
    );

    // The estimate figure draws every point of the estimate's series: one
    // circle per baseline point, plus its legend mark.
    let est = read(&dir.join("estimate-0.svg"));
    let series = summary["estimates"][0]["series"].as_array().unwrap().len();
    assert!(series > 10, "{series} points");
    assert_eq!(est.matches("<circle").count(), series + 1);
    for label in [
        "hard bound (causality)",
        "statistical bound (95 %)",
        "ptp4l-like baseline",
        "offset (ptpscope)",
        "mean path delay",
    ] {
        assert!(
            svg_texts(&est).iter().any(|t| t == label),
            "estimate figure lacks {label:?}"
        );
    }
    assert!(
        !svg_texts(&est).iter().any(|t| t == "truth"),
        "no truth without --truth"
    );

    // The hop's correction figure: one dot per point of every message
    // type's series, plus one legend mark per type.
    let hop = read(&dir.join("hop-0-correction.svg"));
    let per_type = summary["hops"][0]["per_type"].as_array().unwrap();
    let points: usize = per_type
        .iter()
        .map(|t| t["series"].as_array().unwrap().len())
        .sum();
    assert_eq!(hop.matches("<circle").count(), points + per_type.len());
    // The MAC finding is written on both hop figures.
    for f in ["hop-0-correction.svg", "hop-0-residence.svg"] {
        assert!(
            read(&dir.join(f))
                .contains("TC finding: frame modified in transit with unchanged source MAC"),
            "{f}"
        );
    }
    // The residence histogram has a bar per non-empty bin of the JSON's.
    let residence = read(&dir.join("hop-0-residence.svg"));
    let bars: usize = per_type
        .iter()
        .filter(|t| t["correction_changed"].as_u64() > Some(0))
        .map(|t| {
            t["residence_histogram"]["counts"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c.as_u64() > Some(0))
                .count()
        })
        .sum();
    let rects = residence.matches("<rect").count();
    assert!(
        rects >= bars && bars >= 10,
        "{rects} rects for {bars} non-empty bins"
    );

    // The findings, worst first, on the page and in the Markdown.
    let md = read(&dir.join("summary.md"));
    let findings = summary["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert_eq!(findings[0]["severity"], "warning");
    for f in findings {
        let text = f["text"].as_str().unwrap();
        assert!(md.contains(text), "summary.md lacks {text:?}");
    }
    assert!(html.contains("unchanged source MAC"));
    // A Delay_Resp's logMessageInterval is its requester's Delay_Req
    // interval: never compared with the Delay_Resps' own intervals.
    assert!(
        !findings.iter().any(|f| {
            f["subject"].as_str().unwrap().ends_with("Delay_Resp")
                && f["text"].as_str().unwrap().contains("median interval")
        }),
        "{findings:?}"
    );
    for e in expected {
        assert!(md.contains(&format!("]({e})")), "summary.md lacks {e}");
    }
    // Times: local and UTC, and the grandmaster's from the estimate.
    assert!(html.contains("start, local time") && html.contains("grandmaster time"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn analyze_report_prints_and_writes() {
    let dir = out_dir("analyze");
    let pcap = lab("lab-l2-e2e.pcap");
    let out = ptpscope(&[
        "analyze",
        pcap.to_str().unwrap(),
        "--report",
        dir.to_str().unwrap(),
    ]);
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Estimates"), "the summary is printed: {text}");
    let html = read(&dir.join("index.html"));
    assert_eq!(images(&html), ["estimate-0.png", "timeline.png"]);
    assert!(html.contains("No hop"), "one point has no hop");
    // `report` takes its folder with -o only.
    let out = ptpscope(&["report", "--report", "x", "-o", "y", pcap.to_str().unwrap()]);
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_with_truth_draws_it() {
    let dir = out_dir("truth");
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("quiet.pcapng");
    let truth = dir.join("quiet.truth.json");
    ok(&ptpscope(&[
        "simulate",
        "-s",
        "quiet-lan",
        "--duration",
        "30",
        "-o",
        pcap.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ]));
    let report = dir.join("report");
    ok(&ptpscope(&[
        "report",
        pcap.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "-o",
        report.to_str().unwrap(),
    ]));
    let summary: Value = serde_json::from_str(&read(&report.join("summary.json"))).unwrap();
    let estimates = summary["estimates"].as_array().unwrap();
    assert!(!estimates.is_empty());
    let html = read(&report.join("index.html"));
    assert!(html.contains("against the truth"));
    for (i, e) in estimates.iter().enumerate() {
        let svg = read(&report.join(format!("estimate-{i}.svg")));
        assert!(
            svg_texts(&svg).iter().any(|t| t == "truth"),
            "estimate-{i}: truth drawn"
        );
        assert!(e["series"][0]["truth_ns"].is_number());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Finds Debian's chromium (or another Chromium) for the page test.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// Records load errors and, once loaded, which images are shown, into
/// the DOM for `--dump-dom`. Injected into a copy of the page only.
const PROBE: &str = r#"<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  var t = e.target;
  window.__errors.push(t && t.src ? 'failed to load ' + t.src : String(e.message));
}, true);
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  var out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = 'images=' + imgs.length + ' shown=' + (imgs.length - bad.length) +
    ' errors=' + window.__errors.length + ' ' +
    window.__errors.concat(bad.map(function (i) { return 'not shown ' + i.src; })).join(' | ');
  document.body.appendChild(out);
});
</script>"#;

/// Loads `index.html` (with the probe) headless; the probe's line.
fn probe(browser: &str, dir: &Path) -> String {
    let page = dir.join("probe.html");
    let html = read(&dir.join("index.html")).replacen("<head>", &format!("<head>{PROBE}"), 1);
    std::fs::write(&page, html).unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom
        .find("<pre id=\"probe\">")
        .unwrap_or_else(|| panic!("the page did not finish loading: {dom:.2000}"));
    let rest = &dom[start + 16..];
    rest[..rest.find("</pre>").unwrap()].to_owned()
}

#[test]
fn the_page_loads_in_headless_chromium_with_every_image() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium not installed (Debian: apt install chromium)");
        return;
    };
    let dir = out_dir("chromium");
    let [gm, slave] = tc_pair();
    ok(&ptpscope(&[
        "report",
        &gm,
        &slave,
        "-o",
        dir.to_str().unwrap(),
    ]));
    let n = images(&read(&dir.join("index.html"))).len();
    let line = probe(browser, &dir);
    assert_eq!(
        line.trim(),
        format!("images={n} shown={n} errors=0"),
        "{line}"
    );
    // The probe sees a missing image.
    std::fs::remove_file(dir.join("timeline.png")).unwrap();
    let line = probe(browser, &dir);
    assert!(
        line.starts_with(&format!("images={n} shown={} errors=1", n - 1)),
        "{line}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
