//! Which PTP profile each domain runs, told from what is on the wire, and
//! what that profile fixes that the wire shows otherwise.
//!
//! Per majorSdoId and domainNumber, [`Profiles`] tallies the facts a
//! profile fixes ([`Fact`]): the path each message took (Ethernet to the
//! forwardable 01-1B-19-00-00-00 or the non-forwardable 01-80-C2-00-00-0E,
//! UDP over IPv4 or IPv6, multicast or unicast), unicast negotiation, the
//! delay mechanism, one- and two-step Syncs, the logMessageIntervals of
//! Sync, Announce, Delay_Resp (the logMinDelayReqInterval it gives) and
//! Pdelay_Req, the clockClass and priority1 announced, and the
//! organization TLVs seen (IEEE 802.1AS's Follow_Up information TLV, the
//! IEEE C37.238 and SMPTE ST 2059-2 TLVs). Each tally keeps its count and
//! its first occurrence, which is a violation's evidence.
//!
//! [`identify`] picks a profile from the tallies, decisive marks first
//! (majorSdoId 1, an organization TLV), then the telecom profiles (two or
//! more of their domain range, message rates and clockClasses), then the
//! media profiles (rates and domain), then the default profiles when their
//! ranges fit; what fits none is [`Profile::Unknown`], and what fits two it
//! cannot tell apart (AES67 and SMPTE ST 2059-2 share most values) is said
//! so. [`check`] compares the tallies with what the identified profile
//! fixes ([`spec`]).

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use super::{Observation, PointId, Table};
use crate::wire::link::{Mac, PtpFrame, Transport};
use crate::wire::tlv::{OrganizationData, TlvBody};
use crate::wire::{Body, Flags, MessageType};

/// The forwardable PTP multicast address (IEEE 1588-2019 Annex E).
pub const FORWARDABLE: Mac = Mac([0x01, 0x1b, 0x19, 0, 0, 0]);
/// The non-forwardable one (IEEE 802.1Q reserved, Annex E).
pub const NON_FORWARDABLE: Mac = Mac([0x01, 0x80, 0xc2, 0, 0, 0x0e]);
/// SMPTE's OUI, of the ST 2059-2 synchronization metadata TLV.
pub const SMPTE: [u8; 3] = [0x68, 0x97, 0xe8];
/// Domains (with their majorSdoId) tallied; more are counted only.
const MAX_DOMAINS: usize = 256;

/// How a message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Path {
    L2Forwardable,
    L2NonForwardable,
    /// Ethernet to any other address (unicast, or no address known).
    L2Other,
    Udp4Multicast,
    Udp4Unicast,
    Udp6Multicast,
    Udp6Unicast,
}

impl Path {
    /// Every path, in the order of their declaration.
    const ALL: [Path; 7] = [
        Path::L2Forwardable,
        Path::L2NonForwardable,
        Path::L2Other,
        Path::Udp4Multicast,
        Path::Udp4Unicast,
        Path::Udp6Multicast,
        Path::Udp6Unicast,
    ];

    fn of(link: &PtpFrame<'_>) -> Self {
        let multicast = link.dst_ip.is_some_and(|ip| ip.is_multicast());
        match (link.transport, multicast) {
            (Transport::L2, _) => match link.dst_mac {
                Some(FORWARDABLE) => Path::L2Forwardable,
                Some(NON_FORWARDABLE) => Path::L2NonForwardable,
                _ => Path::L2Other,
            },
            (Transport::Udp4, true) => Path::Udp4Multicast,
            (Transport::Udp4, false) => Path::Udp4Unicast,
            (Transport::Udp6, true) => Path::Udp6Multicast,
            (Transport::Udp6, false) => Path::Udp6Unicast,
        }
    }

    fn is_l2(self) -> bool {
        matches!(
            self,
            Path::L2Forwardable | Path::L2NonForwardable | Path::L2Other
        )
    }

    fn is_unicast_ip(self) -> bool {
        matches!(self, Path::Udp4Unicast | Path::Udp6Unicast)
    }
}

/// Something a profile fixes, as seen on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fact {
    /// Any message of the domain: its domainNumber.
    Message,
    Path(Path),
    /// A Signaling message with a unicast negotiation TLV (§16.1).
    UnicastNegotiation,
    /// Delay_Req or Delay_Resp: the delay request-response mechanism.
    DelayRequestResponse,
    /// Pdelay_Req, Pdelay_Resp or Pdelay_Resp_Follow_Up: the peer delay one.
    PeerDelay,
    OneStepSync,
    TwoStepSync,
    /// A logMessageInterval (0x7F, "not applicable", is not tallied) of
    /// Sync, Announce, Delay_Resp (the requester's logMinDelayReqInterval)
    /// or Pdelay_Req.
    Interval(MessageType, i8),
    ClockClass(u8),
    Priority1(u8),
    /// An ORGANIZATION_EXTENSION TLV's organizationId.
    Organization([u8; 3]),
    /// A Follow_Up without IEEE 802.1AS's Follow_Up information TLV.
    FollowUpWithoutInformation,
}

/// How often a fact was seen, and where first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub count: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    pub first_frame: u64,
    pub point: PointId,
}

/// The tallies of one (majorSdoId, domainNumber).
pub type Facts = BTreeMap<Fact, Tally>;

/// The facts that carry no value have a slot each; the rest are in a
/// [`Table`].
const SLOTS: usize = 14;
/// The [`Table`] hint of a valued fact's kind: the interval of each
/// message type apart (a domain's streams take turns).
fn hint(f: Fact) -> usize {
    match f {
        Fact::Interval(MessageType::SYNC, _) => 0,
        Fact::Interval(MessageType::ANNOUNCE, _) => 1,
        Fact::Interval(MessageType::DELAY_RESP, _) => 2,
        Fact::Interval(..) => 3,
        Fact::ClockClass(_) => 4,
        Fact::Priority1(_) => 5,
        _ => 6,
    }
}

/// Facts with a value kept per domain at most (one frame can carry some
/// 140 ORGANIZATION_EXTENSION TLVs, each with another organizationId).
const MAX_VALUED: usize = 1024;

/// One domain's tallies while they are counted.
#[derive(Debug, Default)]
struct Tallies {
    slots: [Option<Tally>; SLOTS],
    /// The facts with a value, the latest of each kind ([`hint`])
    /// found without hashing: a stream repeats its facts.
    valued: Table<Fact, Option<Tally>>,
    /// Facts beyond [`MAX_VALUED`] are counted here, not kept.
    untallied: u64,
    /// Per messageType, the messages that showed the facts of the one
    /// before them, counted here until the facts change or are read.
    runs: [Run; 16],
}

