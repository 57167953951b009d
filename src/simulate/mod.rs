//! Synthetic PTP traffic with known truth (sans-IO: frames go to a sink).
//!
//! A discrete-event simulation of a chain: grandmaster(s) — link — TC —
//! link — … — slave. Every node and capture point has a clock (offset,
//! drift and a random walk of its frequency, piecewise constant over
//! [`KNOT_NS`]); links delay each frame by a fixed part, half the
//! asymmetry either way and queueing drawn per frame; TCs hold frames for a
//! residence time and add it, as they measure it with their own clock, to
//! the correctionField as IEEE 1588 §10.2 says: a one-step TC into the
//! Sync (E2E: and the Delay_Req), a two-step TC into the Follow_Up (E2E:
//! and the Delay_Resp); a P2P TC adds the upstream link's mean delay too.
//! Timestamps are truncated to whole ns on the wire and the fractions put
//! into the correctionField (§11.3, §11.4). Events run in true-time order,
//! so every link is first-in first-out except for frames it is told to
//! reorder, and captures come out in time order (streamed to the sink).
//!
//! The truth is what the capture points' clocks read against each
//! grandmaster's, sampled at every knot (the offset is linear between
//! knots), and every TC's true and reported residence per message type.

mod clock;
mod network;
pub mod scenario;
mod truth;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::analysis::stats::Stats;
use crate::wire::message::{Announce, DelayReq, FollowUp, PdelayReq, Sync};
use crate::wire::{
    Body, ClockIdentity, ClockQuality, Correction, Duration, Flags, Header, Message, MessageType,
    PortIdentity, Timestamp,
};
pub use clock::Clock;
pub use scenario::{
    Attack, AttackKind, ClockSpec, Mechanism, Pdv, Point, Scenario, Side, Timescale, Utc,
};
pub use truth::{
    AttackTruth, GmTruth, HopTruth, LeapSecondTruth, LinkTruth, OffsetSeries, PointTruth, Truth,
    UtcTruth,
};

/// Clock frequencies change (random walk) every this many ns.
pub const KNOT_NS: i64 = 250_000_000;
/// Units of the correctionField per ns.
const K: i128 = Duration::SCALE;

/// A wire timestamp and the fraction of a ns it leaves out (2^-16 ns).
fn split(reading: i128) -> (Timestamp, i64) {
    let ns = reading.div_euclid(K);
    let frac = reading.rem_euclid(K) as i64;
    let ns = ns.max(0);
    (
        Timestamp {
            seconds: (ns / 1_000_000_000) as u64,
            nanoseconds: (ns % 1_000_000_000) as u32,
        },
        frac,
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    /// Towards the slave.
    Down,
    Up,
}

/// A frame in flight.
#[derive(Debug, Clone, Copy)]
struct Msg {
    header: Header,
    body: Body<'static>,
    src: [u8; 6],
    /// Link-local (Pdelay): not forwarded by TCs.
    link_local: bool,
}

#[derive(Debug, Clone, Copy)]
enum Ev {
    SyncTimer(usize),
    AnnounceTimer(usize),
    DelayReqTimer,
    PdelayTimer {
        link: usize,
        dir: Dir,
    },
    /// `msg` leaves `node` onto `link` going `dir`.
    Depart {
        link: usize,
        dir: Dir,
        msg: Msg,
    },
    /// `msg` reaches the far end of `link`.
    Arrive {
        link: usize,
        dir: Dir,
        msg: Msg,
    },
    /// The attacker's next move.
    Attack,
}

struct Queued {
    time: i64,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Queued {
    fn eq(&self, o: &Self) -> bool {
        (self.time, self.seq) == (o.time, o.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Queued {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.time, self.seq).cmp(&(o.time, o.seq))
    }
}

/// A frame as a capture point saw it.
#[derive(Debug, Clone, Copy)]
pub struct Captured<'a> {
    pub point: usize,
    /// The point's clock, ns, at its resolution.
    pub time_ns: i64,
    pub data: &'a [u8],
}

const PTP_MCAST: [u8; 6] = [0x01, 0x1b, 0x19, 0, 0, 0];
const PDELAY_MCAST: [u8; 6] = [0x01, 0x80, 0xc2, 0, 0, 0x0e];

fn identity(mac: [u8; 6]) -> ClockIdentity {
    ClockIdentity([mac[0], mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]])
}

struct Sim<'s> {
    s: &'s Scenario,
    rng: StdRng,
    t0: i64,
    end: i64,
    gm_clocks: Vec<Clock>,
    tc_clocks: Vec<Clock>,
    slave_clock: Clock,
    points: Vec<Point>,
    point_clocks: Vec<Clock>,
    /// Active intervals per grandmaster, true time.
    active: Vec<(i64, i64)>,
    queue: BinaryHeap<Reverse<Queued>>,
    next_seq: u64,
    /// Last arrival per link and direction (first in, first out).
    last_arrival: HashMap<(usize, bool), i64>,
    seq_ids: HashMap<(usize, u8), u16>,
    /// Two-step TCs: residence owed to a Follow_Up or Delay_Resp, by
    /// (tc, source port, sequenceId), in 2^-16 ns.
    owed: HashMap<(usize, bool, PortIdentity, u16), i64>,
    residence: Vec<[(Stats, Stats); 5]>,
    link_delays: Vec<(Stats, Stats)>,
    frames: Vec<u64>,
    buf: Vec<u8>,
    /// The attack's window, true time.
    attack_window: Option<(i64, i64)>,
    /// The grandmaster's Syncs and Follow_Ups, for a replay attack.
    recorded: VecDeque<(i64, Msg)>,
}

