//! Which figures a report has, built from an [`Analysis`]:
//! - `estimate-N`: a capture point's offset from the grandmaster with the
//!   hard and statistical bound bands, the ptp4l-like baseline and the truth
//!   when known; and the path delay;
//! - `hop-N-correction` and `hop-N-residence`: the correction a hop adds
//!   against time and its distribution, per message type, with the hop's
//!   findings (the MAC finding among them) written on the figure;
//! - `timeline`: message intervals against the advertised interval, and
//!   sequence gaps, timeouts, restarts and grandmaster changes.

use super::Epoch;
use super::plot::{
    BLACK_, BLUE, FINDING, Figure, GREEN, GREY, Layer, ORANGE, PURPLE, Panel, RED, SKY, Shape, unit,
};
use crate::analysis::health::EventKind;
use crate::report::estimates::{EstimateJson, EstimatePointJson};
use crate::report::summary::hops::hop_text;
use crate::report::summary::{StreamJson, streams::event_name};
use crate::report::{Analysis, fmt_ns};

/// Colours of series told apart by colour only.
const SERIES: [usize; 8] = [BLUE, ORANGE, GREEN, PURPLE, SKY, RED, BLACK_, GREY];

/// Streams drawn on the interval panel at most (the busiest).
const MAX_INTERVAL_STREAMS: usize = 6;

pub fn figures(a: &Analysis, epoch: &Epoch) -> Vec<Figure> {
    let mut v: Vec<Figure> = a
        .estimates
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.series.is_empty())
        .map(|(i, e)| estimate(i, e, epoch))
        .collect();
    for (i, h) in a.summary.hops.iter().enumerate() {
        let drawn = h.per_type.iter().any(|t| !t.series.is_empty());
        if !drawn {
            continue;
        }
        let notes: Vec<String> = h
            .flags
            .iter()
            .map(|&f| format!("{FINDING}{}", hop_text(f)))
            .collect();
        let title = format!("Transparent clock between {} and {}", h.from, h.to);
        // Residence over time, one layer per message type.
        let max = h
            .per_type
            .iter()
            .flat_map(|t| t.series.iter().map(|&(_, r)| r.unsigned_abs()))
            .max()
            .unwrap_or(0);
        let (div, u) = unit(max as f64);
        let layers = h
            .per_type
            .iter()
            .filter(|t| !t.series.is_empty())
            .zip(SERIES.iter().cycle())
            .map(|(t, &c)| {
                Layer::new(
                    format!("{} ({} matched)", t.message_type, t.matched),
                    Shape::Dots,
                    c,
                    t.series
                        .iter()
                        .map(|&(x, r)| (epoch.secs(x), r as f64 / div))
                        .collect(),
                )
            })
            .collect();
        let mut cnotes = notes.clone();
        cnotes.push(decimation_note(
            h.per_type.iter().map(|t| t.series.len() as u64).sum(),
            h.per_type.iter().map(|t| t.matched).sum(),
        ));
        v.push(Figure {
            file: format!("hop-{i}-correction"),
            title: title.clone(),
            panels: vec![Panel {
                title: format!(
                    "correctionField added from {} to {} (residence time)",
                    h.from, h.to
                ),
                x_label: epoch.axis(),
                y_label: format!("correction added ({u})"),
                layers,
                y_categories: Vec::new(),
                x_range: Some(epoch.span()),
            }],
            notes: cnotes,
        });
        // Residence distributions: one panel per message type whose
        // correction changed on the hop; the others are named in a note.
        let unchanged: Vec<String> = h
            .per_type
            .iter()
            .filter(|t| t.correction_changed == 0)
            .map(|t| format!("{} ({})", t.message_type, t.matched))
            .collect();
        let mut hnotes = notes.clone();
        if !unchanged.is_empty() {
            hnotes.push(format!("no correction added to: {}", unchanged.join(", ")));
        }
        let panels: Vec<Panel> = h
            .per_type
            .iter()
            .filter(|t| t.correction_changed > 0)
            .filter_map(|t| {
                let hist = t.residence_histogram.as_ref()?;
                let top = hist.start_ns + hist.bin_ns * hist.counts.len() as i64;
                let (div, u) = unit(hist.start_ns.unsigned_abs().max(top.unsigned_abs()) as f64);
                let width = hist.bin_ns as f64 / div;
                let bars = hist
                    .counts
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| {
                        (
                            (hist.start_ns as f64 + i as f64 * hist.bin_ns as f64) / div,
                            c as f64,
                        )
                    })
                    .collect();
                let mut title = format!(
                    "{}: {} matched, residence median {}",
                    t.message_type,
                    t.matched,
                    t.residence_ns
                        .map_or("–".into(), |s| fmt_ns(s.median as f64))
                );
                if hist.above > 0 {
                    title.push_str(&format!(
                        "; {} beyond the axis (max {})",
                        hist.above,
                        t.residence_ns.map_or("–".into(), |s| fmt_ns(s.max as f64))
                    ));
                }
                Some(Panel {
                    title,
                    x_label: format!("correction added, residence time ({u})"),
                    y_label: "messages".into(),
                    layers: vec![Layer::new("", Shape::Bars(width), BLUE, bars)],
                    y_categories: Vec::new(),
                    x_range: None,
                })
            })
            .collect();
        if !panels.is_empty() {
            v.push(Figure {
                file: format!("hop-{i}-residence"),
                title,
                panels,
                notes: hnotes,
            });
        }
    }
    if let Some(f) = timeline(a, epoch) {
        v.push(f);
    }
    v
}