/// Messages of one type, without TLVs, whose facts are those of the
/// message that opened the run: a stream repeats its facts, and they are
/// added to their tallies at once ([`Tallies::close`], [`Tallies::facts`]).
#[derive(Debug, Default, Clone, Copy)]
struct Run {
    /// What the facts were made of ([`run_key`]); 0 while none is open.
    key: u64,
    facts: [Option<Fact>; RUN_FACTS],
    /// The messages after the first, and the latest capture time of them.
    count: u64,
    last_ns: i64,
}

/// The facts a message without TLVs shows at most: the domain, the path,
/// the interval, and the Announce's two or the Sync's, delay mechanism's
/// or Follow_Up's one.
const RUN_FACTS: usize = 5;

/// What the facts of a message without TLVs are made of, besides its
/// messageType and domain: the path, the logMessageInterval, the
/// twoStepFlag, an Announce's clockClass and priority1. Never 0.
fn run_key(path: Option<Path>, h: &crate::wire::Header, body: &Body<'_>) -> u64 {
    let path = path.map_or(7, |p| p as u64);
    let two_step = u64::from(h.flags.contains(Flags::TWO_STEP));
    let announced = match body {
        Body::Announce(a) => {
            u64::from(a.grandmaster_clock_quality.clock_class)
                | u64::from(a.grandmaster_priority1) << 8
        }
        _ => 0,
    };
    1 << 63 | u64::from(h.log_message_interval as u8) | path << 8 | two_step << 11 | announced << 16
}

impl Tallies {
    /// The tally of `f`; `None` (counted as untallied) when `f` is beyond
    /// [`MAX_VALUED`].
    fn tally(&mut self, f: Fact) -> Option<&mut Option<Tally>> {
        let slot = match f {
            Fact::Message => 0,
            Fact::Path(p) => 1 + p as usize,
            Fact::UnicastNegotiation => 8,
            Fact::DelayRequestResponse => 9,
            Fact::PeerDelay => 10,
            Fact::OneStepSync => 11,
            Fact::TwoStepSync => 12,
            Fact::FollowUpWithoutInformation => 13,
            Fact::Interval(..)
            | Fact::ClockClass(_)
            | Fact::Priority1(_)
            | Fact::Organization(_) => {
                let t = self.valued.capped_entry(hint(f), &f, MAX_VALUED, || None);
                if t.is_none() {
                    self.untallied += 1;
                }
                return t;
            }
        };
        Some(&mut self.slots[slot])
    }

    fn facts(&self) -> Facts {
        let fixed = self.slots.iter().enumerate().filter_map(|(i, t)| {
            let f = match i {
                0 => Fact::Message,
                1..=7 => Fact::Path(Path::ALL[i - 1]),
                8 => Fact::UnicastNegotiation,
                9 => Fact::DelayRequestResponse,
                10 => Fact::PeerDelay,
                11 => Fact::OneStepSync,
                12 => Fact::TwoStepSync,
                _ => Fact::FollowUpWithoutInformation,
            };
            t.map(|t| (f, t))
        });
        let mut facts: Facts = fixed
            .chain(self.valued.iter().filter_map(|(&f, &t)| Some((f, t?))))
            .collect();
        for run in self.runs.iter().filter(|r| r.count > 0) {
            for f in run.facts.iter().flatten() {
                if let Some(t) = facts.get_mut(f) {
                    t.count += run.count;
                    t.last_ns = t.last_ns.max(run.last_ns);
                }
            }
        }
        facts
    }

    /// Adds the messages of the run of messageType `i` to their facts'
    /// tallies, and ends it.
    fn close(&mut self, i: usize) {
        let run = std::mem::take(&mut self.runs[i]);
        if run.count == 0 {
            return;
        }
        for f in run.facts.into_iter().flatten() {
            if let Some(Some(t)) = self.tally(f) {
                t.count += run.count;
                t.last_ns = t.last_ns.max(run.last_ns);
            }
        }
    }
}

/// The profile tracker.
#[derive(Debug, Default)]
pub struct Profiles {
    /// The tallies (every message adds to several): see
    /// [`Profiles::domains`] for them in order.
    tallies: Table<(u8, u8), Tallies>,
    /// Messages of domains beyond [`MAX_DOMAINS`].
    pub untracked: u64,
}

impl Profiles {
    /// Each (majorSdoId, domainNumber)'s facts, in order.
    pub fn domains(&self) -> BTreeMap<(u8, u8), Facts> {
        self.tallies.iter().map(|(&k, t)| (k, t.facts())).collect()
    }

    /// Tallies one message's facts: the header, the body, the TLVs, and of
    /// the link the transport and destination addresses.
    pub fn observe(&mut self, o: &Observation<'_, '_>) {
        let h = &o.message.header;
        let key = (h.major_sdo_id, h.domain_number);
        let Some(facts) = self
            .tallies
            .capped_entry(0, &key, MAX_DOMAINS, Tallies::default)
        else {
            self.untracked += 1;
            return;
        };
        let t = h.message_type;
        // Management messages go where a management node sends them, not
        // where the profile sends its own.
        let path = (t != MessageType::MANAGEMENT).then(|| Path::of(o.link));
        let bare = o.message.suffix.is_empty();
        let key = if bare {
            run_key(path, h, &o.message.body)
        } else {
            0
        };
        let run = &mut facts.runs[t.index()];
        if key != 0 && run.key == key {
            run.count += 1;
            run.last_ns = run.last_ns.max(o.time_ns);
            return;
        }
        facts.close(t.index());
        // Whether each fact found a tally (a run is opened only then).
        let mut note = |f: Fact| {
            let Some(t) = facts.tally(f) else {
                return false;
            };
            let t = t.get_or_insert(Tally {
                count: 0,
                first_ns: o.time_ns,
                last_ns: o.time_ns,
                first_frame: o.frame,
                point: o.point,
            });
            t.count += 1;
            t.last_ns = t.last_ns.max(o.time_ns);
            true
        };
        let mut shown = [None; RUN_FACTS];
        let mut n = 0;
        let mut show = |f: Fact| {
            shown[n] = Some(f);
            n += 1;
        };
        show(Fact::Message);
        if let Some(p) = path {
            show(Fact::Path(p));
        }
        let log = h.log_message_interval;
        if log != 0x7f
            && matches!(
                t,
                MessageType::SYNC
                    | MessageType::ANNOUNCE
                    | MessageType::DELAY_RESP
                    | MessageType::PDELAY_REQ
            )
        {
            show(Fact::Interval(t, log));
        }
        match &o.message.body {
            Body::Sync(_) if h.flags.contains(Flags::TWO_STEP) => show(Fact::TwoStepSync),
            Body::Sync(_) => show(Fact::OneStepSync),
            Body::DelayReq(_) | Body::DelayResp(_) => show(Fact::DelayRequestResponse),
            Body::PdelayReq(_) | Body::PdelayResp(_) | Body::PdelayRespFollowUp(_) => {
                show(Fact::PeerDelay)
            }
            Body::Announce(a) => {
                show(Fact::ClockClass(a.grandmaster_clock_quality.clock_class));
                show(Fact::Priority1(a.grandmaster_priority1));
            }
            // Without TLVs, no Follow_Up information TLV.
            Body::FollowUp(_) if bare => show(Fact::FollowUpWithoutInformation),
            _ => {}
        }
        let mut tallied = true;
        for f in shown.iter().flatten() {
            tallied &= note(*f);
        }
        if bare {
            if tallied {
                facts.runs[t.index()] = Run {
                    key,
                    facts: shown,
                    count: 0,
                    last_ns: i64::MIN,
                };
            }
            return;
        }
        let mut information = false;
        let mut negotiation = false;
        for tlv in o.message.tlvs().flatten() {
            match tlv.body {
                TlvBody::OrganizationExtension {
                    organization_id,
                    data,
                    ..
                } => {
                    information |= matches!(data, OrganizationData::FollowUpInformation { .. });
                    note(Fact::Organization(organization_id));
                }
                TlvBody::RequestUnicastTransmission { .. }
                | TlvBody::GrantUnicastTransmission { .. }
                | TlvBody::CancelUnicastTransmission { .. }
                | TlvBody::AcknowledgeCancelUnicastTransmission { .. } => negotiation = true,
                _ => {}
            }
        }
        if negotiation {
            note(Fact::UnicastNegotiation);
        }
        if t == MessageType::FOLLOW_UP && !information {
            note(Fact::FollowUpWithoutInformation);
        }
    }
}