/// The attacker's port: a MAC of its own.
const ATTACKER_MAC: [u8; 6] = [2, 0, 0, 0, 0x66, 1];
/// The attacker's sequenceIds (spoofed: far from the grandmaster's).
const ATTACKER: usize = 2000;

const HOP_TYPES: [(MessageType, &str); 5] = [
    (MessageType::SYNC, "Sync"),
    (MessageType::DELAY_REQ, "Delay_Req"),
    (MessageType::FOLLOW_UP, "Follow_Up"),
    (MessageType::DELAY_RESP, "Delay_Resp"),
    (MessageType::ANNOUNCE, "Announce"),
];

/// A clock of the scenario, on UTC when its spec says so.
fn new_clock(spec: &ClockSpec, s: &Scenario, t0: i64, dur: i64, rng: &mut StdRng) -> Clock {
    let c = Clock::new(spec, t0, dur, rng);
    match s.utc.filter(|_| spec.utc) {
        Some(u) => c.with_utc(
            u.offset_ns(),
            u.leap_midnight_ns(t0).map(|m| (m, u.leap_ns())),
        ),
        None => c,
    }
}

fn interval_ns(log: i8) -> i64 {
    if log >= 0 {
        1_000_000_000 << log
    } else {
        1_000_000_000 >> (-log)
    }
}

