//! `ptpscope serve`: from estimates to the published clock (sans-IO: fed
//! estimates and the current time, returns the snapshots to publish), and
//! the Prometheus metrics.
//!
//! Status:
//! - `unknown` until the first estimate;
//! - `synchronized` while estimates of the grandmaster's track arrive;
//! - `holdover` when none came for `holdover_after`: the last estimate is
//!   republished as such, its reference unchanged, so every reader's bound
//!   keeps growing by the drift bound with its age (and readers refuse it
//!   once it is older than its validity);
//! - `disrupted` on a grandmaster change (estimates from another master
//!   after the current one fell silent) or a clock step (the estimator's
//!   causal intervals stopped intersecting: a conflict) or a new
//!   currentUtcOffset, for `settle_samples` estimates; then `synchronized`
//!   again. Estimates from Syncs captured before a currentUtcOffset change,
//!   or after the frame that completed them (the capture clock went back),
//!   keep it disrupted.

pub mod chrony;
pub mod daemon;
pub mod metrics;

use ptpscope_clock::{Leap, Snapshot, Status};

use crate::estimate::Estimate;
use crate::wire::PortIdentity;

/// A UTC day, ns.
const DAY_NS: f64 = 86_400e9;

/// Tunables.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// How long readers accept a record after its reference instant, ns.
    pub valid_ns: u64,
    /// No estimate for this long: holdover, ns.
    pub holdover_after_ns: i64,
    /// Estimates spent disrupted after a change.
    pub settle_samples: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            valid_ns: 60_000_000_000,
            holdover_after_ns: 2_000_000_000,
            settle_samples: 16,
        }
    }
}

/// The timescale of the grandmaster's time, from its Announce (IEEE
/// 1588-2019 §7.2.1, the timePropertiesDS of §8.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timescale {
    /// No Announce from the grandmaster yet: nothing is published.
    Unknown,
    /// ARB (ptpTimescale clear): the grandmaster's time is published as it
    /// is, whatever its epoch.
    Arbitrary,
    /// The PTP timescale (TAI), with currentUtcOffset in s when
    /// currentUtcOffsetValid is set. Published as UTC, CLOCK_REALTIME's
    /// timescale: the offset grows by currentUtcOffset (as phc2sys does).
    /// Without a valid offset nothing is published.
    Ptp { current_utc_offset: Option<i16> },
}

/// Why estimates are not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unpublishable {
    /// No Announce from the grandmaster yet: its timescale is unknown.
    TimescaleUnknown,
    /// The PTP timescale without a valid currentUtcOffset: TAI cannot be
    /// put on UTC.
    NoValidUtcOffset,
    /// The estimate's offset or bound is not a finite number.
    NotFinite,
}

/// Follows estimates and decides what to publish.
#[derive(Debug)]
pub struct Publisher {
    config: Config,
    master: Option<PortIdentity>,
    conflicts: u64,
    status: Status,
    settle_left: u32,
    pub disruptions: u64,
    /// Changes of master (grandmaster) after the first.
    pub grandmaster_changes: u64,
    /// The grandmaster's timescale, as the caller last saw it announced.
    pub timescale: Timescale,
    /// The leap second it announces (leap61/leap59), published with the
    /// estimates.
    pub leap: Leap,
    /// The currentUtcOffset applied last, s.
    utc_offset: Option<i16>,
    /// Capture time at which the currentUtcOffset changed: estimates from
    /// Syncs captured before it are still on the old offset.
    utc_offset_changed_at: Option<i64>,
    /// The UTC day (days since 1970) in which a leap flag was first seen.
    leap_day: Option<i64>,
    /// Why the last estimate was not published, if it was not.
    pub unpublishable: Option<Unpublishable>,
    last: Option<Snapshot>,
    /// The last snapshot's causal interval as an offset ± bound (its
    /// reference instant, offset, bound): see [`Publisher::centred`].
    interval: Option<(i64, i64, u64)>,
    /// Time (the caller's real-time clock) of the last estimate used.
    last_at: i64,
}

