//! Who is on the network: clocks and ports per majorSdoId and domainNumber,
//! what each port sends (hence its role), and the grandmasters announced
//! in Announce messages (IEEE 1588-2019 §13.5), chosen among as the best
//! master clock algorithm's dataset comparison does (§9.3.4).
//!
//! Roles come from what a port sends: Announce, Sync, Follow_Up or
//! Delay_Resp make it a master; Delay_Req or a unicast REQUEST a slave;
//! only Pdelay messages, a peer-delay port (a P2P transparent clock, or a
//! port not in master or slave state). A port seen doing both over the
//! capture is reported with both roles.
//!
//! The current grandmaster of a domain is the best of the grandmasters
//! announced by ports heard within their announce receipt timeout, compared
//! as the dataset comparison of §9.3.4 does (priority1, clockClass,
//! clockAccuracy, offsetScaledLogVariance, priority2, identity, then
//! stepsRemoved). A change of that choice is a grandmaster change.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::Bound;

use super::HashMap;
use super::{Config, Observation, Table, has_room, log_interval_ns};
use crate::wire::link::Mac;
use crate::wire::tlv::TlvBody;
use crate::wire::{Body, ClockIdentity, ClockQuality, Flags, MessageType, PortIdentity};

/// Addresses kept per port (more are counted).
const MAX_ADDRESSES: usize = 4;
/// Grandmaster changes kept (more are counted).
const MAX_CHANGES: usize = 1000;

/// A grandmaster as its Announce messages describe it (§13.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub grandmaster_identity: ClockIdentity,
    pub priority1: u8,
    pub clock_class: u8,
    pub clock_accuracy: u8,
    pub offset_scaled_log_variance: u16,
    pub priority2: u8,
    pub steps_removed: u16,
    pub time_source: u8,
    pub current_utc_offset: i16,
    pub current_utc_offset_valid: bool,
    pub leap61: bool,
    pub leap59: bool,
    pub ptp_timescale: bool,
    pub time_traceable: bool,
    pub frequency_traceable: bool,
    /// The PATH_TRACE TLV's clock identities, when present.
    pub path_trace: Option<Vec<ClockIdentity>>,
}

impl Dataset {
    /// The §9.3.4 comparison key: smaller is better.
    fn rank(&self) -> (u8, u8, u8, u16, u8, ClockIdentity, u16) {
        (
            self.priority1,
            self.clock_class,
            self.clock_accuracy,
            self.offset_scaled_log_variance,
            self.priority2,
            self.grandmaster_identity,
            self.steps_removed,
        )
    }

    fn from_announce(o: &Observation<'_, '_>, a: &crate::wire::message::Announce) -> Self {
        let f = o.message.header.flags;
        let path_trace = o.message.tlvs().flatten().find_map(|t| match t.body {
            TlvBody::PathTrace { path_sequence } => Some(
                path_sequence
                    .chunks_exact(8)
                    .map(|c| {
                        let mut id = [0; 8];
                        id.copy_from_slice(c);
                        ClockIdentity(id)
                    })
                    .collect(),
            ),
            _ => None,
        });
        let ClockQuality {
            clock_class,
            clock_accuracy,
            offset_scaled_log_variance,
        } = a.grandmaster_clock_quality;
        Self {
            grandmaster_identity: a.grandmaster_identity,
            priority1: a.grandmaster_priority1,
            clock_class,
            clock_accuracy,
            offset_scaled_log_variance,
            priority2: a.grandmaster_priority2,
            steps_removed: a.steps_removed,
            time_source: a.time_source,
            current_utc_offset: a.current_utc_offset,
            current_utc_offset_valid: f.contains(Flags::CURRENT_UTC_OFFSET_VALID),
            leap61: f.contains(Flags::LEAP61),
            leap59: f.contains(Flags::LEAP59),
            ptp_timescale: f.contains(Flags::PTP_TIMESCALE),
            time_traceable: f.contains(Flags::TIME_TRACEABLE),
            frequency_traceable: f.contains(Flags::FREQUENCY_TRACEABLE),
            path_trace,
        }
    }
}

