//! Attacks and forbidden values, detected with their evidence: the threats
//! of IEEE 1588-2019 Annex P (§P.1: spoofing, replay, rogue masters,
//! flooding, delay attacks) and of the O-RAN and ITU-T models built on it.
//!
//! Each detection is an [`Alert`]: a [`Kind`], a [`Detail`] saying what the
//! data shows, where (point, domain, port, message type), and its evidence
//! (first and last capture time, first frame, how many messages, the
//! largest figure). Wording is the report's.
//!
//! Per sender port and message type at a capture point (Sync, Follow_Up,
//! Announce), three things are followed, each as a main hypothesis and at
//! most one candidate ([`TwoWay`]):
//! - the sequenceId progression (§7.3.7);
//! - the offset of the sender's timestamps from the capture clock (one-step
//!   Sync originTimestamp, Follow_Up preciseOriginTimestamp, less the
//!   correctionField), which a genuine master keeps within
//!   [`OFFSET_TOLERANCE_NS`] plus [`MAX_DRIFT_PPM`] of the time elapsed;
//! - the source MAC and IP address.
//!
//! A message that fits every main hypothesis is genuine. One that fits none
//! starts a candidate; when the candidate continues while the main one has
//! fallen silent, it was a restart or a step and becomes the main one; when
//! the main one keeps advancing too, two clocks share one identity: the
//! candidate's messages are spoofed. Messages that repeat an earlier one
//! (same sequenceId and timestamp) more than [`REPLAY_AGE_NS`] later, or
//! carry a timestamp from the stream's past under an old sequenceId, are
//! replayed. Spoofed and replayed messages are not given to the exchange
//! matcher, so they never reach an estimate ([`Verdict`]).
//!
//! Per Sync and Delay exchange track ([`Measurement::E2e`]), the two legs
//! `t2 − t1` (master to slave) and `t4 − t3` (slave to master) are watched
//! for steps: both moving by the same amount in opposite directions is the
//! grandmaster's time stepping ([`Kind::TimeStep`]); one moving alone is a
//! change of the path's asymmetry, a delay attack or a route change
//! ([`Kind::AsymmetryChange`]).

use std::collections::VecDeque;
use std::net::IpAddr;

use super::exchange::Measurement;
use super::{HashMap, Observation, PointId, Table, capped_entry, log_interval_ns};
use crate::wire::link::Mac;
use crate::wire::{Body, ClockIdentity, Flags, MessageType, PortIdentity, Timestamp};

/// A genuine master's timestamps stay this close to the capture clock's
/// progression, ns: path delay variation, residence not corrected, and
/// software capture timestamps on a loaded host (tcpdump's own sample
/// capture has some 80 ms late).
pub const OFFSET_TOLERANCE_NS: i64 = 100_000_000;
/// ... plus this frequency difference of the two clocks times the time
/// elapsed (the estimator's default drift bound).
pub const MAX_DRIFT_PPM: i64 = 200;
/// A repeat of a message this long after it is a replay, not a duplicate.
pub const REPLAY_AGE_NS: i64 = 1_000_000_000;
/// Messages off a stream before they make a `spoofed_messages` finding
/// (they are kept out of the estimates from the first).
pub const MIN_SPOOFED: u64 = 3;
/// Grandmaster changes within [`FLAPPING_WINDOW_NS`] that make flapping.
pub const FLAPPING_CHANGES: usize = 3;
pub const FLAPPING_WINDOW_NS: i64 = 60_000_000_000;
/// A stream at this many times its advertised or expected rate ...
pub const FLOOD_FACTOR: i64 = 4;
/// ... over a whole second is a flood; and never fewer messages than this
/// in that second.
pub const FLOOD_MIN_PER_S: i64 = 8;
/// Messages remembered per stream for replay detection (by sequenceId).
const HISTORY: usize = 1024;
/// Streams given a replay history (more are followed without one).
const MAX_HISTORIES: usize = 256;
/// Alerts kept (more are counted in [`Security::more_alerts`]).
const MAX_ALERTS: usize = 512;
/// Announcers followed per point and domain.
const MAX_ANNOUNCERS: usize = 32;
/// Step detector: a silence this long (or 8 usual spacings) starts its
/// windows again.
const STEP_GAP_NS: i64 = 2_000_000_000;
/// Step detector: how near a UTC midnight it looks away from Delay
/// exchanges when a leap second is announced (a UTC capture clock steps
/// there), ns.
const LEAP_WINDOW_NS: i64 = 2_000_000_000;
/// Step detector: samples per window, four windows.
const STEP_WINDOW: usize = 8;
/// A step must exceed this many noise standard deviations ...
const STEP_SIGMAS: f64 = 8.0;
/// ... and this many times the statistic's mean excursion while nothing
/// steps, once it has been computed [`STEP_WARM_UP`] times ...
const STEP_EXCURSIONS: f64 = 10.0;
const STEP_WARM_UP: u32 = 64;
/// ... and this many ns (plus 4 timestamp resolutions).
const STEP_FLOOR_NS: f64 = 2000.0;

/// What an alert is about: the attack kinds of the README's findings table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    SpoofedMessages,
    RogueAnnounce,
    GrandmasterFlapping,
    MessageFlood,
    ReplayedMessages,
    InvalidField,
    AsymmetryChange,
    TimeStep,
    /// Not an attack: an Announce dataset value the standard reserves
    /// (old or pre-standard devices send them).
    ReservedDatasetValue,
    /// Not an attack: a Sync stream's timestamps stepped against the
    /// capture clock, with no Delay exchange to tell whose time moved.
    TimestampStep,
}

/// What the data shows, with the figures of the first occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// A second sequenceId progression interleaved with the stream's, or
    /// sequenceIds far from it while it continues.
    Sequence { expected_after: u16, got: u16 },
    /// Timestamps off the stream's progression against the capture clock
    /// by `deviation_ns` while it continues.
    Timestamp { deviation_ns: i64 },
    /// A second source address under one identity.
    Source {
        first_mac: Option<Mac>,
        other_mac: Option<Mac>,
        first_ip: Option<IpAddr>,
        other_ip: Option<IpAddr>,
    },
    /// The sequenceId of an earlier message with another timestamp,
    /// `deviation_ns` from the first.
    Altered { deviation_ns: i64 },
    /// The same sequenceId and timestamp `age_ns` after the first.
    Repeat { age_ns: i64 },
    /// An old sequenceId with a timestamp from the stream's past.
    Backwards { behind_ns: i64 },
    /// A port announcing a better grandmaster than the master it appeared
    /// beside, which keeps announcing.
    NewcomerWins {
        master: PortIdentity,
        grandmaster: ClockIdentity,
    },
    /// A port announcing a grandmaster that `other` announces with another
    /// dataset (priorities, quality or time source).
    ConflictingDataset {
        other: PortIdentity,
        grandmaster: ClockIdentity,
    },
    /// `changes` grandmaster changes within a minute.
    Flapping { changes: u64 },
    /// `per_s` messages in a second where one per `expected_interval_ns`
    /// is advertised or asked for.
    Flood {
        per_s: i64,
        expected_interval_ns: i64,
    },
    /// A nanoseconds field of 10^9 or more (§5.3.3).
    Nanoseconds { value: u32 },
    /// A reserved messageType (§13.3.2.2, Table 36).
    ReservedMessageType { value: u8 },
    /// A minorVersionPTP this edition does not define (§13.3.2.4).
    ReservedMinorVersion { value: u8 },
    /// A versionPTP neither 1 nor 2 (§13.3.2).
    VersionMismatch { value: u8 },
    /// A messageLength that contradicts the message: shorter than its
    /// type's body, or longer than the frame captured whole (§13.3.2).
    LengthMismatch { declared: u16, actual: u16 },
    /// A reserved clockClass (§7.6.2.5, Table 4).
    ReservedClockClass { value: u8 },
    /// A reserved clockAccuracy (§7.6.2.6, Table 5).
    ReservedClockAccuracy { value: u8 },
    /// A reserved timeSource (§7.6.2.8, Table 6).
    ReservedTimeSource { value: u8 },
    /// The master-to-slave leg stepped by `sync_path_ns`, the other by
    /// `delay_path_ns` (one of them about 0).
    PathStep {
        sync_path_ns: i64,
        delay_path_ns: i64,
    },
    /// The grandmaster's time moved by `step_ns` against the capture clock
    /// (`t2 − t1` by −step, `t4 − t3` by +step).
    ClockStep { step_ns: i64 },
    /// A Sync stream's timestamps moved by `step_ns` against the capture
    /// clock and stayed (no Delay exchange to tell a step from a path change).
    StreamStep { step_ns: i64 },
}

