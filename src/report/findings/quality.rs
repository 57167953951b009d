//! Grandmaster quality in plain words: clockClass, clockAccuracy and
//! timeSource decoded (IEEE 1588-2019 §7.6.2.5-§7.6.2.8, Tables 4-6, and
//! the ITU-T G.8275.x classes), grandmasters in holdover or free-running,
//! datasets that change in mid-capture, grandmasters that disagree on the
//! UTC offset.

use super::super::summary::Summary;
pub use super::super::summary::clocks::{
    clock_accuracy_meaning, clock_class_meaning, holdover, time_source_meaning,
};
use super::{Finding, Severity, times};
use crate::analysis::inventory::{DatasetChange, changed};

/// The names of [`changed`] bits.
fn field_names(bits: u16) -> Vec<&'static str> {
    use changed::*;
    [
        (CURRENT_UTC_OFFSET, "currentUtcOffset"),
        (CURRENT_UTC_OFFSET_VALID, "currentUtcOffsetValid"),
        (LEAP61, "leap61"),
        (LEAP59, "leap59"),
        (PTP_TIMESCALE, "ptpTimescale"),
        (TIME_TRACEABLE, "timeTraceable"),
        (FREQUENCY_TRACEABLE, "frequencyTraceable"),
        (CLOCK_CLASS, "clockClass"),
        (CLOCK_ACCURACY, "clockAccuracy"),
        (TIME_SOURCE, "timeSource"),
    ]
    .into_iter()
    .filter(|(b, _)| bits & b != 0)
    .map(|(_, n)| n)
    .collect()
}