fn decimation_note(drawn: u64, total: u64) -> String {
    if drawn < total {
        format!(
            "{drawn} of {total} points drawn (evenly decimated for drawing; statistics use all)"
        )
    } else {
        format!("all {total} points drawn")
    }
}

fn estimate(i: usize, e: &EstimateJson, epoch: &Epoch) -> Figure {
    let s = &e.series;
    let x = |t: i64| epoch.secs(t);
    let max_off = s
        .iter()
        .map(|p| p.offset_ns.abs() + p.hard_bound_ns.min(p.offset_ns.abs().max(1.0) * 20.0))
        .fold(0.0, f64::max);
    let (div, u) = unit(max_off);
    // offset ± a bound, as a band.
    let band = |label: String, color, bound: fn(&EstimatePointJson) -> f64| {
        Layer::band(
            label,
            color,
            s.iter()
                .map(|p| (x(p.time_ns), (p.offset_ns - bound(p)) / div))
                .collect(),
            s.iter().map(|p| (p.offset_ns + bound(p)) / div).collect(),
        )
    };
    let mut offset = vec![
        band("hard bound (causality)".into(), GREY, |p| p.hard_bound_ns),
        band(
            format!("statistical bound ({:.0} %)", e.bound_ns.confidence * 100.0),
            SKY,
            |p| p.stat_bound_ns,
        ),
    ];
    offset.push(Layer::new(
        "ptp4l-like baseline",
        Shape::Dots,
        ORANGE,
        s.iter()
            .map(|p| (x(p.time_ns), p.baseline_offset_ns / div))
            .collect(),
    ));
    offset.push(Layer::new(
        "offset (ptpscope)",
        Shape::Line,
        BLUE,
        s.iter()
            .map(|p| (x(p.time_ns), p.offset_ns / div))
            .collect(),
    ));
    let truth: Vec<(f64, f64)> = s
        .iter()
        .filter_map(|p| p.truth_ns.map(|t| (x(p.time_ns), t / div)))
        .collect();
    if !truth.is_empty() {
        offset.push(Layer::new("truth", Shape::Line, BLACK_, truth));
    }
    let max_delay = s.iter().map(|p| p.delay_ns.abs()).fold(0.0, f64::max);
    let (ddiv, du) = unit(max_delay);
    let delay = vec![Layer::new(
        "mean path delay",
        Shape::Line,
        GREEN,
        s.iter()
            .map(|p| (x(p.time_ns), p.delay_ns / ddiv))
            .collect(),
    )];
    let mut notes = vec![
        format!(
            "median offset {}, rms {}; hard bound median {} (drift ≤ {} ppm), statistical median {}",
            super::ns(e.offset_ns.median),
            fmt_ns(e.offset_ns.rms),
            super::ns(e.bound_ns.hard_median),
            e.bound_ns.max_drift_ppm,
            super::ns(e.bound_ns.stat_median),
        ),
        decimation_note(s.len() as u64, e.samples),
    ];
    if let Some(g) = &epoch.grandmaster {
        notes.push(format!("t = 0 is grandmaster time {g}"));
    }
    Figure {
        file: format!("estimate-{i}"),
        title: format!(
            "{}: clock offset from the grandmaster ({})",
            e.point, e.mechanism
        ),
        panels: vec![
            Panel {
                title: format!(
                    "offset, from slave {}'s exchanges with master {}",
                    e.port, e.master
                ),
                x_label: epoch.axis(),
                y_label: format!("offset ({u})"),
                layers: offset,
                y_categories: Vec::new(),
                x_range: Some(epoch.span()),
            },
            Panel {
                title: "mean path delay".into(),
                x_label: epoch.axis(),
                y_label: format!("delay ({du})"),
                layers: delay,
                y_categories: Vec::new(),
                x_range: Some(epoch.span()),
            },
        ],
        notes,
    }
}

