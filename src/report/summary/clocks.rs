//! Who is on the network, as JSON: clocks with their ports and roles, the
//! grandmasters with their Announce dataset, and grandmaster changes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::type_name;
use crate::analysis::PointId;
use crate::analysis::inventory::{Dataset, GmChange, GmChangeReason, Inventory, Role};
use crate::wire::link::Mac;
use crate::wire::{ClockIdentity, PortIdentity};

#[derive(Debug, Clone, Serialize)]
pub struct PortJson {
    pub port_number: u16,
    pub port_identity: String,
    pub roles: Vec<&'static str>,
    pub sent: BTreeMap<String, u64>,
    pub macs: Vec<String>,
    pub ips: Vec<String>,
    pub points: Vec<String>,
    pub first_ns: i64,
    pub last_ns: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClockJson {
    pub clock_identity: ClockIdentity,
    pub major_sdo_id: u8,
    pub domain: u8,
    /// "grandmaster", "master", "slave", "master+slave", "peer-delay only",
    /// "management" or "unknown".
    pub role: String,
    pub ports: Vec<PortJson>,
    /// The Announce dataset, for a clock announced as grandmaster.
    pub grandmaster: Option<DatasetJson>,
}

/// A grandmaster as its Announce messages describe it.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetJson {
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

impl From<&Dataset> for DatasetJson {
    fn from(d: &Dataset) -> Self {
        Self {
            grandmaster_identity: d.grandmaster_identity,
            priority1: d.priority1,
            clock_class: d.clock_class,
            clock_accuracy: d.clock_accuracy,
            offset_scaled_log_variance: d.offset_scaled_log_variance,
            priority2: d.priority2,
            steps_removed: d.steps_removed,
            time_source: d.time_source,
            current_utc_offset: d.current_utc_offset,
            current_utc_offset_valid: d.current_utc_offset_valid,
            leap61: d.leap61,
            leap59: d.leap59,
            ptp_timescale: d.ptp_timescale,
            time_traceable: d.time_traceable,
            frequency_traceable: d.frequency_traceable,
            path_trace: d.path_trace.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GrandmasterJson {
    pub major_sdo_id: u8,
    pub domain: u8,
    pub announces: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    pub announced_by: Vec<String>,
    pub current: bool,
    #[serde(flatten)]
    pub dataset: DatasetJson,
}

/// A change of a domain's best grandmaster.
#[derive(Debug, Clone, Serialize)]
pub struct GmChangeJson {
    pub time_ns: i64,
    pub major_sdo_id: u8,
    pub domain: u8,
    pub from: Option<ClockIdentity>,
    pub to: Option<ClockIdentity>,
    /// "first", "better", "worse", "timeout" (the previous one fell silent)
    /// or "after_timeout" (one announced again after the domain had none).
    pub reason: &'static str,
}

impl From<&GmChange> for GmChangeJson {
    fn from(c: &GmChange) -> Self {
        Self {
            time_ns: c.time_ns,
            major_sdo_id: c.major_sdo_id,
            domain: c.domain,
            from: c.from,
            to: c.to,
            reason: reason_name(c.reason),
        }
    }
}

/// A port role's name.
pub fn role_name(r: Role) -> &'static str {
    match r {
        Role::Master => "master",
        Role::Slave => "slave",
        Role::PeerDelayOnly => "peer-delay only",
        Role::Management => "management",
        Role::Unknown => "unknown",
    }
}

/// A grandmaster change's reason, as the JSON names it.
pub fn reason_name(r: GmChangeReason) -> &'static str {
    match r {
        GmChangeReason::First => "first",
        GmChangeReason::Better => "better",
        GmChangeReason::Worse => "worse",
        GmChangeReason::Timeout => "timeout",
        GmChangeReason::AfterTimeout => "after_timeout",
    }
}

/// Every clock of every (majorSdoId, domainNumber), with its ports.
pub fn clocks(inventory: &Inventory, point_name: &dyn Fn(PointId) -> String) -> Vec<ClockJson> {
    let mut clocks = Vec::new();
    let by_domain = inventory.clocks();
    for (&(sdo, domain), d) in &inventory.domains {
        for (id, c) in by_domain.get(&(sdo, domain)).into_iter().flatten() {
            let ports: Vec<PortJson> = c
                .ports
                .iter()
                .map(|(&n, p)| PortJson {
                    port_number: n,
                    port_identity: PortIdentity {
                        clock_identity: *id,
                        port_number: n,
                    }
                    .to_string(),
                    roles: p.roles().into_iter().map(role_name).collect(),
                    sent: p
                        .sent
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| **n > 0)
                        .map(|(i, n)| (type_name(i), *n))
                        .collect(),
                    macs: p.macs.iter().map(Mac::to_string).collect(),
                    ips: p.ips.iter().map(|i| i.to_string()).collect(),
                    points: (0..64)
                        .filter(|b| p.points & (1 << b) != 0)
                        .map(point_name)
                        .collect(),
                    first_ns: p.first_ns,
                    last_ns: p.last_ns,
                })
                .collect();
            let gm = d
                .grandmasters
                .get(id)
                .map(|g| DatasetJson::from(&g.dataset));
            let mut roles: Vec<&str> = ports.iter().flat_map(|p| p.roles.clone()).collect();
            roles.sort_unstable();
            roles.dedup();
            let role = if gm.is_some() && roles.contains(&"master") {
                "grandmaster".to_owned()
            } else if roles.contains(&"master") && roles.contains(&"slave") {
                "master+slave".to_owned()
            } else {
                roles.first().copied().unwrap_or("unknown").to_owned()
            };
            clocks.push(ClockJson {
                clock_identity: *id,
                major_sdo_id: sdo,
                domain,
                role,
                ports,
                grandmaster: gm,
            });
        }
    }
    clocks
}

/// Every grandmaster announced, per (majorSdoId, domainNumber).
pub fn grandmasters(inventory: &Inventory) -> Vec<GrandmasterJson> {
    let mut v = Vec::new();
    for (&(sdo, domain), d) in &inventory.domains {
        for (id, g) in &d.grandmasters {
            v.push(GrandmasterJson {
                major_sdo_id: sdo,
                domain,
                announces: g.announces,
                first_ns: g.first_ns,
                last_ns: g.last_ns,
                announced_by: g.announced_by.iter().map(|p| p.to_string()).collect(),
                current: d.current == Some(*id),
                dataset: (&g.dataset).into(),
            });
        }
    }
    v
}

/// What a clockClass says (Table 4; 135-165 as ITU-T G.8275.1/.2 use them).
pub fn clock_class_meaning(c: u8) -> &'static str {
    match c {
        6 => "locked to a primary reference time source",
        7 => "in holdover, within its holdover specification",
        13 => "locked to an application-specific time source",
        14 => "in holdover from an application-specific source, within specification",
        52 | 58 | 187 => "out of holdover specification (degraded)",
        68..=122 | 216..=232 => "profile-defined",
        133..=134 | 136..=139 | 141..=149 | 151..=159 | 161..=164 | 166..=170 => "profile-defined",
        135 => "boundary clock in holdover, within specification (ITU-T G.8275.1)",
        140 => "in holdover, within ST3E-class specification (ITU-T G.8275.1)",
        150 => "in holdover, within ST3-class specification (ITU-T G.8275.1)",
        160 => "in holdover, outside ST3 specification (ITU-T G.8275.1)",
        165 => "boundary clock in holdover, out of specification (ITU-T G.8275.1)",
        193 => "application-specific, degraded",
        248 => "default: not synchronized to any source (free-running)",
        255 => "slave-only",
        _ => "reserved",
    }
}