impl<'s> Sim<'s> {
    fn new(s: &'s Scenario) -> Self {
        let mut rng = StdRng::seed_from_u64(s.seed);
        let t0 = s.start_unix_s * 1_000_000_000;
        let dur = (s.duration_s * 1e9) as i64;
        let gm_clocks: Vec<Clock> = s
            .grandmasters
            .iter()
            .map(|g| new_clock(&g.clock, s, t0, dur, &mut rng))
            .collect();
        let attack_window = s
            .attack
            .map(|a| (t0 + (a.start_s * 1e9) as i64, t0 + (a.end_s * 1e9) as i64));
        let gm_clocks: Vec<Clock> = match (s.attack, attack_window) {
            (Some(a), Some((from, _))) if a.kind == AttackKind::TimeStep => gm_clocks
                .into_iter()
                .map(|c| c.with_step(from, a.size_ns))
                .collect(),
            _ => gm_clocks,
        };
        let tc_clocks: Vec<Clock> = s
            .tcs
            .iter()
            .map(|t| new_clock(&t.clock, s, t0, dur, &mut rng))
            .collect();
        let slave_clock = new_clock(&s.slave, s, t0, dur, &mut rng);
        let points = s.points();
        let point_clocks = points
            .iter()
            .map(|p| match &p.clock {
                Some(c) => new_clock(c, s, t0, dur, &mut rng),
                None => {
                    let node = match p.side {
                        Side::Upstream => p.link,
                        Side::Downstream => p.link + 1,
                    };
                    if node == 0 {
                        gm_clocks[0].clone()
                    } else if node > s.tcs.len() {
                        slave_clock.clone()
                    } else {
                        tc_clocks[node - 1].clone()
                    }
                }
            })
            .collect();
        // Each grandmaster serves from when the one before falls silent
        // (plus its announce receipt timeout) until it falls silent.
        let timeout = 3 * interval_ns(s.log_announce_interval);
        let mut active = Vec::new();
        let mut from = t0;
        for g in &s.grandmasters {
            let to = g
                .stop_s
                .map_or(i64::MAX, |x| t0 + (x * 1e9) as i64)
                .max(from);
            active.push((from, to));
            from = to.saturating_add(timeout + 1_000_000);
        }
        let n_links = s.links.len();
        Self {
            rng,
            t0,
            end: t0 + dur,
            gm_clocks,
            tc_clocks,
            slave_clock,
            point_clocks,
            frames: vec![0; points.len()],
            points,
            active,
            queue: BinaryHeap::new(),
            next_seq: 0,
            last_arrival: HashMap::new(),
            seq_ids: HashMap::new(),
            owed: HashMap::new(),
            residence: (0..s.tcs.len()).map(|_| Default::default()).collect(),
            link_delays: (0..n_links).map(|_| Default::default()).collect(),
            buf: Vec::with_capacity(128),
            attack_window,
            recorded: VecDeque::new(),
            s,
        }
    }

    /// Delay an attack adds to `link` downstream at true time `t`, ns.
    fn attack_delay(&self, link: usize, t: i64) -> f64 {
        match (self.s.attack, self.attack_window) {
            (Some(a), Some((from, to)))
                if a.kind == AttackKind::AsymmetryChange && link == 0 && from <= t && t < to =>
            {
                a.size_ns
            }
            _ => 0.0,
        }
    }

    /// A Sync (and its Follow_Up when two-step) from `port` at `t`, with
    /// sequenceId `seq` and the reading `reading` (2^-16 ns).
    fn sync_from(&mut self, t: i64, port: PortIdentity, mac: [u8; 6], seq: u16, reading: i128) {
        let s = self.s;
        let (ts, frac) = split(reading);
        let mut h = self.header(MessageType::SYNC, port, seq, s.log_sync_interval);
        if s.two_step {
            let sync = self.msg(
                h,
                Body::Sync(Sync {
                    origin_timestamp: ts,
                }),
                mac,
            );
            self.send(t, 0, 0, sync);
            let mut fh = self.header(MessageType::FOLLOW_UP, port, seq, s.log_sync_interval);
            fh.correction_field = Correction(frac);
            let fu = self.msg(
                fh,
                Body::FollowUp(FollowUp {
                    precise_origin_timestamp: ts,
                }),
                mac,
            );
            self.send(t + 20_000, 0, 0, fu);
        } else {
            h.correction_field = Correction(frac);
            let sync = self.msg(
                h,
                Body::Sync(Sync {
                    origin_timestamp: ts,
                }),
                mac,
            );
            self.send(t, 0, 0, sync);
        }
    }

    /// An Announce from the attacker's port, claiming the best dataset.
    fn rogue_announce(&mut self, t: i64) {
        let s = self.s;
        let port = PortIdentity {
            clock_identity: identity(ATTACKER_MAC),
            port_number: 1,
        };
        let seq = self.next_id(ATTACKER, MessageType::ANNOUNCE);
        let h = self.header(MessageType::ANNOUNCE, port, seq, s.log_announce_interval);
        let (ts, _) = split(self.gm_clocks[0].reading(t));
        let a = Announce {
            origin_timestamp: ts,
            current_utc_offset: 37,
            reserved: 0,
            grandmaster_priority1: 0,
            grandmaster_clock_quality: ClockQuality {
                clock_class: 6,
                clock_accuracy: 0x21,
                offset_scaled_log_variance: 0x4e5d,
            },
            grandmaster_priority2: 0,
            grandmaster_identity: port.clock_identity,
            steps_removed: 0,
            time_source: 0x20,
        };
        let m = self.msg(h, Body::Announce(a), ATTACKER_MAC);
        self.send(t, 0, 0, m);
    }