/// One port of a clock.
#[derive(Debug, Clone, Default)]
pub struct Port {
    /// Messages sent, per messageType nibble.
    pub sent: [u64; 16],
    pub unicast_requests: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    pub macs: Vec<Mac>,
    pub ips: Vec<IpAddr>,
    pub more_addresses: bool,
    /// Bit p: seen at capture point p (points 0..64).
    pub points: u64,
}

/// What a port's messages show it doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Sends Announce, Sync, Follow_Up or Delay_Resp.
    Master,
    /// Sends Delay_Req or requests unicast transmission.
    Slave,
    /// Sends only Pdelay messages: a P2P transparent clock, or a port in
    /// neither master nor slave state.
    PeerDelayOnly,
    /// Sends only Management messages.
    Management,
    Unknown,
}

impl Port {
    /// Its roles, from what the port sent.
    pub fn roles(&self) -> Vec<Role> {
        let sent = |t: MessageType| self.sent[usize::from(t.0)] > 0;
        let master = sent(MessageType::ANNOUNCE)
            || sent(MessageType::SYNC)
            || sent(MessageType::FOLLOW_UP)
            || sent(MessageType::DELAY_RESP);
        let slave = sent(MessageType::DELAY_REQ) || self.unicast_requests > 0;
        let pdelay = sent(MessageType::PDELAY_REQ) || sent(MessageType::PDELAY_RESP);
        let mut v = Vec::new();
        if master {
            v.push(Role::Master);
        }
        if slave {
            v.push(Role::Slave);
        }
        if v.is_empty() && pdelay {
            v.push(Role::PeerDelayOnly);
        }
        if v.is_empty() && sent(MessageType::MANAGEMENT) {
            v.push(Role::Management);
        }
        if v.is_empty() {
            v.push(Role::Unknown);
        }
        v
    }
}

/// One clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    pub ports: BTreeMap<u16, Port>,
}

/// A grandmaster seen in Announce messages.
#[derive(Debug, Clone)]
pub struct Grandmaster {
    /// The latest dataset announced for it.
    pub dataset: Dataset,
    pub announces: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    /// Ports that announced it (at most [`MAX_ADDRESSES`] × 4).
    pub announced_by: Vec<PortIdentity>,
}

#[derive(Debug, Clone)]
struct Announcer {
    dataset: Dataset,
    last_ns: i64,
    timeout_ns: i64,
}

/// Why a domain's best grandmaster changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GmChangeReason {
    /// The domain's first grandmaster.
    First,
    /// A better one was announced.
    Better,
    /// The previous one now announces a worse dataset than another.
    Worse,
    /// The previous one fell silent past its announce receipt timeout.
    Timeout,
    /// One is announced again after the previous one timed out and the
    /// domain was left without a grandmaster.
    AfterTimeout,
}

/// Dataset fields whose change in mid-capture matters (§7.6, §13.5).
pub mod changed {
    pub const CURRENT_UTC_OFFSET: u16 = 1;
    pub const CURRENT_UTC_OFFSET_VALID: u16 = 1 << 1;
    pub const LEAP61: u16 = 1 << 2;
    pub const LEAP59: u16 = 1 << 3;
    pub const PTP_TIMESCALE: u16 = 1 << 4;
    pub const TIME_TRACEABLE: u16 = 1 << 5;
    pub const FREQUENCY_TRACEABLE: u16 = 1 << 6;
    pub const CLOCK_CLASS: u16 = 1 << 7;
    pub const CLOCK_ACCURACY: u16 = 1 << 8;
    pub const TIME_SOURCE: u16 = 1 << 9;
}