/// Whether a clockClass says the grandmaster is in holdover (or degraded).
pub fn holdover(c: u8) -> bool {
    matches!(
        c,
        7 | 14 | 52 | 58 | 135 | 140 | 150 | 160 | 165 | 187 | 193
    )
}

/// What a clockAccuracy says (Table 5).
pub fn clock_accuracy_meaning(a: u8) -> String {
    const STEPS: [&str; 27] = [
        "1 ps", "2.5 ps", "10 ps", "25 ps", "100 ps", "250 ps", "1 ns", "2.5 ns", "10 ns", "25 ns",
        "100 ns", "250 ns", "1 µs", "2.5 µs", "10 µs", "25 µs", "100 µs", "250 µs", "1 ms",
        "2.5 ms", "10 ms", "25 ms", "100 ms", "250 ms", "1 s", "10 s", "",
    ];
    match a {
        0x17..=0x30 => format!("within {}", STEPS[usize::from(a - 0x17)]),
        0x31 => "worse than 10 s".into(),
        0x80..=0xfd => "profile-defined".into(),
        0xfe => "unknown".into(),
        _ => "reserved".into(),
    }
}

/// What a timeSource says (Table 6).
pub fn time_source_meaning(s: u8) -> &'static str {
    match s {
        0x10 => "atomic clock",
        0x20 => "GNSS",
        0x30 => "terrestrial radio",
        0x39 => "serial time code",
        0x40 => "PTP",
        0x50 => "NTP",
        0x60 => "hand set",
        0x90 => "other",
        0xa0 => "internal oscillator",
        0xf0..=0xfe => "profile-defined",
        _ => "reserved",
    }
}