    /// The attacker's move at `t` (inside its window).
    fn attack(&mut self, t: i64) {
        let (Some(a), Some((from, to))) = (self.s.attack, self.attack_window) else {
            return;
        };
        if t >= to {
            return;
        }
        let s = self.s;
        let sync_i = interval_ns(s.log_sync_interval);
        let announce_i = interval_ns(s.log_announce_interval);
        let own = PortIdentity {
            clock_identity: identity(ATTACKER_MAC),
            port_number: 1,
        };
        let next = match a.kind {
            AttackKind::SpoofedMessages => {
                // The grandmaster's identity and MAC, another progression.
                let (port, mac) = self.port(0, 0, t);
                let seq = self
                    .next_id(ATTACKER, MessageType::SYNC)
                    .wrapping_add(30_000);
                let reading = self.gm_clocks[0].reading(t) + (a.size_ns * K as f64) as i128;
                self.sync_from(t, port, mac, seq, reading);
                t + sync_i
            }
            AttackKind::SpoofedSource => {
                // The grandmaster's identity, its latest sequenceId and
                // its time: only the source MAC tells them apart.
                let (port, _) = self.port(0, 0, t);
                let seq = self
                    .seq_ids
                    .get(&(0, MessageType::SYNC.0))
                    .map_or(0, |n| n.wrapping_sub(1));
                let reading = self.gm_clocks[0].reading(t);
                self.sync_from(t, port, ATTACKER_MAC, seq, reading);
                t + sync_i
            }
            AttackKind::RogueAnnounce => {
                self.rogue_announce(t);
                t + announce_i
            }
            AttackKind::GrandmasterFlapping => {
                // On for two announce intervals, off for five.
                if ((t - from) / announce_i) % 7 < 2 {
                    self.rogue_announce(t);
                }
                t + announce_i
            }
            AttackKind::MessageFlood => {
                let seq = self.next_id(ATTACKER, MessageType::SYNC);
                let reading = self.gm_clocks[0].reading(t);
                self.sync_from(t, own, ATTACKER_MAC, seq, reading);
                t + sync_i / 8
            }
            AttackKind::ReplayedMessages => {
                let late = a.size_ns as i64;
                while let Some(&(sent, m)) = self.recorded.front() {
                    if sent > t - late {
                        break;
                    }
                    self.recorded.pop_front();
                    self.send(t, 0, 0, m);
                }
                t + sync_i
            }
            AttackKind::InvalidField => {
                let seq = self.next_id(ATTACKER, MessageType::SYNC);
                let (mut ts, _) = split(self.gm_clocks[0].reading(t));
                ts.nanoseconds += 1_000_000_000;
                let h = self.header(MessageType::SYNC, own, seq, s.log_sync_interval);
                let m = self.msg(
                    h,
                    Body::Sync(Sync {
                        origin_timestamp: ts,
                    }),
                    ATTACKER_MAC,
                );
                self.send(t, 0, 0, m);
                t + 1_000_000_000
            }
            AttackKind::AsymmetryChange | AttackKind::TimeStep => return,
        };
        if next < to {
            self.push(next, Ev::Attack);
        }
    }

    fn push(&mut self, time: i64, ev: Ev) {
        self.next_seq += 1;
        self.queue.push(Reverse(Queued {
            time,
            seq: self.next_seq,
            ev,
        }));
    }

    fn gm_mac(g: usize) -> [u8; 6] {
        [2, 0, 0, 0, 0x10 + g as u8, 1]
    }
    fn tc_mac(t: usize, port: u8) -> [u8; 6] {
        [2, 0, 0, 0, 0x20 + t as u8, port]
    }
    const SLAVE_MAC: [u8; 6] = [2, 0, 0, 0, 0x30, 1];

    fn active_gm(&self, t: i64) -> Option<usize> {
        self.active.iter().position(|&(a, b)| a <= t && t < b)
    }

