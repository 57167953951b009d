//! The report folder: `index.html` (self-contained: inline styles, no
//! script, images from the folder), `summary.json` (the analyze JSON),
//! `summary.md`, and every figure as PNG and SVG.
//!
//! Figures are drawn from the analysis's series, which are decimated to a
//! few thousand points for drawing; every statistic (and every histogram)
//! is of all samples.

mod figures;
mod html;
mod markdown;
pub mod plot;
mod tables;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, Utc};

pub use figures::figures;
use plot::Figure;

use super::Analysis;

/// What a report is about, besides the analysis.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The inputs, as given.
    pub inputs: Vec<String>,
    /// The truth file, with `--truth`.
    pub truth: Option<String>,
}

/// The times a report shows: capture start in local time and UTC, and in
/// the grandmaster's timescale.
#[derive(Debug, Clone)]
pub struct Epoch {
    /// Capture time of the first frame, ns (the plots' zero).
    pub t0_ns: i64,
    /// Capture time of the last frame, ns.
    pub t1_ns: i64,
    pub local: String,
    pub utc: String,
    /// The grandmaster's time at t0, when an estimate says how far the
    /// capture clock is from it.
    pub grandmaster: Option<String>,
}

impl Epoch {
    pub fn new(a: &Analysis) -> Self {
        let t0_ns = a
            .summary
            .points
            .iter()
            .filter_map(|p| p.first_ns)
            .min()
            .unwrap_or(0);
        let t1_ns = a
            .summary
            .points
            .iter()
            .filter_map(|p| p.last_ns)
            .max()
            .unwrap_or(t0_ns);
        let utc = DateTime::<Utc>::from_timestamp_nanos(t0_ns);
        let gm = a
            .estimates
            .iter()
            .find_map(|e| e.offset_ns.median.map(|m| (e, m)))
            .map(|(e, offset)| {
                // The capture clock is `offset` ahead of the grandmaster.
                let gm_ns = t0_ns.saturating_sub(offset);
                let dataset = a
                    .summary
                    .grandmasters
                    .iter()
                    .find(|g| g.current && g.domain == e.domain)
                    .map(|g| &g.dataset);
                match dataset {
                    Some(d) if d.ptp_timescale => {
                        let tai = DateTime::<Utc>::from_timestamp_nanos(gm_ns);
                        let utc = DateTime::<Utc>::from_timestamp_nanos(
                            gm_ns.saturating_sub(i64::from(d.current_utc_offset) * 1_000_000_000),
                        );
                        format!(
                            "{} TAI (PTP timescale; UTC {} with currentUtcOffset {} s{})",
                            tai.format("%Y-%m-%d %H:%M:%S%.6f"),
                            utc.format("%H:%M:%S%.6f"),
                            d.current_utc_offset,
                            if d.current_utc_offset_valid {
                                ""
                            } else {
                                ", not flagged valid"
                            }
                        )
                    }
                    _ => format!(
                        "{}.{:09} s (ARB timescale, as the grandmaster counts)",
                        gm_ns.div_euclid(1_000_000_000),
                        gm_ns.rem_euclid(1_000_000_000)
                    ),
                }
            });
        Self {
            t0_ns,
            t1_ns,
            local: utc
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S%.6f %:z")
                .to_string(),
            utc: utc.format("%Y-%m-%d %H:%M:%S%.6f UTC").to_string(),
            grandmaster: gm,
        }
    }

    /// Seconds since t0.
    pub fn secs(&self, t_ns: i64) -> f64 {
        (t_ns.saturating_sub(self.t0_ns)) as f64 / 1e9
    }

    /// The capture's span on the time axis, s.
    pub fn span(&self) -> (f64, f64) {
        (0.0, self.secs(self.t1_ns))
    }

    /// The time axis's label.
    pub fn axis(&self) -> String {
        format!("time since {} (s)", self.local)
    }
}

/// What was written.
#[derive(Debug)]
pub struct Written {
    pub index: PathBuf,
    pub figures: Vec<Figure>,
}

/// Writes the report for `a` into `dir` (created if missing).
pub fn write(dir: &Path, a: &Analysis, cx: &Context) -> anyhow::Result<Written> {
    let io = |p: &Path, e: std::io::Error| anyhow::anyhow!("{}: {e}", p.display());
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let epoch = Epoch::new(a);
    let figs = figures(a, &epoch);
    std::thread::scope(|s| -> anyhow::Result<()> {
        // Figures are independent: draw half on a second thread.
        let (first, second) = figs.split_at(figs.len() / 2);
        let other = s.spawn(move || first.iter().try_for_each(|f| f.write(dir)));
        second.iter().try_for_each(|f| f.write(dir))?;
        other
            .join()
            .map_err(|_| anyhow::anyhow!("drawing a figure panicked"))?
    })?;
    let json = dir.join("summary.json");
    let mut text = serde_json::to_vec_pretty(a)?;
    text.push(b'\n');
    std::fs::write(&json, text).map_err(|e| io(&json, e))?;
    let md = dir.join("summary.md");
    std::fs::write(&md, markdown::page(a, cx, &epoch, &figs)).map_err(|e| io(&md, e))?;
    let index = dir.join("index.html");
    std::fs::write(&index, html::page(a, cx, &epoch, &figs)).map_err(|e| io(&index, e))?;
    Ok(Written {
        index,
        figures: figs,
    })
}

/// A nanosecond figure for tables.
pub(crate) fn ns(v: Option<i64>) -> String {
    v.map_or("–".into(), |v| super::fmt_ns(v as f64))
}
