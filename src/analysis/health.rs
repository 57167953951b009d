//! Per port and message type: is the stream what it says it is? Against
//! the timing attributes of IEEE 1588-2019 §7.7 (logMessageInterval,
//! receipt timeouts) and the sequenceId of the common header (§13.3).
//!
//! A stream is one sender port's messages of one type at one capture point
//! (for Delay_Resp, Pdelay_Resp and Pdelay_Resp_Follow_Up, per requesting
//! port too, since each requester has its own sequenceIds). For each:
//! - the interval between consecutive sequenceIds against the advertised
//!   logMessageInterval (mean, jitter as standard deviation, p99);
//! - sequenceId gaps (messages missing), duplicates and reordering, from a
//!   64-message window; a jump of 4096 or more is a restart, not a gap;
//! - receipt timeouts: an Announce or Sync silence longer than
//!   [`Config::receipt_timeout_intervals`] advertised intervals, and streams
//!   silent at the end of the capture;
//! - flags that change mid-stream;
//! - for answers, the time since the message they answer.

use super::stats::{Series, Stats};
use super::{Config, Observation, PointId, Table, log_interval_ns};
use crate::wire::{Body, Flags, MessageType, PortIdentity};

/// A restart rather than a gap: sequenceId jumped this far ahead.
const RESTART_JUMP: u16 = 4096;
/// Flag changes kept per stream (more are counted).
const MAX_FLAG_CHANGES: usize = 16;
/// Sequence and timeout events kept per stream (all are counted).
const MAX_EVENTS: usize = 64;
/// Interval points kept per stream for plots (decimated beyond).
const MAX_INTERVAL_SERIES: usize = 1024;

/// What happened to a stream at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `count` sequenceIds skipped.
    Gap,
    Duplicate,
    Reordered,
    /// The sequenceId jumped too far to be a gap.
    Restart,
    /// Silent longer than the receipt timeout (`count`: the silence, ns).
    Timeout,
}

/// A sequence or timeout event, where it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub time_ns: i64,
    pub frame: u64,
    pub kind: EventKind,
    pub count: u64,
}

/// What a stream is: ordered by point, then as the header orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    pub point: PointId,
    pub major_sdo_id: u8,
    pub domain_number: u8,
    pub source_port_identity: PortIdentity,
    pub message_type: MessageType,
    /// The requestingPortIdentity, for answers.
    pub requesting_port_identity: Option<PortIdentity>,
}

/// What the tracker reads of one message: enough to observe it apart from
/// the message, on another thread (see `pipeline`).
#[derive(Debug, Clone, Copy)]
pub struct Input {
    pub key: StreamKey,
    pub time_ns: i64,
    pub frame: u64,
    pub sequence_id: u16,
    pub log_message_interval: i8,
    pub flags: Flags,
    /// For an answer, the time since the message it answers, ns.
    pub response_ns: Option<i64>,
}

impl Input {
    pub fn of(o: &Observation<'_, '_>, response_ns: Option<i64>) -> Self {
        let h = &o.message.header;
        let requesting_port_identity = match o.message.body {
            Body::DelayResp(_) | Body::PdelayResp(_) | Body::PdelayRespFollowUp(_) => {
                o.message.body.requesting_port_identity()
            }
            _ => None,
        };
        Input {
            key: StreamKey {
                point: o.point,
                major_sdo_id: h.major_sdo_id,
                domain_number: h.domain_number,
                source_port_identity: h.source_port_identity,
                message_type: h.message_type,
                requesting_port_identity,
            },
            time_ns: o.time_ns,
            frame: o.frame,
            sequence_id: h.sequence_id,
            log_message_interval: h.log_message_interval,
            flags: h.flags,
            response_ns,
        }
    }
}

/// A change of the flag field between consecutive messages of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagChange {
    pub time_ns: i64,
    pub frame: u64,
    pub from: Flags,
    pub to: Flags,
}

#[derive(Debug, Clone)]
pub struct Stream {
    pub count: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    last_seq: u16,
    /// Bit i: sequenceId `last_seq - i` was seen.
    window: u64,
    pub intervals: Stats,
    /// The latest logMessageInterval and how often it changed.
    pub advertised_log_interval: i8,
    pub advertised_changes: u64,
    pub gaps: u64,
    pub duplicates: u64,
    pub reordered: u64,
    pub restarts: u64,
    pub timeouts: u64,
    pub longest_silence_ns: i64,
    pub flags: Flags,
    pub flag_changes: Vec<FlagChange>,
    pub flag_change_count: u64,
    pub response: Option<Box<Stats>>,
    /// Set by [`Health::finish`]: silent for longer than its timeout at the end.
    pub silent_at_end_ns: Option<i64>,
    /// (capture time, interval ns) of consecutive messages, decimated.
    pub interval_series: Series<(i64, i64), MAX_INTERVAL_SERIES>,
    /// The first [`MAX_EVENTS`] events.
    pub events: Vec<Event>,
}

