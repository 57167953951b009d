//! Leap seconds carried out as announced (IEEE 1588-2019 §7.2.3, §9.4):
//! one `leap_second` finding each, in place of what the leap itself
//! shows elsewhere.
//!
//! A grandmaster on the PTP timescale announces an inserted second with
//! leap61 (a deleted one with leap59) during the day before a UTC midnight
//! that begins a month, and at that midnight clears the flag and raises
//! currentUtcOffset by 1 (lowers it by 1). Seen on the wire, that is a
//! change of what a port announces; done that way, at that time, it is
//! the standard working, not a fault, so the changes it explains raise no
//! `leap_flag_change` or `utc_offset_change`. Done otherwise (at another
//! time, by another amount, without the flag) they still do.
//!
//! A capture clock that reads UTC (a host's CLOCK_REALTIME) steps with
//! the leap: back a second after 23:59:60, forward past 23:59:59 for a
//! deleted one. What that step alone makes elsewhere (the causal
//! intervals of an estimate at that point restart, an exchange cut in two
//! goes unanswered or is set aside, a Sync stream seems silent a second,
//! the Announce flags change) is folded into the leap's finding when all
//! of it falls within [`FOLD_WINDOW_NS`] of that midnight on that clock.

use super::{EstimateJson, Finding, Severity, Summary};
use crate::analysis::inventory::{DatasetChange, changed};

const S: i64 = 1_000_000_000;
const DAY_NS: i64 = 86_400 * S;
/// How far from a month's first UTC midnight the Announce that carries
/// the leap may be captured, on a clock reading UTC or TAI: the longest
/// Announce interval (logAnnounceInterval 4) and a second of slack.
const CHANGE_WINDOW_NS: i64 = 17 * S;
/// How far from that midnight, on a clock that reads UTC, what the
/// clock's step made is taken as the leap's.
pub const FOLD_WINDOW_NS: i64 = 2 * S;

/// A leap second a port announced, carried out, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct Leap<'a> {
    /// The change that carried it out (flag cleared, offset moved by one),
    /// when in the capture.
    pub change: Option<&'a DatasetChange>,
    /// The change that set the flag, when in the capture.
    pub announced: Option<&'a DatasetChange>,
    /// The UTC midnight it ends the day at, ns since 1970 on UTC's count.
    pub midnight_ns: i64,
}

impl<'a> Leap<'a> {
    /// The change that says most of it: the one that carried it out, else
    /// the announcement.
    pub fn main(&self) -> &'a DatasetChange {
        self.change.or(self.announced).expect("a leap has a change")
    }

    /// Inserted (leap61), not deleted (leap59).
    pub fn inserted(&self) -> bool {
        match self.change {
            Some(c) => c.to.current_utc_offset > c.from.current_utc_offset,
            None => self.main().to.leap61,
        }
    }

    /// The [`changed`] bits of `c` this leap explains.
    pub fn explains(&self, c: &DatasetChange) -> u16 {
        use changed::*;
        if self.change.is_some_and(|x| std::ptr::eq(c, x)) {
            LEAP61 | LEAP59 | CURRENT_UTC_OFFSET
        } else if self.announced.is_some_and(|a| std::ptr::eq(c, a)) {
            LEAP61 | LEAP59
        } else {
            0
        }
    }
}

/// Whether UTC midnight `m` (ns) begins a month.
fn begins_month(m: i64) -> bool {
    chrono::DateTime::from_timestamp(m.div_euclid(S), 0)
        .is_some_and(|d| chrono::Datelike::day(&d) == 1)
}

/// The month-beginning UTC midnight within `window` of `t_ns` (UTC's
/// count), if any.
fn month_midnight(t_ns: i64, window: i64) -> Option<i64> {
    let midnight = t_ns.saturating_add(DAY_NS / 2).div_euclid(DAY_NS) * DAY_NS;
    (begins_month(midnight) && t_ns.saturating_sub(midnight).saturating_abs() <= window)
        .then_some(midnight)
}