    fn next_id(&mut self, who: usize, t: MessageType) -> u16 {
        let e = self.seq_ids.entry((who, t.0)).or_insert(0);
        let v = *e;
        *e = e.wrapping_add(1);
        v
    }

    fn header(&self, t: MessageType, src: PortIdentity, seq: u16, log: i8) -> Header {
        let mut flags = 0u16;
        if self.s.two_step && matches!(t, MessageType::SYNC | MessageType::PDELAY_RESP) {
            flags |= Flags::TWO_STEP;
        }
        // The timePropertiesDS flags (§8.2.4) travel in Announce only and
        // are set there (`announce_flags`). By default the simulated
        // grandmasters announce the ARB timescale (§7.2.2), as a
        // free-running ptp4l does: their wire times share the capture
        // clocks' epoch, which is not TAI unless the scenario says so
        // (`timescale = "PTP"` with `[utc]`).
        let control = match t {
            MessageType::SYNC => 0,
            MessageType::DELAY_REQ => 1,
            MessageType::FOLLOW_UP => 2,
            MessageType::DELAY_RESP => 3,
            _ => 5,
        };
        Header {
            major_sdo_id: 0,
            message_type: t,
            minor_version_ptp: 1,
            version_ptp: 2,
            message_length: 0,
            domain_number: self.s.domain,
            minor_sdo_id: 0,
            flags: Flags(flags),
            correction_field: Correction(0),
            message_type_specific: [0; 4],
            source_port_identity: src,
            sequence_id: seq,
            control_field: control,
            log_message_interval: log,
        }
    }

    fn msg(&self, mut header: Header, body: Body<'static>, src: [u8; 6]) -> Msg {
        header.message_length = (Header::LEN + body.buffer_len()) as u16;
        Msg {
            header,
            body,
            src,
            link_local: matches!(
                header.message_type,
                MessageType::PDELAY_REQ
                    | MessageType::PDELAY_RESP
                    | MessageType::PDELAY_RESP_FOLLOW_UP
            ),
        }
    }

    /// The timePropertiesDS flags and currentUtcOffset grandmaster `g`
    /// announces at true time `t` (§8.2.4): on the PTP timescale with
    /// `[utc]`, currentUtcOffsetValid, and leap61 (leap59 for a deleted
    /// second) in the 12 h before the leap second; its clock's reading
    /// (TAI) says when UTC's day ends.
    fn announce_flags(&self, g: usize, t: i64) -> (u16, i16) {
        const HALF_DAY_NS: i64 = 43_200_000_000_000;
        if self.s.grandmasters[g].timescale != scenario::Timescale::Ptp {
            return (0, 37);
        }
        let Some(u) = self.s.utc else {
            return (Flags::PTP_TIMESCALE, 0);
        };
        let mut flags = Flags::PTP_TIMESCALE | Flags::CURRENT_UTC_OFFSET_VALID;
        let mut offset = u.offset_s;
        if let Some(m) = u.leap_midnight_ns(self.t0) {
            // UTC's next midnight (after 23:59:60, or after 23:59:58 when
            // the second is deleted), on the grandmaster's TAI.
            let midnight = m + u.offset_ns() + u.leap_ns();
            let tai = (self.gm_clocks[g].reading(t) / K) as i64;
            if tai >= midnight {
                offset = u.offset_after_s();
            } else if tai >= midnight - HALF_DAY_NS {
                flags |= if u.leap59 {
                    Flags::LEAP59
                } else {
                    Flags::LEAP61
                };
            }
        }
        (flags, offset)
    }

    /// The clock of node `n` (0 grandmasters, 1..=tcs, then the slave).
    fn node_clock(&self, n: usize, t: i64) -> &Clock {
        if n == 0 {
            &self.gm_clocks[self.active_gm(t).unwrap_or(0)]
        } else if n > self.s.tcs.len() {
            &self.slave_clock
        } else {
            &self.tc_clocks[n - 1]
        }
    }