#[cfg(test)]
impl Dataset {
    /// A GNSS-locked grandmaster on the PTP timescale announcing
    /// currentUtcOffset 37, valid, no leap flag: tests' starting point.
    pub(crate) fn example() -> Self {
        Dataset {
            grandmaster_identity: ClockIdentity([1; 8]),
            priority1: 128,
            clock_class: 6,
            clock_accuracy: 0x21,
            offset_scaled_log_variance: 0x4e5d,
            priority2: 128,
            steps_removed: 0,
            time_source: 0x20,
            current_utc_offset: 37,
            current_utc_offset_valid: true,
            leap61: false,
            leap59: false,
            ptp_timescale: true,
            time_traceable: true,
            frequency_traceable: true,
            path_trace: None,
        }
    }
}

/// Whether UTC midnight `midnight_ns` (ns since 1970, UTC's count) begins a
/// month: the midnights a leap second can end a day at (IERS, Bulletin C).
pub fn begins_month(midnight_ns: i64) -> bool {
    chrono::DateTime::from_timestamp(midnight_ns.div_euclid(1_000_000_000), 0)
        .is_some_and(|d| chrono::Datelike::day(&d) == 1)
}

/// A change of what one port announces of one grandmaster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetChange {
    pub time_ns: i64,
    pub frame: u64,
    pub major_sdo_id: u8,
    pub domain: u8,
    pub port: PortIdentity,
    pub grandmaster: ClockIdentity,
    /// [`changed`] bits.
    pub fields: u16,
    pub from: Dataset,
    pub to: Dataset,
}

impl Dataset {
    /// The [`changed`] bits of `self` against `other`.
    pub fn changed_from(&self, other: &Dataset) -> u16 {
        use changed::*;
        let mut f = 0;
        for (bit, differ) in [
            (
                CURRENT_UTC_OFFSET,
                self.current_utc_offset != other.current_utc_offset,
            ),
            (
                CURRENT_UTC_OFFSET_VALID,
                self.current_utc_offset_valid != other.current_utc_offset_valid,
            ),
            (LEAP61, self.leap61 != other.leap61),
            (LEAP59, self.leap59 != other.leap59),
            (PTP_TIMESCALE, self.ptp_timescale != other.ptp_timescale),
            (TIME_TRACEABLE, self.time_traceable != other.time_traceable),
            (
                FREQUENCY_TRACEABLE,
                self.frequency_traceable != other.frequency_traceable,
            ),
            (CLOCK_CLASS, self.clock_class != other.clock_class),
            (CLOCK_ACCURACY, self.clock_accuracy != other.clock_accuracy),
            (TIME_SOURCE, self.time_source != other.time_source),
        ] {
            if differ {
                f |= bit;
            }
        }
        f
    }
}

/// A change of a domain's best grandmaster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GmChange {
    pub time_ns: i64,
    pub major_sdo_id: u8,
    pub domain: u8,
    pub from: Option<ClockIdentity>,
    pub to: Option<ClockIdentity>,
    pub reason: GmChangeReason,
}

/// Clocks and grandmasters of one majorSdoId and domain.
#[derive(Debug, Clone, Default)]
pub struct Domain {
    pub grandmasters: BTreeMap<ClockIdentity, Grandmaster>,
    announcers: HashMap<PortIdentity, Announcer>,
    pub current: Option<ClockIdentity>,
    /// Whether the domain ever had a grandmaster.
    had_grandmaster: bool,
    /// When the first of its announcers times out (none: no announcer),
    /// as of the last choice.
    expiry_ns: Option<i64>,
}