impl Publisher {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            master: None,
            conflicts: 0,
            status: Status::Unknown,
            settle_left: 0,
            disruptions: 0,
            grandmaster_changes: 0,
            timescale: Timescale::Arbitrary,
            leap: Leap::None,
            utc_offset: None,
            utc_offset_changed_at: None,
            leap_day: None,
            unpublishable: None,
            last: None,
            interval: None,
            last_at: i64::MIN,
        }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn master(&self) -> Option<PortIdentity> {
        self.master
    }

    fn disrupt(&mut self) {
        self.disruptions += 1;
        self.status = Status::Disrupted;
        self.settle_left = self.config.settle_samples;
    }

    /// An estimate from the track of `master` (whose causal intervals
    /// conflicted `conflicts` times so far), made at the capture time
    /// `e.time_ns`; `real_now` and `mono_now` are the publishing host's
    /// CLOCK_REALTIME and CLOCK_MONOTONIC, `shift` what to add to capture
    /// times to put them on CLOCK_REALTIME (0 when live). Returns the
    /// snapshot to publish, or `None` for an estimate of another master
    /// while the current one is still heard.
    pub fn estimate(
        &mut self,
        e: &Estimate,
        master: PortIdentity,
        conflicts: u64,
        real_now: i64,
        mono_now: i64,
        shift: i64,
    ) -> Option<Snapshot> {
        if !(e.offset_ns.is_finite() && e.hard_bound_ns.is_finite()) {
            self.unpublishable = Some(Unpublishable::NotFinite);
            return None;
        }
        // The offset against UTC: CLOCK_REALTIME minus the grandmaster's
        // time, which for the PTP timescale is TAI = UTC + currentUtcOffset.
        let utc_shift_ns = match self.timescale {
            Timescale::Unknown => {
                self.unpublishable = Some(Unpublishable::TimescaleUnknown);
                return None;
            }
            Timescale::Ptp {
                current_utc_offset: None,
            } => {
                self.unpublishable = Some(Unpublishable::NoValidUtcOffset);
                return None;
            }
            Timescale::Arbitrary => 0.0,
            Timescale::Ptp {
                current_utc_offset: Some(u),
            } => f64::from(u) * 1e9,
        };
        self.unpublishable = None;
        let utc_offset = match self.timescale {
            Timescale::Ptp { current_utc_offset } => current_utc_offset,
            _ => None,
        };
        let utc_offset_changed = self.master.is_some() && self.utc_offset != utc_offset;
        self.utc_offset = utc_offset;
        if utc_offset_changed {
            self.utc_offset_changed_at = Some(real_now.saturating_sub(shift));
        }
        // An estimate from a Sync captured before the change mixes the old
        // offset with the new one (a UTC capture clock that stepped back at
        // a leap second repeats capture times, and a stream whose Syncs
        // stopped reaching the estimator repeats its last one): it keeps
        // the status disrupted, whole seconds may be wrong.
        // A reference after the frame that completed the estimate: the
        // capture clock went back (a leap second, a step of
        // CLOCK_REALTIME), and CLOCK_REALTIME differences no longer place
        // the reference on CLOCK_MONOTONIC.
        // A leap second still announced (leap61/leap59) for a Sync whose
        // grandmaster time, less currentUtcOffset, is in a later UTC day
        // than the one the flag was first seen in: the leap that ends that
        // day happened, and the Announce with the new currentUtcOffset has
        // not come yet: whole seconds may be wrong.
        let utc_day = utc_offset.map(|u| {
            let utc = e.time_ns as f64 - e.offset_ns - f64::from(u) * 1e9;
            (utc / DAY_NS).floor() as i64
        });
        if self.leap == Leap::None {
            self.leap_day = None;
        } else if self.leap_day.is_none() {
            self.leap_day = utc_day;
        }
        let leap_passed =
            self.leap != Leap::None && utc_day.zip(self.leap_day).is_some_and(|(d, l)| d > l);
        // A record never carries across the announced leap. Its time is
        // the grandmaster's less currentUtcOffset, carried on
        // CLOCK_MONOTONIC; UTC itself steps a second at the end of the day
        // (back after 23:59:60 for leap61, forward past 23:59:59 for
        // leap59), whatever this host's clock does. So the record expires
        // before UTC can reach that instant: from the reference's UTC at
        // its latest (the grandmaster's time plus the bound), at the rate
        // this host's clock may run against the grandmaster's.
        let valid_ns = match (self.leap_day, utc_offset) {
            (Some(day), Some(u)) if self.leap != Leap::None => {
                let end = (day.saturating_add(1))
                    .saturating_mul(DAY_NS as i64)
                    .saturating_sub(if self.leap == Leap::Delete {
                        1_000_000_000
                    } else {
                        0
                    });
                let to_utc = -e.offset_ns - f64::from(u) * 1e9 + e.hard_bound_ns;
                let latest = e.time_ns.saturating_add(to_utc.ceil() as i64);
                let left = end.saturating_sub(latest).max(0);
                let f = if e.frequency_ppb.is_finite() {
                    e.frequency_ppb.abs()
                } else {
                    0.0
                };
                let rate = 1.0 + (f + e.drift_ppb) * 1e-9;
                self.config.valid_ns.min((left as f64 / rate) as u64)
            }
            _ => self.config.valid_ns,
        };
        let stale = self.utc_offset_changed_at.is_some_and(|at| e.time_ns < at)
            || e.time_ns > real_now.saturating_sub(shift)
            || leap_passed;
        match self.master {
            None => {
                self.master = Some(master);
                self.conflicts = conflicts;
                self.status = Status::Synchronized;
            }
            Some(m) if m != master => {
                if real_now - self.last_at < self.config.holdover_after_ns {
                    return None;
                }
                self.master = Some(master);
                self.conflicts = conflicts;
                self.grandmaster_changes += 1;
                self.disrupt();
            }
            Some(_) if conflicts > self.conflicts => {
                self.conflicts = conflicts;
                self.disrupt();
            }
            // A new currentUtcOffset (a leap second, or a grandmaster
            // corrected) moves the published time by whole seconds.
            Some(_) if utc_offset_changed => self.disrupt(),
            Some(_) if stale => {
                self.status = Status::Disrupted;
                self.settle_left = self.config.settle_samples;
            }
            Some(_) => {
                if self.settle_left > 0 {
                    self.settle_left -= 1;
                }
                if self.settle_left == 0 {
                    self.status = Status::Synchronized;
                }
            }
        }
        self.last_at = real_now;
        let real_ref = e.time_ns.saturating_add(shift);
        let (offset_ns, bound_ns) = whole_ns_outward(e.offset_ns + utc_shift_ns, e.hard_bound_ns);
        let (lower, upper) = (e.causal_lower_ns, e.causal_upper_ns);
        self.interval = (lower.is_finite() && upper.is_finite() && lower <= upper).then(|| {
            let (o, b) =
                whole_ns_outward((lower + upper) / 2.0 + utc_shift_ns, (upper - lower) / 2.0);
            (real_ref, o as i64, b)
        });
        let snap = Snapshot {
            real_ns: real_ref,
            // The reference instant on the monotonic clock: as long ago
            // as the capture is behind real time.
            mono_ns: mono_now.saturating_sub(real_now.saturating_sub(real_ref).max(0)),
            offset_ns: offset_ns as i64,
            freq_ppb: e.frequency_ppb,
            bound_ns,
            drift_ppb: drift_ppb(e),
            valid_ns,
            status: self.status,
            grandmaster: master.clock_identity.0,
            disruptions: self.disruptions,
            leap: self.leap,
        };
        self.last = Some(snap);
        Some(snap)
    }

    /// `s` about the middle of its causal interval, for readers with no
    /// offset term (ClockBound's, whose bound must cover |offset|):
    /// |offset| + bound is then max(|lower|, |upper|), the least any
    /// interval about CLOCK_REALTIME holding the truth can have, where
    /// about the estimate it is up to the whole interval's width more.
    /// `s` unchanged when it is not the last estimate's.
    pub fn centred(&self, s: &Snapshot) -> Snapshot {
        match self.interval {
            Some((real_ns, offset_ns, bound_ns)) if real_ns == s.real_ns => Snapshot {
                offset_ns,
                bound_ns,
                ..*s
            },
            _ => *s,
        }
    }

    /// The snapshot to publish when the grandmaster fell silent: the last
    /// one, as holdover (once).
    pub fn tick(&mut self, real_now: i64) -> Option<Snapshot> {
        if self.status != Status::Synchronized
            || real_now - self.last_at < self.config.holdover_after_ns
        {
            return None;
        }
        self.status = Status::Holdover;
        let mut s = self.last?;
        s.status = Status::Holdover;
        self.last = Some(s);
        Some(s)
    }
}