/// The profiles told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Profile {
    /// IEEE 1588-2019 Annex I.3: the delay request-response default profile.
    DefaultE2e,
    /// IEEE 1588-2019 Annex I.4: the peer-to-peer default profile.
    DefaultP2p,
    G8275_1,
    G8275_2,
    G8265_1,
    Ieee802_1As,
    C37_238,
    St2059_2,
    Aes67,
    /// AES67's media profile or SMPTE ST 2059-2: the wire fits both.
    Aes67OrSt2059_2,
    /// No profile's marks, and outside the default profiles' ranges.
    Unknown,
}

/// Why a profile was chosen: the facts that picked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    MajorSdoId(u8),
    Organization([u8; 3]),
    /// The domainNumber lies in the profile's range.
    Domain(u8),
    Path(Path),
    UnicastNegotiation,
    DelayRequestResponse,
    PeerDelay,
    Interval(MessageType, i8),
    ClockClass(u8),
    /// A fact outside the ranges of the default profiles (hence not one).
    OutsideDefault(MessageType, i8),
}

/// A domain's profile and what picked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identification {
    pub profile: Profile,
    pub basis: Vec<Basis>,
}

/// The clockClasses of ITU-T G.8275.1 and G.8275.2 (G.8275.1 clause 6.4).
pub fn telecom_class(c: u8) -> bool {
    matches!(c, 6 | 7 | 135 | 140 | 150 | 160 | 165 | 248 | 255)
}

/// The clockClasses only the G.8275.x profiles use.
fn telecom_only_class(c: u8) -> bool {
    matches!(c, 135 | 140 | 150 | 160 | 165)
}

/// ITU-T G.8265.1's clockClasses: the quality levels mapped to 80-110.
fn g8265_class(c: u8) -> bool {
    (80..=110).contains(&c)
}

/// The logMessageIntervals seen of a message type.
fn intervals(facts: &Facts, t: MessageType) -> impl Iterator<Item = i8> + '_ {
    facts.keys().filter_map(move |f| match *f {
        Fact::Interval(u, log) if u == t => Some(log),
        _ => None,
    })
}

