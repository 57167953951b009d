//! `summary.md`: the findings, the page's inventory, estimate and hop
//! tables, and the figures, in Markdown, for a wiki, a ticket or a terminal.

use std::fmt::Write as _;

use super::plot::Figure;
use super::tables::{self, Table};
use super::{Context, Epoch};
use crate::report::Analysis;
use crate::report::fmt_ns;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn table(o: &mut String, t: &Table) {
    let _ = writeln!(o, "| {} |", t.head.join(" | "));
    let _ = writeln!(o, "|{}", "---|".repeat(t.head.len()));
    for r in &t.rows {
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
            "- **{}** `{}` {}: {} ({})",
            f.severity.name(),
            f.kind,
            cell(&f.subject),
            cell(&f.text),
            cell(&crate::report::text::evidence_line(f))
        );
    }
    o.push_str("\n## Clocks and ports\n\n");
    table(&mut o, &tables::inventory(s));
    if !s.profiles.is_empty() {
        o.push_str("## Profiles\n\n");
        table(&mut o, &tables::profiles(s));
    }
    if !a.estimates.is_empty() {
        o.push_str("## Offset, path delay and error bounds\n\n");
        table(&mut o, &tables::estimates(a));
    }
    if !s.hops.is_empty() {
        o.push_str("## Transparent clocks\n\n");
        table(&mut o, &tables::hops(s));
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
