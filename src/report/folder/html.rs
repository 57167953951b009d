//! `index.html`: one page, styles inline, no script, no network; tables
//! scroll sideways on a phone, figures shrink to the screen.

use std::fmt::Write as _;

use super::plot::Figure;
use super::{Context, Epoch, ns};
use crate::analysis::summary::fmt_ns;
use crate::report::{Analysis, Severity};

const STYLE: &str = r#"
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #d9dce1; --bg: #ffffff; --head: #f3f5f8; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0 auto; padding: 1rem; max-width: 1100px; }
h1 { font-size: 1.6rem; margin: .2rem 0; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 2px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
.muted { color: var(--muted); }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font: .85rem/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
figure { margin: 1rem 0; }
figure img { width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: .85rem; color: var(--muted); }
.sev { display: inline-block; min-width: 5.2em; text-align: center; border-radius: 3px; padding: 0 .3em;
       font-size: .8rem; font-weight: 600; color: #fff; }
.error { background: #b3261e; } .warning { background: #b86e00; } .notice { background: #3c6fb4; }
ul.findings { list-style: none; padding: 0; } ul.findings li { margin: .35rem 0; }
@media (max-width: 600px) { body { padding: .5rem; font-size: 14px; } h1 { font-size: 1.3rem; } }
"#;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn table(o: &mut String, head: &[&str], rows: &[Vec<String>]) {
    o.push_str("<div class=\"scroll\"><table>");
    if !head.is_empty() {
        o.push_str("<thead><tr>");
        for h in head {
            let _ = write!(o, "<th>{}</th>", esc(h));
        }
        o.push_str("</tr></thead>");
    }
    o.push_str("<tbody>\n");
    for r in rows {
        o.push_str("<tr>");
        for c in r {
            // Figures (a number, then perhaps a unit) align right.
            let num = c
                .split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<f64>().is_ok() || w == "–");
            let _ = write!(
                o,
                "<td{}>{}</td>",
                if num { " class=\"num\"" } else { "" },
                esc(c)
            );
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table></div>\n");
}

fn figure(o: &mut String, f: &Figure) {
    let (w, h) = f.size();
    let _ = writeln!(
        o,
        "<figure><a href=\"{file}.svg\"><img src=\"{file}.png\" width=\"{w}\" height=\"{h}\" alt=\"{alt}\"></a>\
         <figcaption>{alt} — <a href=\"{file}.svg\">SVG</a></figcaption></figure>",
        file = esc(&f.file),
        alt = esc(&f.title),
    );
}

pub fn page(a: &Analysis, cx: &Context, epoch: &Epoch, figs: &[Figure]) -> String {
    let s = &a.summary;
    let mut o = String::new();
    let title = format!("ptpscope report: {}", cx.inputs.join(", "));
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(&title)
    );
    let _ = writeln!(
        o,
        "<h1>PTP report</h1><p class=\"muted\">{} · ptpscope {}{}</p>",
        esc(&cx.inputs.join(", ")),
        env!("CARGO_PKG_VERSION"),
        cx.truth
            .as_ref()
            .map_or(String::new(), |t| format!(" · truth {}", esc(t)))
    );
    o.push_str("<h2 id=\"capture\">Capture</h2>\n");
    let mut times = vec![
        vec!["start, local time".into(), epoch.local.clone()],
        vec!["start, UTC".into(), epoch.utc.clone()],
    ];
    if let Some(g) = &epoch.grandmaster {
        times.push(vec!["start, grandmaster time".into(), g.clone()]);
    }
    times.push(vec![
        "duration".into(),
        fmt_ns((epoch.t1_ns - epoch.t0_ns) as f64),
    ]);
    table(&mut o, &[], &times);
    let rows: Vec<Vec<String>> = s
        .points
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.frames.to_string(),
                p.ptp_messages.to_string(),
                match (p.first_ns, p.last_ns) {
                    (Some(a), Some(b)) => fmt_ns((b - a) as f64),
                    _ => "–".into(),
                },
            ]
        })
        .collect();
    o.push_str("<h3>Capture points</h3>\n");
    table(&mut o, &["point", "frames", "PTP messages", "span"], &rows);
    let rows: Vec<Vec<String>> = s
        .messages
        .iter()
        .map(|(k, v)| vec![k.clone(), v.to_string()])
        .collect();
    o.push_str("<h3>Messages</h3>\n");
    table(&mut o, &["type", "count"], &rows);

    o.push_str("<h2 id=\"findings\">Findings</h2>\n");
    if a.findings.is_empty() {
        o.push_str(
            "<p>Nothing to report: no malformed messages, gaps, timeouts or TC anomalies.</p>\n",
        );
    } else {
        o.push_str("<ul class=\"findings\">\n");
        for f in &a.findings {
            let class = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Notice => "notice",
            };
            let _ = writeln!(
                o,
                "<li><span class=\"sev {class}\">{}</span> <b>{}</b>: {}</li>",
                f.severity.name(),
                esc(&f.subject),
                esc(&f.text)
            );
        }
        o.push_str("</ul>\n");
    }

    o.push_str("<h2 id=\"inventory\">Clocks and ports</h2>\n");
    let rows: Vec<Vec<String>> = s
        .clocks
        .iter()
        .flat_map(|c| {
            c.ports.iter().map(move |p| {
                vec![
                    p.port_identity.clone(),
                    format!("{}/{}", c.major_sdo_id, c.domain),
                    c.role.clone(),
                    p.roles.join(", "),
                    p.sent
                        .iter()
                        .map(|(k, v)| format!("{k} {v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    p.macs
                        .iter()
                        .chain(&p.ips)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                    p.points.join(", "),
                ]
            })
        })
        .collect();
    table(
        &mut o,
        &[
            "port",
            "sdo/domain",
            "clock role",
            "port roles",
            "sent",
            "addresses",
            "seen at",
        ],
        &rows,
    );
    if !s.grandmasters.is_empty() {
        o.push_str("<h3>Grandmasters</h3>\n");
        let rows: Vec<Vec<String>> = s
            .grandmasters
            .iter()
            .map(|g| {
                let d = &g.dataset;
                vec![
                    d.grandmaster_identity.to_string(),
                    format!("{}/{}", g.major_sdo_id, g.domain),
                    if g.current { "yes" } else { "no" }.into(),
                    d.priority1.to_string(),
                    d.clock_class.to_string(),
                    format!("0x{:02x}", d.clock_accuracy),
                    d.priority2.to_string(),
                    if d.ptp_timescale { "PTP" } else { "ARB" }.into(),
                    d.current_utc_offset.to_string(),
                    g.announces.to_string(),
                ]
            })
            .collect();
        table(
            &mut o,
            &[
                "grandmaster",
                "sdo/domain",
                "current",
                "priority1",
                "class",
                "accuracy",
                "priority2",
                "timescale",
                "UTC offset",
                "Announces",
            ],
            &rows,
        );
    }
    if s.grandmaster_changes.len() > 1 {
        let rows: Vec<Vec<String>> = s
            .grandmaster_changes
            .iter()
            .map(|c| {
                let c = &c.change;
                vec![
                    format!("{:.3}", epoch.secs(c.time_ns)),
                    c.from.map_or("–".into(), |x| x.to_string()),
                    c.to.map_or("–".into(), |x| x.to_string()),
                    c.reason.into(),
                ]
            })
            .collect();
        o.push_str("<h3>Grandmaster changes</h3>\n");
        table(&mut o, &["t (s)", "from", "to", "reason"], &rows);
    }

    let file_of = |prefix: &str| figs.iter().find(|f| f.file == prefix);
    o.push_str("<h2 id=\"estimates\">Offset, path delay and error bounds</h2>\n");
    if a.estimates.is_empty() {
        o.push_str("<p>No estimate: no capture point saw a complete exchange (Sync with Delay_Req/Delay_Resp, or Sync with Pdelay).</p>\n");
    } else {
        let rows: Vec<Vec<String>> = a
            .estimates
            .iter()
            .map(|e| {
                let mut r = vec![
                    e.point.clone(),
                    e.port.clone(),
                    e.mechanism.into(),
                    e.samples.to_string(),
                    ns(e.offset_ns.median),
                    if e.samples > 0 {
                        fmt_ns(e.offset_ns.rms)
                    } else {
                        "–".into()
                    },
                    ns(e.path_delay_ns.median),
                    e.frequency_ppb
                        .map_or("–".into(), |f| format!("{f:.0} ppb")),
                    ns(e.bound_ns.hard_median),
                    format!(
                        "{} ({:.0} %)",
                        ns(e.bound_ns.stat_median),
                        e.bound_ns.confidence * 100.0
                    ),
                ];
                if let Some(t) = &e.truth {
                    r.push(format!(
                        "rms {} (baseline {}), hard coverage {}",
                        t.ours.rms_ns.map_or("–".into(), fmt_ns),
                        t.baseline.rms_ns.map_or("–".into(), fmt_ns),
                        t.ours
                            .hard_coverage
                            .map_or("–".into(), |c| format!("{c:.3}"))
                    ));
                }
                r
            })
            .collect();
        let mut head = vec![
            "point",
            "slave port",
            "",
            "samples",
            "offset median",
            "offset rms",
            "delay median",
            "frequency",
            "hard bound",
            "statistical bound",
        ];
        if a.estimates.iter().any(|e| e.truth.is_some()) {
            head.push("against the truth");
        }
        table(&mut o, &head, &rows);
        for i in 0..a.estimates.len() {
            if let Some(f) = file_of(&format!("estimate-{i}")) {
                figure(&mut o, f);
            }
        }
    }

    o.push_str("<h2 id=\"hops\">Transparent clocks (correctionField, hop by hop)</h2>\n");
    if s.hops.is_empty() {
        o.push_str("<p>No hop: a hop needs two capture points that saw the same messages.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = s
            .hops
            .iter()
            .map(|h| {
                vec![
                    format!("{} → {}", h.from, h.to),
                    h.matched.to_string(),
                    h.residence_ns
                        .map_or("–".into(), |r| fmt_ns(r.median as f64)),
                    h.residence_ns.map_or("–".into(), |r| fmt_ns(r.p99 as f64)),
                    h.transit_ns.map_or("–".into(), |r| fmt_ns(r.median as f64)),
                    if h.source_mac_changed {
                        "changed"
                    } else {
                        "kept"
                    }
                    .into(),
                    h.flags.join("; "),
                ]
            })
            .collect();
        table(
            &mut o,
            &[
                "hop",
                "matched",
                "residence median",
                "residence p99",
                "transit median",
                "source MAC",
                "findings",
            ],
            &rows,
        );
        for i in 0..s.hops.len() {
            for kind in ["correction", "residence"] {
                if let Some(f) = file_of(&format!("hop-{i}-{kind}")) {
                    figure(&mut o, f);
                }
            }
        }
    }

    o.push_str("<h2 id=\"timing\">Message timing</h2>\n");
    if let Some(f) = file_of("timeline") {
        figure(&mut o, f);
    }
    let rows: Vec<Vec<String>> = s
        .health
        .iter()
        .map(|h| {
            vec![
                h.point.clone(),
                h.port.clone(),
                h.message_type.clone(),
                h.count.to_string(),
                h.advertised_interval_ns
                    .map_or("–".into(), |v| fmt_ns(v as f64)),
                h.interval_ns
                    .map_or("–".into(), |v| fmt_ns(v.median as f64)),
                h.interval_ns.map_or("–".into(), |v| fmt_ns(v.stddev)),
                h.gaps.to_string(),
                h.timeouts.to_string(),
            ]
        })
        .collect();
    table(
        &mut o,
        &[
            "point",
            "port",
            "type",
            "messages",
            "advertised",
            "interval median",
            "jitter (σ)",
            "gaps",
            "timeouts",
        ],
        &rows,
    );
    o.push_str(
        "<h2 id=\"files\">Files</h2><p><a href=\"summary.json\">summary.json</a> (the \
         <code>analyze --format json</code> document) · <a href=\"summary.md\">summary.md</a></p>\n",
    );
    o.push_str("</body></html>\n");
    o
}