/// Picks the profile of domain `domain` (majorSdoId `sdo`) from its facts.
pub fn identify(sdo: u8, domain: u8, facts: &Facts) -> Identification {
    let has = |f: Fact| facts.contains_key(&f);
    let paths: Vec<Path> = facts
        .keys()
        .filter_map(|f| match *f {
            Fact::Path(p) => Some(p),
            _ => None,
        })
        .collect();
    let oui = |o: [u8; 3]| has(Fact::Organization(o));
    let found = |profile, basis| Identification { profile, basis };
    let path_basis = || paths.iter().map(|&p| Basis::Path(p));
    // majorSdoId 1 is 802.1AS's over Ethernet; over UDP the 2008 edition's
    // transportSpecific bit 0 was Annex D's V1-compatibility bit.
    let all_l2 = !paths.is_empty() && paths.iter().all(|p| p.is_l2());
    let gptp_sdo = sdo == 1 && (all_l2 || paths.is_empty());
    if gptp_sdo || oui(OrganizationData::IEEE_802_1) {
        let mut b = Vec::new();
        if gptp_sdo {
            b.push(Basis::MajorSdoId(1));
        }
        if oui(OrganizationData::IEEE_802_1) {
            b.push(Basis::Organization(OrganizationData::IEEE_802_1));
        }
        return found(Profile::Ieee802_1As, b);
    }
    if oui(OrganizationData::IEEE_C37_238) {
        return found(
            Profile::C37_238,
            vec![Basis::Organization(OrganizationData::IEEE_C37_238)],
        );
    }
    if oui(SMPTE) {
        return found(Profile::St2059_2, vec![Basis::Organization(SMPTE)]);
    }
    let classes: Vec<u8> = facts
        .keys()
        .filter_map(|f| match *f {
            Fact::ClockClass(c) => Some(c),
            _ => None,
        })
        .collect();
    let ip_unicast = paths.iter().any(|p| p.is_unicast_ip());
    let delay_req = has(Fact::DelayRequestResponse);
    let pdelay = has(Fact::PeerDelay);
    // ITU-T G.8275.1: Ethernet, and two or more of its domain range, its
    // fixed rates and the clockClasses only the G.8275.x profiles use.
    if all_l2 && !pdelay {
        let mut b: Vec<Basis> = Vec::new();
        if (24..=43).contains(&domain) {
            b.push(Basis::Domain(domain));
        }
        for (t, log) in [(MessageType::SYNC, -4), (MessageType::ANNOUNCE, -3)] {
            if has(Fact::Interval(t, log)) {
                b.push(Basis::Interval(t, log));
            }
        }
        if let Some(&c) = classes.iter().find(|&&c| telecom_only_class(c)) {
            b.push(Basis::ClockClass(c));
        }
        if b.len() >= 2 {
            b.extend(path_basis());
            b.push(Basis::DelayRequestResponse);
            return found(Profile::G8275_1, b);
        }
    }
    // ITU-T G.8275.2 and G.8265.1: unicast over UDP, told apart by their
    // domain ranges, else by their clockClasses.
    if !paths.is_empty() && !all_l2 && (ip_unicast || has(Fact::UnicastNegotiation)) {
        let mut b: Vec<Basis> = path_basis().collect();
        if has(Fact::UnicastNegotiation) {
            b.push(Basis::UnicastNegotiation);
        }
        let by_class = |ok: fn(u8) -> bool| classes.iter().copied().find(|&c| ok(c));
        let profile = if (44..=63).contains(&domain) {
            b.push(Basis::Domain(domain));
            Some(Profile::G8275_2)
        } else if (4..=23).contains(&domain) {
            b.push(Basis::Domain(domain));
            Some(Profile::G8265_1)
        } else if let Some(c) = by_class(telecom_only_class) {
            b.push(Basis::ClockClass(c));
            Some(Profile::G8275_2)
        } else if let Some(c) = by_class(g8265_class) {
            b.push(Basis::ClockClass(c));
            Some(Profile::G8265_1)
        } else {
            None
        };
        if let Some(p) = profile {
            return found(p, b);
        }
    }
    let sync: Vec<i8> = intervals(facts, MessageType::SYNC).collect();
    let announce: Vec<i8> = intervals(facts, MessageType::ANNOUNCE).collect();
    let all = |v: &[i8], r: RangeInclusive<i8>| !v.is_empty() && v.iter().all(|x| r.contains(x));
    let over_ip = !paths.is_empty() && !all_l2;
    // The media profiles, over UDP: SMPTE ST 2059-2's default domain 127
    // with its Sync rates; AES67's Sync rates with Announce rates ST
    // 2059-2 does not allow; or rates both allow and nothing else to tell.
    if over_ip && !pdelay {
        let mut b: Vec<Basis> = path_basis().collect();
        b.extend(sync.iter().map(|&l| Basis::Interval(MessageType::SYNC, l)));
        b.extend(
            announce
                .iter()
                .map(|&l| Basis::Interval(MessageType::ANNOUNCE, l)),
        );
        if domain == 127 && all(&sync, -7..=-1) {
            b.insert(0, Basis::Domain(127));
            return found(Profile::St2059_2, b);
        }
        if all(&sync, -4..=-2) && all(&announce, 1..=4) {
            return found(Profile::Aes67, b);
        }
        if all(&sync, -4..=-2) && announce.iter().all(|&l| l == 0) {
            return found(Profile::Aes67OrSt2059_2, b);
        }
    }
    // The default profiles (IEEE 1588-2019 Annex I.3.2, I.4.2): any
    // transport, their ranges of rates.
    let mut b: Vec<Basis> = path_basis().collect();
    let mechanism = if pdelay && !delay_req {
        b.push(Basis::PeerDelay);
        Profile::DefaultP2p
    } else {
        if delay_req {
            b.push(Basis::DelayRequestResponse);
        }
        Profile::DefaultE2e
    };
    let ranges = [
        (MessageType::SYNC, -1..=1),
        (MessageType::ANNOUNCE, 0..=4),
        (MessageType::DELAY_RESP, 0..=5),
        (MessageType::PDELAY_REQ, 0..=5),
    ];
    let mut outside = false;
    for (t, r) in ranges {
        for log in intervals(facts, t).filter(|l| !r.contains(l)) {
            b.push(Basis::OutsideDefault(t, log));
            outside = true;
        }
    }
    found(if outside { Profile::Unknown } else { mechanism }, b)
}

/// What a profile check compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    Domain,
    Transport,
    DelayMechanism,
    MessageRate,
    ClockClass,
    Priority1,
    Tlv,
}

/// A message type's logMessageInterval range, its clause and the range in
/// words.
pub type Rate = (MessageType, RangeInclusive<i8>, &'static str, &'static str);

/// The clockClasses allowed, their clause and the list in words.
pub type Classes = (fn(u8) -> bool, &'static str, &'static str);