impl Detail {
    /// The figure compared across occurrences (the largest is kept).
    fn figure(&self) -> i64 {
        match *self {
            Detail::Timestamp { deviation_ns } | Detail::Altered { deviation_ns } => {
                deviation_ns.saturating_abs()
            }
            Detail::Repeat { age_ns } => age_ns,
            Detail::Backwards { behind_ns } => behind_ns,
            Detail::Flapping { changes } => changes as i64,
            Detail::Flood { per_s, .. } => per_s,
            Detail::Nanoseconds { value } => i64::from(value),
            Detail::PathStep {
                sync_path_ns,
                delay_path_ns,
            } => sync_path_ns
                .saturating_abs()
                .max(delay_path_ns.saturating_abs()),
            Detail::ClockStep { step_ns } | Detail::StreamStep { step_ns } => {
                step_ns.saturating_abs()
            }
            _ => 0,
        }
    }
}

/// One detection and its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub kind: Kind,
    /// The first occurrence's detail.
    pub detail: Detail,
    /// `None` for what concerns a domain across points (flapping).
    pub point: Option<PointId>,
    pub major_sdo_id: u8,
    pub domain: u8,
    pub port: Option<PortIdentity>,
    pub message_type: Option<MessageType>,
    pub first_ns: i64,
    pub last_ns: i64,
    pub first_frame: u64,
    /// Messages (or events: steps, flapping changes) it concerns.
    pub count: u64,
    /// The largest of [`Detail`]'s figure over the occurrences.
    pub largest: i64,
    /// Messages kept out of the exchanges, hence out of the estimates.
    pub set_aside: u64,
}

impl Alert {
    /// Where it was seen.
    fn at(&self) -> At {
        At {
            point: self.point,
            major_sdo_id: self.major_sdo_id,
            domain: self.domain,
            port: self.port,
            message_type: self.message_type,
        }
    }
}

/// What one message is, for the exchange matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Genuine,
    /// Not from the clock whose identity it carries.
    Spoofed,
    /// Off the stream's progression, not yet known to be spoofed (it may
    /// begin a restart or a step): kept out of the exchanges, but part of
    /// the stream's health.
    Suspect,
    /// A copy of an earlier message.
    Replayed,
    /// A timestamp no clock can send (nanoseconds of 10^9 or more).
    Invalid,
}

/// Where a message was seen: for alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct At {
    point: Option<PointId>,
    major_sdo_id: u8,
    domain: u8,
    port: Option<PortIdentity>,
    message_type: Option<MessageType>,
}

impl At {
    /// Where message `o` was seen: built only for an alert (building it
    /// for every message cost a dozen instructions a message).
    fn of(o: &Observation<'_, '_>) -> Self {
        let h = &o.message.header;
        At {
            point: Some(o.point),
            major_sdo_id: h.major_sdo_id,
            domain: h.domain_number,
            port: Some(h.source_port_identity),
            message_type: Some(h.message_type),
        }
    }
}

/// A message not yet known to be spoofed: it started a candidate, which
/// may turn out a restart or a step.
#[derive(Debug, Clone, Copy)]
struct Pending {
    time_ns: i64,
    /// Its place in the order messages came in ([`Security::arrivals`]).
    arrival: u64,
    frame: u64,
    detail: Detail,
}

/// One hypothesis: a value and when it last advanced, in capture time and
/// in the order messages came in. Which of two hypotheses advanced after
/// the other began is told by that order, not by capture time: a capture
/// clock that steps back (a UTC host at a leap second, an NTP step) makes
/// later messages carry earlier capture times, and the progression it
/// left would seem to go on after the one it started.
#[derive(Debug, Clone, Copy)]
struct Hypothesis<T> {
    value: T,
    first_ns: i64,
    last_ns: i64,
    first_arrival: u64,
    last_arrival: u64,
}

/// How a message stands against a [`TwoWay`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Fits the main hypothesis.
    Main,
    /// There is no main hypothesis, or it fell silent: this one becomes it.
    Fresh,
    /// Fits the candidate, and the main one has not advanced since the
    /// candidate began: the candidate takes over.
    Promote,
    /// Fits the candidate while the main one advances: two senders.
    Interleaved,
    /// Fits neither.
    Foreign,
}

/// A main hypothesis and at most one candidate.
#[derive(Debug, Clone, Copy)]
struct TwoWay<T> {
    main: Option<Hypothesis<T>>,
    candidate: Option<Hypothesis<T>>,
    pending: Option<Pending>,
}

impl<T: Copy> Default for TwoWay<T> {
    fn default() -> Self {
        Self {
            main: None,
            candidate: None,
            pending: None,
        }
    }
}

impl<T: Copy> TwoWay<T> {
    fn classify(&self, t: i64, alive_ns: i64, fits: impl Fn(&Hypothesis<T>) -> bool) -> Class {
        let Some(main) = &self.main else {
            return Class::Fresh;
        };
        if fits(main) {
            return Class::Main;
        }
        if let Some(c) = &self.candidate
            && fits(c)
        {
            return if main.last_arrival < c.first_arrival {
                Class::Promote
            } else {
                Class::Interleaved
            };
        }
        if t.saturating_sub(main.last_ns) > alive_ns {
            Class::Fresh
        } else {
            Class::Foreign
        }
    }

    /// A genuine message, the `n`th to come in: the main hypothesis takes
    /// `value` (when `advance`).
    fn accept(&mut self, class: Class, t: i64, n: u64, value: T, advance: bool) {
        match class {
            Class::Main => {
                if let Some(m) = &mut self.main
                    && advance
                {
                    m.value = value;
                    m.last_ns = m.last_ns.max(t);
                    m.last_arrival = n;
                }
            }
            Class::Fresh | Class::Promote => {
                let (first_ns, first_arrival) = match (class, &self.candidate) {
                    (Class::Promote, Some(c)) => (c.first_ns, c.first_arrival),
                    _ => (t, n),
                };
                self.main = Some(Hypothesis {
                    value,
                    first_ns,
                    last_ns: t,
                    first_arrival,
                    last_arrival: n,
                });
                self.candidate = None;
                self.pending = None;
            }
            Class::Interleaved | Class::Foreign => {}
        }
    }

    /// A message set aside: returns the messages now known spoofed (this
    /// one when it continues a candidate, and the candidate's first when
    /// that is confirmed).
    fn reject(&mut self, class: Class, p: Pending, value: T) -> Vec<Pending> {
        let mut confirmed = Vec::new();
        let main_last = self.main.map(|m| m.last_arrival);
        match class {
            Class::Interleaved => {
                if let Some(c) = &mut self.candidate {
                    c.value = value;
                    c.last_ns = p.time_ns;
                    c.last_arrival = p.arrival;
                }
                confirmed.extend(self.pending.take());
                confirmed.push(p);
            }
            Class::Foreign => {
                if let Some(earlier) = self.pending.take()
                    && main_last.is_some_and(|m| m > earlier.arrival)
                {
                    confirmed.push(earlier);
                }
                self.candidate = Some(Hypothesis {
                    value,
                    first_ns: p.time_ns,
                    last_ns: p.time_ns,
                    first_arrival: p.arrival,
                    last_arrival: p.arrival,
                });
                self.pending = Some(p);
            }
            Class::Main | Class::Fresh | Class::Promote => {}
        }
        confirmed
    }

