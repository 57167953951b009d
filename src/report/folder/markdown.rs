//! `summary.md`: the report's tables and figures in Markdown, for a wiki,
//! a ticket or a terminal.

use std::fmt::Write as _;

use super::plot::Figure;
use super::{Context, Epoch, ns};
use crate::analysis::summary::fmt_ns;
use crate::report::Analysis;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn table(o: &mut String, head: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(o, "| {} |", head.join(" | "));
    let _ = writeln!(o, "|{}", "---|".repeat(head.len()));
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
        let _ = writeln!(o, "| {} |", cells.join(" | "));
    }
    o.push('\n');
}

pub fn page(a: &Analysis, cx: &Context, epoch: &Epoch, figs: &[Figure]) -> String {
    let s = &a.summary;
    let mut o = String::new();
    let _ = writeln!(o, "# PTP report: {}\n", cell(&cx.inputs.join(", ")));
    let _ = writeln!(o, "- start: {} ({})", epoch.local, epoch.utc);
    if let Some(g) = &epoch.grandmaster {
        let _ = writeln!(o, "- start in grandmaster time: {g}");
    }
    let _ = writeln!(
        o,
        "- duration: {}",
        fmt_ns((epoch.t1_ns - epoch.t0_ns) as f64)
    );
    let _ = writeln!(
        o,
        "- {} PTP messages at {} capture points\n",
        s.ptp_messages,
        s.points.len()
    );
    o.push_str("## Findings\n\n");
    if a.findings.is_empty() {
        o.push_str("None.\n\n");
    }
    for f in &a.findings {
        let _ = writeln!(
            o,
            "- **{}** {}: {}",
            f.severity.name(),
            cell(&f.subject),
            cell(&f.text)
        );
    }
    o.push_str("\n## Clocks and ports\n\n");
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
                    p.points.join(", "),
                ]
            })
        })
        .collect();
    table(
        &mut o,
        &["port", "sdo/domain", "clock role", "port roles", "seen at"],
        &rows,
    );
    if !a.estimates.is_empty() {
        o.push_str("## Offset, path delay and error bounds\n\n");
        let rows: Vec<Vec<String>> = a
            .estimates
            .iter()
            .map(|e| {
                vec![
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
                    ns(e.bound_ns.hard_median),
                    ns(e.bound_ns.stat_median),
                ]
            })
            .collect();
        table(
            &mut o,
            &[
                "point",
                "slave port",
                "",
                "samples",
                "offset median",
                "offset rms",
                "delay median",
                "hard bound",
                "stat bound",
            ],
            &rows,
        );
    }
    if !s.hops.is_empty() {
        o.push_str("## Transparent clocks\n\n");
        let rows: Vec<Vec<String>> = s
            .hops
            .iter()
            .map(|h| {
                vec![
                    format!("{} → {}", h.from, h.to),
                    h.matched.to_string(),
                    h.residence_ns
                        .map_or("–".into(), |r| fmt_ns(r.median as f64)),
                    h.flags.join("; "),
                ]
            })
            .collect();
        table(
            &mut o,
            &["hop", "matched", "residence median", "findings"],
            &rows,
        );
    }
    o.push_str("## Figures\n\n");
    for f in figs {
        let _ = writeln!(
            o,
            "![{}]({}.png) ([SVG]({}.svg))\n",
            cell(&f.title),
            f.file,
            f.file
        );
    }
    o
}
