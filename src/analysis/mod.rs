//! Sans-IO, push-based analysis of decoded PTP messages.
//!
//! [`Analyzer::observe`] takes one decoded message with its capture point and
//! capture time, feeds the trackers and returns the [`Measurement`] it
//! completed, if any. Nothing here reads a clock, opens a file or prints; time
//! only moves with the capture times pushed in.
//!
//! - [`inventory`]: clocks, ports and their roles, grandmasters with their
//!   Announce dataset, grandmaster changes (a running best-master choice);
//! - [`exchange`]: Sync/Follow_Up, Delay_Req/Delay_Resp, the Pdelay triplet
//!   and unicast negotiation, matched into [`Measurement`]s;
//! - [`ledger`]: the same message at several capture points: correction
//!   added per hop, source MAC and other octets changed, TC findings;
//! - [`health`]: per port and message type, intervals against the advertised
//!   logMessageInterval, sequence gaps, duplicates, reordering, timeouts and
//!   flag changes; beside it, kept by the analyzer for the same streams
//!   ([`Analyzer::corrections`]), the correctionField carried
//!   ([`correction`]);
//! - [`profile`]: each domain's profile told from the wire (transport,
//!   addresses, delay mechanism, rates, clockClasses, organization TLVs),
//!   and what the profile fixes that the wire shows otherwise;
//! - [`security`]: spoofed, replayed and rogue messages, floods, forbidden
//!   values, grandmaster flapping, time steps and asymmetry changes, as
//!   alerts with their evidence. Spoofed and replayed messages are not
//!   matched into exchanges, so no estimate rests on them.
//!
//! The trackers return plain values: capture points are [`PointId`]s and
//! findings are enums. Names, wording and the JSON schema belong to
//! [`crate::report`].
//!
//! Memory is bounded: pending exchanges are evicted after
//! [`Config::match_timeout_ns`], and the number of clocks and streams tracked
//! is capped ([`Config::max_streams`]), with overflow counted.

pub mod correction;
pub mod exchange;
pub mod health;
pub mod inventory;
pub mod ledger;
pub mod profile;
pub mod security;
pub mod stats;

use crate::wire::Message;
use crate::wire::link::PtpFrame;

pub use exchange::{DelayExchange, Measurement, PdelayExchange, SyncExchange};
pub use ledger::content_hash;

/// The trackers' hash map: foldhash, seeded per process. Keys come off the
/// wire; std's SipHash cost a quarter of the analysis time.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Whether `map` may hold `key`: it already does, or has fewer than `cap`
/// entries. The trackers count what they could not keep.
pub(crate) fn has_room<K: std::hash::Hash + Eq, V>(
    map: &HashMap<K, V>,
    key: &K,
    cap: usize,
) -> bool {
    map.len() < cap || map.contains_key(key)
}

/// The entry for `key`, made by `make` when new, unless the map is full.
pub(crate) fn capped_entry<K: std::hash::Hash + Eq, V>(
    map: &mut HashMap<K, V>,
    key: K,
    cap: usize,
    make: impl FnOnce() -> V,
) -> Option<&mut V> {
    if !has_room(map, &key, cap) {
        return None;
    }
    Some(map.entry(key).or_insert_with(make))
}

/// Places [`Table`] remembers, by the caller's hint.
const RECENT: usize = 16;

/// A map of streams for the trackers: capped like [`capped_entry`], its
/// entries kept in the order made (never removed, so a remembered place
/// stays right), with a hash index and a small cache of the latest place
/// per caller's hint (a message type, say). One message looks up one
/// stream and the streams of a port take turns, so most lookups end at one
/// key comparison, without hashing.
#[derive(Debug, Clone)]
pub struct Table<K, V> {
    entries: Vec<(K, V)>,
    index: HashMap<K, usize>,
    /// Per hint modulo [`RECENT`]: where in `entries` its last key is.
    recent: [usize; RECENT],
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            index: HashMap::default(),
            recent: [usize::MAX; RECENT],
        }
    }
}