    /// End of input: a lone foreign message the stream went on past was
    /// spoofed.
    fn finish(&mut self) -> Option<Pending> {
        let main_last = self.main.map(|m| m.last_arrival);
        self.pending
            .take()
            .filter(|p| main_last.is_some_and(|m| m > p.arrival))
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    seq: u16,
    origin: Timestamp,
    time_ns: i64,
    used: bool,
}

/// Messages per quarter second, for the flood check.
#[derive(Debug, Clone, Copy, Default)]
struct Rate {
    quarter_start: Option<i64>,
    quarters: [i64; 4],
    current: i64,
    flooding: bool,
}

const QUARTER_NS: i64 = 250_000_000;

impl Rate {
    /// Counts a message at `t`; returns the messages of the last whole
    /// second when that second just closed with every quarter busy, and
    /// how many of them are new to the count.
    fn add(&mut self, t: i64) -> Option<(i64, i64)> {
        let mut closed = None;
        let start = *self.quarter_start.get_or_insert(t);
        if t.saturating_sub(start) >= 16 * QUARTER_NS {
            *self = Rate {
                quarter_start: Some(t),
                ..Rate::default()
            };
        }
        if let Some(start) = &mut self.quarter_start {
            while t >= start.saturating_add(QUARTER_NS) {
                self.quarters.rotate_left(1);
                self.quarters[3] = self.current;
                self.current = 0;
                *start += QUARTER_NS;
                if self.quarters.iter().all(|&q| q > 0) {
                    let sum: i64 = self.quarters.iter().sum();
                    closed = Some((sum, self.quarters[3]));
                }
            }
        }
        self.current += 1;
        closed
    }
}

/// One sender port's messages of one type at one point.
#[derive(Debug)]
struct Stream {
    sequence: TwoWay<u16>,
    offset: TwoWay<i64>,
    source: TwoWay<(Option<Mac>, Option<IpAddr>)>,
    /// Earliest and latest genuine timestamps, ns.
    origin_span: Option<(i128, i128)>,
    /// Latest genuine timestamp, ns.
    last_origin_ns: Option<i128>,
    history: Option<Box<[Slot]>>,
    rate: Rate,
    /// The interval [`judge`] last worked out how far a sequenceId may
    /// skip for, and that reach: it divides only when the interval
    /// changes (a 64-bit division is some 40 cycles, for every message).
    reach: (i64, u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct StreamKey {
    point: PointId,
    major_sdo_id: u8,
    domain: u8,
    port: PortIdentity,
    message_type: MessageType,
}

/// An Announce sender at a point.
#[derive(Debug, Clone, Copy)]
struct Announcer {
    port: PortIdentity,
    first_ns: i64,
    last_ns: i64,
    timeout_ns: i64,
    grandmaster: ClockIdentity,
    /// priority1, clockClass, clockAccuracy, offsetScaledLogVariance,
    /// priority2, timeSource: what a relaying boundary clock keeps.
    dataset: (u8, u8, u8, u16, u8, u8),
    /// Since when it has been in conflict with another announcer.
    conflict_since: Option<i64>,
}

impl Announcer {
    /// The §9.3.4 comparison key without stepsRemoved: smaller is better.
    fn rank(&self) -> (u8, u8, u8, u16, u8, ClockIdentity) {
        let (p1, class, accuracy, variance, p2, _) = self.dataset;
        (p1, class, accuracy, variance, p2, self.grandmaster)
    }
}

/// Steps of one Sync and Delay exchange track.
#[derive(Debug, Default)]
struct Legs {
    /// (capture time, t2 − t1 − corrections, t4 − t3 − corrections, the
    /// Sync's frame), ns.
    samples: VecDeque<(i64, i64, i64, u64)>,
    resolution_ns: u32,
    /// Samples to wait before the next step (the windows still hold it).
    cooldown: usize,
    /// The best-aligned step so far (its score, what it is, when) and the
    /// samples since it was bettered: a step is told when no later
    /// alignment shows it better.
    candidate: Option<(f64, Kind, Detail, i64, u64)>,
    since_best: usize,
    /// Per leg and level (least delayed, median), the mean |step
    /// statistic| while nothing stepped, and how many times the statistic
    /// was computed.
    excursion: [f64; 4],
    evaluations: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct LegsKey {
    point: PointId,
    major_sdo_id: u8,
    domain: u8,
    master: PortIdentity,
    slave: PortIdentity,
}

/// The security tracker.
#[derive(Debug)]
pub struct Security {
    max_streams: usize,
    streams: Table<StreamKey, Stream>,
    histories: usize,
    announcers: HashMap<(PointId, u8, u8), Vec<Announcer>>,
    legs: Table<LegsKey, Legs>,
    /// Masters whose Syncs made Delay exchange measurements, per point.
    measured: Table<(PointId, u8, u8, PortIdentity), ()>,
    /// Per requester: the logMessageInterval its Delay_Resps ask for.
    delay_req_interval: Table<(PointId, u8, u8, PortIdentity), i8>,
    /// Grandmaster change times per domain within the flapping window, and
    /// the latest one already counted as flapping.
    changes: HashMap<(u8, u8), (VecDeque<i64>, i64)>,
    pub alerts: Vec<Alert>,
    /// Alerts beyond the kept ones (their messages).
    pub more_alerts: u64,
    /// Messages kept out of the exchanges: spoofed, replayed, invalid.
    pub set_aside: [u64; 3],
    /// Sync, Follow_Up and Announce messages judged so far: the order
    /// they came in, which capture time does not always keep.
    arrivals: u64,
    /// Per majorSdoId, domain and port: capture time of the port's last
    /// Announce with leap61 or leap59 set.
    leap_announced: HashMap<(u8, u8, PortIdentity), i64>,
}

impl Security {
    pub fn new(max_streams: usize) -> Self {
        Self {
            max_streams,
            streams: Table::default(),
            histories: 0,
            announcers: HashMap::default(),
            legs: Table::default(),
            measured: Table::default(),
            delay_req_interval: Table::default(),
            changes: HashMap::default(),
            alerts: Vec::new(),
            more_alerts: 0,
            set_aside: [0; 3],
            arrivals: 0,
            leap_announced: HashMap::default(),
        }
    }

    /// Files `n` occurrences at `time_ns` (frame `frame`), `set_aside` of
    /// them kept out of the exchanges.
    #[allow(clippy::too_many_arguments)]
    fn alert(
        &mut self,
        at: At,
        kind: Kind,
        detail: Detail,
        time_ns: i64,
        frame: u64,
        n: u64,
        set_aside: u64,
    ) {
        // One alert per kind, kind of detail and place.
        let detail_kind = std::mem::discriminant(&detail);
        let same = |a: &Alert| {
            a.kind == kind && std::mem::discriminant(&a.detail) == detail_kind && a.at() == at
        };
        if let Some(a) = self.alerts.iter_mut().find(|a| same(a)) {
            a.count += n;
            a.set_aside += set_aside;
            if time_ns < a.first_ns {
                a.first_ns = time_ns;
                a.first_frame = frame;
            }
            a.last_ns = a.last_ns.max(time_ns);
            a.largest = a.largest.max(detail.figure());
            return;
        }
        if self.alerts.len() >= MAX_ALERTS {
            self.more_alerts += n;
            return;
        }
        self.alerts.push(Alert {
            kind,
            detail,
            point: at.point,
            major_sdo_id: at.major_sdo_id,
            domain: at.domain,
            port: at.port,
            message_type: at.message_type,
            first_ns: time_ns,
            last_ns: time_ns,
            first_frame: frame,
            count: n,
            largest: detail.figure(),
            set_aside,
        });
    }

    /// Looks at one message; says whether the exchanges may use it.
    pub fn observe(&mut self, o: &Observation<'_, '_>) -> Verdict {
        let h = &o.message.header;
        let t = o.time_ns;
        let invalid = self.invalid_fields(o);
        if matches!(o.message.body, Body::Announce(_))
            && (h.flags.contains(Flags::LEAP61) || h.flags.contains(Flags::LEAP59))
            && let Some(seen) = capped_entry(
                &mut self.leap_announced,
                (h.major_sdo_id, h.domain_number, h.source_port_identity),
                self.max_streams,
                || t,
            )
        {
            *seen = (*seen).max(t);
        }
        let t_ = h.message_type;
        if let Body::DelayResp(r) = &o.message.body {
            let k = (
                o.point,
                h.major_sdo_id,
                h.domain_number,
                r.requesting_port_identity,
            );
            let log = h.log_message_interval;
            if let Some(v) = self
                .delay_req_interval
                .capped_entry(0, &k, self.max_streams, || log)
            {
                *v = log;
            }
        }
        let followed = matches!(
            t_,
            MessageType::SYNC | MessageType::FOLLOW_UP | MessageType::ANNOUNCE
        );
        let rated = followed || t_ == MessageType::DELAY_REQ || t_ == MessageType::PDELAY_REQ;
        if invalid {
            self.set_aside[2] += 1;
            return Verdict::Invalid;
        }
        if !rated {
            return Verdict::Genuine;
        }
        if let Body::Announce(a) = &o.message.body {
            self.announce(o, a);
        }
        let key = StreamKey {
            point: o.point,
            major_sdo_id: h.major_sdo_id,
            domain: h.domain_number,
            port: h.source_port_identity,
            message_type: t_,
        };
        let give_history = followed && self.histories < MAX_HISTORIES;
        let mut created = false;
        let Some(s) = self
            .streams
            .capped_entry(t_.index(), &key, self.max_streams, || {
                created = true;
                Stream {
                    sequence: TwoWay::default(),
                    offset: TwoWay::default(),
                    source: TwoWay::default(),
                    origin_span: None,
                    last_origin_ns: None,
                    history: give_history
                        .then(|| vec![Slot::default(); HISTORY].into_boxed_slice()),
                    rate: Rate::default(),
                    reach: (0, 0),
                }
            })
        else {
            return Verdict::Genuine;
        };
        if created && give_history {
            self.histories += 1;
        }
        // The flood check counts every message.
        let interval = if t_ == MessageType::DELAY_REQ {
            let k = (
                o.point,
                h.major_sdo_id,
                h.domain_number,
                h.source_port_identity,
            );
            self.delay_req_interval
                .find(0, &k)
                .map(|v| *v)
                .and_then(log_interval_ns)
        } else {
            log_interval_ns(h.log_message_interval)
        };
        let mut flood = None;
        if let Some((per_s, new)) = s.rate.add(t) {
            let need = interval.map(|i| {
                (FLOOD_FACTOR.saturating_mul(1_000_000_000) / i.max(1)).max(FLOOD_MIN_PER_S)
            });
            match (interval, need) {
                (Some(i), Some(need)) if per_s >= need => {
                    let counted = if s.rate.flooding { new } else { per_s };
                    s.rate.flooding = true;
                    flood = Some((per_s, i, counted));
                }
                _ => s.rate.flooding = false,
            }
        }
        let verdict = if followed {
            self.arrivals += 1;
            judge(s, o, interval, self.arrivals)
        } else {
            Judged::with(Verdict::Genuine)
        };
        if let Some((per_s, i, counted)) = flood {
            let detail = Detail::Flood {
                per_s,
                expected_interval_ns: i,
            };
            let n = u64::try_from(counted).unwrap_or(0);
            self.alert(At::of(o), Kind::MessageFlood, detail, t, o.frame, n, 0);
        }
        for p in &verdict.confirmed {
            self.alert(
                At::of(o),
                Kind::SpoofedMessages,
                p.detail,
                p.time_ns,
                p.frame,
                1,
                1,
            );
        }
        if let Some(d) = verdict.replayed {
            self.alert(At::of(o), Kind::ReplayedMessages, d, t, o.frame, 1, 1);
        }
        if let Some(step) = verdict.step {
            let k = (
                o.point,
                h.major_sdo_id,
                h.domain_number,
                h.source_port_identity,
            );
            let measured = self.measured.find(0, &k).is_some();
            if !measured {
                let d = Detail::StreamStep { step_ns: step };
                self.alert(At::of(o), Kind::TimestampStep, d, t, o.frame, 1, 0);
            }
        }
        match verdict.verdict {
            Verdict::Genuine => {}
            Verdict::Spoofed | Verdict::Suspect => self.set_aside[0] += 1,
            Verdict::Replayed => self.set_aside[1] += 1,
            Verdict::Invalid => self.set_aside[2] += 1,
        }
        verdict.verdict
    }

    /// Values the standard forbids.
    /// Returns whether the message's timestamp is one no clock can send.
    fn invalid_fields(&mut self, o: &Observation<'_, '_>) -> bool {
        let h = &o.message.header;
        let t = o.time_ns;
        // Each test once; nearly every message passes them all, and then
        // no detail is built.
        let nanoseconds = o
            .message
            .body
            .timestamp()
            .map(|ts| ts.nanoseconds)
            .filter(|&n| n >= 1_000_000_000);
        let reserved_type = h.message_type.name().is_none();
        let reserved_minor = h.minor_version_ptp > 1;
        let dataset = match &o.message.body {
            Body::Announce(a) => {
                let q = a.grandmaster_clock_quality;
                if reserved_clock_class(q.clock_class) {
                    Some(Detail::ReservedClockClass {
                        value: q.clock_class,
                    })
                } else if reserved_clock_accuracy(q.clock_accuracy) {
                    Some(Detail::ReservedClockAccuracy {
                        value: q.clock_accuracy,
                    })
                } else if reserved_time_source(a.time_source) {
                    Some(Detail::ReservedTimeSource {
                        value: a.time_source,
                    })
                } else {
                    None
                }
            }
            _ => None,
        };
        if nanoseconds.is_none() && !reserved_type && !reserved_minor && dataset.is_none() {
            return false;
        }
        let found = [
            nanoseconds.map(|value| Detail::Nanoseconds { value }),
            reserved_type.then_some(Detail::ReservedMessageType {
                value: h.message_type.0,
            }),
            reserved_minor.then_some(Detail::ReservedMinorVersion {
                value: h.minor_version_ptp,
            }),
            dataset,
        ];
        let invalid_timestamp = found[0].is_some();
        for d in found.into_iter().flatten() {
            let set_aside = u64::from(matches!(d, Detail::Nanoseconds { .. }));
            let kind = match d {
                Detail::ReservedClockClass { .. }
                | Detail::ReservedClockAccuracy { .. }
                | Detail::ReservedTimeSource { .. } => Kind::ReservedDatasetValue,
                _ => Kind::InvalidField,
            };
            self.alert(At::of(o), kind, d, t, o.frame, 1, set_aside);
        }
        invalid_timestamp
    }

    /// Rogue Announce senders at a point.
    fn announce(&mut self, o: &Observation<'_, '_>, a: &crate::wire::message::Announce) {
        let h = &o.message.header;
        let t = o.time_ns;
        let pid = h.source_port_identity;
        let q = a.grandmaster_clock_quality;
        let timeout_ns = log_interval_ns(h.log_message_interval).unwrap_or(1_000_000_000) * 3;
        let list = self
            .announcers
            .entry((o.point, h.major_sdo_id, h.domain_number))
            .or_default();
        let me = match list.iter().position(|x| x.port == pid) {
            Some(i) => i,
            None if list.len() < MAX_ANNOUNCERS => {
                list.push(Announcer {
                    port: pid,
                    first_ns: t,
                    last_ns: t,
                    timeout_ns,
                    grandmaster: a.grandmaster_identity,
                    dataset: (0, 0, 0, 0, 0, 0),
                    conflict_since: None,
                });
                list.len() - 1
            }
            None => return,
        };
        {
            let m = &mut list[me];
            m.last_ns = m.last_ns.max(t);
            m.timeout_ns = timeout_ns;
            m.grandmaster = a.grandmaster_identity;
            m.dataset = (
                a.grandmaster_priority1,
                q.clock_class,
                q.clock_accuracy,
                q.offset_scaled_log_variance,
                a.grandmaster_priority2,
                a.time_source,
            );
        }
        let m = list[me];
        let mut conflict = None;
        for other in list.iter().filter(|x| x.port != pid) {
            if t.saturating_sub(other.last_ns) > other.timeout_ns {
                continue;
            }
            if other.grandmaster == m.grandmaster {
                // The grandmaster itself is right about its dataset; else
                // the later announcer is the one in doubt.
                let blamed_is_me = if m.port.clock_identity == m.grandmaster {
                    false
                } else if other.port.clock_identity == m.grandmaster {
                    true
                } else {
                    m.first_ns > other.first_ns
                };
                if other.dataset != m.dataset && blamed_is_me {
                    conflict = Some(Detail::ConflictingDataset {
                        other: other.port,
                        grandmaster: m.grandmaster,
                    });
                    break;
                }
            } else if m.first_ns > other.first_ns.saturating_add(other.timeout_ns)
                && m.rank() < other.rank()
            {
                conflict = Some(Detail::NewcomerWins {
                    master: other.port,
                    grandmaster: m.grandmaster,
                });
                break;
            }
        }
        let m = &mut list[me];
        match conflict {
            None => m.conflict_since = None,
            Some(d) => {
                let since = *m.conflict_since.get_or_insert(t);
                // Longer than its own announce receipt timeout: the other
                // port had all that time to yield (§9.2.6.11).
                if t - since > m.timeout_ns {
                    self.alert(At::of(o), Kind::RogueAnnounce, d, t, o.frame, 1, 0);
                }
            }
        }
    }

    /// A change of a domain's grandmaster at `time_ns` (not its first).
    pub fn grandmaster_change(&mut self, major_sdo_id: u8, domain: u8, time_ns: i64) {
        let (q, alerted) = self
            .changes
            .entry((major_sdo_id, domain))
            .or_insert_with(|| (VecDeque::new(), i64::MIN));
        q.push_back(time_ns);
        while q.len() > 64 || q.front().is_some_and(|&f| time_ns - f > FLAPPING_WINDOW_NS) {
            q.pop_front();
        }
        if q.len() < FLAPPING_CHANGES {
            return;
        }
        // Every change of a window counts once.
        let new: Vec<i64> = q.iter().copied().filter(|&c| c > *alerted).collect();
        *alerted = time_ns;
        let changes = q.len() as u64;
        let at = At {
            point: None,
            major_sdo_id,
            domain,
            port: None,
            message_type: None,
        };
        for c in new {
            let d = Detail::Flapping { changes };
            self.alert(at, Kind::GrandmasterFlapping, d, c, 0, 1, 0);
        }
    }

    /// Looks at a completed measurement for steps of its legs.
    pub fn measurement(&mut self, m: &Measurement) {
        let Measurement::E2e { sync, delay } = m else {
            return;
        };
        if sync.t1.seconds == 0 || delay.t4.seconds == 0 {
            return;
        }
        let mk = (sync.point, sync.major_sdo_id, sync.domain, sync.master);
        self.measured.capped_entry(0, &mk, self.max_streams, || ());
        let key = LegsKey {
            point: sync.point,
            major_sdo_id: sync.major_sdo_id,
            domain: sync.domain,
            master: sync.master,
            slave: delay.slave,
        };
        let sync_corr =
            (sync.sync_correction.0 as i128 + sync.follow_up_correction.0 as i128) >> 16;
        let delay_corr = (delay.resp_correction.0 as i128 - delay.req_correction.0 as i128) >> 16;
        let ms = i128::from(sync.t2_capture_ns) - sync.t1.as_nanos() - sync_corr;
        let sm = delay.t4.as_nanos() - i128::from(delay.t3_capture_ns) - delay_corr;
        let clamp = |x: i128| x.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        let resolution = sync.t2_resolution_ns.max(delay.t3_resolution_ns);
        let near_leap = self.near_announced_leap(
            (sync.major_sdo_id, sync.domain, sync.master),
            [sync.t2_capture_ns, delay.t3_capture_ns],
        );
        let Some(l) = self
            .legs
            .capped_entry(0, &key, self.max_streams, Legs::default)
        else {
            return;
        };
        if near_leap {
            // A UTC capture clock may step a second here, moving both legs
            // as a grandmaster's step would: the windows start again after
            // (a step inside these 4 s is not told, nor one in the
            // 4 × STEP_WINDOW exchanges the windows take to fill again).
            l.samples.clear();
            return;
        }
        l.resolution_ns = l.resolution_ns.max(resolution);
        // The windows describe one stretch of time: after a silence the
        // drift's line no longer predicts, so they start again.
        if let Some(&(last, ..)) = l.samples.back() {
            let gap = sync.t2_capture_ns.saturating_sub(last);
            let spacing = match (l.samples.front(), l.samples.len()) {
                (Some(&(first, ..)), n) if n > 1 => (last - first) / (n as i64 - 1),
                _ => 0,
            };
            if gap > STEP_GAP_NS.max(spacing.saturating_mul(8)) || gap < 0 {
                l.samples.clear();
            }
        }
        if l.samples.len() == 4 * STEP_WINDOW {
            l.samples.pop_front();
        }
        l.samples
            .push_back((sync.t2_capture_ns, clamp(ms), clamp(sm), sync.sync_frame));
        if l.cooldown > 0 {
            l.cooldown -= 1;
            return;
        }
        match leg_step(l) {
            Some((score, kind, detail, t, frame)) if l.candidate.is_none_or(|c| score > c.0) => {
                l.candidate = Some((score, kind, detail, t, frame));
                l.since_best = 0;
            }
            _ => l.since_best += 1,
        }
        if l.since_best < STEP_WINDOW {
            return;
        }
        let Some((_, kind, detail, time_ns, frame)) = l.candidate.take() else {
            return;
        };
        l.cooldown = 3 * STEP_WINDOW;
        let at = At {
            point: Some(sync.point),
            major_sdo_id: sync.major_sdo_id,
            domain: sync.domain,
            port: Some(sync.master),
            message_type: None,
        };
        self.alert(at, kind, detail, time_ns, frame, 1, 0);
    }

    /// Whether a capture time of `times` is within [`LEAP_WINDOW_NS`] of a
    /// UTC midnight that begins a month (leap seconds end a month, UTC),
    /// read as UTC, when the master measured (`key`) announced leap61 or
    /// leap59 in the day before it: a capture clock that reads UTC (a
    /// host's CLOCK_REALTIME) steps a second back or forward there.
    fn near_announced_leap(&self, key: (u8, u8, PortIdentity), times: [i64; 2]) -> bool {
        const DAY_NS: i64 = 86_400_000_000_000;
        let Some(&seen) = self.leap_announced.get(&key) else {
            return false;
        };
        times.iter().any(|&t| {
            let midnight = t.saturating_add(DAY_NS / 2).div_euclid(DAY_NS) * DAY_NS;
            super::inventory::begins_month(midnight)
                && t.saturating_sub(midnight).saturating_abs() <= LEAP_WINDOW_NS
                && seen >= midnight.saturating_sub(DAY_NS + LEAP_WINDOW_NS)
        })
    }

    /// A message whose header contradicts it (not decoded, counted
    /// malformed): versionPTP or messageLength.
    pub fn mismatch(&mut self, r: &super::MalformedRecord) {
        let (Some(m), Some(t)) = (r.mismatch, r.time_ns) else {
            return;
        };
        let (major_sdo_id, domain, port) = match m.header {
            Some((sdo, d, p)) => (sdo, d, Some(p)),
            None => (0, 0, None),
        };
        let at = At {
            point: Some(r.point_id),
            major_sdo_id,
            domain,
            port,
            message_type: None,
        };
        self.alert(at, Kind::InvalidField, m.detail, t, r.frame, 1, 0);
    }

    /// End of input: lone foreign messages the streams went on past.
    pub fn finish(&mut self) {
        let mut late = Vec::new();
        for (k, s) in self.streams.iter_mut() {
            for p in [s.sequence.finish(), s.offset.finish(), s.source.finish()]
                .into_iter()
                .flatten()
            {
                late.push((*k, p));
            }
        }
        late.sort_by_key(|(_, p)| p.time_ns);
        for (k, p) in late {
            let at = At {
                point: Some(k.point),
                major_sdo_id: k.major_sdo_id,
                domain: k.domain,
                port: Some(k.port),
                message_type: Some(k.message_type),
            };
            self.alert(
                at,
                Kind::SpoofedMessages,
                p.detail,
                p.time_ns,
                p.frame,
                1,
                1,
            );
        }
    }
}

/// What [`judge`] found.
#[derive(Debug)]
struct Judged {
    verdict: Verdict,
    /// Messages now known spoofed (this one, or an earlier candidate's).
    confirmed: Vec<Pending>,
    replayed: Option<Detail>,
    /// A Sync stream's timestamps stepped by this much (a promotion).
    step: Option<i64>,
}

impl Judged {
    fn with(verdict: Verdict) -> Self {
        Self {
            verdict,
            confirmed: Vec::new(),
            replayed: None,
            step: None,
        }
    }
}

fn ts_zero(ts: Timestamp) -> bool {
    ts.seconds == 0 && ts.nanoseconds == 0
}

/// Judges one Sync, Follow_Up or Announce of stream `s`, the `n`th to
/// come in.
///
/// Inlined into [`Security::observe`], its only caller: its entry, exit
/// and returned verdict cost 18 instructions a message (callgrind, steady
/// bench capture).
#[inline(always)]
fn judge(s: &mut Stream, o: &Observation<'_, '_>, interval_ns: Option<i64>, n: u64) -> Judged {
    let h = &o.message.header;
    let t = o.time_ns;
    let pending = |detail| Pending {
        time_ns: t,
        arrival: n,
        frame: o.frame,
        detail,
    };
    let seq = h.sequence_id;
    let interval = interval_ns.unwrap_or(1_000_000_000).max(1);
    // A progression is alive while it advanced within four intervals or
    // two seconds; it may skip as many messages as fit in that time.
    let alive_ns = (4 * interval).max(2_000_000_000);
    if s.reach.0 != interval {
        let reach = u16::try_from((alive_ns / interval).clamp(64, 16_384)).unwrap_or(16_384);
        s.reach = (interval, reach);
    }
    let reach = s.reach.1;
    // The timestamp that tells the sender's time, and its offset from the
    // capture clock less the correctionField.
    let origin = match &o.message.body {
        Body::Sync(b) if !h.flags.contains(Flags::TWO_STEP) => Some(b.origin_timestamp),
        Body::FollowUp(b) => Some(b.precise_origin_timestamp),
        _ => None,
    }
    .filter(|ts| ts.seconds != 0 || ts.nanoseconds != 0);
    let origin_ns = origin.map(|ts| ts.as_nanos());
    let offset = origin_ns.map(|ns| {
        let d = i128::from(t) - ns - (i128::from(h.correction_field.0) >> 16);
        d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    });
    let ahead = |v: u16| {
        let a = seq.wrapping_sub(v);
        (1..=reach).contains(&a)
    };
    let behind = |v: u16| v.wrapping_sub(seq) <= reach;
    let seq_class = s
        .sequence
        .classify(t, alive_ns, |m| ahead(m.value) || behind(m.value));
    let is_ahead = s.sequence.main.is_some_and(|m| ahead(m.value));
    // A repeat of a remembered message, long after it.
    let slot_index = usize::from(seq) % HISTORY;
    // A zero timestamp (a two-step Sync's originTimestamp, often) tells no
    // message from another.
    if !is_ahead
        && let Some(hist) = &s.history
        && let Some(ts) = origin.or_else(|| o.message.body.timestamp().filter(|ts| !ts_zero(*ts)))
    {
        let slot = hist[slot_index];
        if slot.used && slot.seq == seq && slot.origin == ts && t - slot.time_ns > REPLAY_AGE_NS {
            let mut j = Judged::with(Verdict::Replayed);
            j.replayed = Some(Detail::Repeat {
                age_ns: t - slot.time_ns,
            });
            return j;
        }
        // One clock gives one sequenceId one timestamp (until it wraps,
        // long after the slot is overwritten), unless it restarted its
        // sequenceIds: then the new timestamp is the old one plus the
        // time that went by, as the capture clock saw it.
        let d = ts.as_nanos() - slot.origin.as_nanos();
        let elapsed = i128::from(t - slot.time_ns);
        let restarted = (d - elapsed).abs()
            <= i128::from(OFFSET_TOLERANCE_NS)
                + elapsed.abs() * i128::from(MAX_DRIFT_PPM) / 1_000_000;
        if slot.used && slot.seq == seq && slot.origin != ts && !ts_zero(slot.origin) && !restarted
        {
            let mut j = Judged::with(Verdict::Spoofed);
            j.confirmed.push(pending(Detail::Altered {
                deviation_ns: d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
            }));
            return j;
        }
    }
    let tolerance = |m: &Hypothesis<i64>| {
        OFFSET_TOLERANCE_NS
            + t.saturating_sub(m.last_ns)
                .saturating_abs()
                .saturating_mul(MAX_DRIFT_PPM)
                / 1_000_000
    };
    let offset_class = match offset {
        Some(d) => s.offset.classify(t, alive_ns, |m| {
            (d.saturating_sub(m.value)).saturating_abs() <= tolerance(m)
        }),
        None => Class::Main,
    };
    let off_offset = !matches!(offset_class, Class::Main | Class::Fresh);
    // The remembered message of this sequenceId, read only for a message
    // off the offset and not ahead (the two tests below): a stream moving
    // on wrote its slot 1,024 messages ago, out of the cache by now, and
    // reading it was a third of this function's CPU samples (perf, steady
    // bench capture).
    let slot = (off_offset && !is_ahead)
        .then(|| s.history.as_ref().map(|h| h[slot_index]))
        .flatten()
        .filter(|x| x.used && x.seq == seq);
    // A copy of a message seen before, come late: a delayed copy, the
    // master's timestamps going backwards.
    if off_offset
        && !is_ahead
        && let (Some(slot), Some(ts), Some(ns), Some(last)) =
            (slot, origin, origin_ns, s.last_origin_ns)
        && slot.origin == ts
    {
        let mut j = Judged::with(Verdict::Replayed);
        j.replayed = Some(Detail::Backwards {
            behind_ns: (last - ns).clamp(0, i128::from(i64::MAX)) as i64,
        });
        return j;
    }
    // An old sequenceId seen for the first time, come late: the network
    // held it back (a message can come late, never early).
    let late = off_offset
        && !is_ahead
        && slot.is_none()
        && offset.zip(s.offset.main).is_some_and(|(d, m)| d > m.value);
    let offset_class = if late { Class::Main } else { offset_class };
    let source = (o.link.src_mac, o.link.src_ip);
    let source_class = s.source.classify(t, alive_ns, |m| m.value == source);
    let genuine = |c: Class| matches!(c, Class::Main | Class::Fresh | Class::Promote);
    if genuine(seq_class) && genuine(offset_class) && genuine(source_class) {
        // Matched by reference: the hypotheses are not copied out.
        let step = match (offset_class, offset, &s.offset.main, &s.offset.candidate) {
            (Class::Promote, Some(_), Some(m), Some(c)) => Some(m.value.saturating_sub(c.value)),
            _ => None,
        };
        s.sequence
            .accept(seq_class, t, n, seq, is_ahead || seq_class != Class::Main);
        if let Some(d) = offset
            && !late
        {
            s.offset.accept(offset_class, t, n, d, true);
        }
        s.source.accept(source_class, t, n, source, true);
        if let Some(ns) = origin_ns {
            s.origin_span = Some(
                s.origin_span
                    .map_or((ns, ns), |(lo, hi)| (lo.min(ns), hi.max(ns))),
            );
            if offset_class != Class::Main {
                // A step: the stream's past is another timescale's.
                s.origin_span = Some((ns, ns));
            }
            s.last_origin_ns = Some(s.last_origin_ns.map_or(ns, |l| l.max(ns)));
            if offset_class != Class::Main {
                s.last_origin_ns = Some(ns);
            }
        }
        if let Some(hist) = &mut s.history
            && let Some(ts) = origin.or_else(|| o.message.body.timestamp())
        {
            hist[slot_index] = Slot {
                seq,
                origin: ts,
                time_ns: t,
                used: true,
            };
        }
        // The time step of the grandmaster, when its timestamps' offset
        // from the capture clock moved: t1 grew as the offset shrank.
        // Built where it is returned, not moved there.
        return Judged {
            step,
            ..Judged::with(Verdict::Genuine)
        };
    }
    let mut j = Judged::with(Verdict::Spoofed);
    if !genuine(offset_class)
        && let Some(d) = offset
    {
        let dev = s.offset.main.map_or(0, |m| d.saturating_sub(m.value));
        j.confirmed.extend(s.offset.reject(
            offset_class,
            pending(Detail::Timestamp { deviation_ns: dev }),
            d,
        ));
    }
    if !genuine(seq_class) {
        let expected_after = s.sequence.main.map_or(seq, |m| m.value);
        j.confirmed.extend(s.sequence.reject(
            seq_class,
            pending(Detail::Sequence {
                expected_after,
                got: seq,
            }),
            seq,
        ));
    }
    if !genuine(source_class) {
        let first = s.source.main.map(|m| m.value).unwrap_or((None, None));
        j.confirmed.extend(s.source.reject(
            source_class,
            pending(Detail::Source {
                first_mac: first.0,
                other_mac: source.0,
                first_ip: first.1,
                other_ip: source.1,
            }),
            source,
        ));
    }
    // One message counts once, as its first reason.
    j.confirmed.sort_by_key(|p| (p.frame, p.time_ns));
    j.confirmed.dedup_by_key(|p| (p.frame, p.time_ns));
    if !j
        .confirmed
        .iter()
        .any(|p| p.frame == o.frame && p.time_ns == t)
    {
        j.verdict = Verdict::Suspect;
    }
    j
}

/// The median of a few values.
fn median(v: &mut [i64]) -> f64 {
    v.sort_unstable();
    let n = v.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] as f64 + v[n / 2] as f64) / 2.0
    }
}

/// The level of one leg just after the middle of [`Legs::samples`]
/// against the level its first half predicts: four windows of
/// [`STEP_WINDOW`] samples, each's level its least-delayed sample, the
/// first two giving a level and a slope (the capture clock's drift), the
/// last two each to be off that line by the same step. Returns (the
/// step, the noise's standard deviation, how much the drift differs
/// before and after), ns.
fn level_step(l: &Legs, f: fn(&(i64, i64, i64, u64)) -> i64, by_median: bool) -> (f64, f64, f64) {
    let mut v = [0i64; 4 * STEP_WINDOW];
    let mut t = [0i64; 4 * STEP_WINDOW];
    for ((x, y), s) in v.iter_mut().zip(t.iter_mut()).zip(&l.samples) {
        *x = f(s);
        *y = s.0;
    }
    let mut level = [0.0; 4];
    let mut centre = [0.0; 4];
    let mut residuals = [0i64; 4 * STEP_WINDOW];
    for w in 0..4 {
        let r = w * STEP_WINDOW..(w + 1) * STEP_WINDOW;
        let mut x = [0i64; STEP_WINDOW];
        x.copy_from_slice(&v[r.clone()]);
        let mid = median(&mut x);
        // The least-delayed sample: queueing adds to a leg in runs, a
        // path (or a clock) moves its floor; or the median.
        level[w] = if by_median { mid } else { x[0] as f64 };
        // Times relative to the first sample, so the f64 keeps its ns.
        centre[w] = (t[r.start].saturating_sub(t[0]) as f64
            + t[r.end - 1].saturating_sub(t[0]) as f64)
            / 2.0;
        for i in r {
            residuals[i] = v[i].saturating_sub(mid as i64);
        }
    }
    let span = centre[1] - centre[0];
    let slope = if span > 0.0 {
        (level[1] - level[0]) / span
    } else {
        0.0
    };
    let step = |w: usize| level[w] - (level[1] + slope * (centre[w] - centre[1]));
    let (a, b) = (step(2), step(3));
    // Both windows after must agree (a lasting step, not one odd window),
    // and the drift must be the same on both sides (else a window holds
    // the step, and the line through it predicts nothing).
    let drift_before = level[1] - level[0];
    let drift_after = level[3] - level[2];
    let agreed = if a.signum() == b.signum() {
        a.abs().min(b.abs()).copysign(a)
    } else {
        0.0
    };
    for r in &mut residuals {
        *r = r.saturating_abs();
    }
    let sigma = 1.4826 * median(&mut residuals);
    (agreed, sigma, (drift_after - drift_before).abs())
}

/// A step of one leg or both, with its score (the legs' steps over their
/// thresholds, summed: largest when the step sits between the second and
/// third windows), or `None`.
fn leg_step(l: &mut Legs) -> Option<(f64, Kind, Detail, i64, u64)> {
    let n = l.samples.len();
    if n < 4 * STEP_WINDOW {
        return None;
    }
    let floor = STEP_FLOOR_NS + 4.0 * f64::from(l.resolution_ns);
    l.evaluations = l.evaluations.saturating_add(1);
    let warm = l.evaluations > STEP_WARM_UP;
    // Per leg, the step of the least-delayed levels and of the medians:
    // a path or a clock moves both, queueing in runs only the medians,
    // a lucky or unlucky window only the least delayed.
    let mut legs = [(0.0, 0.0); 2];
    for (leg, f) in [
        (0, (|s: &(i64, i64, i64, u64)| s.1) as fn(&_) -> i64),
        (1, |s| s.2),
    ] {
        let mut both = [(0.0, 0.0); 2];
        for (j, by_median) in [false, true].into_iter().enumerate() {
            let (x, sigma, bend) = level_step(l, f, by_median);
            // Thresholds: the samples' noise, and the statistic's own
            // typical excursion while nothing steps.
            let e = &mut l.excursion[2 * leg + j];
            let thr = (STEP_SIGMAS * sigma).max(STEP_EXCURSIONS * *e).max(floor);
            if x.abs() <= thr || !warm {
                *e += (x.abs() - *e) / f64::from(l.evaluations.min(64));
            }
            // A drift that bends by half the threshold has the step inside
            // a window: not this alignment.
            let x = if bend * 2.0 > thr { 0.0 } else { x };
            both[j] = (x, thr);
        }
        let [(x, thr), (y, thr_median)] = both;
        legs[leg] = if x.abs() > thr && y.abs() > thr_median && x.signum() == y.signum() {
            (x, thr)
        } else {
            (0.0, thr)
        };
    }
    if !warm {
        return None;
    }
    let [(ms, ms_thr), (sm, sm_thr)] = legs;
    let ms_big = ms.abs() > ms_thr;
    let sm_big = sm.abs() > sm_thr;
    let score = ms.abs() / ms_thr + sm.abs() / sm_thr;
    // Where the step is: the largest jump in the middle windows.
    let when = {
        let mid = 2 * STEP_WINDOW;
        (mid - STEP_WINDOW..mid + STEP_WINDOW)
            .max_by_key(|&i| {
                let (a, b) = (l.samples[i - 1], l.samples[i]);
                (b.1 - a.1)
                    .saturating_abs()
                    .max((b.2 - a.2).saturating_abs())
            })
            .map_or((l.samples[mid].0, l.samples[mid].3), |i| {
                (l.samples[i].0, l.samples[i].3)
            })
    };
    match (ms_big, sm_big) {
        (true, true)
            if ms.signum() != sm.signum() && (ms + sm).abs() < 0.5 * ms.abs().max(sm.abs()) =>
        {
            let step = ((sm - ms) / 2.0) as i64;
            Some((
                score,
                Kind::TimeStep,
                Detail::ClockStep { step_ns: step },
                when.0,
                when.1,
            ))
        }
        (true, false) | (false, true) => Some((
            score,
            Kind::AsymmetryChange,
            Detail::PathStep {
                sync_path_ns: if ms_big { ms as i64 } else { 0 },
                delay_path_ns: if sm_big { sm as i64 } else { 0 },
            },
            when.0,
            when.1,
        )),
        // Both legs the same way: the path's delay changed, not its
        // asymmetry nor the clock.
        _ => None,
    }
}

/// clockClass values Table 4 of IEEE 1588-2019 reserves.
pub fn reserved_clock_class(c: u8) -> bool {
    matches!(
        c,
        0..=5 | 8..=12 | 15..=51 | 53..=57 | 59..=67 | 123..=132 | 171..=186 | 188..=192
            | 194..=215 | 233..=247 | 249..=250 | 252..=254
    )
}

/// clockAccuracy values Table 5 reserves.
pub fn reserved_clock_accuracy(a: u8) -> bool {
    matches!(a, 0x00..=0x16 | 0x32..=0x7f | 0xff)
}

/// timeSource values Table 6 reserves.
pub fn reserved_time_source(s: u8) -> bool {
    !matches!(
        s,
        0x10 | 0x20 | 0x30 | 0x39 | 0x40 | 0x50 | 0x60 | 0x90 | 0xa0 | 0xf0..=0xfe
    )
}

#[cfg(test)]
mod tests {
    use super::super::Analyzer;
    use super::super::testing::{frame, message, port, see, ts};
    use super::*;