/// The month-beginning UTC midnight that ends the day of `t_ns` (UTC's
/// count, up to `window` past the day's end), if any.
fn month_end(t_ns: i64, window: i64) -> Option<i64> {
    let midnight = (t_ns.saturating_sub(window).div_euclid(DAY_NS) + 1) * DAY_NS;
    begins_month(midnight).then_some(midnight)
}

/// The capture's UTC midnight for `t_ns` by `find`, on a capture clock
/// reading UTC or, `offset_s` seconds ahead, TAI.
fn on_either_clock(t_ns: i64, offset_s: i16, find: impl Fn(i64) -> Option<i64>) -> Option<i64> {
    find(t_ns).or_else(|| find(t_ns.saturating_sub(i64::from(offset_s) * S)))
}

/// Whether `c` sets leap61 or leap59 (one of them) on a PTP-timescale
/// grandmaster with a valid UTC offset, and changes nothing of the offset.
fn sets_flag(c: &DatasetChange) -> bool {
    let (f, t) = (&c.from, &c.to);
    f.ptp_timescale
        && t.ptp_timescale
        && f.current_utc_offset_valid
        && t.current_utc_offset_valid
        && !f.leap61
        && !f.leap59
        && t.leap61 != t.leap59
        && f.current_utc_offset == t.current_utc_offset
}

/// The leap seconds the capture's dataset changes show done as the
/// standard has it, on a capture clock reading UTC or TAI:
/// - carried out: a port announcing a PTP-timescale grandmaster with a
///   valid UTC offset cleared leap61 (leap59) and moved currentUtcOffset
///   up (down) by one, in one Announce captured within
///   [`CHANGE_WINDOW_NS`] of a UTC midnight beginning a month; the flag
///   set by the same port in the day before, if seen, announced it;
/// - announced only: the flag set in the day before such a midnight, the
///   leap itself not in the capture.
pub fn leaps(s: &Summary) -> Vec<Leap<'_>> {
    let mut v: Vec<Leap<'_>> = Vec::new();
    for c in &s.dataset_changes {
        let (f, t) = (&c.from, &c.to);
        let step = i32::from(t.current_utc_offset) - i32::from(f.current_utc_offset);
        let carried_out = f.ptp_timescale
            && t.ptp_timescale
            && f.current_utc_offset_valid
            && t.current_utc_offset_valid
            && ((f.leap61 && !t.leap61 && !t.leap59 && step == 1)
                || (f.leap59 && !t.leap59 && !t.leap61 && step == -1));
        if !carried_out {
            continue;
        }
        let Some(midnight_ns) = on_either_clock(c.time_ns, f.current_utc_offset, |t| {
            month_midnight(t, CHANGE_WINDOW_NS)
        }) else {
            continue;
        };
        let announced = s.dataset_changes.iter().find(|a| {
            sets_flag(a)
                && a.port == c.port
                && a.grandmaster == c.grandmaster
                && a.time_ns < c.time_ns
                && c.time_ns - a.time_ns <= DAY_NS + CHANGE_WINDOW_NS
                && a.to.leap61 == f.leap61
                && a.from.current_utc_offset == f.current_utc_offset
        });
        v.push(Leap {
            change: Some(c),
            announced,
            midnight_ns,
        });
    }
    for a in &s.dataset_changes {
        if !sets_flag(a) || v.iter().any(|l| l.explains(a) != 0) {
            continue;
        }
        if let Some(midnight_ns) = on_either_clock(a.time_ns, a.from.current_utc_offset, |t| {
            month_end(t, CHANGE_WINDOW_NS)
        }) {
            v.push(Leap {
                change: None,
                announced: Some(a),
                midnight_ns,
            });
        }
    }
    v
}