/// The grandmaster-quality findings of a summary.
pub fn findings(s: &Summary, leaps: &[super::leap::Leap<'_>]) -> Vec<Finding> {
    let mut v = Vec::new();
    for g in &s.grandmasters {
        let d = &g.dataset;
        let c = d.clock_class;
        let (kind, sev) = if holdover(c) {
            ("grandmaster_holdover", Severity::Warning)
        } else if c == 248 {
            ("grandmaster_free_running", Severity::Notice)
        } else {
            continue;
        };
        v.push(
            Finding::new(
                kind,
                sev,
                format!("grandmaster {}", d.grandmaster_identity),
                format!(
                    "grandmaster {} (domain {}) announces clockClass {c}: {}; clockAccuracy 0x{:02x} ({}), timeSource 0x{:02x} ({}), {}time-traceable, {}frequency-traceable",
                    d.grandmaster_identity,
                    g.domain,
                    clock_class_meaning(c),
                    d.clock_accuracy,
                    clock_accuracy_meaning(d.clock_accuracy),
                    d.time_source,
                    time_source_meaning(d.time_source),
                    if d.time_traceable { "" } else { "not " },
                    if d.frequency_traceable { "" } else { "not " },
                ),
            )
            .count(g.announces)
            .clause("IEEE 1588-2019 §7.6.2.5, Table 4 (clockClass)")
            .span(Some(g.first_ns), Some(g.last_ns), None)
            .figure("clock_class", f64::from(c))
            .figure("domain", f64::from(g.domain)),
        );
    }
    // Two grandmasters that give different UTC offsets, both valid.
    let valid: Vec<_> = s
        .grandmasters
        .iter()
        .filter(|g| g.dataset.current_utc_offset_valid && g.dataset.ptp_timescale)
        .collect();
    for (i, a) in valid.iter().enumerate() {
        for b in &valid[i + 1..] {
            let (x, y) = (a.dataset.current_utc_offset, b.dataset.current_utc_offset);
            if x != y {
                v.push(
                    Finding::new(
                        "utc_offset_disagreement",
                        Severity::Warning,
                        "grandmaster".into(),
                        format!(
                            "grandmasters {} (domain {}) and {} (domain {}) disagree on the UTC offset: {x} s and {y} s, both marked valid; UTC derived from one or the other differs by {} s",
                            a.dataset.grandmaster_identity,
                            a.domain,
                            b.dataset.grandmaster_identity,
                            b.domain,
                            (i32::from(x) - i32::from(y)).abs()
                        ),
                    )
                    .count(2)
                    .clause("IEEE 1588-2019 §7.2.3 (currentUtcOffset)")
                    .span(Some(a.first_ns.min(b.first_ns)), Some(a.last_ns.max(b.last_ns)), None)
                    .figure("utc_offset_a_s", f64::from(x))
                    .figure("utc_offset_b_s", f64::from(y)),
                );
            }
        }
    }
    // What a port announces of its grandmaster, changed mid-capture: one
    // finding per port, grandmaster and kind of change.
    use changed::*;
    let groups: [(&str, Severity, u16, &str); 3] = [
        (
            "leap_flag_change",
            Severity::Warning,
            LEAP61 | LEAP59,
            "IEEE 1588-2019 §7.2.3, §13.3.2.8 (leap61, leap59)",
        ),
        (
            "utc_offset_change",
            Severity::Warning,
            CURRENT_UTC_OFFSET | CURRENT_UTC_OFFSET_VALID | PTP_TIMESCALE,
            "IEEE 1588-2019 §7.2.3 (currentUtcOffset), §7.2.1 (timescale)",
        ),
        (
            "grandmaster_quality_change",
            Severity::Notice,
            TIME_TRACEABLE | FREQUENCY_TRACEABLE | CLOCK_CLASS | CLOCK_ACCURACY | TIME_SOURCE,
            "IEEE 1588-2019 §7.6.2 (clockQuality, timeSource), §13.3.2.8 (traceability)",
        ),
    ];
    // A leap second carried out as announced is one finding of its own
    // (`leap_second`): the changes it explains are not told here.
    let fields = |c: &DatasetChange| c.fields & !super::leap::explained(leaps, c);
    for (kind, sev, mask, clause) in groups {
        let mut seen: Vec<(String, String)> = Vec::new();
        for c in s.dataset_changes.iter().filter(|c| fields(c) & mask != 0) {
            let key = (c.port.to_string(), c.grandmaster.to_string());
            if seen.contains(&key) {
                continue;
            }
            let same: Vec<_> = s
                .dataset_changes
                .iter()
                .filter(|d| {
                    fields(d) & mask != 0 && d.port == c.port && d.grandmaster == c.grandmaster
                })
                .collect();
            let (f, t) = (&c.from, &c.to);
            let what: Vec<String> = field_names(fields(c) & mask)
                .into_iter()
                .map(|n| match n {
                    "currentUtcOffset" => format!(
                        "currentUtcOffset {} → {}",
                        f.current_utc_offset, t.current_utc_offset
                    ),
                    "clockClass" => format!(
                        "clockClass {} → {} ({})",
                        f.clock_class,
                        t.clock_class,
                        clock_class_meaning(t.clock_class)
                    ),
                    "clockAccuracy" => format!(
                        "clockAccuracy 0x{:02x} → 0x{:02x}",
                        f.clock_accuracy, t.clock_accuracy
                    ),
                    "timeSource" => format!(
                        "timeSource {} → {}",
                        time_source_meaning(f.time_source),
                        time_source_meaning(t.time_source)
                    ),
                    flag => format!("{flag} changed"),
                })
                .collect();
            v.push(
                Finding::new(
                    kind,
                    sev,
                    format!("{} grandmaster {}", key.0, key.1),
                    format!(
                        "{} changed what it announces of grandmaster {} in mid-capture, {}; first: {}",
                        key.0,
                        key.1,
                        times(same.len() as u64),
                        what.join(", ")
                    ),
                )
                .count(same.len() as u64)
                .clause(clause)
                .at(None, Some(&key.0), Some("Announce"))
                .span(
                    Some(c.time_ns),
                    same.last().map(|d| d.time_ns),
                    Some(c.frame),
                ),
            );
            seen.push(key);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::inventory::Dataset;

    #[test]
    fn quality_values_are_said_in_words() {
        assert_eq!(
            clock_class_meaning(6),
            "locked to a primary reference time source"
        );
        assert!(clock_class_meaning(248).contains("free-running"));
        assert_eq!(clock_class_meaning(0), "reserved");
        assert!(holdover(7) && holdover(140) && holdover(165) && !holdover(6) && !holdover(248));
        assert_eq!(clock_accuracy_meaning(0x21), "within 100 ns");
        assert_eq!(clock_accuracy_meaning(0x30), "within 10 s");
        assert_eq!(clock_accuracy_meaning(0xfe), "unknown");
        assert_eq!(clock_accuracy_meaning(0x05), "reserved");
        assert_eq!(time_source_meaning(0x20), "GNSS");
        assert_eq!(time_source_meaning(0x21), "reserved");
    }

    #[test]
    fn changed_fields_are_named() {
        let a = Dataset::example();
        let b = Dataset {
            leap61: true,
            clock_class: 7,
            steps_removed: 3,
            ..a.clone()
        };
        assert_eq!(
            field_names(b.changed_from(&a)),
            ["leap61", "clockClass"],
            "stepsRemoved is no dataset change"
        );
    }
}