    const MS: i64 = 1_000_000;
    const T0: i64 = 1_700_000_000_000_000_000;

    /// A one-step Sync from `src` with sequenceId `seq`, stamped
    /// `stamp_ns` and captured at `t`.
    fn sync(a: &mut Analyzer, src: PortIdentity, seq: u16, stamp_ns: i64, t: i64) {
        sync_every(a, src, seq, -4, stamp_ns, t);
    }

    /// [`sync`] advertising logMessageInterval `log`.
    fn sync_every(a: &mut Analyzer, src: PortIdentity, seq: u16, log: i8, stamp_ns: i64, t: i64) {
        let body = ts(
            (stamp_ns / 1_000_000_000) as u64,
            (stamp_ns % 1_000_000_000) as u32,
        );
        let m = message(0x0, src, seq, 0, log, &body);
        see(a, &m, &frame(), t);
    }

    #[test]
    fn a_stream_whose_interval_shortens_may_skip_as_far_as_its_new_rate_allows() {
        // 16 Syncs a second: a stream may skip 64 sequenceIds (the
        // floor; 2 s hold 32). Then 128 a second: 2 s hold 256, and a
        // skip of 200 (lost messages, 1.56 s of them) is the same
        // progression, not a second sender. The reach worked out for the
        // first interval must not outlive it.
        let gm = port(1, 1);
        let mut a = Analyzer::default();
        let mut t = T0;
        let mut seq = 100u16;
        for _ in 0..32 {
            t += 62_500_000;
            seq += 1;
            sync_every(&mut a, gm, seq, -4, t, t);
        }
        for skip in [1, 1, 1, 1, 200, 1, 1, 1] {
            t += 7_812_500 * i64::from(skip);
            seq += skip;
            sync_every(&mut a, gm, seq, -7, t, t);
        }
        a.finish();
        assert_eq!(alerts(&a, Kind::SpoofedMessages), 0);
        assert_eq!(a.security.set_aside, [0; 3]);
        assert_eq!(a.exchanges.sync_follow_up.one_step, 40);
    }