/// How fast a reader's bound grows with the record's age, ppb: the drift
/// bound the estimate assumed (|f| ≤ d, fixed or measured), plus |f̂|,
/// since a reader carries the offset forward by the estimated frequency
/// f̂ and |f − f̂| ≤ d + |f̂|.
fn drift_ppb(e: &Estimate) -> u64 {
    let f = if e.frequency_ppb.is_finite() {
        e.frequency_ppb.abs()
    } else {
        0.0
    };
    (e.drift_ppb + f).ceil() as u64
}

/// An offset ± bound in whole ns whose interval contains the given one:
/// the offset rounded to the nearest ns, the bound grown by what that
/// rounding moved and rounded up.
fn whole_ns_outward(offset_ns: f64, bound_ns: f64) -> (f64, u64) {
    let rounded = offset_ns.round();
    let bound = (bound_ns.max(0.0) + (offset_ns - rounded).abs()).ceil();
    (rounded, bound as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_interval_contains_the_estimators() {
        for (offset, bound) in [
            (10.4, 5.3),
            (10.5, 5.0),
            (-10.5, 0.0),
            (-3.49, 0.51),
            (0.0, 0.0),
            (1e9 + 0.75, 12_345.25),
        ] {
            let (o, b) = whole_ns_outward(offset, bound);
            assert_eq!(o, o.round());
            let b = b as f64;
            assert!(
                o - b <= offset - bound && o + b >= offset + bound,
                "{offset} ± {bound} -> {o} ± {b}"
            );
            // Never wider than the rounding needs.
            assert!(b <= bound + 1.5, "{offset} ± {bound} -> {o} ± {b}");
        }
    }
    use crate::wire::ClockIdentity;

    fn port(n: u8) -> PortIdentity {
        PortIdentity {
            clock_identity: ClockIdentity([0, 0, 0, 0xff, 0xfe, 0, 0, n]),
            port_number: 1,
        }
    }

    fn est(t: i64) -> Estimate {
        Estimate {
            time_ns: t,
            offset_ns: 1234.4,
            mean_path_delay_ns: 500.0,
            frequency_ppb: 12.0,
            hard_bound_ns: 800.2,
            statistical_bound_ns: 40.0,
            drift_ppb: 200_000.0,
            causal_lower_ns: 1234.4 - 800.2,
            causal_upper_ns: 1234.4 + 400.0,
            samples_used: 8,
            baseline_offset_ns: 1200.0,
        }
    }

    const S: i64 = 1_000_000_000;

    /// For a reader with no offset term the last estimate is centred on
    /// its causal interval [434.2, 1634.4]: |offset| + bound is the
    /// interval's farther end, not the estimate's distance to it added to
    /// |offset|; it holds the estimate's own interval's truth as well.
    #[test]
    fn centred_on_the_causal_interval_for_clockbound() {
        let mut p = Publisher::new(Config::default());
        let s = p
            .estimate(&est(10 * S), port(1), 0, 10 * S, 5 * S, 0)
            .unwrap();
        let c = p.centred(&s);
        assert_eq!((c.offset_ns, c.bound_ns), (1034, 601));
        assert_eq!(c.offset_ns.unsigned_abs() + c.bound_ns, 1635);
        assert!(s.offset_ns.unsigned_abs() + s.bound_ns > 2000);
        // Inside the estimate's interval.
        assert!(c.offset_ns - c.bound_ns as i64 >= s.offset_ns - s.bound_ns as i64);
        assert!(c.offset_ns + c.bound_ns as i64 <= s.offset_ns + s.bound_ns as i64);
        // Held over, still the last estimate's.
        let h = p.tick(20 * S).unwrap();
        assert_eq!(p.centred(&h).offset_ns, 1034);
        // Another snapshot is left as it is.
        let other = Snapshot { real_ns: 0, ..s };
        assert_eq!(p.centred(&other), other);
    }

    #[test]
    fn status_follows_estimates_silence_changes_and_steps() {
        let mut p = Publisher::new(Config::default());
        assert_eq!(p.status(), Status::Unknown);
        assert_eq!(p.tick(0), None);
        let s = p
            .estimate(&est(10 * S), port(1), 0, 10 * S + 1000, 5 * S, 0)
            .unwrap();
        assert_eq!(s.status, Status::Synchronized);
        assert_eq!(s.offset_ns, 1234);
        assert_eq!(s.bound_ns, 801);
        assert_eq!(s.real_ns, 10 * S);
        // Captured 1 µs before it was published.
        assert_eq!(s.mono_ns, 5 * S - 1000);
        // The drift bound, and the estimated frequency the reader carries
        // the offset by.
        assert_eq!(s.drift_ppb, 200_012);
        // Another master while this one is heard: ignored.
        assert_eq!(p.estimate(&est(11 * S), port(2), 0, 11 * S, 6 * S, 0), None);
        // Silence: holdover, once, with the same reference.
        assert_eq!(p.tick(11 * S), None);
        let h = p.tick(13 * S).unwrap();
        assert_eq!(h.status, Status::Holdover);
        assert_eq!(h.real_ns, 10 * S);
        assert_eq!(p.tick(14 * S), None);
        // The other master takes over: disrupted, then settles.
        let d = p
            .estimate(&est(14 * S), port(2), 0, 14 * S, 9 * S, 0)
            .unwrap();
        assert_eq!((d.status, d.disruptions), (Status::Disrupted, 1));
        assert_eq!(p.grandmaster_changes, 1);
        for i in 0..15 {
            let s = p.estimate(&est(15 * S + i), port(2), 0, 15 * S + i, 9 * S, 0);
            assert_eq!(s.unwrap().status, Status::Disrupted);
        }
        let s = p
            .estimate(&est(16 * S), port(2), 0, 16 * S, 10 * S, 0)
            .unwrap();
        assert_eq!(s.status, Status::Synchronized);
        // A step: a conflict on the track.
        let s = p
            .estimate(&est(17 * S), port(2), 1, 17 * S, 11 * S, 0)
            .unwrap();
        assert_eq!((s.status, s.disruptions), (Status::Disrupted, 2));
        // A step is a disruption, not a grandmaster change.
        assert_eq!(p.grandmaster_changes, 1);
    }

    #[test]
    fn a_ptp_timescale_grandmaster_is_published_as_utc() {
        let mut p = Publisher::new(Config::default());
        p.timescale = Timescale::Unknown;
        assert_eq!(p.estimate(&est(S), port(1), 0, S, S, 0), None);
        assert_eq!(p.unpublishable, Some(Unpublishable::TimescaleUnknown));
        // TAI without a valid UTC offset: not published, and said why.
        p.timescale = Timescale::Ptp {
            current_utc_offset: None,
        };
        assert_eq!(p.estimate(&est(S), port(1), 0, S, S, 0), None);
        assert_eq!(p.unpublishable, Some(Unpublishable::NoValidUtcOffset));
        assert_eq!(p.status(), Status::Unknown);
        // With it: CLOCK_REALTIME (UTC) minus TAI is -37 s off; published
        // against UTC it is the estimator's offset plus 37 s.
        p.timescale = Timescale::Ptp {
            current_utc_offset: Some(37),
        };
        let mut tai = est(2 * S);
        tai.offset_ns = -37e9 + 1234.4;
        let s = p.estimate(&tai, port(1), 0, 2 * S, 2 * S, 0).unwrap();
        assert_eq!((s.status, s.offset_ns), (Status::Synchronized, 1234));
        assert_eq!(p.unpublishable, None);
        // A new currentUtcOffset is a disruption.
        p.timescale = Timescale::Ptp {
            current_utc_offset: Some(38),
        };
        tai.offset_ns -= 1e9;
        let s = p.estimate(&tai, port(1), 0, 3 * S, 3 * S, 0).unwrap();
        assert_eq!(
            (s.status, s.disruptions, s.offset_ns),
            (Status::Disrupted, 1, 1234)
        );
        // Estimates from Syncs captured before the change (here the one
        // before, again and again) never settle: they are on the old offset.
        for _ in 0..20 {
            let mut old = tai;
            old.time_ns = 2 * S;
            let s = p.estimate(&old, port(1), 0, 3 * S, 3 * S, 0).unwrap();
            assert_eq!((s.status, s.disruptions), (Status::Disrupted, 1));
        }
        // From Syncs after it, they do.
        let mut s = None;
        for i in 0..16 {
            let mut new = tai;
            new.time_ns = 3 * S + i;
            s = p.estimate(&new, port(1), 0, 3 * S + i, 3 * S, 0);
        }
        assert_eq!(s.unwrap().status, Status::Synchronized);
        // Not a number: never published.
        let mut nan = est(4 * S);
        nan.offset_ns = f64::NAN;
        assert_eq!(p.estimate(&nan, port(1), 0, 4 * S, 4 * S, 0), None);
        assert_eq!(p.unpublishable, Some(Unpublishable::NotFinite));
        nan.offset_ns = 0.0;
        nan.hard_bound_ns = f64::INFINITY;
        assert_eq!(p.estimate(&nan, port(1), 0, 4 * S, 4 * S, 0), None);
    }

    /// With a leap second announced, a record expires before UTC reaches
    /// the leap (the midnight for leap61, 23:59:59 for leap59), reckoned
    /// from the grandmaster's time plus the bound, whatever the capture
    /// clock reads; far from it, the configured validity.
    #[test]
    fn a_record_expires_before_the_announced_leap() {
        // 2026-12-31 00:00:00 UTC; its day ends at `midnight`.
        let day = 1_798_675_200 * S;
        let midnight = day + 86_400 * S;
        for (leap, end) in [(Leap::Insert, midnight), (Leap::Delete, midnight - S)] {
            // The capture clock 5 ms behind UTC, or 5 ms ahead: the
            // record's time is the grandmaster's either way.
            for host in [-5_000_000, 5_000_000] {
                let mut p = Publisher::new(Config::default());
                p.timescale = Timescale::Ptp {
                    current_utc_offset: Some(37),
                };
                p.leap = leap;
                // Published when UTC (from the grandmaster) reads `utc`.
                let valid = |p: &mut Publisher, utc: i64| {
                    let mut e = est(utc + host);
                    e.offset_ns = -37e9 + host as f64;
                    e.hard_bound_ns = 1_000.0;
                    e.frequency_ppb = 0.0;
                    e.drift_ppb = 1_000.0;
                    let t = utc + host;
                    p.estimate(&e, port(1), 0, t, t, 0).unwrap().valid_ns
                };
                assert_eq!(valid(&mut p, day + 3_600 * S), 60 * S as u64);
                let left = 10 * S;
                let v = valid(&mut p, end - left) as i64;
                // Expires the bound and 1 ppm of the 10 s before the leap.
                assert!(
                    v < left - 1_000 - 9_000 && v > left - 1_000 - 11_000,
                    "{leap:?} {host}: {v}"
                );
                assert_eq!(valid(&mut p, end + 1), 0, "{leap:?} {host}");
                p.leap = Leap::None;
                assert_eq!(valid(&mut p, end - left), 60 * S as u64);
            }
        }
    }

    #[test]
    fn replayed_captures_are_shifted_to_now() {
        let mut p = Publisher::new(Config::default());
        let s = p.estimate(&est(100), port(1), 0, 5000, 7000, 4900).unwrap();
        assert_eq!(s.real_ns, 5000);
        assert_eq!(s.mono_ns, 7000);
    }
}
