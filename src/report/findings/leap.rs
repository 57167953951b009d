//! Leap seconds done as announced (IEEE 1588-2019 §8.2.4.2-§8.2.4.5,
//! timePropertiesDS's currentUtcOffset, leap61 and leap59; §13.3.2.8,
//! the Announce's flagField): one `leap_second` finding each, in place of
//! what the leap itself shows elsewhere.
//!
//! A grandmaster on the PTP timescale announces an inserted second with
//! leap61 (a deleted one with leap59) on the last day before a UTC
//! midnight that begins a month, and at that midnight clears the flag and
//! raises currentUtcOffset by 1 (lowers it by 1). Seen on the wire, that is
//! a change of what a port announces; done that way, at that time, for a
//! leap the IERS scheduled, it is the standard working, not a fault, so
//! the changes it explains raise no `leap_flag_change` or
//! `utc_offset_change`. Done otherwise (at another time, by another
//! amount, without the flag, announced and not carried out, by a port an
//! attack kind was raised on) they still do. A leap the built-in IERS
//! list ([`LEAPS`]) does not have is a warning while the list is valid,
//! and said unverified past its expiry.
//!
//! A capture clock that reads UTC (a host's CLOCK_REALTIME) steps with
//! the leap: back a second after 23:59:60, forward past 23:59:59 for a
//! deleted one. What that step alone makes elsewhere (the causal
//! intervals of an estimate at that point restart, by a second; an
//! exchange cut in two goes unanswered or is set aside; a Sync stream
//! seems silent a second; the Announce flags change) is folded into the
//! leap's finding when all of it falls within [`FOLD_WINDOW_NS`] of that
//! midnight on that clock. A conflict whose step is not the leap's second
//! (within [`STEP_TOLERANCE_NS`]) stays an error.

use super::{EstimateJson, Finding, Severity, Summary};
use crate::analysis::inventory::{DatasetChange, begins_month, changed};

const S: i64 = 1_000_000_000;
const DAY_NS: i64 = 86_400 * S;
/// How early a change may be captured against the midnight it belongs to:
/// the capture clock's error against UTC (or TAI).
const EARLY_NS: i64 = S / 10;
/// How far from that midnight, on a clock that reads UTC, what the
/// clock's step made is taken as the leap's.
pub const FOLD_WINDOW_NS: i64 = 2 * S;
/// How far from a whole second a conflict's step may be and still be the
/// leap's: path delay noise of software timestamps, and the drift over
/// the gap.
pub const STEP_TOLERANCE_NS: i64 = 100_000;

/// The IERS leap seconds (`leap-seconds.list`, Bulletin C): the UTC
/// midnight each ended the day at, s since 1970, and TAI − UTC from it.
pub const LEAPS: [(i64, i16); 27] = [
    (78_796_800, 11),    // 1972-07-01
    (94_694_400, 12),    // 1973-01-01
    (126_230_400, 13),   // 1974-01-01
    (157_766_400, 14),   // 1975-01-01
    (189_302_400, 15),   // 1976-01-01
    (220_924_800, 16),   // 1977-01-01
    (252_460_800, 17),   // 1978-01-01
    (283_996_800, 18),   // 1979-01-01
    (315_532_800, 19),   // 1980-01-01
    (362_793_600, 20),   // 1981-07-01
    (394_329_600, 21),   // 1982-07-01
    (425_865_600, 22),   // 1983-07-01
    (489_024_000, 23),   // 1985-07-01
    (567_993_600, 24),   // 1988-01-01
    (631_152_000, 25),   // 1990-01-01
    (662_688_000, 26),   // 1991-01-01
    (709_948_800, 27),   // 1992-07-01
    (741_484_800, 28),   // 1993-07-01
    (773_020_800, 29),   // 1994-07-01
    (820_454_400, 30),   // 1996-01-01
    (867_715_200, 31),   // 1997-07-01
    (915_148_800, 32),   // 1999-01-01
    (1_136_073_600, 33), // 2006-01-01
    (1_230_768_000, 34), // 2009-01-01
    (1_341_100_800, 35), // 2012-07-01
    (1_435_708_800, 36), // 2015-07-01
    (1_483_228_800, 37), // 2017-01-01
];
/// Until when [`LEAPS`] is complete: the expiry of the list it is from
/// (IERS, Bulletin C 70: no leap second at the end of December 2025),
/// 2026-06-28 00:00:00 UTC, s since 1970.
pub const LEAPS_EXPIRE_S: i64 = 1_782_604_800;