    fn alerts(a: &Analyzer, kind: Kind) -> u64 {
        a.security
            .alerts
            .iter()
            .filter(|x| x.kind == kind)
            .map(|x| x.count)
            .sum()
    }

    #[test]
    fn a_second_progression_under_the_masters_identity_is_spoofed_and_kept_out() {
        let gm = port(1, 1);
        let mut a = Analyzer::default();
        for i in 0..64u16 {
            let t = T0 + i64::from(i) * 62 * MS;
            sync(&mut a, gm, 100 + i, t, t);
            // The attacker's, in between: its own sequenceIds, 1 s ahead.
            if i >= 16 {
                let t = t + 31 * MS;
                sync(&mut a, gm, 30_000 + i, t + 1_000 * MS, t);
            }
        }
        a.finish();
        assert_eq!(alerts(&a, Kind::SpoofedMessages), 48);
        assert_eq!(a.security.set_aside[0], 48);
        // The genuine stream is what the exchanges saw; health saw the
        // attacker's first too, while it might have been a restart (a
        // jump there and back).
        assert_eq!(a.exchanges.sync_follow_up.one_step, 64);
        let s = a.health.streams.values().next().unwrap();
        assert_eq!((s.count, s.gaps, s.restarts), (65, 0, 2));
    }

    #[test]
    fn a_restart_or_a_step_is_no_spoofing() {
        let gm = port(1, 1);
        let mut a = Analyzer::default();
        for i in 0..100u16 {
            let t = T0 + i64::from(i) * 62 * MS;
            // From message 50 on, another sequenceId and a clock 5 s on.
            let (seq, stamp) = if i < 50 {
                (i, t)
            } else {
                (9000 + i, t + 5_000 * MS)
            };
            sync(&mut a, gm, seq, stamp, t);
        }
        a.finish();
        assert_eq!(alerts(&a, Kind::SpoofedMessages), 0);
        // The first message of the new progression waited for the next.
        assert_eq!(a.security.set_aside[0], 1);
        let step = a
            .security
            .alerts
            .iter()
            .find(|x| x.kind == Kind::TimestampStep)
            .expect("the step is told");
        assert_eq!(
            step.detail,
            Detail::StreamStep {
                step_ns: 5_000 * MS
            }
        );
    }