/// The inventory.
#[derive(Debug)]
pub struct Inventory {
    config: Config,
    pub domains: BTreeMap<(u8, u8), Domain>,
    /// Every port, by (majorSdoId, domain, identity): one lookup per message.
    ports: Table<(u8, u8, PortIdentity), Port>,
    pub changes: Vec<GmChange>,
    pub change_count: u64,
    /// Changes from one grandmaster (or none) to another since the caller
    /// last drained it, not counting a domain's first: (majorSdoId,
    /// domain, time).
    pub recent_changes: Vec<(u8, u8, i64)>,
    /// What a port announces of its grandmaster, changed mid-capture: the
    /// first [`MAX_CHANGES`], all counted.
    pub dataset_changes: Vec<DatasetChange>,
    pub dataset_change_count: u64,
    /// Messages from ports beyond [`Config::max_streams`].
    pub untracked: u64,
    last_check_ns: i64,
    /// At most the earliest [`Domain::expiry_ns`]: until then no
    /// announcer times out, and a choice made again would be the same.
    next_expiry_ns: Option<i64>,
}

impl Inventory {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            domains: BTreeMap::new(),
            ports: Table::default(),
            changes: Vec::new(),
            change_count: 0,
            recent_changes: Vec::new(),
            dataset_changes: Vec::new(),
            dataset_change_count: 0,
            untracked: 0,
            last_check_ns: i64::MIN,
            next_expiry_ns: None,
        }
    }

    pub fn observe(&mut self, o: &Observation<'_, '_>, now_ns: i64) {
        let h = &o.message.header;
        let t = o.time_ns;
        let pid = h.source_port_identity;
        let dkey = (h.major_sdo_id, h.domain_number);
        let key = (h.major_sdo_id, h.domain_number, pid);
        let domains = &mut self.domains;
        let port = self.ports.capped_entry(
            h.message_type.index(),
            &key,
            self.config.max_streams,
            || {
                domains.entry(dkey).or_default();
                Port {
                    first_ns: t,
                    last_ns: t,
                    ..Port::default()
                }
            },
        );
        match port {
            None => self.untracked += 1,
            Some(p) => {
                p.sent[h.message_type.index()] += 1;
                p.first_ns = p.first_ns.min(t);
                p.last_ns = p.last_ns.max(t);
                if o.point < 64 {
                    p.points |= 1 << o.point;
                }
                if let Some(m) = o.link.src_mac {
                    note(&mut p.macs, m, &mut p.more_addresses);
                }
                if let Some(ip) = o.link.src_ip {
                    note(&mut p.ips, ip, &mut p.more_addresses);
                }
                if let Body::Signaling(_) = o.message.body {
                    let requests = o
                        .message
                        .tlvs()
                        .flatten()
                        .any(|t| matches!(t.body, TlvBody::RequestUnicastTransmission { .. }));
                    p.unicast_requests += u64::from(requests);
                }
            }
        }
        if let Body::Announce(a) = &o.message.body {
            let d = self.domains.entry(dkey).or_default();
            let ds = Dataset::from_announce(o, a);
            let gm = d
                .grandmasters
                .entry(ds.grandmaster_identity)
                .or_insert_with(|| Grandmaster {
                    dataset: ds.clone(),
                    announces: 0,
                    first_ns: t,
                    last_ns: t,
                    announced_by: Vec::new(),
                });
            gm.announces += 1;
            gm.first_ns = gm.first_ns.min(t);
            gm.last_ns = gm.last_ns.max(t);
            gm.dataset = ds.clone();
            if !gm.announced_by.contains(&pid) && gm.announced_by.len() < MAX_ADDRESSES * 4 {
                gm.announced_by.push(pid);
            }
            let interval = log_interval_ns(h.log_message_interval).unwrap_or(1_000_000_000);
            let timeout_ns = interval * i64::from(self.config.receipt_timeout_intervals);
            if let Some(before) = d.announcers.get(&pid)
                && before.dataset.grandmaster_identity == ds.grandmaster_identity
            {
                let fields = ds.changed_from(&before.dataset);
                if fields != 0 {
                    self.dataset_change_count += 1;
                    if self.dataset_changes.len() < MAX_CHANGES {
                        self.dataset_changes.push(DatasetChange {
                            time_ns: t,
                            frame: o.frame,
                            major_sdo_id: h.major_sdo_id,
                            domain: h.domain_number,
                            port: pid,
                            grandmaster: ds.grandmaster_identity,
                            fields,
                            from: before.dataset.clone(),
                            to: ds.clone(),
                        });
                    }
                }
            }
            if has_room(&d.announcers, &pid, self.config.max_streams) {
                d.announcers.insert(
                    pid,
                    Announcer {
                        dataset: ds,
                        last_ns: t,
                        timeout_ns,
                    },
                );
            }
            let key = (h.major_sdo_id, h.domain_number);
            self.choose(key, now_ns);
            if let Some(e) = self.domains.get(&key).and_then(|d| d.expiry_ns) {
                self.next_expiry_ns = Some(self.next_expiry_ns.map_or(e, |n| n.min(e)));
            }
        }
        // Timeouts are noticed as time passes, four times a second at most;
        // a domain's choice changes between its Announces only when an
        // announcer times out, so the domains are gone through only once
        // one may have.
        if now_ns.saturating_sub(self.last_check_ns) >= 250_000_000 {
            self.last_check_ns = now_ns;
            if self.next_expiry_ns.is_none_or(|e| now_ns <= e) {
                return;
            }
            let mut next = self.domains.keys().next().copied();
            while let Some(k) = next {
                self.choose(k, now_ns);
                next = self
                    .domains
                    .range((Bound::Excluded(k), Bound::Unbounded))
                    .next()
                    .map(|(&k, _)| k);
            }
            self.next_expiry_ns = self.domains.values().filter_map(|d| d.expiry_ns).min();
        }
    }

    /// The clocks of each (majorSdoId, domain), with their ports.
    pub fn clocks(&self) -> BTreeMap<(u8, u8), BTreeMap<ClockIdentity, Clock>> {
        let mut m: BTreeMap<(u8, u8), BTreeMap<ClockIdentity, Clock>> = BTreeMap::new();
        for (&(sdo, domain, pid), p) in self.ports.iter() {
            m.entry((sdo, domain))
                .or_default()
                .entry(pid.clock_identity)
                .or_default()
                .ports
                .insert(pid.port_number, p.clone());
        }
        m
    }

    /// Re-runs the choice of a domain's grandmaster at `now`.
    fn choose(&mut self, key: (u8, u8), now: i64) {
        let Some(d) = self.domains.get_mut(&key) else {
            return;
        };
        if d.announcers.is_empty() {
            d.expiry_ns = None;
            return;
        }
        d.announcers.retain(|_, a| now - a.last_ns <= a.timeout_ns);
        d.expiry_ns = d
            .announcers
            .values()
            .map(|a| a.last_ns.saturating_add(a.timeout_ns))
            .min();
        let best = d.announcers.values().min_by_key(|a| a.dataset.rank());
        let best_id = best.map(|a| a.dataset.grandmaster_identity);
        if best_id == d.current {
            return;
        }
        let reason = match (d.current, best) {
            (None, _) if d.had_grandmaster => GmChangeReason::AfterTimeout,
            (None, _) => GmChangeReason::First,
            (Some(_), None) => GmChangeReason::Timeout,
            (Some(old), Some(new)) => match d.grandmasters.get(&old) {
                Some(g) if new.dataset.rank() < g.dataset.rank() => GmChangeReason::Better,
                _ if !d
                    .announcers
                    .values()
                    .any(|a| a.dataset.grandmaster_identity == old) =>
                {
                    GmChangeReason::Timeout
                }
                _ => GmChangeReason::Worse,
            },
        };
        let change = GmChange {
            time_ns: now,
            major_sdo_id: key.0,
            domain: key.1,
            from: d.current,
            to: best_id,
            reason,
        };
        d.current = best_id;
        d.had_grandmaster |= best_id.is_some();
        self.change_count += 1;
        if reason != GmChangeReason::First && self.recent_changes.len() < MAX_CHANGES {
            self.recent_changes.push((key.0, key.1, now));
        }
        if self.changes.len() < MAX_CHANGES {
            self.changes.push(change);
        }
    }
}

