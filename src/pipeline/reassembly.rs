//! IP fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5, RFC 5722) for the
//! UDP datagrams that carry PTP, in bounded memory: at most
//! [`Limits::datagrams`] datagrams and [`Limits::bytes`] octets pending, a
//! datagram abandoned [`Limits::timeout_ns`] of capture time after its first
//! fragment, and a datagram whose fragments overlap or disagree on its
//! length rejected whole. Every datagram that could not be reassembled is
//! counted with its reason in [`FragmentCounts`].

use std::collections::VecDeque;
use std::net::IpAddr;

use crate::analysis::PointId;
use crate::wire::link::Fragment;
use crate::wire::tunnel::Encapsulations;

/// The largest IP payload a datagram can have (IPv4's 16-bit total length;
/// IPv6 jumbograms cannot be fragmented).
const MAX_DATAGRAM: usize = 65_535;

/// How much reassembly may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Datagrams pending at once; the oldest is evicted for a new one.
    pub datagrams: usize,
    /// Octets pending at once, all datagrams together.
    pub bytes: usize,
    /// Capture time after a datagram's first fragment at which it is
    /// abandoned, ns (Linux's ipfrag_time default: 30 s).
    pub timeout_ns: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            datagrams: 64,
            bytes: 1 << 20,
            timeout_ns: 30_000_000_000,
        }
    }
}

/// Fragments seen and what became of their datagrams.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FragmentCounts {
    /// Frames holding a fragment of a UDP datagram.
    pub fragments: u64,
    /// Datagrams reassembled whole.
    pub reassembled: u64,
    /// Fragments received twice, identical: ignored.
    pub duplicate_fragments: u64,
    /// Fragments of a datagram already reassembled or given up (counted
    /// once, with its reason): ignored.
    pub late_fragments: u64,
    /// Datagrams not reassembled: no fragment completed them within the
    /// timeout.
    pub timed_out: u64,
    /// … fragments overlapped with different octets (RFC 5722).
    pub overlapping: u64,
    /// … fragments disagreed on the datagram's length, or a fragment
    /// before the last was not a multiple of 8 octets.
    pub inconsistent: u64,
    /// … the datagram would exceed 65,535 octets or
    /// [`MAX_FRAGMENTS`] fragments.
    pub too_large: u64,
    /// … evicted to stay within the limits.
    pub evicted: u64,
    /// … still incomplete at the end of the capture.
    pub incomplete: u64,
}

impl FragmentCounts {
    /// Datagrams that were not reassembled, for any reason.
    pub fn failed(&self) -> u64 {
        self.timed_out
            + self.overlapping
            + self.inconsistent
            + self.too_large
            + self.evicted
            + self.incomplete
    }

    /// The reasons with their counts, those that happened.
    pub fn reasons(&self) -> impl Iterator<Item = (&'static str, u64)> {
        [
            ("timed out", self.timed_out),
            ("overlapping", self.overlapping),
            ("inconsistent", self.inconsistent),
            ("too large", self.too_large),
            ("evicted", self.evicted),
            ("incomplete at the end", self.incomplete),
        ]
        .into_iter()
        .filter(|&(_, n)| n > 0)
    }
}

/// The most fragments one datagram may have: enough for 65,535 octets in
/// 1,280-octet IPv6 fragments with room to spare, and a bound on the work
/// a datagram of tiny fragments costs.
pub const MAX_FRAGMENTS: usize = 128;
/// Datagrams remembered after they ended, so that their stray fragments are
/// not taken for new datagrams.
const TOMBSTONES: usize = 256;

/// A datagram: where it was seen, through which encapsulations (the same
/// datagram mirrored in two sessions is two), its addresses and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    point: PointId,
    encapsulations: Encapsulations,
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    id: u32,
}

#[derive(Debug)]
struct Pending {
    key: Key,
    first_ns: Option<i64>,
    data: Vec<u8>,
    /// Octet ranges received, in arrival order.
    have: Vec<(usize, usize)>,
    /// The datagram's length, once its last fragment came.
    total: Option<usize>,
}

impl Pending {
    fn complete(&mut self) -> bool {
        let Some(total) = self.total else {
            return false;
        };
        self.have.sort_unstable();
        let mut reached = 0;
        for &(s, e) in &self.have {
            if s > reached {
                return false;
            }
            reached = reached.max(e);
        }
        reached >= total
    }
}

/// Datagrams being reassembled.
#[derive(Debug, Default)]
pub struct Reassembler {
    limits: Limits,
    pending: Vec<Pending>,
    bytes: usize,
    /// Datagrams that ended (reassembled or given up) and when.
    ended: VecDeque<(Key, Option<i64>)>,
    /// The last datagram reassembled.
    done: Vec<u8>,
    pub counts: FragmentCounts,
}

