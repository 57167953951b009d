//! The report's tables, built once from an [`Analysis`]: `index.html` and
//! `summary.md` render the same ones.

use super::{Epoch, ns};
use crate::report::Analysis;
use crate::report::summary::hops::hop_text;
use crate::report::{Summary, fmt_ns};

/// A header row (none for a key–value table) and the rows.
pub struct Table {
    pub head: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// Capture start in each timescale, and the duration.
pub fn times(epoch: &Epoch) -> Table {
    let mut rows = vec![
        vec!["start, local time".into(), epoch.local.clone()],
        vec!["start, UTC".into(), epoch.utc.clone()],
    ];
    if let Some(g) = &epoch.grandmaster {
        rows.push(vec!["start, grandmaster time".into(), g.clone()]);
    }
    rows.push(vec![
        "duration".into(),
        fmt_ns((epoch.t1_ns - epoch.t0_ns) as f64),
    ]);
    Table {
        head: Vec::new(),
        rows,
    }
}

pub fn points(s: &Summary) -> Table {
    Table {
        head: vec!["point", "frames", "PTP messages", "span"],
        rows: s
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
            .collect(),
    }
}

pub fn messages(s: &Summary) -> Table {
    Table {
        head: vec!["type", "count"],
        rows: s
            .messages
            .iter()
            .map(|(k, v)| vec![k.clone(), v.to_string()])
            .collect(),
    }
}

/// Every port of every clock: roles, what it sent, addresses, where seen.
pub fn inventory(s: &Summary) -> Table {
    Table {
        head: vec![
            "port",
            "sdo/domain",
            "clock role",
            "port roles",
            "sent",
            "addresses",
            "seen at",
        ],
        rows: s
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
            .collect(),
    }
}

/// Each domain's profile and what picked it.
pub fn profiles(s: &Summary) -> Table {
    Table {
        head: vec!["sdo/domain", "profile", "messages", "from"],
        rows: s
            .profiles
            .iter()
            .map(|p| {
                vec![
                    format!("{}/{}", p.major_sdo_id, p.domain),
                    p.name.to_string(),
                    p.messages.to_string(),
                    p.basis.join(", "),
                ]
            })
            .collect(),
    }
}

pub fn grandmasters(s: &Summary) -> Table {
    Table {
        head: vec![
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
        rows: s
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
            .collect(),
    }
}

pub fn grandmaster_changes(s: &Summary, epoch: &Epoch) -> Table {
    Table {
        head: vec!["t (s)", "from", "to", "reason"],
        rows: s
            .grandmaster_changes
            .iter()
            .map(|c| {
                vec![
                    format!("{:.3}", epoch.secs(c.time_ns)),
                    c.from.map_or("–".into(), |x| x.to_string()),
                    c.to.map_or("–".into(), |x| x.to_string()),
                    c.reason.into(),
                ]
            })
            .collect(),
    }
}

/// One row per estimate; with `--truth`, the errors against it too.
pub fn estimates(a: &Analysis) -> Table {
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
    let rows = a
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
                e.bound_ns.stat_median.map_or("–".into(), |b| {
                    format!(
                        "{} ({:.0} %)",
                        fmt_ns(b as f64),
                        e.bound_ns.confidence * 100.0
                    )
                }),
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
    Table { head, rows }
}

pub fn hops(s: &Summary) -> Table {
    let median = |v: Option<crate::analysis::stats::Summary>| {
        v.map_or("–".into(), |r| fmt_ns(r.median as f64))
    };
    Table {
        head: vec![
            "hop",
            "matched",
            "residence median",
            "residence p99",
            "transit median",
            "source MAC",
            "findings",
        ],
        rows: s
            .hops
            .iter()
            .map(|h| {
                vec![
                    format!("{} → {}", h.from, h.to),
                    h.matched.to_string(),
                    median(h.residence_ns),
                    h.residence_ns.map_or("–".into(), |r| fmt_ns(r.p99 as f64)),
                    median(h.transit_ns),
                    if h.source_mac_changed {
                        "changed"
                    } else {
                        "kept"
                    }
                    .into(),
                    h.flags
                        .iter()
                        .map(|&f| hop_text(f))
                        .collect::<Vec<_>>()
                        .join("; "),
                ]
            })
            .collect(),
    }
}

/// Per stream: counts, intervals against the advertised one, gaps.
pub fn streams(s: &Summary) -> Table {
    Table {
        head: vec![
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
        rows: s
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
            .collect(),
    }
}