    #[test]
    fn a_master_restarting_its_sequence_ids_is_no_spoofing() {
        // sequenceIds 0..40, then, 1 s after the last, 0..40 again with
        // the timestamps of a clock that went on (a restarted ptp4l): the
        // same sequenceIds, later timestamps, consistent with the capture
        // clock.
        let gm = port(1, 1);
        let mut a = Analyzer::default();
        for i in 0..80u16 {
            let t = T0 + i64::from(i) * 62 * MS + if i >= 40 { 1_000 * MS } else { 0 };
            sync(&mut a, gm, i % 40, t, t);
        }
        a.finish();
        assert_eq!(alerts(&a, Kind::SpoofedMessages), 0);
        assert_eq!(alerts(&a, Kind::ReplayedMessages), 0);
    }

    /// One-step Syncs every 62 ms, stamped on the grandmaster's TAI, captured
    /// by a host whose clock reads UTC (37 s behind) and steps back a second
    /// at the UTC midnight after message 50, as CLOCK_REALTIME does at a
    /// leap second; `spoofer` also sends the old progression on from there.
    fn leap_second_capture(spoofer: bool) -> Analyzer {
        let gm = port(1, 1);
        let midnight = 1_798_761_600_000_000_000i64;
        let start = midnight - 50 * 62 * MS + 10 * MS;
        let mut a = Analyzer::default();
        for i in 0..100u16 {
            let utc = start + i64::from(i) * 62 * MS;
            let tai = utc + 37_000 * MS;
            let host = if utc >= midnight {
                utc - 1_000 * MS
            } else {
                utc
            };
            sync(&mut a, gm, i, tai, host);
            if spoofer && utc >= midnight {
                // Under the genuine sequenceIds' far side, on the host's
                // timescale from before the step.
                sync(&mut a, gm, 30_000 + i, tai, host + 1_000 * MS + 31 * MS);
            }
        }
        a.finish();
        a
    }