    /// The port of node `n` facing `link`.
    fn port(&self, n: usize, link: usize, t: i64) -> (PortIdentity, [u8; 6]) {
        let mac = if n == 0 {
            Self::gm_mac(self.active_gm(t).unwrap_or(0))
        } else if n > self.s.tcs.len() {
            Self::SLAVE_MAC
        } else {
            Self::tc_mac(n - 1, if link < n { 1 } else { 2 })
        };
        let base = if n == 0 || n > self.s.tcs.len() {
            mac
        } else {
            Self::tc_mac(n - 1, 1)
        };
        (
            PortIdentity {
                clock_identity: identity(base),
                port_number: if n == 0 || n > self.s.tcs.len() {
                    1
                } else {
                    mac[5].into()
                },
            },
            mac,
        )
    }

    fn capture(&mut self, link: usize, side: Side, t: i64, msg: &Msg, sink: &mut dyn Sink) {
        let mut any = false;
        for i in 0..self.points.len() {
            if self.points[i].link != link || self.points[i].side != side {
                continue;
            }
            if !any {
                self.buf.clear();
                self.buf.extend_from_slice(if msg.link_local {
                    &PDELAY_MCAST
                } else {
                    &PTP_MCAST
                });
                self.buf.extend_from_slice(&msg.src);
                self.buf.extend_from_slice(&[0x88, 0xf7]);
                Message {
                    header: msg.header,
                    body: msg.body,
                    suffix: &[],
                    trailer: &[],
                }
                .emit(&mut self.buf);
                self.buf.resize(self.buf.len().max(60), 0);
                any = true;
            }
            let res = i64::from(self.points[i].resolution_ns.unwrap_or(1));
            let ns = self.point_clocks[i].reading(t).div_euclid(K) as i64;
            let time_ns = ns - ns.rem_euclid(res);
            self.frames[i] += 1;
            sink.frame(Captured {
                point: i,
                time_ns,
                data: &self.buf,
            });
        }
    }

    /// Keeps a grandmaster message for a replay attack to send again.
    fn record(&mut self, t: i64, msg: Msg) {
        let Some(a) = self
            .s
            .attack
            .filter(|a| a.kind == AttackKind::ReplayedMessages)
        else {
            return;
        };
        self.recorded.push_back((t, msg));
        let keep = a.size_ns as i64 + 2_000_000_000;
        while self.recorded.front().is_some_and(|&(s, _)| s < t - keep) {
            self.recorded.pop_front();
        }
    }

    fn send(&mut self, t: i64, node: usize, link: usize, msg: Msg) {
        let dir = if link == node { Dir::Down } else { Dir::Up };
        self.push(t, Ev::Depart { link, dir, msg });
    }

    fn run(&mut self, sink: &mut dyn Sink) {
        for g in 0..self.s.grandmasters.len() {
            let j = self
                .rng
                .random_range(0..interval_ns(self.s.log_sync_interval));
            self.push(self.t0 + j, Ev::SyncTimer(g));
            self.push(self.t0 + j + 1_000_000, Ev::AnnounceTimer(g));
        }
        if let Some((from, _)) = self.attack_window {
            self.push(from, Ev::Attack);
        }
        match self.s.delay_mechanism {
            Mechanism::E2E => {
                let t = self.t0 + 2 * interval_ns(self.s.log_announce_interval);
                self.push(t, Ev::DelayReqTimer);
            }
            Mechanism::P2P => {
                for link in 0..self.s.links.len() {
                    for dir in [Dir::Down, Dir::Up] {
                        let j = self
                            .rng
                            .random_range(0..interval_ns(self.s.log_delay_req_interval));
                        self.push(self.t0 + j, Ev::PdelayTimer { link, dir });
                    }
                }
            }
        }
        while let Some(Reverse(q)) = self.queue.pop() {
            if q.time >= self.end {
                break;
            }
            self.event(q.time, q.ev, sink);
        }
    }