impl<K: std::hash::Hash + Eq + Copy, V> Table<K, V> {
    /// Entries made (at most the cap given to `capped_entry`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in the order they were made.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The entry for `key`, if made.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    /// The entry for `key`, if made, looked up first at `hint`'s cache
    /// place (which it then takes).
    pub fn find(&mut self, hint: usize, key: &K) -> Option<&mut V> {
        let r = hint % RECENT;
        let last = self.recent[r];
        if self.entries.get(last).is_some_and(|(k, _)| k == key) {
            return Some(&mut self.entries[last].1);
        }
        let i = *self.index.get(key)?;
        self.recent[r] = i;
        Some(&mut self.entries[i].1)
    }

    /// The entry for `key`, made by `make` when new, unless the table
    /// holds `cap` entries; `hint` picks the cache place (any number).
    /// `key` is borrowed (copied only into a new entry): a key read from
    /// elsewhere is compared where it lies.
    pub fn capped_entry(
        &mut self,
        hint: usize,
        key: &K,
        cap: usize,
        make: impl FnOnce() -> V,
    ) -> Option<&mut V> {
        let r = hint % RECENT;
        let last = self.recent[r];
        if self.entries.get(last).is_some_and(|(k, _)| k == key) {
            return Some(&mut self.entries[last].1);
        }
        let i = match self.index.get(key) {
            Some(&i) => i,
            None if self.entries.len() >= cap => return None,
            None => {
                self.entries.push((*key, make()));
                self.index.insert(*key, self.entries.len() - 1);
                self.entries.len() - 1
            }
        };
        self.recent[r] = i;
        Some(&mut self.entries[i].1)
    }
}

/// A capture point: an index into the caller's list of point names.
pub type PointId = usize;

/// Tunables of the trackers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// A request or Sync still unanswered after this long is evicted and
    /// counted as unmatched; its answer, if it comes later, counts as late.
    pub match_timeout_ns: i64,
    /// announceReceiptTimeout and the Sync receipt timeout, in advertised
    /// intervals (§7.7.3.1; ptp4l's default 3).
    pub receipt_timeout_intervals: u8,
    /// Most clocks, ports and health streams tracked; more are counted only.
    pub max_streams: usize,
    /// Malformed messages kept with their details; more are counted only.
    pub max_errors: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            match_timeout_ns: 2_000_000_000,
            receipt_timeout_intervals: 3,
            max_streams: 10_000,
            max_errors: 1_000,
        }
    }
}

/// One decoded PTP message as seen at a capture point.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'m, 'a> {
    pub point: PointId,
    /// Frame number in its capture file (1-based).
    pub frame: u64,
    /// Capture time, ns since the Unix epoch.
    pub time_ns: i64,
    /// The capture time's resolution as the capture format states it, ns.
    pub resolution_ns: u32,
    pub link: &'m PtpFrame<'a>,
    pub message: &'m Message<'a>,
    /// [`content_hash`] of the message's octets (messageLength of them),
    /// for the ledger's comparison across points; `None` when a single
    /// capture point was known as the message was decoded (the ledger
    /// matches from the second point on).
    pub content: Option<u64>,
}

/// A malformed frame or message, kept for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedRecord {
    pub point_id: PointId,
    pub frame: u64,
    pub field: &'static str,
    pub offset: usize,
    /// The decoder's error, as it words it.
    pub message: String,
    /// Capture time, when the frame has one.
    pub time_ns: Option<i64>,
    /// A header field the message contradicts: a value the standard
    /// forbids, not a capture cut short.
    pub mismatch: Option<Mismatch>,
}

/// A header that contradicts its message (§13.3.2): an `invalid_field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    pub detail: security::Detail,
    /// majorSdoId, domainNumber and sourcePortIdentity, read from a
    /// version 2 header when the message holds one.
    pub header: Option<(u8, u8, crate::wire::PortIdentity)>,
}