/// Intervals against the advertised interval, and events on lanes.
fn timeline(a: &Analysis, epoch: &Epoch) -> Option<Figure> {
    let s = &a.summary;
    let mut streams: Vec<_> = s
        .health
        .iter()
        .filter(|h| {
            !h.interval_series.is_empty()
                && h.advertised_interval_ns.is_some()
                && crate::report::findings::periodic(&h.message_type)
        })
        .collect();
    if streams.is_empty() && s.grandmaster_changes.is_empty() {
        return None;
    }
    streams.sort_by_key(|h| std::cmp::Reverse(h.count));
    let hidden = streams.len().saturating_sub(MAX_INTERVAL_STREAMS);
    streams.truncate(MAX_INTERVAL_STREAMS);
    let name = |h: &StreamJson| format!("{} {} {}", h.point, h.port, h.message_type);
    // Deviation from the advertised interval (or the median, when none is).
    let max = streams
        .iter()
        .flat_map(|h| {
            let r = reference(h);
            h.interval_series
                .iter()
                .map(move |&(_, i)| (i - r).unsigned_abs())
        })
        .max()
        .unwrap_or(0);
    let (div, u) = unit(max as f64);
    let mut intervals: Vec<Layer> = streams
        .iter()
        .zip(SERIES.iter().cycle())
        .map(|(h, &c)| {
            let r = reference(h);
            Layer::new(
                format!("{} @ {}", name(h), fmt_ns(r as f64)),
                Shape::Dots,
                c,
                h.interval_series
                    .iter()
                    .map(|&(t, i)| (epoch.secs(t), (i - r) as f64 / div))
                    .collect(),
            )
        })
        .collect();
    intervals.push(Layer::new("", Shape::HLine, GREY, vec![(0.0, 0.0)]));
    // Event lanes: streams with events, and the grandmaster.
    let with_events: Vec<_> = s.health.iter().filter(|h| !h.events.is_empty()).collect();
    let mut lanes: Vec<String> = with_events.iter().map(|h| name(h)).collect();
    lanes.push("grandmaster changes".into());
    let gm_lane = (lanes.len() - 1) as f64;
    let mut events = Vec::new();
    for (kind, label, color) in [
        (EventKind::Gap, "sequence gap", RED),
        (EventKind::Timeout, "receipt timeout", PURPLE),
        (EventKind::Restart, "sequence restart", BLACK_),
        (EventKind::Duplicate, "duplicate", ORANGE),
        (EventKind::Reordered, "reordered", SKY),
    ] {
        let pts: Vec<(f64, f64)> = with_events
            .iter()
            .enumerate()
            .flat_map(|(lane, h)| {
                h.events
                    .iter()
                    .filter(move |e| e.kind == event_name(kind))
                    .map(move |e| (epoch.secs(e.time_ns), lane as f64))
            })
            .collect();
        if !pts.is_empty() {
            events.push(Layer::new(label, Shape::Crosses, color, pts));
        }
    }
    let changes: Vec<(f64, f64)> = s
        .grandmaster_changes
        .iter()
        .map(|c| (epoch.secs(c.time_ns), gm_lane))
        .collect();
    if !changes.is_empty() {
        events.push(Layer::new(
            "grandmaster change",
            Shape::Crosses,
            GREEN,
            changes.clone(),
        ));
        let gm_lines = Layer::new("", Shape::VLines, GREEN, changes);
        intervals.push(gm_lines);
    }
    let mut notes = vec![
        "interval of Sync, Follow_Up and Announce streams (those sent at the interval they advertise, @ in the legend): capture time between consecutive sequenceIds"
            .to_owned(),
    ];
    if hidden > 0 {
        notes.push(format!(
            "{hidden} quieter streams not drawn (all are in the tables)"
        ));
    }
    let capped = s
        .health
        .iter()
        .filter(|h| h.events.len() as u64 >= 64)
        .count();
    if capped > 0 {
        notes.push(format!(
            "{capped} streams had more than 64 events: the first 64 are drawn, all are counted"
        ));
    }
    Some(Figure {
        file: "timeline".into(),
        title: "Message timing: intervals, gaps and grandmaster changes".into(),
        panels: vec![
            Panel {
                title: "message interval minus the advertised interval".into(),
                x_label: epoch.axis(),
                y_label: format!("interval − advertised ({u})"),
                layers: intervals,
                y_categories: Vec::new(),
                x_range: Some(epoch.span()),
            },
            Panel {
                title: "events".into(),
                x_label: epoch.axis(),
                y_label: String::new(),
                layers: events,
                y_categories: lanes,
                x_range: Some(epoch.span()),
            },
        ],
        notes,
    })
}

/// The interval a stream is compared with: the advertised one.
fn reference(h: &StreamJson) -> i64 {
    h.advertised_interval_ns.unwrap_or(0)
}