/// What the IERS list says of a leap at a midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Listed, with that TAI − UTC after it.
    Listed(i16),
    /// Not listed, and the list was complete then.
    NotListed,
    /// Past the list's expiry: not known.
    Unverified,
}

impl Schedule {
    pub fn of(midnight_ns: i64) -> Self {
        let m = midnight_ns.div_euclid(S);
        match LEAPS.iter().find(|(at, _)| *at == m) {
            Some(&(_, offset)) => Schedule::Listed(offset),
            None if m < LEAPS_EXPIRE_S => Schedule::NotListed,
            None => Schedule::Unverified,
        }
    }
}

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
    /// Whether the IERS scheduled it, and with what TAI − UTC after.
    pub schedule: Schedule,
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

    /// currentUtcOffset after it.
    pub fn offset_after(&self) -> i16 {
        let from = self.main().from.current_utc_offset;
        if self.inserted() {
            from.saturating_add(1)
        } else {
            from.saturating_sub(1)
        }
    }

    /// Whether it is the standard working: the IERS list has it with the
    /// offset announced, or cannot say.
    pub fn as_scheduled(&self) -> bool {
        match self.schedule {
            Schedule::Listed(offset) => offset == self.offset_after(),
            Schedule::NotListed => false,
            Schedule::Unverified => true,
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

/// The UTC midnight at or before `t_ns` (UTC's count), if it begins a
/// month; `None` where the arithmetic would overflow.
fn month_midnight_before(t_ns: i64) -> Option<i64> {
    let m = t_ns.div_euclid(DAY_NS).checked_mul(DAY_NS)?;
    begins_month(m).then_some(m)
}

/// The capture clocks the estimates show: whether any reads UTC, any TAI;
/// neither known: both are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clocks {
    pub utc: bool,
    pub tai: bool,
}

/// The capture points whose clock the estimates show reading `timescale`
/// (`"UTC"`, `"TAI"`), sorted, each once.
fn points_reading<'e>(estimates: &'e [EstimateJson], timescale: &str) -> Vec<&'e str> {
    let mut v: Vec<&str> = estimates
        .iter()
        .filter(|e| {
            e.timescale
                .as_ref()
                .is_some_and(|t| t.capture_clock == timescale)
        })
        .map(|e| e.point.as_str())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

impl Clocks {
    pub fn of(estimates: &[EstimateJson]) -> Self {
        let reads = |timescale| !points_reading(estimates, timescale).is_empty();
        let (utc, tai) = (reads("UTC"), reads("TAI"));
        match (utc, tai) {
            (false, false) => Self {
                utc: true,
                tai: true,
            },
            _ => Self { utc, tai },
        }
    }