/// Per capture point: frames seen and the span of their capture times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PointStats {
    pub frames: u64,
    pub ptp_messages: u64,
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
}

/// All trackers together.
#[derive(Debug)]
pub struct Analyzer {
    pub config: Config,
    pub inventory: inventory::Inventory,
    pub exchanges: exchange::Exchanges,
    pub health: health::Health,
    pub ledger: ledger::Ledger,
    pub security: security::Security,
    pub profiles: profile::Profiles,
    /// Messages per v2 messageType nibble.
    pub messages: [u64; 16],
    pub v1_messages: u64,
    pub malformed: u64,
    pub errors: Vec<MalformedRecord>,
    pub points: Vec<PointStats>,
    /// Latest capture time seen: the analysis clock.
    pub now_ns: Option<i64>,
    /// While set, what the health tracker reads of each message is queued
    /// here, for the tracker to observe on another thread (nothing else
    /// reads it before the end), instead of observed at once.
    pub health_queue: Option<Vec<health::Input>>,
    /// The correctionField each of the health tracker's streams carries,
    /// kept beside it (same keys, same messages, same cap) but on this
    /// thread: with the health tracker on the reading thread, that thread
    /// was the one the other waited for (`pipeline::threads`).
    pub corrections: Table<health::StreamKey, correction::PointCorrections>,
    /// The measurement the last [`observe_in_place`](Self::observe_in_place)
    /// completed, until taken.
    pub completed: Option<Measurement>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

impl Analyzer {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            inventory: inventory::Inventory::new(config),
            exchanges: exchange::Exchanges::new(config),
            health: health::Health::new(config),
            ledger: ledger::Ledger::new(config),
            security: security::Security::new(config.max_streams),
            profiles: profile::Profiles::default(),
            messages: [0; 16],
            v1_messages: 0,
            malformed: 0,
            errors: Vec::new(),
            points: Vec::new(),
            now_ns: None,
            health_queue: None,
            corrections: Table::default(),
            completed: None,
        }
    }

    /// Feeds the health tracker, or its queue.
    fn observe_health(&mut self, o: &Observation<'_, '_>, response_ns: Option<i64>) {
        let i = health::Input::of(o, response_ns);
        let cap = self.config.max_streams;
        if let Some(c) =
            self.corrections
                .capped_entry(i.key.message_type.index(), &i.key, cap, Default::default)
        {
            c.observe(o.message.header.correction_field.0, o.time_ns);
        }
        match &mut self.health_queue {
            Some(queue) => queue.push(i),
            None => self.health.observe(&i),
        }
    }

    fn point(&mut self, p: PointId) -> &mut PointStats {
        if self.points.len() <= p {
            self.points.resize(p + 1, PointStats::default());
        }
        &mut self.points[p]
    }

    /// Counts a frame at a point (PTP or not), moving the analysis clock.
    pub fn frame(&mut self, point: PointId, time_ns: Option<i64>) {
        let s = self.point(point);
        s.frames += 1;
        if let Some(t) = time_ns {
            s.first_ns = Some(s.first_ns.map_or(t, |f| f.min(t)));
            s.last_ns = Some(s.last_ns.map_or(t, |l| l.max(t)));
            self.now_ns = Some(self.now_ns.map_or(t, |n| n.max(t)));
        }
    }

    /// Observes one decoded v2 message; returns the measurement it completed.
    #[inline]
    pub fn observe(&mut self, o: &Observation<'_, '_>) -> Option<Measurement> {
        if self.observe_in_place(o) {
            self.completed.take()
        } else {
            None
        }
    }

    /// [`observe`](Self::observe), leaving the measurement completed, if
    /// any, in [`completed`](Self::completed) (and saying whether there is
    /// one): returning an `Option<Measurement>` copied all its octets for
    /// every message, one with a measurement or not (29 instructions a
    /// message, callgrind, steady capture).
    pub fn observe_in_place(&mut self, o: &Observation<'_, '_>) -> bool {
        self.profiles.observe(o);
        self.point(o.point).ptp_messages += 1;
        let h = &o.message.header;
        self.messages[h.message_type.index()] += 1;
        let now = self.now_ns.map_or(o.time_ns, |n| n.max(o.time_ns));
        let verdict = self.security.observe(o);
        self.inventory.observe(o, now);
        for (sdo, domain, t) in self.inventory.recent_changes.drain(..) {
            self.security.grandmaster_change(sdo, domain, t);
        }
        // Spoofed and replayed messages make no exchange, hence no
        // estimate, and are not the stream's: its health is the genuine
        // sender's (the security findings say what else came).
        match verdict {
            security::Verdict::Genuine => {}
            security::Verdict::Suspect => {
                self.observe_health(o, None);
                self.ledger.observe(o, now);
                return false;
            }
            _ => {
                self.ledger.observe(o, now);
                return false;
            }
        }
        let outcome = self.exchanges.observe(o, now);
        self.observe_health(o, outcome.response_ns);
        self.ledger.observe(o, now);
        match outcome.measurement {
            Some(m) => {
                self.security.measurement(&m);
                self.completed = Some(m);
                true
            }
            None => false,
        }
    }

    /// How many capture points the inputs have (so far): the ledger
    /// matches messages across points once there are two.
    pub fn set_point_count(&mut self, n: usize) {
        self.ledger.point_count = self.ledger.point_count.max(n);
    }

    /// Counts a PTPv1 message (reported, not analyzed).
    pub fn observe_v1(&mut self, point: PointId) {
        self.point(point).ptp_messages += 1;
        self.v1_messages += 1;
    }

    /// Records a malformed message or frame.
    pub fn malformed(&mut self, record: MalformedRecord) {
        self.point(record.point_id).ptp_messages += 1;
        self.security.mismatch(&record);
        self.malformed += 1;
        if self.errors.len() < self.config.max_errors {
            self.errors.push(record);
        }
    }

    /// Messages not tracked because a table was full (bounded memory).
    pub fn untracked(&self) -> u64 {
        self.inventory.untracked
            + self.health.untracked
            + self.exchanges.dropped
            + self.ledger.untracked
            + self.profiles.untracked
    }

    /// Ends the analysis at the latest capture time: what is still pending
    /// is unmatched, streams silent since before the end are noted.
    pub fn finish(&mut self) {
        if let Some(now) = self.now_ns {
            self.exchanges.finish();
            self.health.finish(now);
        }
        self.security.finish();
    }
}