    fn event(&mut self, t: i64, ev: Ev, sink: &mut dyn Sink) {
        let s = self.s;
        match ev {
            Ev::SyncTimer(g) => {
                self.push(t + interval_ns(s.log_sync_interval), Ev::SyncTimer(g));
                if self.active_gm(t) != Some(g) {
                    return;
                }
                let (port, mac) = self.port(0, 0, t);
                let seq = self.next_id(g, MessageType::SYNC);
                let (ts, frac) = split(self.gm_clocks[g].reading(t));
                let mut h = self.header(MessageType::SYNC, port, seq, s.log_sync_interval);
                if s.two_step {
                    let sync = self.msg(
                        h,
                        Body::Sync(Sync {
                            origin_timestamp: ts,
                        }),
                        mac,
                    );
                    self.send(t, 0, 0, sync);
                    let mut fh =
                        self.header(MessageType::FOLLOW_UP, port, seq, s.log_sync_interval);
                    fh.correction_field = Correction(frac);
                    let fu = self.msg(
                        fh,
                        Body::FollowUp(FollowUp {
                            precise_origin_timestamp: ts,
                        }),
                        mac,
                    );
                    let lat = self.rng.random_range(10_000..60_000);
                    self.send(t + lat, 0, 0, fu);
                    self.record(t, sync);
                    self.record(t + lat, fu);
                } else {
                    h.correction_field = Correction(frac);
                    let sync = self.msg(
                        h,
                        Body::Sync(Sync {
                            origin_timestamp: ts,
                        }),
                        mac,
                    );
                    self.send(t, 0, 0, sync);
                    self.record(t, sync);
                }
            }
            Ev::AnnounceTimer(g) => {
                self.push(
                    t + interval_ns(s.log_announce_interval),
                    Ev::AnnounceTimer(g),
                );
                if self.active_gm(t) != Some(g) {
                    return;
                }
                let (port, mac) = self.port(0, 0, t);
                let seq = self.next_id(g, MessageType::ANNOUNCE);
                let mut h = self.header(MessageType::ANNOUNCE, port, seq, s.log_announce_interval);
                let spec = &s.grandmasters[g];
                let (ts, _) = split(self.gm_clocks[g].reading(t));
                let (flags, current_utc_offset) = self.announce_flags(g, t);
                h.flags = Flags(h.flags.0 | flags);
                let a = Announce {
                    origin_timestamp: ts,
                    current_utc_offset,
                    reserved: 0,
                    grandmaster_priority1: spec.priority1.unwrap_or(128),
                    grandmaster_clock_quality: ClockQuality {
                        clock_class: spec.clock_class.unwrap_or(6),
                        clock_accuracy: 0x21,
                        offset_scaled_log_variance: 0x4e5d,
                    },
                    grandmaster_priority2: 128,
                    grandmaster_identity: port.clock_identity,
                    steps_removed: 0,
                    time_source: 0x20,
                };
                let m = self.msg(h, Body::Announce(a), mac);
                self.send(t, 0, 0, m);
            }
            Ev::DelayReqTimer => {
                // §9.5.11.2: uniformly in [0, 2 x the mean interval].
                let mean = interval_ns(s.log_delay_req_interval);
                let next = self.rng.random_range(1..2 * mean);
                self.push(t + next, Ev::DelayReqTimer);
                if self.active_gm(t).is_none() {
                    return;
                }
                let slave = s.tcs.len() + 1;
                let (port, mac) = self.port(slave, slave - 1, t);
                let seq = self.next_id(usize::MAX, MessageType::DELAY_REQ);
                let h = self.header(MessageType::DELAY_REQ, port, seq, 0x7f);
                let m = self.msg(
                    h,
                    Body::DelayReq(DelayReq {
                        origin_timestamp: Timestamp::default(),
                    }),
                    mac,
                );
                self.send(t, slave, slave - 1, m);
            }
            Ev::PdelayTimer { link, dir } => {
                self.push(
                    t + interval_ns(s.log_delay_req_interval),
                    Ev::PdelayTimer { link, dir },
                );
                // Down: the upstream node requests; Up: the downstream one.
                let node = if dir == Dir::Down { link } else { link + 1 };
                if node == 0 && self.active_gm(t).is_none() {
                    return;
                }
                let (port, mac) = self.port(node, link, t);
                let seq = self.next_id(
                    1000 + 2 * link + usize::from(dir == Dir::Up),
                    MessageType::PDELAY_REQ,
                );
                let h = self.header(MessageType::PDELAY_REQ, port, seq, s.log_delay_req_interval);
                let m = self.msg(
                    h,
                    Body::PdelayReq(PdelayReq {
                        origin_timestamp: Timestamp::default(),
                        reserved: [0; 10],
                    }),
                    mac,
                );
                self.send(t, node, link, m);
            }
            Ev::Attack => self.attack(t),
            Ev::Depart { link, dir, msg } => self.depart(t, link, dir, msg, sink),
            Ev::Arrive { link, dir, msg } => self.arrive(t, link, dir, msg, sink),
        }
    }
}