/// What the leap explains of `c`, over all `leaps`.
pub fn explained(leaps: &[Leap<'_>], c: &DatasetChange) -> u16 {
    leaps.iter().fold(0, |bits, l| bits | l.explains(c))
}

/// The `leap_second` finding of `l`, with the findings of `v` that the
/// step of a capture clock reading UTC explains taken out of `v` and
/// named in it.
pub fn fold(
    l: &Leap<'_>,
    s: &Summary,
    estimates: &[EstimateJson],
    v: &mut Vec<Finding>,
) -> Finding {
    let c = l.main();
    let (from, to) = (c.from.current_utc_offset, c.to.current_utc_offset);
    let day = chrono::DateTime::from_timestamp((l.midnight_ns - DAY_NS) / S, 0)
        .map_or(String::new(), |d| d.format("%Y-%m-%d").to_string());
    let (what, flag) = if l.inserted() {
        ("inserted a leap second (23:59:60)", "leap61")
    } else {
        ("deleted a leap second (23:59:59)", "leap59")
    };
    let announced = match l.announced {
        Some(a) => format!("announced with {flag} from frame {}", a.frame),
        None => format!("{flag} announced since before the capture began"),
    };
    let (lo, hi) = (
        l.midnight_ns - FOLD_WINDOW_NS,
        l.midnight_ns + FOLD_WINDOW_NS,
    );
    // The capture points whose clock reads UTC (by an estimate's offset).
    let mut utc_points: Vec<&str> = estimates
        .iter()
        .filter(|e| {
            e.timescale
                .as_ref()
                .is_some_and(|t| t.capture_clock == "UTC")
        })
        .map(|e| e.point.as_str())
        .collect();
    utc_points.sort_unstable();
    utc_points.dedup();
    let on_utc = |p: &Option<String>| p.as_deref().is_some_and(|p| utc_points.contains(&p));
    let within = |f: &Finding| {
        f.evidence.first_ns.is_some_and(|t| lo <= t)
            && f.evidence
                .last_ns
                .or(f.evidence.first_ns)
                .is_some_and(|t| t <= hi)
    };
    let port = c.port.to_string();
    let leap_flags = ["leap61", "leap59"];
    // From the day before (the flag set) to the leap.
    let since = l
        .announced
        .map_or(c.time_ns - DAY_NS - CHANGE_WINDOW_NS, |a| a.time_ns);
    let only_leap_flags = |st: &super::StreamJson| {
        st.flag_change_count == st.flag_changes.len() as u64
            && st.flag_changes.iter().all(|fc| {
                (since - FOLD_WINDOW_NS..=c.time_ns + FOLD_WINDOW_NS).contains(&fc.time_ns) && {
                    let differ = fc
                        .from
                        .iter()
                        .filter(|n| !fc.to.contains(n))
                        .chain(fc.to.iter().filter(|n| !fc.from.contains(n)));
                    differ.into_iter().all(|n| leap_flags.contains(&n.as_str()))
                }
            })
    };
    let folds = |f: &Finding| match f.kind {
        // The flag itself clearing, on the Announces of the leap's port.
        "flag_changes" => {
            f.stream.as_deref() == Some("Announce")
                && f.port.as_deref() == Some(port.as_str())
                && s.health.iter().any(|st| {
                    Some(&st.point) == f.point.as_ref()
                        && st.port == port
                        && st.message_type == "Announce"
                        && only_leap_flags(st)
                })
        }
        "causality_conflicts" | "samples_set_aside" | "receipt_timeouts" => {
            l.change.is_some() && on_utc(&f.point) && within(f)
        }
        // Counted over every point: only when some point reads UTC.
        "unanswered_exchanges" => l.change.is_some() && !utc_points.is_empty() && within(f),
        _ => false,
    };
    let (folded, kept): (Vec<Finding>, Vec<Finding>) =
        std::mem::take(v).into_iter().partition(folds);
    *v = kept;
    let mut text = match l.change {
        Some(_) => format!(
            "{port} carried out the leap second of grandmaster {}: it {what} at the end of {day} UTC as the standard has it, {announced}; at its first Announce after UTC midnight (frame {}) {flag} cleared and currentUtcOffset went {from} → {to}",
            c.grandmaster, c.frame
        ),
        None => format!(
            "{port} announced a leap second of grandmaster {}: {flag} set at frame {}, in the day before the end of {day} UTC as the standard has it, so that at that midnight currentUtcOffset goes {from} → {}; the capture ends before it",
            c.grandmaster,
            c.frame,
            if l.inserted() { from + 1 } else { from - 1 }
        ),
    };
    let said = |flag: bool| {
        folded
            .iter()
            .filter(|f| (f.kind == "flag_changes") == flag)
            .map(|f| format!("{} ×{} ({})", f.kind, f.evidence.count, f.subject))
            .collect::<Vec<_>>()
    };
    let flags = said(true);
    if !flags.is_empty() {
        text.push_str(&format!(
            "; the flag changes of its Announces are that ({})",
            flags.join(", ")
        ));
    }
    let stepped = said(false);
    if !stepped.is_empty() {
        text.push_str(&format!(
            ". The capture clock at {} reads UTC and stepped a second with it; that step alone made what is told here rather than apart: {}",
            utc_points.join(", "),
            stepped.join(", ")
        ));
    }
    let mut f = Finding::new(
        "leap_second",
        Severity::Notice,
        format!("{port} grandmaster {}", c.grandmaster),
        text,
    )
    .count(1 + folded.len() as u64)
    .clause("IEEE 1588-2019 §7.2.3 (currentUtcOffset, leap61, leap59), §9.4")
    .at(None, Some(&port), Some("Announce"))
    .span(Some(c.time_ns), Some(c.time_ns), Some(c.frame))
    .figure("current_utc_offset_before_s", f64::from(from))
    .figure("current_utc_offset_after_s", f64::from(to))
    .figure("utc_midnight_s", (l.midnight_ns / S) as f64);
    for g in &folded {
        let n = f.evidence.figures.get(g.kind).copied().unwrap_or(0.0);
        f = f.figure(g.kind, n + g.evidence.count as f64);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analyzer;
    use crate::analysis::inventory::Dataset;
    use crate::wire::{ClockIdentity, PortIdentity};

    /// 2027-01-01 00:00:00 UTC, ns.
    const NEW_YEAR: i64 = 1_798_761_600 * S;

    fn dataset(offset: i16, leap61: bool) -> Dataset {
        Dataset {
            grandmaster_identity: ClockIdentity([1; 8]),
            priority1: 128,
            clock_class: 6,
            clock_accuracy: 0x21,
            offset_scaled_log_variance: 0x4e5d,
            priority2: 128,
            steps_removed: 0,
            time_source: 0x20,
            current_utc_offset: offset,
            current_utc_offset_valid: true,
            leap61,
            leap59: false,
            ptp_timescale: true,
            time_traceable: true,
            frequency_traceable: true,
            path_trace: None,
        }
    }

    fn change(time_ns: i64, from: Dataset, to: Dataset) -> DatasetChange {
        DatasetChange {
            time_ns,
            frame: 7,
            major_sdo_id: 0,
            domain: 0,
            port: PortIdentity {
                clock_identity: ClockIdentity([1; 8]),
                port_number: 1,
            },
            grandmaster: ClockIdentity([1; 8]),
            fields: to.changed_from(&from),
            from,
            to,
        }
    }

    fn summary(changes: Vec<DatasetChange>) -> Summary {
        let mut s = Summary::new(&Analyzer::default(), &|_| "p".into());
        s.dataset_changes = changes;
        s
    }

    fn kinds(s: &Summary) -> Vec<&'static str> {
        super::super::findings(s, &[])
            .iter()
            .map(|f| f.kind)
            .collect()
    }

    #[test]
    fn a_leap_carried_out_at_a_month_end_is_one_finding() {
        // Captured on a clock reading UTC, and on one reading TAI.
        for at in [NEW_YEAR + 3 * S / 2, NEW_YEAR + 37 * S + S / 2] {
            let s = summary(vec![change(at, dataset(37, true), dataset(38, false))]);
            let l = leaps(&s);
            assert_eq!(l.len(), 1, "{at}");
            assert_eq!(l[0].midnight_ns, NEW_YEAR);
            assert!(l[0].inserted() && l[0].announced.is_none());
            assert_eq!(kinds(&s), ["leap_second"], "{at}");
        }
        // The flag set in the day before is the announcement.
        let s = summary(vec![
            change(NEW_YEAR - 3_600 * S, dataset(37, false), dataset(37, true)),
            change(NEW_YEAR + S, dataset(37, true), dataset(38, false)),
        ]);
        let l = leaps(&s);
        assert_eq!(l.len(), 1);
        assert!(std::ptr::eq(l[0].announced.unwrap(), &s.dataset_changes[0]));
        assert_eq!(kinds(&s), ["leap_second"]);
        let f = &super::super::findings(&s, &[])[0];
        assert!(
            f.text.contains("announced with leap61 from frame 7"),
            "{}",
            f.text
        );
        assert!(f.text.contains("37 → 38"), "{}", f.text);
    }

    #[test]
    fn a_leap_done_otherwise_stays_a_warning() {
        let wrong = [
            // In mid-month.
            change(
                NEW_YEAR - 16 * DAY_NS,
                dataset(37, true),
                dataset(38, false),
            ),
            // A minute after midnight.
            change(NEW_YEAR + 60 * S, dataset(37, true), dataset(38, false)),
            // By two seconds.
            change(NEW_YEAR, dataset(37, true), dataset(39, false)),
            // Unannounced.
            change(NEW_YEAR, dataset(37, false), dataset(38, false)),
            // Backwards with leap61.
            change(NEW_YEAR, dataset(37, true), dataset(36, false)),
        ];
        for c in wrong {
            let s = summary(vec![c]);
            assert!(leaps(&s).is_empty(), "{:?}", s.dataset_changes);
            let k = kinds(&s);
            assert!(k.contains(&"utc_offset_change"), "{k:?}");
            assert!(!k.contains(&"leap_second"), "{k:?}");
        }
    }

    #[test]
    fn a_leap_announced_in_the_day_before_is_a_notice() {
        // 12 h before, on a UTC and on a TAI capture clock.
        for at in [NEW_YEAR - 43_200 * S, NEW_YEAR - 43_200 * S + 37 * S] {
            let s = summary(vec![change(at, dataset(37, false), dataset(37, true))]);
            let l = leaps(&s);
            assert_eq!(l.len(), 1, "{at}");
            assert!(l[0].change.is_none() && l[0].inserted());
            assert_eq!(l[0].midnight_ns, NEW_YEAR);
            assert_eq!(kinds(&s), ["leap_second"]);
            let f = &super::super::findings(&s, &[])[0];
            assert!(
                f.text.contains("37 → 38") && f.text.contains("2026-12-31"),
                "{}",
                f.text
            );
        }
        // Two days before, or before the middle of a month: not a leap's.
        for at in [NEW_YEAR - 2 * DAY_NS, NEW_YEAR - 16 * DAY_NS - 3_600 * S] {
            let s = summary(vec![change(at, dataset(37, false), dataset(37, true))]);
            assert!(leaps(&s).is_empty(), "{at}");
            assert_eq!(kinds(&s), ["leap_flag_change"], "{at}");
        }
    }

    /// Without a capture point seen reading UTC, nothing else is taken as
    /// the leap's.
    #[test]
    fn a_conflict_is_the_leaps_only_on_a_clock_reading_utc() {
        let s = summary(vec![change(
            NEW_YEAR + S,
            dataset(37, true),
            dataset(38, false),
        )]);
        let conflict = Finding::new(
            "causality_conflicts",
            Severity::Error,
            "estimate p slave x".into(),
            "".into(),
        )
        .at(Some("p"), None, None)
        .span(Some(NEW_YEAR), Some(NEW_YEAR), None)
        .count(1);
        let mut v = vec![conflict.clone()];
        let l = leaps(&s);
        let f = fold(&l[0], &s, &[], &mut v);
        assert_eq!(v, [conflict]);
        assert_eq!(f.evidence.count, 1);
    }
}