/// A nanosecond duration for log2 seconds, as in logMessageInterval;
/// `None` outside ±30 (0x7F means "not applicable").
pub fn log_interval_ns(log: i8) -> Option<i64> {
    match log {
        0..=30 => Some(1_000_000_000i64 << log),
        -30..=-1 => Some(1_000_000_000i64 >> -log),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Builders of real-format messages for the trackers' unit tests.

    use crate::wire::link::PtpFrame;
    use crate::wire::{ClockIdentity, Message, PortIdentity, Ptp};

    pub fn port(last: u8, n: u16) -> PortIdentity {
        PortIdentity {
            clock_identity: ClockIdentity([2, 0, 0, 0xff, 0xfe, 0, 0, last]),
            port_number: n,
        }
    }

    /// Decodes hand-built bytes: header fields then the body bytes.
    pub fn message(
        t: u8,
        src: PortIdentity,
        seq: u16,
        flags: u16,
        log: i8,
        body: &[u8],
    ) -> Message<'static> {
        let mut b = vec![t, 2, 0, 0, 0, 0];
        b.extend_from_slice(&flags.to_be_bytes());
        b.extend_from_slice(&[0; 12]);
        src.emit(&mut b);
        b.extend_from_slice(&seq.to_be_bytes());
        b.push(0);
        b.push(log as u8);
        b.extend_from_slice(body);
        let len = b.len() as u16;
        b[2..4].copy_from_slice(&len.to_be_bytes());
        let b: &'static [u8] = Vec::leak(b);
        match crate::wire::decode(b) {
            Ok(Ptp::V2(m)) => m,
            other => panic!("test message does not decode: {other:?}"),
        }
    }

    pub fn with_correction(mut m: Message<'static>, scaled: i64) -> Message<'static> {
        m.header.correction_field = crate::wire::Correction(scaled);
        m
    }

    pub fn ts(s: u64, ns: u32) -> Vec<u8> {
        let mut v = s.to_be_bytes()[2..].to_vec();
        v.extend_from_slice(&ns.to_be_bytes());
        v
    }

    pub fn frame() -> PtpFrame<'static> {
        PtpFrame::bare(crate::wire::link::Transport::L2)
    }

    /// Observes `m` over link `f` at point 0, frame 1, capture time `t`.
    pub fn see(
        a: &mut super::Analyzer,
        m: &Message<'static>,
        f: &PtpFrame<'static>,
        t: i64,
    ) -> Option<super::Measurement> {
        a.frame(0, Some(t));
        a.observe(&super::Observation {
            point: 0,
            frame: 1,
            time_ns: t,
            resolution_ns: 1,
            link: f,
            message: m,
            content: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn capped_tables_keep_known_keys_and_refuse_new_ones() {
        let mut m: HashMap<u32, u32> = HashMap::default();
        for k in 0..3 {
            *capped_entry(&mut m, k, 3, || 0).unwrap() += 1;
        }
        assert!(capped_entry(&mut m, 9, 3, || 0).is_none());
        assert!(has_room(&m, &1, 3) && !has_room(&m, &9, 3));
        *capped_entry(&mut m, 1, 3, || 0).unwrap() += 1;
        assert_eq!(m[&1], 2);
    }

    #[test]
    fn a_table_finds_its_entries_by_cache_or_index_and_keeps_its_cap() {
        let mut t: Table<u32, u32> = Table::default();
        // Keys taking turns under one hint, and under several.
        for round in 1..=3u32 {
            for (hint, k) in [(0, 7), (0, 8), (5, 7), (0, 9), (21, 7)] {
                *t.capped_entry(hint, &k, 3, || 0).unwrap() += 1;
            }
            assert_eq!(t.get(&7), Some(&(3 * round)));
            assert_eq!(t.get(&8), Some(&round));
            assert_eq!(t.get(&9), Some(&round));
        }
        assert!(t.capped_entry(1, &10, 3, || 0).is_none());
        assert_eq!(t.len(), 3);
        // find: by the cache (hint 0 last held 9), by the index, or none.
        assert_eq!(t.find(0, &9).copied(), Some(3));
        assert_eq!(t.find(0, &8).copied(), Some(3));
        assert_eq!(t.find(0, &8).copied(), Some(3));
        assert!(t.find(0, &10).is_none());
        assert_eq!(t.find(0, &8).copied(), Some(3));
        assert_eq!(t.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [7, 8, 9]);
    }

    #[test]
    fn more_senders_than_the_cap_are_counted_not_tracked() {
        let mut a = Analyzer::new(Config {
            max_streams: 4,
            ..Config::default()
        });
        let f = frame();
        for clock in 0..10u8 {
            let m = message(0x1, port(clock, 1), 1, 0, 0x7f, &ts(0, 0));
            a.frame(0, Some(1));
            a.observe(&Observation {
                point: 0,
                frame: 1,
                time_ns: 1,
                resolution_ns: 1,
                link: &f,
                message: &m,
                content: None,
            });
        }
        assert_eq!(a.health.streams.len(), 4);
        // The correctionField is kept for the same four streams.
        let corrected: Vec<_> = a.corrections.iter().map(|(k, _)| *k).collect();
        let tracked: Vec<_> = a.health.streams.iter().map(|(k, _)| *k).collect();
        assert_eq!(corrected, tracked);
        assert_eq!(a.health.untracked, 6);
        assert_eq!(a.inventory.untracked, 6);
        assert!(a.untracked() >= 12);
    }
}