enum Outcome {
    Keep,
    Reject(fn(&mut FragmentCounts) -> &mut u64),
    Duplicate,
}

impl Reassembler {
    pub fn new(limits: Limits) -> Self {
        Reassembler {
            limits,
            ..Default::default()
        }
    }

    /// Adds a fragment seen at `point` at capture time `time_ns`; true when
    /// it completed its datagram ([`Reassembler::datagram`]).
    pub fn add(&mut self, point: PointId, time_ns: Option<i64>, f: &Fragment<'_>) -> bool {
        self.add_inner(point, time_ns, f).is_some()
    }

    /// The last datagram reassembled: UDP header and data.
    pub fn datagram(&self) -> &[u8] {
        &self.done
    }

    fn add_inner(&mut self, point: PointId, time_ns: Option<i64>, f: &Fragment<'_>) -> Option<()> {
        self.counts.fragments += 1;
        if let Some(now) = time_ns {
            self.expire(now);
        }
        let key = Key {
            point,
            encapsulations: f.frame.encapsulations,
            src: f.frame.src_ip,
            dst: f.frame.dst_ip,
            id: f.id,
        };
        if self.ended.iter().any(|(k, _)| *k == key) {
            self.counts.late_fragments += 1;
            return None;
        }
        let i = match self.pending.iter().position(|p| p.key == key) {
            Some(i) => i,
            None => {
                self.make_room(0, time_ns);
                self.pending.push(Pending {
                    key,
                    first_ns: time_ns,
                    data: Vec::new(),
                    have: Vec::new(),
                    total: None,
                });
                self.pending.len() - 1
            }
        };
        let (start, end) = (f.offset, f.offset + f.data.len());
        match check(&self.pending[i], f, start, end) {
            Outcome::Duplicate => {
                self.counts.duplicate_fragments += 1;
                return None;
            }
            Outcome::Reject(reason) => {
                *reason(&mut self.counts) += 1;
                self.end(i, time_ns);
                return None;
            }
            Outcome::Keep => {}
        }
        let grow = end.saturating_sub(self.pending[i].data.len());
        if self.bytes + grow > self.limits.bytes {
            self.make_room(grow, time_ns);
            // Evicted itself when it alone is over the limit.
            let j = self.pending.iter().position(|p| p.key == key)?;
            return self.insert(j, f, start, end, grow, time_ns);
        }
        self.insert(i, f, start, end, grow, time_ns)
    }

    fn insert(
        &mut self,
        i: usize,
        f: &Fragment<'_>,
        start: usize,
        end: usize,
        grow: usize,
        time_ns: Option<i64>,
    ) -> Option<()> {
        let p = &mut self.pending[i];
        if grow > 0 {
            p.data.resize(end, 0);
            self.bytes += grow;
        }
        p.data[start..end].copy_from_slice(f.data);
        p.have.push((start, end));
        if !f.more {
            p.total = Some(end);
        }
        if !p.complete() {
            return None;
        }
        let total = p.total.unwrap_or(0);
        self.bytes -= p.data.len();
        self.done = std::mem::take(&mut p.data);
        self.done.truncate(total);
        self.end(i, time_ns);
        self.counts.reassembled += 1;
        Some(())
    }

    /// Ends pending datagram `i` (reassembled or given up, already
    /// counted): its octets are freed and its key remembered.
    fn end(&mut self, i: usize, time_ns: Option<i64>) {
        let p = self.pending.remove(i);
        self.bytes -= p.data.len();
        if self.ended.len() == TOMBSTONES {
            self.ended.pop_front();
        }
        self.ended.push_back((p.key, time_ns.or(p.first_ns)));
    }

    /// Evicts the oldest datagrams until a new one fits (`grow` 0) or
    /// `grow` more octets do.
    fn make_room(&mut self, grow: usize, time_ns: Option<i64>) {
        loop {
            let over = if grow == 0 {
                self.pending.len() >= self.limits.datagrams
            } else {
                self.bytes + grow > self.limits.bytes
            };
            if !over || self.pending.is_empty() {
                return;
            }
            self.counts.evicted += 1;
            self.end(0, time_ns);
        }
    }

    fn expire(&mut self, now: i64) {
        let timeout = self.limits.timeout_ns;
        let old = |t: Option<i64>| t.is_some_and(|t| now.saturating_sub(t) > timeout);
        while let Some(i) = self.pending.iter().position(|p| old(p.first_ns)) {
            self.counts.timed_out += 1;
            self.end(i, Some(now));
        }
        // A datagram's stray fragments are ignored for one timeout after
        // it ended; the id may then be used again.
        self.ended.retain(|&(_, t)| !old(t));
    }