fn note<T: PartialEq>(v: &mut Vec<T>, x: T, more: &mut bool) {
    if !v.contains(&x) {
        if v.len() < MAX_ADDRESSES {
            v.push(x);
        } else {
            *more = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Analyzer, Observation};
    use super::*;

    const S: i64 = 1_000_000_000;

    fn announce(src: PortIdentity, seq: u16, p1: u8, gm: u8) -> crate::wire::Message<'static> {
        let mut b = ts(0, 0);
        b.extend_from_slice(&37i16.to_be_bytes());
        b.push(0);
        b.push(p1);
        b.extend_from_slice(&[248, 0xfe, 0xff, 0xff]);
        b.push(128);
        b.extend_from_slice(&port(gm, 0).clock_identity.0);
        b.extend_from_slice(&0u16.to_be_bytes());
        b.push(0xa0);
        message(0xB, src, seq, Flags::PTP_TIMESCALE, 0, &b)
    }

    fn see(a: &mut Analyzer, m: &crate::wire::Message<'static>, t: i64) {
        let f = frame();
        a.frame(0, Some(t));
        a.observe(&Observation {
            point: 0,
            frame: 1,
            time_ns: t,
            resolution_ns: 1,
            link: &f,
            message: m,
            content: None,
        });
    }

    #[test]
    fn roles_from_what_ports_send() {
        let mut a = Analyzer::default();
        see(&mut a, &announce(port(1, 1), 0, 128, 1), 0);
        see(&mut a, &message(0x1, port(2, 1), 0, 0, 0x7f, &ts(0, 0)), S);
        let pd = [ts(0, 0), vec![0; 10]].concat();
        see(&mut a, &message(0x2, port(3, 1), 0, 0, 0, &pd), S);
        let d = &a.inventory.domains[&(0, 0)];
        let clocks = &a.inventory.clocks()[&(0, 0)];
        let role = |c: u8| clocks[&port(c, 1).clock_identity].ports[&1].roles();
        assert_eq!(role(1), [Role::Master]);
        assert_eq!(role(2), [Role::Slave]);
        assert_eq!(role(3), [Role::PeerDelayOnly]);
        let gm = &d.grandmasters[&port(1, 0).clock_identity];
        assert_eq!(gm.dataset.priority1, 128);
        assert_eq!(gm.dataset.clock_class, 248);
        assert_eq!(gm.dataset.current_utc_offset, 37);
        assert!(gm.dataset.ptp_timescale);
    }

    #[test]
    fn grandmaster_changes_on_better_announce_and_timeout() {
        let mut a = Analyzer::default();
        // GM 1 announces every second; at 5 s a better GM 2 appears; it
        // stops at 10 s, and after its 3 s timeout GM 1 is back.
        for i in 0..20u16 {
            let t = i64::from(i) * S;
            see(&mut a, &announce(port(1, 1), i, 128, 1), t);
            if (5..10).contains(&i) {
                see(&mut a, &announce(port(2, 1), i, 100, 2), t + 1);
            }
        }
        let c = &a.inventory.changes;
        let ids = |c: &GmChange| (c.from, c.to, c.reason);
        let gm = |n| Some(port(n, 0).clock_identity);
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!(ids(&c[0]), (None, gm(1), GmChangeReason::First));
        assert_eq!(ids(&c[1]), (gm(1), gm(2), GmChangeReason::Better));
        assert_eq!(ids(&c[2]), (gm(2), gm(1), GmChangeReason::Timeout));
        assert!(
            c[2].time_ns > 12 * S && c[2].time_ns <= 13 * S,
            "{}",
            c[2].time_ns
        );
    }

    #[test]
    fn a_domain_times_out_while_another_goes_on_announcing() {
        // Domain 1's grandmaster announces once, at 0 s; domain 0's every
        // second: domain 1's timeout (3 s) is noticed by the periodic
        // check between domain 0's Announces, within its 250 ms.
        let mut a = Analyzer::default();
        let mut once = announce(port(2, 1), 0, 128, 2);
        once.header.domain_number = 1;
        see(&mut a, &once, 0);
        for i in 0..10u16 {
            let t = i64::from(i) * S / 2 + 1;
            see(&mut a, &announce(port(1, 1), i, 128, 1), t);
            see(
                &mut a,
                &message(0x0, port(1, 1), i, 0, -1, &ts(0, 0)),
                t + S / 4,
            );
        }
        let c: Vec<_> = a
            .inventory
            .changes
            .iter()
            .filter(|c| c.domain == 1)
            .collect();
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!((c[1].to, c[1].reason), (None, GmChangeReason::Timeout));
        // The first check past 3 s: domain 0's Announce at 3 s + 1 ns.
        assert_eq!(c[1].time_ns, 3 * S + 1);
        let d0 = a.inventory.changes.iter().filter(|c| c.domain == 0).count();
        assert_eq!(d0, 1, "domain 0 keeps its grandmaster");
    }

    #[test]
    fn after_one_timeout_the_next_is_still_noticed() {
        // Domains 0 and 1 announce at 0 s, domain 1 again at 1 s; then
        // only Syncs, every 250 ms. Domain 0 times out at 3 s, domain 1 at
        // 4 s: the second is known only from the pass that noticed the
        // first.
        let mut a = Analyzer::default();
        let announce_in = |domain: u8, gm: u8, seq: u16| {
            let mut m = announce(port(gm, 1), seq, 128, gm);
            m.header.domain_number = domain;
            m
        };
        see(&mut a, &announce_in(0, 1, 0), 0);
        see(&mut a, &announce_in(1, 2, 0), 0);
        see(&mut a, &announce_in(1, 2, 1), S);
        for i in 1..24u16 {
            let t = i64::from(i) * S / 4 + 1;
            see(&mut a, &message(0x0, port(1, 1), i, 0, -2, &ts(0, 0)), t);
        }
        let timeout = |d: u8| {
            let c = &a.inventory.changes;
            c.iter()
                .find(|c| c.domain == d && c.reason == GmChangeReason::Timeout)
                .map(|c| c.time_ns)
        };
        assert_eq!(timeout(0), Some(3 * S + 1));
        assert_eq!(timeout(1), Some(4 * S + 1));
    }

    #[test]
    fn a_silent_grandmaster_times_out_while_other_messages_flow() {
        // GM 1 announces for 5 s, then only its Syncs arrive (8 a second):
        // the periodic check, not an Announce, must notice the timeout.
        let mut a = Analyzer::default();
        for i in 0..5u16 {
            see(&mut a, &announce(port(1, 1), i, 128, 1), i64::from(i) * S);
        }
        for i in 0..80u16 {
            let t = 4 * S + i64::from(i) * S / 8;
            see(&mut a, &message(0x0, port(1, 1), i, 0, -3, &ts(0, 0)), t);
        }
        // Then GM 2 announces: a grandmaster again, after the timeout.
        see(&mut a, &announce(port(2, 1), 0, 128, 2), 15 * S);
        let c = &a.inventory.changes;
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!(c[1].reason, GmChangeReason::Timeout);
        assert_eq!(c[1].to, None);
        assert_eq!(c[2].reason, GmChangeReason::AfterTimeout);
        assert_eq!(
            (c[2].from, c[2].to),
            (None, Some(port(2, 0).clock_identity))
        );
        // Announce timeout 3 s after the last Announce (4 s), noticed
        // within the check's 250 ms.
        assert!(
            c[1].time_ns > 7 * S && c[1].time_ns <= 7 * S + S / 4 + S / 8,
            "{}",
            c[1].time_ns
        );
    }
}