    #[test]
    fn a_capture_clock_stepping_back_at_a_leap_second_is_no_spoofing() {
        let a = leap_second_capture(false);
        // Every stream's offset moved by −1 s and the progression from
        // before the step fell silent: the new one takes over. With no
        // Delay exchange to tell whose clock moved, the step is told, as
        // a notice, not an attack.
        let kinds: Vec<_> = a
            .security
            .alerts
            .iter()
            .map(|x| (x.kind, x.detail))
            .collect();
        assert_eq!(
            kinds,
            [(
                Kind::TimestampStep,
                Detail::StreamStep {
                    step_ns: 1_000 * MS
                }
            )]
        );
        // The first message after the step waited for the next.
        assert_eq!(a.security.set_aside[0], 1);
        assert_eq!(a.exchanges.sync_follow_up.one_step, 99);
    }

    #[test]
    fn the_old_progression_going_on_after_a_capture_clock_step_is_spoofed() {
        // The same step, and a second sender keeps the offset from before
        // it: two senders, whichever order the capture clock puts them in.
        let a = leap_second_capture(true);
        assert!(alerts(&a, Kind::SpoofedMessages) >= 48);
    }

    #[test]
    fn a_one_second_jump_while_the_stream_goes_on_is_spoofed() {
        // The −1 s jump of the offset with no step of the capture clock
        // (the capture times go on): messages 1 s ahead under the genuine
        // progression's next sequenceIds, while it continues.
        let gm = port(1, 1);
        let mut a = Analyzer::default();
        for i in 0..64u16 {
            let t = T0 + i64::from(i) * 62 * MS;
            sync(&mut a, gm, i, t, t);
            if i >= 16 {
                sync(&mut a, gm, i + 1, t + 1_000 * MS, t + 31 * MS);
            }
        }
        a.finish();
        assert!(alerts(&a, Kind::SpoofedMessages) >= 47);
    }