    /// At the end of the capture: what is still pending is incomplete.
    pub fn finish(&mut self) {
        self.counts.incomplete += self.pending.len() as u64;
        self.pending.clear();
        self.bytes = 0;
    }
}

/// Whether fragment `f`, octets `start..end`, fits what `p` holds.
fn check(p: &Pending, f: &Fragment<'_>, start: usize, end: usize) -> Outcome {
    if end > MAX_DATAGRAM || p.have.len() >= MAX_FRAGMENTS {
        return Outcome::Reject(|c| &mut c.too_large);
    }
    if f.more && (!f.data.len().is_multiple_of(8) || f.data.is_empty()) {
        return Outcome::Reject(|c| &mut c.inconsistent);
    }
    match (p.total, f.more) {
        (Some(t), false) if t != end => return Outcome::Reject(|c| &mut c.inconsistent),
        (Some(t), true) if end > t => return Outcome::Reject(|c| &mut c.inconsistent),
        (None, false) if p.have.iter().any(|&(_, e)| e > end) => {
            return Outcome::Reject(|c| &mut c.inconsistent);
        }
        _ => {}
    }
    for &(s, e) in &p.have {
        if start < e && s < end {
            if (s, e) == (start, end) && p.data[s..e] == *f.data {
                return Outcome::Duplicate;
            }
            return Outcome::Reject(|c| &mut c.overlapping);
        }
    }
    Outcome::Keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::link::{PtpFrame, Transport};

    fn frag(id: u32, offset: usize, more: bool, data: &[u8]) -> Fragment<'_> {
        let mut frame = PtpFrame::bare(Transport::Udp4);
        frame.src_ip = Some("192.0.2.1".parse().unwrap());
        frame.dst_ip = Some("192.0.2.2".parse().unwrap());
        Fragment {
            frame,
            id,
            offset,
            more,
            data,
            data_offset: 0,
        }
    }

    fn datagram(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn in_any_order() {
        let d = datagram(40);
        let mut r = Reassembler::new(Limits::default());
        assert!(!r.add(0, Some(0), &frag(1, 16, true, &d[16..32])));
        assert!(!r.add(0, Some(1), &frag(1, 32, false, &d[32..])));
        // The same fragment again: a harmless duplicate.
        assert!(!r.add(0, Some(1), &frag(1, 32, false, &d[32..])));
        assert!(r.add(0, Some(2), &frag(1, 0, true, &d[..16])));
        assert_eq!(r.datagram(), &d[..]);
        assert_eq!(
            r.counts,
            FragmentCounts {
                fragments: 4,
                reassembled: 1,
                duplicate_fragments: 1,
                ..Default::default()
            }
        );
        assert_eq!(r.bytes, 0);
    }

    #[test]
    fn same_id_at_other_points_or_addresses_is_another_datagram() {
        let d = datagram(16);
        let mut r = Reassembler::new(Limits::default());
        assert!(!r.add(0, Some(0), &frag(1, 0, true, &d[..8])));
        assert!(!r.add(1, Some(0), &frag(1, 8, false, &d[8..])));
        let mut other = frag(1, 8, false, &d[8..]);
        other.frame.src_ip = Some("192.0.2.9".parse().unwrap());
        assert!(!r.add(0, Some(0), &other));
        assert!(r.add(0, Some(0), &frag(1, 8, false, &d[8..])));
        assert_eq!(r.datagram(), &d[..]);
        r.finish();
        assert_eq!((r.counts.reassembled, r.counts.incomplete), (1, 2));
    }

    #[test]
    fn overlapping_and_inconsistent_fragments_reject_the_datagram() {
        let d = datagram(48);
        let mut r = Reassembler::new(Limits::default());
        r.add(0, Some(0), &frag(1, 0, true, &d[..24]));
        // Octets 16..32 again, with different contents (a Teardrop-like
        // overlap): the whole datagram goes, and so do its later fragments.
        let mut evil = d[16..32].to_vec();
        evil[0] ^= 0xff;
        assert!(!r.add(0, Some(1), &frag(1, 16, true, &evil)));
        assert!(!r.add(0, Some(2), &frag(1, 24, false, &d[24..])));
        // Two last fragments that disagree on the length.
        r.add(0, Some(3), &frag(2, 8, false, &d[8..24]));
        assert!(!r.add(0, Some(4), &frag(2, 8, false, &d[8..32])));
        // A fragment before the last that is not a multiple of 8 octets.
        assert!(!r.add(0, Some(5), &frag(3, 0, true, &d[..12])));
        // Beyond 65,535 octets.
        assert!(!r.add(0, Some(6), &frag(4, 65_528, true, &d[..8])));
        assert_eq!(r.counts.overlapping, 1);
        assert_eq!(r.counts.inconsistent, 2);
        assert_eq!(r.counts.too_large, 1);
        assert_eq!(r.counts.reassembled, 0);
        r.finish();
        assert_eq!(r.counts.incomplete, 0);
        assert_eq!(r.counts.failed(), 4);
    }

    #[test]
    fn memory_stays_within_its_limits() {
        let d = datagram(1024);
        let limits = Limits {
            datagrams: 4,
            bytes: 3000,
            timeout_ns: 1_000,
        };
        let mut r = Reassembler::new(limits);
        // 10 datagrams whose last fragment never comes.
        for id in 0..10 {
            r.add(0, Some(0), &frag(id, 0, true, &d));
            assert!(r.pending.len() <= 4 && r.bytes <= 3000);
        }
        assert_eq!(r.counts.evicted, 8);
        // Past the timeout the rest expire on the next fragment.
        r.add(0, Some(2_000), &frag(99, 0, true, &d[..8]));
        assert_eq!(r.counts.timed_out, 2);
        r.finish();
        assert_eq!(r.counts.incomplete, 1);
        assert_eq!(r.counts.failed(), 11);
        // A datagram larger than the byte limit alone is evicted, not kept.
        let big = datagram(4096);
        let mut r = Reassembler::new(limits);
        assert!(!r.add(0, Some(0), &frag(1, 0, true, &big)));
        assert_eq!((r.counts.evicted, r.bytes), (1, 0));
    }

    #[test]
    fn one_datagram_mirrored_in_two_sessions_is_two_datagrams() {
        use crate::wire::tunnel::Encapsulation;
        let d = datagram(16);
        let mut r = Reassembler::new(Limits::default());
        let in_session = |session, f: Fragment<'static>| {
            let mut f = f;
            let mut e = Encapsulations::default();
            e.push(Encapsulation::ErspanII { session }, 0).unwrap();
            f.frame.encapsulations = e;
            f
        };
        let d: &'static [u8] = Box::leak(d.into_boxed_slice());
        assert!(!r.add(0, Some(0), &in_session(1, frag(7, 0, true, &d[..8]))));
        assert!(!r.add(0, Some(0), &in_session(2, frag(7, 0, true, &d[..8]))));
        assert!(r.add(0, Some(0), &in_session(1, frag(7, 8, false, &d[8..]))));
        assert!(r.add(0, Some(0), &in_session(2, frag(7, 8, false, &d[8..]))));
        assert_eq!(r.counts.reassembled, 2);
        assert_eq!(r.counts.duplicate_fragments, 0);
    }

    #[test]
    fn each_datagram_is_counted_once_under_eviction() {
        // 65 datagrams of 3 fragments, interleaved, through room for 64.
        let d = datagram(24);
        let mut r = Reassembler::new(Limits::default());
        for (offset, more) in [(0, true), (8, true), (16, false)] {
            for id in 0..65 {
                r.add(0, Some(0), &frag(id, offset, more, &d[offset..offset + 8]));
            }
        }
        r.finish();
        let c = r.counts;
        assert_eq!(c.reassembled + c.failed(), 65, "{c:?}");
        // The first was evicted by the 65th; its two later fragments are
        // ignored, not a new datagram.
        assert_eq!((c.reassembled, c.evicted, c.late_fragments), (64, 1, 2));
    }

    proptest::proptest! {
        /// Any sequence of fragments: no panic, and the limits hold after
        /// every one; each datagram ends reassembled or counted.
        #[test]
        fn any_fragments_stay_within_the_limits(
            frags in proptest::collection::vec(
                (0u32..6, 0usize..40, proptest::bool::ANY, 0usize..64, 0i64..5_000),
                0..200,
            )
        ) {
            let limits = Limits { datagrams: 3, bytes: 600, timeout_ns: 2_000 };
            let mut r = Reassembler::new(limits);
            let data = datagram(512);
            let mut t = 0;
            for (id, block, more, len, dt) in frags {
                t += dt;
                let (start, len) = (block * 8, if more { len / 8 * 8 } else { len });
                let end = (start + len).min(data.len());
                let f = frag(id, start, more, &data[start.min(end)..end]);
                if r.add(0, Some(t), &f) {
                    proptest::prop_assert!(r.datagram().len() <= 512);
                }
                proptest::prop_assert!(r.pending.len() <= 3 && r.bytes <= 600);
                proptest::prop_assert_eq!(r.bytes, r.pending.iter().map(|p| p.data.len()).sum::<usize>());
            }
            r.finish();
            proptest::prop_assert_eq!(r.bytes, 0);
        }
    }
}
