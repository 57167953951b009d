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