    /// `t_ns` of a capture clock as UTC's count: as it is (UTC) and less
    /// `offset_s` (TAI), as the clocks allow.
    fn readings(self, t_ns: i64, offset_s: i16) -> impl Iterator<Item = i64> {
        let tai = t_ns.checked_sub(i64::from(offset_s) * S);
        [self.utc.then_some(t_ns), tai.filter(|_| self.tai)]
            .into_iter()
            .flatten()
    }
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

/// The longest Announce interval `port` advertised at any point, ns (1 s
/// when none was seen).
fn announce_interval_ns(s: &Summary, port: &str) -> i64 {
    s.health
        .iter()
        .filter(|st| st.port == port && st.message_type == "Announce")
        .filter_map(|st| st.advertised_interval_ns)
        .max()
        .unwrap_or(S)
        .clamp(S / 128, 64 * S)
}

/// The leap seconds the capture's dataset changes show done as the
/// standard has it, on the capture clocks `clocks`:
/// - carried out: a port announcing a PTP-timescale grandmaster with a
///   valid UTC offset cleared leap61 (leap59) and moved currentUtcOffset
///   up (down) by one, in an Announce captured from [`EARLY_NS`] before a
///   UTC midnight beginning a month to two of its Announce intervals
///   after; the flag set by the same port on the day before, if seen,
///   announced it;
/// - announced only: the flag set on the day before such a midnight,
///   the capture ending before it.
///
/// Ports an attack kind was raised on are left out: what they announce
/// may be an attacker's.
pub fn leaps(s: &Summary, clocks: Clocks) -> Vec<Leap<'_>> {
    let attacked: Vec<String> = s
        .alerts
        .iter()
        .filter_map(|(a, _)| a.port.map(|p| p.to_string()))
        .collect();
    let honest = |c: &DatasetChange| !attacked.contains(&c.port.to_string());
    let mut v: Vec<Leap<'_>> = Vec::new();
    for c in s.dataset_changes.iter().filter(|c| honest(c)) {
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
        let late = 2 * announce_interval_ns(s, &c.port.to_string());
        let Some(midnight_ns) = clocks
            .readings(c.time_ns, f.current_utc_offset)
            .filter_map(|t| {
                month_midnight_before(t.saturating_add(EARLY_NS))
                    .filter(|&m| t.saturating_sub(m) <= late)
            })
            .next()
        else {
            continue;
        };
        let announced = s.dataset_changes.iter().find(|a| {
            sets_flag(a)
                && a.port == c.port
                && a.grandmaster == c.grandmaster
                && a.time_ns < c.time_ns
                && a.time_ns >= c.time_ns.saturating_sub(DAY_NS + late)
                && a.to.leap61 == f.leap61
                && a.from.current_utc_offset == f.current_utc_offset
        });
        v.push(Leap {
            change: Some(c),
            announced,
            midnight_ns,
            schedule: Schedule::of(midnight_ns),
        });
    }
    // The capture's end, as each clock reads it.
    let end = s.points.iter().filter_map(|p| p.last_ns).max();
    for a in s.dataset_changes.iter().filter(|c| honest(c)) {
        if !sets_flag(a) || v.iter().any(|l| l.explains(a) != 0) {
            continue;
        }
        let offset = a.from.current_utc_offset;
        let midnight = clocks.readings(a.time_ns, offset).find_map(|t| {
            let m = month_midnight_before(t.checked_add(DAY_NS)?)?;
            // On the last day, and the capture over before midnight on
            // that clock (else the leap was not carried out).
            let end = end.and_then(|e| e.checked_sub(a.time_ns - t))?;
            (t < m && end < m).then_some(m)
        });
        if let Some(midnight_ns) = midnight {
            v.push(Leap {
                change: None,
                announced: Some(a),
                midnight_ns,
                schedule: Schedule::of(midnight_ns),
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
    let utc_points = points_reading(estimates, "UTC");
    let on_utc = |p: &Option<String>| p.as_deref().is_some_and(|p| utc_points.contains(&p));
    // Both ends known: a finding whose last event is not known (more
    // than its stream kept) is not taken.
    let within = |f: &Finding| {
        f.evidence.first_ns.is_some_and(|t| lo <= t) && f.evidence.last_ns.is_some_and(|t| t <= hi)
    };
    // A UTC capture clock steps back a second at an inserted leap (the
    // offset from the grandmaster falls by a second), forward at a
    // deleted one; a conflict of another size is not the leap's.
    let leap_step = if l.inserted() { -S } else { S };
    let steps_are_the_leaps = |point: &Option<String>| {
        estimates
            .iter()
            .filter(|e| Some(&e.point) == point.as_ref() && e.conflicts > 0)
            .all(|e| {
                e.conflict_steps_ns.len() as u64 == e.conflicts
                    && e.conflict_steps_ns
                        .iter()
                        .all(|d| (d - leap_step).abs() <= STEP_TOLERANCE_NS)
            })
    };
    let port = c.port.to_string();
    let leap_flags = ["leap61", "leap59"];
    // From the day before (the flag set) to the leap.
    let since = l
        .announced
        .map_or(c.time_ns.saturating_sub(DAY_NS), |a| a.time_ns);
    let only_leap_flags = |st: &super::StreamJson| {
        st.flag_change_count == st.flag_changes.len() as u64
            && st.flag_changes.iter().all(|fc| {
                (since.saturating_sub(FOLD_WINDOW_NS)..=c.time_ns.saturating_add(FOLD_WINDOW_NS))
                    .contains(&fc.time_ns)
                    && {
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
        // A leap the IERS did not schedule does not step a host's UTC.
        _ if !l.as_scheduled() => false,
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
        "causality_conflicts" => {
            l.change.is_some() && on_utc(&f.point) && within(f) && steps_are_the_leaps(&f.point)
        }
        "samples_set_aside" | "receipt_timeouts" => {
            l.change.is_some() && on_utc(&f.point) && within(f)
        }
        // Counted over every point: only when every point seen reads UTC.
        "unanswered_exchanges" => {
            l.change.is_some()
                && !utc_points.is_empty()
                && s.points
                    .iter()
                    .all(|p| utc_points.contains(&p.name.as_str()))
                && within(f)
        }
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
            "{port} announced a leap second of grandmaster {}: {flag} set at frame {}, on the last day before the end of {day} UTC as the standard has it, so that at that midnight currentUtcOffset goes {from} → {}; the capture ends before it",
            c.grandmaster,
            c.frame,
            l.offset_after()
        ),
    };
    let severity = match l.schedule {
        Schedule::Listed(offset) if offset == l.offset_after() => {
            text.push_str(&format!(
                ", a leap second the IERS scheduled (TAI − UTC {offset} s after it)"
            ));
            Severity::Notice
        }
        Schedule::Listed(offset) => {
            text.push_str(&format!(
                ", but the IERS has TAI − UTC {offset} s after that midnight, not {}: the grandmaster's UTC is wrong",
                l.offset_after()
            ));
            Severity::Warning
        }
        Schedule::NotListed => {
            text.push_str(
                ", but the IERS scheduled no leap second at that midnight (its list is complete until 2026-06-28): the grandmaster, or whoever sets its UTC offset, is wrong, or an attacker sets it",
            );
            Severity::Warning
        }
        Schedule::Unverified => {
            text.push_str(
                "; not checked against the IERS schedule, whose built-in list expires 2026-06-28",
            );
            Severity::Notice
        }
    };
    let said = |flag: bool| {
        folded
            .iter()
            .filter(|f| (f.kind == "flag_changes") == flag)
            .map(|f| {
                let at = f
                    .point
                    .as_ref()
                    .map_or(String::new(), |p| format!(" at point {p}"));
                let what = match f.kind {
                    "unanswered_exchanges" => f.subject.as_str(),
                    "causality_conflicts" | "samples_set_aside" => "estimate",
                    _ => f.stream.as_deref().unwrap_or(f.kind),
                };
                format!("{} ×{} ({what}{at})", f.kind, f.evidence.count)
            })
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
            ". The capture clock at {} reads UTC and stepped a second {} with it, at its midnight; these came from that step alone, so they are reported here instead of separately: {}",
            utc_points.join(", "),
            if l.inserted() { "back" } else { "forward" },
            stepped.join(", ")
        ));
    }
    let mut f = Finding::new(
        "leap_second",
        severity,
        format!("{port} grandmaster {}", c.grandmaster),
        text,
    )
    .count(1)
    .clause("IEEE 1588-2019 §8.2.4.2-§8.2.4.5 (currentUtcOffset, leap61, leap59), §13.3.2.8 (flagField), §7.2.3")
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
            current_utc_offset: offset,
            leap61,
            ..Dataset::example()
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

    const BOTH: Clocks = Clocks {
        utc: true,
        tai: true,
    };

    /// A capture of `changes` that ends a second after the last.
    fn summary(changes: Vec<DatasetChange>) -> Summary {
        let mut s = Summary::new(&Analyzer::default(), &|_| "p".into());
        let last = changes.iter().map(|c| c.time_ns).max();
        s.points.push(crate::report::summary::PointJson {
            name: "p".into(),
            frames: 1,
            ptp_messages: 1,
            first_ns: changes.iter().map(|c| c.time_ns).min(),
            last_ns: last.map(|t| t.saturating_add(S)),
        });
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
            let l = leaps(&s, BOTH);
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
        let l = leaps(&s, BOTH);
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
            // A minute after midnight, 10 s before, 30 s after (on UTC;
            // on TAI 7 s before it).
            change(NEW_YEAR + 60 * S, dataset(37, true), dataset(38, false)),
            change(NEW_YEAR - 10 * S, dataset(37, true), dataset(38, false)),
            change(NEW_YEAR + 30 * S, dataset(37, true), dataset(38, false)),
            // By two seconds.
            change(NEW_YEAR, dataset(37, true), dataset(39, false)),
            // Unannounced.
            change(NEW_YEAR, dataset(37, false), dataset(38, false)),
            // Backwards with leap61.
            change(NEW_YEAR, dataset(37, true), dataset(36, false)),
        ];
        for c in wrong {
            let s = summary(vec![c]);
            assert!(leaps(&s, BOTH).is_empty(), "{:?}", s.dataset_changes);
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
            let l = leaps(&s, BOTH);
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
            assert!(leaps(&s, BOTH).is_empty(), "{at}");
            assert_eq!(kinds(&s), ["leap_flag_change"], "{at}");
        }
        // 10 s after the midnight on a clock known to read UTC (on TAI
        // it would be 27 s before).
        let s = summary(vec![change(
            NEW_YEAR + 10 * S,
            dataset(37, false),
            dataset(37, true),
        )]);
        let utc = Clocks {
            utc: true,
            tai: false,
        };
        assert!(leaps(&s, utc).is_empty());
        assert_eq!(leaps(&s, BOTH).len(), 1);
    }

    /// The flag set on the last day and the capture going on past the
    /// midnight with no leap: announced and not carried out, a warning.
    #[test]
    fn a_leap_announced_and_not_carried_out_stays_a_warning() {
        let mut s = summary(vec![change(
            NEW_YEAR - 3_600 * S,
            dataset(37, false),
            dataset(37, true),
        )]);
        s.points[0].last_ns = Some(NEW_YEAR + 120 * S + 37 * S);
        assert!(leaps(&s, BOTH).is_empty());
        assert_eq!(kinds(&s), ["leap_flag_change"]);
    }

    /// Against the IERS list: the 2017 leap is the standard working; one
    /// at a midnight the list (complete then) does not have, or with
    /// another offset, is a warning; one past the list's expiry is said
    /// unverified.
    #[test]
    fn a_leap_is_checked_against_the_iers_list() {
        let at = |y: i32, m: u32| {
            chrono::NaiveDate::from_ymd_opt(y, m, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp()
                * S
        };
        for (midnight, from, to, severity, says) in [
            (at(2017, 1), 36, 37, Severity::Notice, "the IERS scheduled"),
            (at(2017, 1), 37, 38, Severity::Warning, "not 38"),
            (
                at(2020, 1),
                37,
                38,
                Severity::Warning,
                "scheduled no leap second",
            ),
            (
                NEW_YEAR,
                37,
                38,
                Severity::Notice,
                "not checked against the IERS",
            ),
        ] {
            let s = summary(vec![change(
                midnight + S,
                dataset(from, true),
                dataset(to, false),
            )]);
            let f = super::super::findings(&s, &[]);
            assert_eq!(f.len(), 1, "{f:?}");
            assert_eq!(
                (f[0].kind, f[0].severity),
                ("leap_second", severity),
                "{}",
                f[0].text
            );
            assert!(f[0].text.contains(says), "{}", f[0].text);
        }
        // The list ends with TAI − UTC 37 and is in order.
        assert_eq!(LEAPS.last().unwrap().1, 37);
        assert!(
            LEAPS
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[1].1 == w[0].1 + 1)
        );
        assert!(LEAPS.iter().all(|&(m, _)| begins_month(m * S)));
    }

    /// Times near the ends of i64 (a pcapng if_tsoffset can put them
    /// there) neither panic nor make a leap.
    #[test]
    fn times_at_the_ends_of_the_range_make_no_leap() {
        for t in [i64::MIN, i64::MIN + 1, i64::MAX - DAY_NS, i64::MAX] {
            let s = summary(vec![
                change(t, dataset(37, false), dataset(37, true)),
                change(t, dataset(37, true), dataset(38, false)),
            ]);
            assert!(leaps(&s, BOTH).is_empty(), "{t}");
            let _ = super::super::findings(&s, &[]);
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
        let l = leaps(&s, BOTH);
        let f = fold(&l[0], &s, &[], &mut v);
        assert_eq!(v, [conflict]);
        assert_eq!(f.evidence.count, 1);
    }
}