impl Stream {
    fn new(time_ns: i64, seq: u16, log: i8, flags: Flags) -> Self {
        Self {
            count: 1,
            first_ns: time_ns,
            last_ns: time_ns,
            last_seq: seq,
            window: 1,
            intervals: Stats::default(),
            advertised_log_interval: log,
            advertised_changes: 0,
            gaps: 0,
            duplicates: 0,
            reordered: 0,
            restarts: 0,
            timeouts: 0,
            longest_silence_ns: 0,
            flags,
            flag_changes: Vec::new(),
            flag_change_count: 0,
            response: None,
            silent_at_end_ns: None,
            interval_series: Series::default(),
            events: Vec::new(),
        }
    }

    fn event(&mut self, time_ns: i64, frame: u64, kind: EventKind, count: u64) {
        if self.events.len() < MAX_EVENTS {
            self.events.push(Event {
                time_ns,
                frame,
                kind,
                count,
            });
        }
    }

    /// Files a sequenceId seen at `time_ns` in `frame`, recording what it
    /// reveals as an event; returns how far ahead of the last it is (0
    /// when it is not new).
    fn sequence(&mut self, seq: u16, time_ns: i64, frame: u64) -> u16 {
        let ahead = seq.wrapping_sub(self.last_seq);
        if ahead == 0 {
            self.duplicates += 1;
            self.event(time_ns, frame, EventKind::Duplicate, 1);
            return 0;
        }
        if ahead < 0x8000 {
            if ahead >= RESTART_JUMP {
                self.restarts += 1;
                self.event(time_ns, frame, EventKind::Restart, 1);
                self.window = 1;
            } else {
                let missing = u64::from(ahead - 1);
                if missing > 0 {
                    self.gaps += missing;
                    self.event(time_ns, frame, EventKind::Gap, missing);
                }
                self.window = if ahead >= 64 {
                    1
                } else {
                    (self.window << ahead) | 1
                };
            }
            self.last_seq = seq;
            return ahead;
        }
        let back = self.last_seq.wrapping_sub(seq);
        if back < 64 {
            let bit = 1u64 << back;
            if self.window & bit != 0 {
                self.duplicates += 1;
                self.event(time_ns, frame, EventKind::Duplicate, 1);
            } else {
                self.window |= bit;
                self.reordered += 1;
                self.event(time_ns, frame, EventKind::Reordered, 1);
                // It was counted missing when the later one came.
                self.gaps = self.gaps.saturating_sub(1);
            }
        } else {
            self.restarts += 1;
            self.event(time_ns, frame, EventKind::Restart, 1);
            self.last_seq = seq;
            self.window = 1;
            return 1;
        }
        0
    }

    /// Receipt timeout in ns for this stream's type, if it has one.
    fn timeout_ns(&self, t: MessageType, intervals: u8) -> Option<i64> {
        if t != MessageType::ANNOUNCE && t != MessageType::SYNC {
            return None;
        }
        log_interval_ns(self.advertised_log_interval).map(|i| i * i64::from(intervals))
    }
}

/// The stream tracker.
#[derive(Debug)]
pub struct Health {
    config: Config,
    pub streams: Table<StreamKey, Stream>,
    /// Messages of streams beyond [`Config::max_streams`].
    pub untracked: u64,
}

