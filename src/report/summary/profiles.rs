//! Each domain's profile as JSON, with the facts that picked it in words.

use serde::Serialize;

use crate::analysis::profile::{
    self, Basis, Fact, Identification, Path, Profile, Profiles, Violation,
};
use crate::wire::MessageType;

/// One domain's profile.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileJson {
    pub major_sdo_id: u8,
    pub domain: u8,
    /// Stable name: `default_e2e`, `default_p2p`, `g8275_1`, `g8275_2`,
    /// `g8265_1`, `ieee802_1as`, `c37_238`, `st2059_2`, `aes67`,
    /// `aes67_or_st2059_2`, `unknown`.
    pub profile: &'static str,
    /// The profile's name in words.
    pub name: &'static str,
    /// The facts that picked it.
    pub basis: Vec<String>,
    pub messages: u64,
    /// The profile's default announceReceiptTimeout, in Announce
    /// intervals, where it fixes one (the `receipt_timeouts` finding
    /// counts silences of 3 intervals).
    pub announce_receipt_timeout: Option<u8>,
    #[serde(skip)]
    pub identified: Profile,
    /// What the profile fixes that the wire shows otherwise (worded into
    /// `findings`).
    #[serde(skip)]
    pub violations: Vec<Violation>,
}

/// The stable name and the words of a profile.
pub fn profile_names(p: Profile) -> (&'static str, &'static str) {
    match p {
        Profile::DefaultE2e => ("default_e2e", "IEEE 1588 default (delay request-response)"),
        Profile::DefaultP2p => ("default_p2p", "IEEE 1588 default (peer-to-peer)"),
        Profile::G8275_1 => ("g8275_1", "ITU-T G.8275.1"),
        Profile::G8275_2 => ("g8275_2", "ITU-T G.8275.2"),
        Profile::G8265_1 => ("g8265_1", "ITU-T G.8265.1"),
        Profile::Ieee802_1As => ("ieee802_1as", "IEEE 802.1AS (gPTP)"),
        Profile::C37_238 => ("c37_238", "IEEE C37.238 (power profile)"),
        Profile::St2059_2 => ("st2059_2", "SMPTE ST 2059-2"),
        Profile::Aes67 => ("aes67", "AES67 media profile"),
        Profile::Aes67OrSt2059_2 => (
            "aes67_or_st2059_2",
            "AES67 media profile or SMPTE ST 2059-2 (the wire fits both)",
        ),
        Profile::Unknown => ("unknown", "none identified"),
    }
}

pub fn path_name(p: Path) -> &'static str {
    match p {
        Path::L2Forwardable => "Ethernet to 01-1B-19-00-00-00",
        Path::L2NonForwardable => "Ethernet to 01-80-C2-00-00-0E",
        Path::L2Other => "Ethernet to another address",
        Path::Udp4Multicast => "UDP/IPv4 multicast",
        Path::Udp4Unicast => "UDP/IPv4 unicast",
        Path::Udp6Multicast => "UDP/IPv6 multicast",
        Path::Udp6Unicast => "UDP/IPv6 unicast",
    }
}

/// The interval field's name for a message type's logMessageInterval.
fn interval_name(t: MessageType) -> String {
    match t {
        MessageType::DELAY_RESP => "logMinDelayReqInterval (Delay_Resp)".into(),
        MessageType::PDELAY_REQ => "logMinPdelayReqInterval".into(),
        t => format!("{t} logMessageInterval"),
    }
}

fn oui(o: [u8; 3]) -> String {
    let who = match o {
        [0x00, 0x80, 0xc2] => "IEEE 802.1",
        [0x1c, 0x12, 0x9d] => "IEEE C37.238",
        profile::SMPTE => "SMPTE",
        _ => "",
    };
    format!("{who} TLV (OUI {:02X}-{:02X}-{:02X})", o[0], o[1], o[2])
}

pub fn basis_text(b: Basis) -> String {
    match b {
        Basis::MajorSdoId(v) => format!("majorSdoId {v}"),
        Basis::Organization(o) => oui(o),
        Basis::Domain(d) => format!("domainNumber {d}"),
        Basis::Path(p) => path_name(p).into(),
        Basis::UnicastNegotiation => "unicast negotiation".into(),
        Basis::DelayRequestResponse => "Delay_Req/Delay_Resp".into(),
        Basis::PeerDelay => "Pdelay only".into(),
        Basis::Interval(t, l) => format!("{} {l}", interval_name(t)),
        Basis::ClockClass(c) => format!("clockClass {c}"),
        Basis::OutsideDefault(t, l) => format!(
            "{} {l}, outside the default profiles' range",
            interval_name(t)
        ),
    }
}

/// A fact in words, for a violation.
pub fn fact_text(f: Fact, domain: u8) -> String {
    match f {
        Fact::Message => format!("domainNumber {domain}"),
        Fact::Path(p) => path_name(p).into(),
        Fact::UnicastNegotiation => "unicast negotiation".into(),
        Fact::DelayRequestResponse => "Delay_Req/Delay_Resp".into(),
        Fact::PeerDelay => "Pdelay messages".into(),
        Fact::OneStepSync => "one-step Syncs".into(),
        Fact::TwoStepSync => "two-step Syncs".into(),
        Fact::Interval(t, l) => format!("{} {l}", interval_name(t)),
        Fact::ClockClass(c) => format!("clockClass {c}"),
        Fact::Priority1(p) => format!("priority1 {p}"),
        Fact::Organization(o) => oui(o),
        Fact::FollowUpWithoutInformation => {
            "Follow_Ups without the Follow_Up information TLV".into()
        }
    }
}

/// Every domain's profile, with its violations.
pub fn profiles(p: &Profiles) -> Vec<ProfileJson> {
    p.domains()
        .iter()
        .map(|(&(sdo, domain), facts)| {
            let Identification { profile, basis } = profile::identify(sdo, domain, facts);
            let (id, name) = profile_names(profile);
            ProfileJson {
                major_sdo_id: sdo,
                domain,
                profile: id,
                name,
                basis: basis.into_iter().map(basis_text).collect(),
                messages: facts.get(&Fact::Message).map_or(0, |t| t.count),
                announce_receipt_timeout: profile::spec(profile)
                    .announce_receipt_timeout
                    .map(|(n, _)| n),
                identified: profile,
                violations: profile::check(profile, domain, facts),
            }
        })
        .collect()
}