    #[test]
    fn a_message_sent_again_later_is_replayed() {
        let gm = port(1, 1);
        let mut a = Analyzer::default();
        for i in 0..64u16 {
            let t = T0 + i64::from(i) * 62 * MS;
            sync(&mut a, gm, i, t, t);
            // Message i - 32 again, 2 s later, and a copy 300 ms late.
            if i >= 32 {
                let old = T0 + i64::from(i - 32) * 62 * MS;
                sync(&mut a, gm, i - 32, old, t + MS);
                let recent = T0 + i64::from(i - 5) * 62 * MS;
                sync(&mut a, gm, i - 5, recent, t + 2 * MS);
            }
        }
        a.finish();
        let repeat = a
            .security
            .alerts
            .iter()
            .find(|x| matches!(x.detail, Detail::Repeat { .. }));
        assert_eq!(repeat.map(|x| x.count), Some(32));
        let late = a
            .security
            .alerts
            .iter()
            .find(|x| matches!(x.detail, Detail::Backwards { .. }));
        assert_eq!(late.map(|x| x.count), Some(32));
        assert_eq!(a.security.set_aside[1], 64);
        assert_eq!(alerts(&a, Kind::SpoofedMessages), 0);
    }

    #[test]
    fn nanoseconds_of_a_second_or_more_are_invalid_and_kept_out() {
        let mut a = Analyzer::default();
        let m = message(0x0, port(1, 1), 1, 0, -4, &ts(5, 1_000_000_000));
        see(&mut a, &m, &frame(), T0);
        assert_eq!(alerts(&a, Kind::InvalidField), 1);
        assert_eq!(a.security.set_aside[2], 1);
        assert_eq!(a.exchanges.sync_follow_up.one_step, 0);
    }

    /// Legs of `n` samples 62.5 ms apart: `ms(i)`, `sm(i)` ns.
    fn legs(
        n: usize,
        ms: impl Fn(usize) -> i64,
        sm: impl Fn(usize) -> i64,
    ) -> Vec<(i64, i64, i64, u64)> {
        (0..n)
            .map(|i| (i as i64 * 62_500_000, ms(i), sm(i), i as u64 + 1))
            .collect()
    }

    /// Runs the step detector over `samples`; the steps it tells.
    fn steps(samples: &[(i64, i64, i64, u64)]) -> Vec<(Kind, Detail, u64)> {
        let mut l = Legs {
            resolution_ns: 1,
            ..Legs::default()
        };
        let mut out = Vec::new();
        for &s in samples {
            if l.samples.len() == 4 * STEP_WINDOW {
                l.samples.pop_front();
            }
            l.samples.push_back(s);
            if l.cooldown > 0 {
                l.cooldown -= 1;
                continue;
            }
            match leg_step(&mut l) {
                Some((score, kind, detail, t, frame))
                    if l.candidate.is_none_or(|c| score > c.0) =>
                {
                    l.candidate = Some((score, kind, detail, t, frame));
                    l.since_best = 0;
                }
                _ => l.since_best += 1,
            }
            if l.since_best >= STEP_WINDOW
                && let Some((_, k, d, _, f)) = l.candidate.take()
            {
                l.cooldown = 3 * STEP_WINDOW;
                out.push((k, d, f));
            }
        }
        out
    }

    /// A little noise that repeats: ±300 ns.
    fn noise(i: usize) -> i64 {
        [0, 120, -80, 300, -300, 40, 200, -150, 90, -40, 10][i % 11]
    }

    #[test]
    fn a_step_of_one_leg_is_an_asymmetry_change_with_its_sign_and_place() {
        // The Sync's leg grows by 20 µs at sample 100; the drift of the
        // capture clock (8 ppm) moves both legs the opposite ways.
        let drift = |i: usize| (i as f64 * 62.5e6 * 8e-6) as i64;
        let s = legs(
            200,
            |i| 5_000 - drift(i) + noise(i) + if i >= 100 { 20_000 } else { 0 },
            |i| 5_000 + drift(i) + noise(i + 3),
        );
        let got = steps(&s);
        assert_eq!(got.len(), 1, "{got:?}");
        let (kind, detail, frame) = got[0];
        assert_eq!(kind, Kind::AsymmetryChange);
        let Detail::PathStep {
            sync_path_ns,
            delay_path_ns,
        } = detail
        else {
            panic!("{detail:?}")
        };
        assert!((sync_path_ns - 20_000).abs() < 4_000, "{sync_path_ns}");
        assert_eq!(delay_path_ns, 0);
        assert_eq!(frame, 101, "the first sample after the step");
    }

    #[test]
    fn opposite_steps_of_both_legs_are_a_time_step() {
        let s = legs(
            200,
            |i| 5_000 + noise(i) - if i >= 120 { 50_000 } else { 0 },
            |i| 5_000 + noise(i + 5) + if i >= 120 { 50_000 } else { 0 },
        );
        let got = steps(&s);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, Kind::TimeStep);
        let Detail::ClockStep { step_ns } = got[0].1 else {
            panic!()
        };
        assert!((step_ns - 50_000).abs() < 1_000, "{step_ns}");
        assert_eq!(got[0].2, 121);
    }

    #[test]
    fn noise_drift_and_queueing_in_runs_make_no_step() {
        // Bimodal queueing in runs of up to 5 (as a TIMESAFE capture has),
        // a drift of 50 ppm: no step.
        let s = legs(
            2000,
            |i| 1_500 + noise(i) + if (i / 3) % 4 == 1 { 70_000 } else { 0 } - (i as i64 * 3_125),
            |i| 9_000 + noise(i + 1) + (i as i64 * 3_125),
        );
        assert_eq!(steps(&s), vec![]);
    }
}