/// What a profile fixes, each with the clause it rests on and the allowed
/// values in words. `None`: the profile leaves it open (or the wire does
/// not show it).
#[derive(Debug, Clone)]
pub struct Spec {
    pub domains: Option<(RangeInclusive<u8>, &'static str, &'static str)>,
    pub paths: Option<(&'static [Path], &'static str, &'static str)>,
    /// Unicast negotiation is not part of the profile.
    pub no_negotiation: Option<&'static str>,
    /// The one delay mechanism allowed: peer delay when true.
    pub peer_delay: Option<(bool, &'static str)>,
    pub rates: &'static [Rate],
    pub clock_classes: Option<Classes>,
    pub priority1: Option<(u8, &'static str)>,
    /// Every Follow_Up carries the Follow_Up information TLV.
    pub follow_up_information: Option<&'static str>,
    /// announceReceiptTimeout (its default: the configured one is not on
    /// the wire), and its clause.
    pub announce_receipt_timeout: Option<(u8, &'static str)>,
}

const OPEN: Spec = Spec {
    domains: None,
    paths: None,
    no_negotiation: None,
    peer_delay: None,
    rates: &[],
    clock_classes: None,
    priority1: None,
    follow_up_information: None,
    announce_receipt_timeout: None,
};

const G8275_1_A2: &str = "ITU-T G.8275.1 (2022) clause 6.2, Annex A.2 (PTP attribute values)";
const G8275_2_A2: &str = "ITU-T G.8275.2 (2022) clause 6.2, Annex A.2 (PTP attribute values)";
const G8265_1_A2: &str = "ITU-T G.8265.1 (2022) Annex A.2 (PTP attribute values)";
const ST2059_2_55: &str = "SMPTE ST 2059-2:2015 §5.5 (PTP attribute values)";
const AES67_A: &str = "AES67-2018 Annex A (media profile attribute values)";
const C37_238: &str = "IEEE C37.238-2011 and -2017 profile attributes (Ethernet multicast, peer delay, 1 s intervals)";

/// What each profile fixes.
pub fn spec(p: Profile) -> Spec {
    const L2: &[Path] = &[Path::L2Forwardable, Path::L2NonForwardable];
    const IP_UNICAST: &[Path] = &[Path::Udp4Unicast, Path::Udp6Unicast];
    const UDP: &[Path] = &[
        Path::Udp4Multicast,
        Path::Udp4Unicast,
        Path::Udp6Multicast,
        Path::Udp6Unicast,
    ];
    match p {
        Profile::G8275_1 => Spec {
            domains: Some((24..=43, G8275_1_A2, "domainNumber 24–43")),
            paths: Some((
                L2,
                "ITU-T G.8275.1 (2022) clause 6.2 (Ethernet multicast to 01-1B-19-00-00-00 or 01-80-C2-00-00-0E), Annex A.3",
                "Ethernet multicast to 01-1B-19-00-00-00 or 01-80-C2-00-00-0E",
            )),
            no_negotiation: Some(
                "ITU-T G.8275.1 (2022) clause 6.2 (multicast only; no unicast negotiation)",
            ),
            peer_delay: Some((
                false,
                "ITU-T G.8275.1 (2022) Annex A.5 (delay request-response)",
            )),
            rates: &[
                (MessageType::SYNC, -4..=-4, G8275_1_A2, "16 per second (-4)"),
                (
                    MessageType::DELAY_RESP,
                    -4..=-4,
                    G8275_1_A2,
                    "16 per second (-4)",
                ),
                (
                    MessageType::ANNOUNCE,
                    -3..=-3,
                    G8275_1_A2,
                    "8 per second (-3)",
                ),
            ],
            clock_classes: Some((
                telecom_class,
                "ITU-T G.8275.1 (2022) clause 6.4 (clockClass values)",
                "6, 7, 135, 140, 150, 160, 165, 248 or 255",
            )),
            priority1: Some((128, G8275_1_A2)),
            announce_receipt_timeout: Some((3, G8275_1_A2)),
            ..OPEN
        },
        Profile::G8275_2 => Spec {
            domains: Some((44..=63, G8275_2_A2, "domainNumber 44–63")),
            paths: Some((
                IP_UNICAST,
                "ITU-T G.8275.2 (2022) clause 6.2 (unicast UDP over IPv4 or IPv6)",
                "unicast UDP over IPv4 or IPv6",
            )),
            peer_delay: Some((
                false,
                "ITU-T G.8275.2 (2022) Annex A.5 (delay request-response)",
            )),
            rates: &[
                (
                    MessageType::SYNC,
                    -7..=0,
                    G8275_2_A2,
                    "1 to 128 per second (-7 to 0)",
                ),
                (
                    MessageType::DELAY_RESP,
                    -7..=0,
                    G8275_2_A2,
                    "1 to 128 per second (-7 to 0)",
                ),
                (
                    MessageType::ANNOUNCE,
                    -3..=0,
                    G8275_2_A2,
                    "1 to 8 per second (-3 to 0)",
                ),
            ],
            clock_classes: Some((
                telecom_class,
                "ITU-T G.8275.2 (2022) clause 6.4 (clockClass values)",
                "6, 7, 135, 140, 150, 160, 165, 248 or 255",
            )),
            priority1: Some((128, G8275_2_A2)),
            announce_receipt_timeout: Some((3, G8275_2_A2)),
            ..OPEN
        },
        Profile::G8265_1 => Spec {
            domains: Some((4..=23, G8265_1_A2, "domainNumber 4–23")),
            paths: Some((
                IP_UNICAST,
                "ITU-T G.8265.1 (2022) clause 6.4 (PTP mapping: unicast UDP over IPv4 or IPv6)",
                "unicast UDP over IPv4 or IPv6",
            )),
            peer_delay: Some((
                false,
                "ITU-T G.8265.1 (2022) Annex A.5 (delay request-response)",
            )),
            rates: &[
                (
                    MessageType::SYNC,
                    -7..=4,
                    "ITU-T G.8265.1 (2022) clause 6.5 (message rates)",
                    "1/16 to 128 per second (-7 to 4)",
                ),
                (
                    MessageType::DELAY_RESP,
                    -7..=4,
                    "ITU-T G.8265.1 (2022) clause 6.5 (message rates)",
                    "1/16 to 128 per second (-7 to 4)",
                ),
                (
                    MessageType::ANNOUNCE,
                    -3..=4,
                    "ITU-T G.8265.1 (2022) clause 6.5 (message rates)",
                    "1/16 to 8 per second (-3 to 4)",
                ),
            ],
            clock_classes: Some((
                g8265_class,
                "ITU-T G.8265.1 (2022) clause 6.7 (clockClass from the quality level)",
                "80–110",
            )),
            ..OPEN
        },
        Profile::Ieee802_1As => Spec {
            paths: Some((
                &[Path::L2NonForwardable],
                "IEEE 802.1AS-2020 clause 11 (full-duplex IEEE 802.3 links: frames to 01-80-C2-00-00-0E)",
                "Ethernet to 01-80-C2-00-00-0E",
            )),
            peer_delay: Some((true, "IEEE 802.1AS-2020 clause 11 (peer delay mechanism)")),
            follow_up_information: Some("IEEE 802.1AS-2020 §11.4.4.3 (Follow_Up information TLV)"),
            announce_receipt_timeout: Some((
                3,
                "IEEE 802.1AS-2020 §10.7.3.2 (announceReceiptTimeout)",
            )),
            ..OPEN
        },
        Profile::C37_238 => Spec {
            paths: Some((L2, C37_238, "Ethernet multicast")),
            peer_delay: Some((true, C37_238)),
            rates: &[
                (MessageType::SYNC, 0..=0, C37_238, "1 per second (0)"),
                (MessageType::ANNOUNCE, 0..=0, C37_238, "1 per second (0)"),
                (MessageType::PDELAY_REQ, 0..=0, C37_238, "1 per second (0)"),
            ],
            ..OPEN
        },
        Profile::St2059_2 => Spec {
            domains: Some((0..=127, ST2059_2_55, "domainNumber 0–127")),
            paths: Some((
                UDP,
                "SMPTE ST 2059-2:2015 §5.9 (UDP over IP)",
                "UDP over IPv4 or IPv6",
            )),
            rates: &[
                (
                    MessageType::SYNC,
                    -7..=-1,
                    ST2059_2_55,
                    "2 to 128 per second (-7 to -1)",
                ),
                (
                    MessageType::ANNOUNCE,
                    -3..=0,
                    ST2059_2_55,
                    "1 to 8 per second (-3 to 0)",
                ),
                (
                    MessageType::DELAY_RESP,
                    -7..=4,
                    ST2059_2_55,
                    "the Sync interval to 32 times it (-7 to 4)",
                ),
            ],
            announce_receipt_timeout: Some((3, ST2059_2_55)),
            ..OPEN
        },
        Profile::Aes67 => Spec {
            domains: Some((0..=127, AES67_A, "domainNumber 0–127")),
            paths: Some((
                &[Path::Udp4Multicast, Path::Udp4Unicast],
                "AES67-2018 §6 (PTP over UDP/IPv4)",
                "UDP over IPv4",
            )),
            rates: &[
                (
                    MessageType::SYNC,
                    -4..=1,
                    AES67_A,
                    "1/2 to 16 per second (-4 to 1)",
                ),
                (
                    MessageType::ANNOUNCE,
                    0..=4,
                    AES67_A,
                    "1/16 to 1 per second (0 to 4)",
                ),
            ],
            announce_receipt_timeout: Some((3, AES67_A)),
            ..OPEN
        },
        Profile::DefaultE2e | Profile::DefaultP2p | Profile::Aes67OrSt2059_2 | Profile::Unknown => {
            OPEN
        }
    }
}

/// A fact the identified profile does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub check: Check,
    pub profile: Profile,
    pub fact: Fact,
    pub tally: Tally,
    pub clause: &'static str,
    /// What the profile allows, in its words.
    pub allowed: &'static str,
}

/// The facts of a domain that its profile does not allow.
pub fn check(profile: Profile, domain: u8, facts: &Facts) -> Vec<Violation> {
    let s = spec(profile);
    let mut v = Vec::new();
    for (&fact, &tally) in facts {
        let broken: Option<(Check, &'static str, &'static str)> = match fact {
            Fact::Message => s
                .domains
                .as_ref()
                .filter(|(r, ..)| !r.contains(&domain))
                .map(|&(_, c, a)| (Check::Domain, c, a)),
            Fact::Path(p) => s
                .paths
                .as_ref()
                .filter(|(ok, ..)| !ok.contains(&p))
                .map(|&(_, c, a)| (Check::Transport, c, a)),
            Fact::UnicastNegotiation => s
                .no_negotiation
                .map(|c| (Check::Transport, c, "multicast, no unicast negotiation")),
            Fact::DelayRequestResponse | Fact::PeerDelay => s
                .peer_delay
                .filter(|&(peer, _)| peer != (fact == Fact::PeerDelay))
                .map(|(peer, c)| {
                    let allowed = if peer {
                        "the peer delay mechanism (Pdelay)"
                    } else {
                        "the delay request-response mechanism (Delay_Req)"
                    };
                    (Check::DelayMechanism, c, allowed)
                }),
            Fact::Interval(t, log) => s
                .rates
                .iter()
                .find(|(u, r, ..)| *u == t && !r.contains(&log))
                .map(|&(_, _, c, a)| (Check::MessageRate, c, a)),
            Fact::ClockClass(c) => s
                .clock_classes
                .filter(|(ok, ..)| !ok(c))
                .map(|(_, cl, a)| (Check::ClockClass, cl, a)),
            Fact::Priority1(p) => s
                .priority1
                .filter(|&(fixed, _)| fixed != p)
                .map(|(_, c)| (Check::Priority1, c, "priority1 128")),
            Fact::FollowUpWithoutInformation => s.follow_up_information.map(|c| {
                (
                    Check::Tlv,
                    c,
                    "a Follow_Up information TLV in every Follow_Up",
                )
            }),
            Fact::OneStepSync | Fact::TwoStepSync | Fact::Organization(_) => None,
        };
        if let Some((check, clause, allowed)) = broken {
            v.push(Violation {
                check,
                profile,
                fact,
                tally,
                clause,
                allowed,
            });
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::super::Analyzer;
    use super::super::testing::*;
    use super::*;

    const S: i64 = 1_000_000_000;

    /// An Announce body: priority1, clockClass.
    fn announce_body(p1: u8, class: u8) -> Vec<u8> {
        let mut b = ts(0, 0);
        b.extend_from_slice(&37i16.to_be_bytes());
        b.push(0);
        b.push(p1);
        b.extend_from_slice(&[class, 0x21, 0x4e, 0x5d]);
        b.push(128);
        b.extend_from_slice(&port(1, 0).clock_identity.0);
        b.extend_from_slice(&0u16.to_be_bytes());
        b.push(0x20);
        b
    }

    fn with_domain(
        mut m: crate::wire::Message<'static>,
        sdo: u8,
        d: u8,
    ) -> crate::wire::Message<'static> {
        m.header.domain_number = d;
        m.header.major_sdo_id = sdo;
        m
    }

    fn l2(dst: Mac) -> PtpFrame<'static> {
        PtpFrame {
            dst_mac: Some(dst),
            ..PtpFrame::bare(Transport::L2)
        }
    }

    fn udp4(dst: [u8; 4]) -> PtpFrame<'static> {
        PtpFrame {
            dst_ip: Some(std::net::IpAddr::from(dst)),
            ..PtpFrame::bare(Transport::Udp4)
        }
    }

    /// Ten seconds of a master and a slave: Sync at `sync`, Announce at
    /// `announce` (logMessageInterval), Delay_Req/Resp at `sync`, over `f`.
    #[allow(clippy::too_many_arguments)]
    fn network(
        sdo: u8,
        domain: u8,
        f: &PtpFrame<'static>,
        sync: i8,
        announce: i8,
        p1: u8,
        class: u8,
    ) -> Analyzer {
        let mut a = Analyzer::default();
        let m = port(1, 1);
        let sl = port(2, 1);
        for i in 0..10u16 {
            let t = i64::from(i) * S;
            let msgs = [
                message(0x0, m, i, Flags::TWO_STEP, sync, &ts(0, 0)),
                message(0x8, m, i, 0, sync, &ts(100, 0)),
                message(0xB, m, i, 0, announce, &announce_body(p1, class)),
                message(0x1, sl, i, 0, 0x7f, &ts(0, 0)),
                message(0x9, m, i, 0, sync, &[ts(100, 0), vec![0; 10]].concat()),
            ];
            for (k, msg) in msgs.into_iter().enumerate() {
                see(
                    &mut a,
                    &with_domain(msg, sdo, domain),
                    f,
                    t + k as i64 * 1000,
                );
            }
        }
        a
    }

    fn identified(a: &Analyzer, key: (u8, u8)) -> Identification {
        identify(key.0, key.1, &a.profiles.domains()[&key])
    }

    fn checks(a: &Analyzer, key: (u8, u8)) -> Vec<Check> {
        let domains = a.profiles.domains();
        let facts = &domains[&key];
        let mut v: Vec<Check> = check(identify(key.0, key.1, facts).profile, key.1, facts)
            .into_iter()
            .map(|v| v.check)
            .collect();
        v.dedup();
        v
    }

    #[test]
    fn g8275_1_is_identified_and_clean_when_it_keeps_its_values() {
        let a = network(0, 24, &l2(FORWARDABLE), -4, -3, 128, 6);
        let id = identified(&a, (0, 24));
        assert_eq!(id.profile, Profile::G8275_1);
        assert!(id.basis.contains(&Basis::Domain(24)), "{:?}", id.basis);
        assert!(checks(&a, (0, 24)).is_empty());
    }

    #[test]
    fn g8275_1_at_the_wrong_domain_and_rate_is_still_told_by_its_other_marks() {
        // Domain 0, Announce at 1/s: Sync 16/s and clockClass 165 remain.
        let a = network(0, 0, &l2(NON_FORWARDABLE), -4, 0, 100, 165);
        assert_eq!(identified(&a, (0, 0)).profile, Profile::G8275_1);
        assert_eq!(
            checks(&a, (0, 0)),
            [Check::Domain, Check::MessageRate, Check::Priority1]
        );
        // One mark alone (the domain) picks no telecom profile.
        let a = network(0, 30, &l2(FORWARDABLE), 0, 1, 128, 248);
        assert_eq!(identified(&a, (0, 30)).profile, Profile::DefaultE2e);
    }

    #[test]
    fn g8275_1_class_and_transport_violations() {
        let a = network(0, 24, &udp4([224, 0, 1, 129]), -4, -3, 128, 52);
        // Over UDP it is not picked as G.8275.1 (Ethernet is its mark)...
        assert_ne!(identified(&a, (0, 24)).profile, Profile::G8275_1);
        // ... but a clockClass it does not allow, over Ethernet, is found.
        let a = network(0, 24, &l2(Mac([2, 0, 0, 0, 0, 9])), -4, -3, 128, 52);
        assert_eq!(identified(&a, (0, 24)).profile, Profile::G8275_1);
        assert_eq!(checks(&a, (0, 24)), [Check::Transport, Check::ClockClass]);
    }

    #[test]
    fn gptp_is_told_by_its_major_sdo_id_and_wants_peer_delay_and_its_tlv() {
        let a = network(1, 0, &l2(NON_FORWARDABLE), -3, 0, 246, 248);
        let id = identified(&a, (1, 0));
        assert_eq!(id.profile, Profile::Ieee802_1As);
        assert_eq!(id.basis, [Basis::MajorSdoId(1)]);
        // Delay_Req instead of Pdelay, Follow_Ups without the TLV.
        assert_eq!(checks(&a, (1, 0)), [Check::DelayMechanism, Check::Tlv]);
        // Over UDP, majorSdoId 1 is no mark of it.
        let a = network(1, 0, &udp4([224, 0, 1, 129]), 0, 1, 128, 248);
        assert_eq!(identified(&a, (1, 0)).profile, Profile::DefaultE2e);
    }

    #[test]
    fn unicast_telecom_profiles_by_domain_then_class() {
        let unicast = udp4([10, 0, 0, 2]);
        let a = network(0, 44, &unicast, -6, -3, 128, 6);
        assert_eq!(identified(&a, (0, 44)).profile, Profile::G8275_2);
        assert!(checks(&a, (0, 44)).is_empty());
        let a = network(0, 4, &unicast, -6, 1, 128, 84);
        assert_eq!(identified(&a, (0, 4)).profile, Profile::G8265_1);
        assert!(checks(&a, (0, 4)).is_empty());
        // At a domain of neither, the clockClass tells, and the domain is
        // then the violation.
        let a = network(0, 0, &unicast, -6, 1, 128, 84);
        assert_eq!(identified(&a, (0, 0)).profile, Profile::G8265_1);
        assert_eq!(checks(&a, (0, 0)), [Check::Domain]);
    }

    #[test]
    fn media_profiles_and_what_cannot_be_told_apart() {
        let mc = udp4([224, 0, 1, 129]);
        let a = network(0, 127, &mc, -3, -2, 128, 248);
        assert_eq!(identified(&a, (0, 127)).profile, Profile::St2059_2);
        assert!(checks(&a, (0, 127)).is_empty());
        let a = network(0, 127, &mc, -3, 2, 128, 248);
        assert_eq!(checks(&a, (0, 127)), [Check::MessageRate]);
        let a = network(0, 0, &mc, -3, 1, 128, 248);
        assert_eq!(identified(&a, (0, 0)).profile, Profile::Aes67);
        let a = network(0, 0, &mc, -3, 0, 128, 248);
        assert_eq!(identified(&a, (0, 0)).profile, Profile::Aes67OrSt2059_2);
        assert!(checks(&a, (0, 0)).is_empty());
        // The default profile's rates, or none.
        let a = network(0, 0, &mc, 0, 1, 128, 248);
        assert_eq!(identified(&a, (0, 0)).profile, Profile::DefaultE2e);
        let a = network(0, 0, &l2(FORWARDABLE), -3, -1, 128, 248);
        let id = identified(&a, (0, 0));
        assert_eq!(id.profile, Profile::Unknown);
        assert!(
            id.basis
                .contains(&Basis::OutsideDefault(MessageType::SYNC, -3))
        );
    }

    #[test]
    fn a_valued_fact_keeps_one_tally_whether_remembered_or_looked_up() {
        let mut t = Tallies::default();
        let facts = [
            Fact::Interval(MessageType::SYNC, 0),
            Fact::Interval(MessageType::ANNOUNCE, 1),
            Fact::Interval(MessageType::SYNC, -3),
            Fact::ClockClass(6),
            Fact::Interval(MessageType::SYNC, 0),
        ];
        for round in 1..=3u64 {
            for f in facts {
                if let Some(t) = t.tally(f) {
                    t.get_or_insert_default().count += 1;
                }
            }
            let tally = |f| t.facts().get(&f).map(|t: &Tally| t.count);
            assert_eq!(tally(Fact::Interval(MessageType::SYNC, 0)), Some(2 * round));
            assert_eq!(tally(Fact::Interval(MessageType::SYNC, -3)), Some(round));
            assert_eq!(tally(Fact::ClockClass(6)), Some(round));
        }
        assert_eq!(t.valued.len(), 4);
    }

    #[test]
    fn facts_with_a_value_are_kept_to_a_bound() {
        let mut t = Tallies::default();
        for i in 0..2_000u32 {
            let [_, a, b, c] = i.to_be_bytes();
            if let Some(t) = t.tally(Fact::Organization([a, b, c])) {
                *t = Some(Tally::default());
            }
        }
        assert_eq!(t.valued.len(), MAX_VALUED);
        assert_eq!(t.untallied, 2_000 - MAX_VALUED as u64);
        assert_eq!(t.facts().len(), MAX_VALUED);
    }

    #[test]
    fn every_fact_comes_back_as_itself() {
        let mut all = vec![
            Fact::Message,
            Fact::UnicastNegotiation,
            Fact::DelayRequestResponse,
            Fact::PeerDelay,
            Fact::OneStepSync,
            Fact::TwoStepSync,
            Fact::FollowUpWithoutInformation,
            Fact::Interval(MessageType::SYNC, -4),
            Fact::ClockClass(6),
            Fact::Priority1(128),
            Fact::Organization([0, 0x80, 0xc2]),
        ];
        all.extend(Path::ALL.map(Fact::Path));
        let mut t = Tallies::default();
        for (i, &f) in all.iter().enumerate() {
            *t.tally(f).unwrap() = Some(Tally {
                count: i as u64,
                ..Tally::default()
            });
        }
        let facts = t.facts();
        assert_eq!(facts.len(), all.len());
        for (i, f) in all.iter().enumerate() {
            assert_eq!(facts[f].count, i as u64, "{f:?}");
        }
    }

    /// Observes `m` with the profiles alone, as frame `frame` at `t`.
    fn tally(p: &mut Profiles, m: &crate::wire::Message<'static>, frame: u64, t: i64) {
        p.observe(&Observation {
            point: 0,
            frame,
            time_ns: t,
            resolution_ns: 1,
            link: &l2(FORWARDABLE),
            message: m,
            content: None,
        });
    }

    /// (count, first_ns, last_ns, first_frame) of `f` in domain 0.
    fn of(p: &Profiles, f: Fact) -> Option<(u64, i64, i64, u64)> {
        let t = *p.domains().get(&(0, 0))?.get(&f)?;
        Some((t.count, t.first_ns, t.last_ns, t.first_frame))
    }

    #[test]
    fn a_run_of_like_messages_is_tallied_as_each_message_was() {
        let mut p = Profiles::default();
        let m = port(1, 1);
        let sync = |log: i8| message(0x0, m, 0, 0, log, &ts(0, 0));
        // A run of three, broken by another interval, opened again; one
        // message earlier than the latest (capture times can go back).
        tally(&mut p, &sync(-3), 1, 10);
        tally(&mut p, &sync(-3), 2, 20);
        tally(&mut p, &sync(-3), 3, 30);
        tally(&mut p, &sync(0), 4, 40);
        tally(&mut p, &sync(-3), 5, 50);
        // Read while a run is open, then after more of it.
        assert_eq!(
            of(&p, Fact::Interval(MessageType::SYNC, -3)),
            Some((4, 10, 50, 1))
        );
        tally(&mut p, &sync(-3), 6, 45);
        tally(&mut p, &sync(-3), 7, 60);
        let sync_3 = of(&p, Fact::Interval(MessageType::SYNC, -3));
        assert_eq!(sync_3, Some((6, 10, 60, 1)));
        assert_eq!(
            of(&p, Fact::Interval(MessageType::SYNC, 0)),
            Some((1, 40, 40, 4))
        );
        assert_eq!(of(&p, Fact::OneStepSync), Some((7, 10, 60, 1)));
        assert_eq!(
            of(&p, Fact::Path(Path::L2Forwardable)),
            Some((7, 10, 60, 1))
        );
        // Follow_Ups: without TLVs (a run), with an organization TLV that
        // is not IEEE 802.1AS's information TLV, and without again.
        let follow_up = |tlv: &[u8]| message(0x8, m, 0, 0, 0, &[ts(0, 0), tlv.to_vec()].concat());
        let other_org = [0x00, 0x03, 0x00, 0x06, 1, 2, 3, 0, 0, 0];
        tally(&mut p, &follow_up(&[]), 8, 70);
        tally(&mut p, &follow_up(&[]), 9, 80);
        tally(&mut p, &follow_up(&other_org), 10, 90);
        tally(&mut p, &follow_up(&[]), 11, 100);
        let without = of(&p, Fact::FollowUpWithoutInformation);
        assert_eq!(without, Some((4, 70, 100, 8)));
        assert_eq!(of(&p, Fact::Organization([1, 2, 3])), Some((1, 90, 90, 10)));
        // Runs of another type went on meanwhile: the Syncs' are intact,
        // and every message counts once as a message of the domain.
        assert_eq!(of(&p, Fact::Interval(MessageType::SYNC, -3)), sync_3);
        assert_eq!(of(&p, Fact::Message), Some((11, 10, 100, 1)));
        // An Announce with another clockClass breaks its run.
        let announce = |class: u8| message(0xB, m, 0, 0, 1, &announce_body(128, class));
        for (i, class) in [6, 6, 7, 6].into_iter().enumerate() {
            tally(&mut p, &announce(class), 12 + i as u64, 110 + 10 * i as i64);
        }
        assert_eq!(of(&p, Fact::ClockClass(6)), Some((3, 110, 140, 12)));
        assert_eq!(of(&p, Fact::ClockClass(7)), Some((1, 130, 130, 14)));
        assert_eq!(of(&p, Fact::Priority1(128)), Some((4, 110, 140, 12)));
    }

    #[test]
    fn a_message_with_a_fact_beyond_the_bound_opens_no_run() {
        let mut p = Profiles::default();
        let sync = message(0x0, port(1, 1), 0, 0, -3, &ts(0, 0));
        tally(&mut p, &sync, 1, 10);
        // The domain's valued facts fill up; the Syncs' interval is one.
        let facts = p
            .tallies
            .capped_entry(0, &(0, 0), 1, Tallies::default)
            .unwrap();
        for i in 0..MAX_VALUED as u32 {
            let [_, a, b, c] = i.to_be_bytes();
            if let Some(t) = facts.tally(Fact::Organization([a, b, c])) {
                t.get_or_insert_default();
            }
        }
        let before = facts.untallied;
        // A new interval cannot be tallied: each message counts as
        // untallied, and the facts it has a tally for still count it.
        let other = message(0x0, port(1, 1), 0, 0, -4, &ts(0, 0));
        for i in 0..3 {
            tally(&mut p, &other, 2 + i, 20 + i as i64);
        }
        let facts = p
            .tallies
            .capped_entry(0, &(0, 0), 1, Tallies::default)
            .unwrap();
        assert_eq!(facts.untallied - before, 3);
        assert_eq!(of(&p, Fact::Interval(MessageType::SYNC, -4)), None);
        assert_eq!(of(&p, Fact::OneStepSync), Some((4, 10, 22, 1)));
    }

    #[test]
    fn facts_keep_their_first_occurrence() {
        let mut a = Analyzer::default();
        let f = l2(FORWARDABLE);
        let m = message(0x0, port(1, 1), 0, 0, -4, &ts(0, 0));
        see(&mut a, &m, &f, 5 * S);
        see(&mut a, &m, &f, 7 * S);
        let t = a.profiles.domains()[&(0, 0)][&Fact::OneStepSync];
        assert_eq!((t.count, t.first_ns, t.last_ns), (2, 5 * S, 7 * S));
    }
}