impl Health {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            streams: Table::default(),
            untracked: 0,
        }
    }

    /// Observes one message, from what the tracker reads of it.
    pub fn observe(&mut self, i: &Input) {
        let key = &i.key;
        let t = i.time_ns;
        let mut created = false;
        let Some(s) = self.streams.capped_entry(
            key.message_type.index(),
            key,
            self.config.max_streams,
            || {
                created = true;
                Stream::new(t, i.sequence_id, i.log_message_interval, i.flags)
            },
        ) else {
            self.untracked += 1;
            return;
        };
        if let Some(r) = i.response_ns {
            s.response.get_or_insert_default().add(r);
        }
        if created {
            return;
        }
        s.count += 1;
        if i.log_message_interval != s.advertised_log_interval {
            s.advertised_changes += 1;
            s.advertised_log_interval = i.log_message_interval;
        }
        if i.flags != s.flags {
            s.flag_change_count += 1;
            if s.flag_changes.len() < MAX_FLAG_CHANGES {
                s.flag_changes.push(FlagChange {
                    time_ns: t,
                    frame: i.frame,
                    from: s.flags,
                    to: i.flags,
                });
            }
            s.flags = i.flags;
        }
        let ahead = s.sequence(i.sequence_id, t, i.frame);
        if ahead == 0 {
            return;
        }
        let silence = t - s.last_ns;
        if ahead == 1 {
            if s.intervals.count() == 0 {
                // Quantiles are most precise around the reference: the
                // advertised interval, unless the stream is far from it.
                let reference = log_interval_ns(s.advertised_log_interval)
                    .filter(|&a| silence / 2 <= a && a <= silence.saturating_mul(2))
                    .unwrap_or(silence);
                s.intervals = Stats::with_reference(reference);
            }
            s.intervals.add(silence);
            s.interval_series.push((t, silence));
        }
        s.longest_silence_ns = s.longest_silence_ns.max(silence);
        let limit = s.timeout_ns(key.message_type, self.config.receipt_timeout_intervals);
        if limit.is_some_and(|l| silence > l) {
            s.timeouts += 1;
            s.event(t, i.frame, EventKind::Timeout, silence.unsigned_abs());
        }
        s.last_ns = s.last_ns.max(t);
    }

    /// Notes the Announce and Sync streams silent past their timeout at `end_ns`.
    pub fn finish(&mut self, end_ns: i64) {
        let n = self.config.receipt_timeout_intervals;
        for (k, s) in self.streams.iter_mut() {
            let silence = end_ns - s.last_ns;
            if s.timeout_ns(k.message_type, n).is_some_and(|l| silence > l) {
                s.silent_at_end_ns = Some(silence);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Analyzer, Observation};
    use super::*;

    const MS: i64 = 1_000_000;

    fn feed(a: &mut Analyzer, seqs: &[(u16, i64)], flags: &[u16]) {
        let f = frame();
        for (i, &(seq, t)) in seqs.iter().enumerate() {
            let fl = flags.get(i).copied().unwrap_or(0);
            let m = message(
                0xB,
                port(1, 1),
                seq,
                fl,
                1,
                &[ts(0, 0), vec![0; 20]].concat(),
            );
            a.frame(0, Some(t));
            a.observe(&Observation {
                point: 0,
                frame: i as u64 + 1,
                time_ns: t,
                resolution_ns: 1,
                link: &f,
                message: &m,
                content: None,
            });
        }
    }

    fn only(a: &Analyzer) -> &Stream {
        assert_eq!(a.health.streams.len(), 1);
        a.health.streams.values().next().unwrap()
    }

    #[test]
    fn gaps_duplicates_and_reordering() {
        let mut a = Analyzer::default();
        // 1, 2, 5 (gap of 2), 4 (late: reordered), 4 (duplicate), 6.
        let t = |i: i64| i * 2000 * MS;
        feed(
            &mut a,
            &[
                (1, t(0)),
                (2, t(1)),
                (5, t(4)),
                (4, t(3)),
                (4, t(3)),
                (6, t(5)),
            ],
            &[],
        );
        let s = only(&a);
        assert_eq!((s.gaps, s.reordered, s.duplicates), (1, 1, 1));
        assert_eq!(s.count, 6);
        // Intervals only between consecutive sequenceIds: 1->2 and 5->6.
        assert_eq!(s.intervals.count(), 2);
        assert_eq!(s.intervals.mean(), Some(2000.0 * MS as f64));
        assert_eq!(s.interval_series.as_slice(), &[(t(1), t(1)), (t(5), t(1))]);
        // Events in arrival order: 5 skipped two (one of which came late).
        let events: Vec<_> = s
            .events
            .iter()
            .map(|e| (e.frame, e.kind, e.count))
            .collect();
        assert_eq!(
            events,
            [
                (3, EventKind::Gap, 2),
                (4, EventKind::Reordered, 1),
                (5, EventKind::Duplicate, 1)
            ]
        );
    }

    #[test]
    fn wraparound_is_not_a_gap_and_a_big_jump_is_a_restart() {
        let mut a = Analyzer::default();
        feed(
            &mut a,
            &[
                (65534, 0),
                (65535, 2000 * MS),
                (0, 4000 * MS),
                (9000, 6000 * MS),
            ],
            &[],
        );
        let s = only(&a);
        assert_eq!((s.gaps, s.restarts), (0, 1));
        assert_eq!(s.events.len(), 1);
        assert_eq!(
            (s.events[0].kind, s.events[0].frame),
            (EventKind::Restart, 4)
        );
    }

    #[test]
    fn announce_timeouts_and_flag_changes() {
        let mut a = Analyzer::default();
        // logMessageInterval 1 (2 s): timeout after 6 s.
        feed(
            &mut a,
            &[(1, 0), (2, 2000 * MS), (3, 9000 * MS), (4, 11000 * MS)],
            &[0, 0, Flags::LEAP61, Flags::LEAP61],
        );
        a.frame(0, Some(30_000 * MS));
        a.finish();
        let s = only(&a);
        assert_eq!(s.timeouts, 1);
        assert_eq!(s.longest_silence_ns, 7000 * MS);
        assert_eq!(
            (s.events[0].kind, s.events[0].time_ns, s.events[0].count),
            (EventKind::Timeout, 9000 * MS, 7000 * MS as u64)
        );
        assert_eq!(s.flag_change_count, 1);
        assert_eq!(s.flag_changes[0].to, Flags(Flags::LEAP61));
        assert_eq!(s.silent_at_end_ns, Some(19_000 * MS));
    }
}