/// Where captured frames go, in capture (true-time) order.
pub trait Sink {
    fn frame(&mut self, f: Captured<'_>);
}

impl<F: FnMut(Captured<'_>)> Sink for F {
    fn frame(&mut self, f: Captured<'_>) {
        self(f)
    }
}

/// Runs a validated scenario; frames go to `sink`; returns the truth.
pub fn run(s: &Scenario, sink: &mut dyn Sink) -> Truth {
    let mut sim = Sim::new(s);
    sim.run(sink);
    sim.truth()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Ptp, decode};

    fn frames(name: &str) -> (Vec<(usize, i64, Vec<u8>)>, Truth) {
        let mut s = Scenario::load(name).unwrap();
        s.duration_s = 10.0;
        let mut v = Vec::new();
        let truth = run(&s, &mut |f: Captured<'_>| {
            v.push((f.point, f.time_ns, f.data.to_vec()))
        });
        (v, truth)
    }

    #[test]
    fn frames_decode_and_come_in_time_order_per_point() {
        for (name, _) in scenario::NAMED {
            let (v, truth) = frames(name);
            assert!(v.len() > 100, "{name}: {} frames", v.len());
            let mut last = HashMap::new();
            for (p, t, data) in &v {
                assert!(matches!(decode(&data[14..]), Ok(Ptp::V2(_))), "{name}");
                let l = last.insert(*p, *t).unwrap_or(i64::MIN);
                assert!(*t >= l, "{name}: point {p} goes back in time");
            }
            assert_eq!(truth.frames.iter().sum::<u64>(), v.len() as u64);
        }
    }

    #[test]
    fn same_seed_same_traffic() {
        assert_eq!(frames("congested-lan").0, frames("congested-lan").0);
    }

    #[test]
    fn truth_follows_the_clocks() {
        let (_, truth) = frames("quiet-lan");
        let p = &truth.points[0];
        let gm = &p.offsets[0].grandmaster;
        let (t0, o0) = p.offsets[0].series[0];
        assert!((o0 - 25_000.0).abs() < 1e-6);
        // 8 ppm over 4 s, with a little wander.
        let o = truth.offset_at("slave", gm, t0 + 4_000_000_000).unwrap();
        assert!((o - (25_000.0 + 32_000.0)).abs() < 100.0, "{o}");
        assert_eq!(truth.offset_at("slave", gm, t0 - 1), None);
    }

    /// A grandmaster's step shows in the truth where it happens, not
    /// spread over the knots around it.
    #[test]
    fn truth_steps_where_the_grandmaster_steps() {
        let mut s = Scenario::load("attack-time-step").unwrap();
        s.duration_s = 30.0;
        let truth = run(&s, &mut |_: Captured<'_>| {});
        let o = &truth.points[0].offsets[0];
        let &[at] = o.steps.as_slice() else {
            panic!("steps {:?}", o.steps);
        };
        // 20 s in, plus the slave's offset from true time.
        assert!(
            (at - truth.start_ns - 20_000_000_000).abs() < 1_000_000,
            "{at}"
        );
        let (before, after) = (o.at(at - 2).unwrap(), o.at(at + 1).unwrap());
        // The grandmaster steps 50 µs ahead: the slave's offset from it
        // drops as much, within what 8 ppm adds in 3 ns.
        assert!((before - after - 50_000.0).abs() < 1.0, "{before} {after}");
    }

    #[test]
    fn split_puts_the_fraction_aside() {
        let (ts, frac) = split(1_500_000_000 * K + 12345);
        assert_eq!((ts.seconds, ts.nanoseconds, frac), (1, 500_000_000, 12345));
    }
}
