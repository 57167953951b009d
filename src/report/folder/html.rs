//! `index.html`: one page, styles inline, no script, no network; tables
//! scroll sideways on a phone, figures shrink to the screen.

use std::fmt::Write as _;

use super::plot::Figure;
use super::tables::{self, Table};
use super::{Context, Epoch};
use crate::report::Analysis;

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

fn table(o: &mut String, t: &Table) {
    o.push_str("<div class=\"scroll\"><table>");
    if !t.head.is_empty() {
        o.push_str("<thead><tr>");
        for h in &t.head {
            let _ = write!(o, "<th>{}</th>", esc(h));
        }
        o.push_str("</tr></thead>");
    }
    o.push_str("<tbody>\n");
    for r in &t.rows {
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
    table(&mut o, &tables::times(epoch));
    o.push_str("<h3>Capture points</h3>\n");
    table(&mut o, &tables::points(s));
    o.push_str("<h3>Messages</h3>\n");
    table(&mut o, &tables::messages(s));

    o.push_str("<h2 id=\"findings\">Findings</h2>\n");
    if a.findings.is_empty() {
        o.push_str(
            "<p>Nothing to report: no malformed messages, gaps, timeouts, TC anomalies or signs of an attack.</p>\n",
        );
    } else {
        o.push_str("<ul class=\"findings\">\n");
        for f in &a.findings {
            let _ = writeln!(
                o,
                "<li><span class=\"sev {0}\">{0}</span> <code>{1}</code> <b>{2}</b>: {3}<br><span class=\"muted\">{4}</span></li>",
                f.severity.name(),
                esc(f.kind),
                esc(&f.subject),
                esc(&f.text),
                esc(&crate::report::text::evidence_line(f))
            );
        }
        o.push_str("</ul>\n");
    }

    o.push_str("<h2 id=\"inventory\">Clocks and ports</h2>\n");
    table(&mut o, &tables::inventory(s));
    if !s.profiles.is_empty() {
        o.push_str("<h3>Profiles</h3>\n");
        table(&mut o, &tables::profiles(s));
    }
    if !s.grandmasters.is_empty() {
        o.push_str("<h3>Grandmasters</h3>\n");
        table(&mut o, &tables::grandmasters(s));
    }
    if s.grandmaster_changes.len() > 1 {
        o.push_str("<h3>Grandmaster changes</h3>\n");
        table(&mut o, &tables::grandmaster_changes(s, epoch));
    }

    let file_of = |prefix: &str| figs.iter().find(|f| f.file == prefix);
    o.push_str("<h2 id=\"estimates\">Offset, path delay and error bounds</h2>\n");
    if a.estimates.is_empty() {
        o.push_str("<p>No estimate: no capture point saw a complete exchange (Sync with Delay_Req/Delay_Resp, or Sync with Pdelay).</p>\n");
    } else {
        table(&mut o, &tables::estimates(a));
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
        table(&mut o, &tables::hops(s));
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
    table(&mut o, &tables::streams(s));
    o.push_str(
        "<h2 id=\"files\">Files</h2><p><a href=\"summary.json\">summary.json</a> (the \
         <code>analyze --format json</code> document) · <a href=\"summary.md\">summary.md</a></p>\n",
    );
    o.push_str("</body></html>\n");
    o
}
