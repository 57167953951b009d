//! MANAGEMENT and MANAGEMENT_ERROR_STATUS TLVs (IEEE 1588-2019 §15.5): the
//! `managementId` (§15.5.2.3, Table 59) and the `dataField` it types
//! (§15.5.3), and the error status a node returns instead (§15.5.4).
//!
//! A GET carries no data ([`ManagementData::Empty`]); a management ID this
//! decoder does not type keeps its data raw. Octets after the typed data (the
//! pad to an even length) are the TLV's `extra`.

use std::fmt;

use nom::bytes::complete::take;
use nom::number::complete::{be_i8, be_i16, be_i32, be_i64, be_u8, be_u16};
use serde::{Serialize, Serializer};

use super::{TlvBody, name_or_code, ser_hex, ser_oui, take_all};
use crate::wire::time::parse_timestamp;
use crate::wire::types::{
    parse_clock_identity, parse_clock_quality, parse_port_identity, parse_ptp_text,
};
use crate::wire::{
    ClockIdentity, ClockQuality, PResult, PortIdentity, PtpText, Timestamp, array, field, ser,
    whole,
};

/// `managementId` (§15.5.2.3, Table 59). Open: any value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ManagementId(pub u16);

impl ManagementId {
    pub const NULL_PTP_MANAGEMENT: Self = Self(0x0000);
    pub const CLOCK_DESCRIPTION: Self = Self(0x0001);
    pub const USER_DESCRIPTION: Self = Self(0x0002);
    pub const SAVE_IN_NON_VOLATILE_STORAGE: Self = Self(0x0003);
    pub const RESET_NON_VOLATILE_STORAGE: Self = Self(0x0004);
    pub const INITIALIZE: Self = Self(0x0005);
    pub const FAULT_LOG: Self = Self(0x0006);
    pub const FAULT_LOG_RESET: Self = Self(0x0007);
    pub const DEFAULT_DATA_SET: Self = Self(0x2000);
    pub const CURRENT_DATA_SET: Self = Self(0x2001);
    pub const PARENT_DATA_SET: Self = Self(0x2002);
    pub const TIME_PROPERTIES_DATA_SET: Self = Self(0x2003);
    pub const PORT_DATA_SET: Self = Self(0x2004);
    pub const PRIORITY1: Self = Self(0x2005);
    pub const PRIORITY2: Self = Self(0x2006);
    pub const DOMAIN: Self = Self(0x2007);
    pub const SLAVE_ONLY: Self = Self(0x2008);
    pub const LOG_ANNOUNCE_INTERVAL: Self = Self(0x2009);
    pub const ANNOUNCE_RECEIPT_TIMEOUT: Self = Self(0x200A);
    pub const LOG_SYNC_INTERVAL: Self = Self(0x200B);
    pub const VERSION_NUMBER: Self = Self(0x200C);
    pub const ENABLE_PORT: Self = Self(0x200D);
    pub const DISABLE_PORT: Self = Self(0x200E);
    pub const TIME: Self = Self(0x200F);
    pub const CLOCK_ACCURACY: Self = Self(0x2010);
    pub const UTC_PROPERTIES: Self = Self(0x2011);
    pub const TRACEABILITY_PROPERTIES: Self = Self(0x2012);
    pub const TIMESCALE_PROPERTIES: Self = Self(0x2013);
    pub const DELAY_MECHANISM: Self = Self(0x6000);
    pub const LOG_MIN_PDELAY_REQ_INTERVAL: Self = Self(0x6001);

    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::NULL_PTP_MANAGEMENT => "NULL_PTP_MANAGEMENT",
            Self::CLOCK_DESCRIPTION => "CLOCK_DESCRIPTION",
            Self::USER_DESCRIPTION => "USER_DESCRIPTION",
            Self::SAVE_IN_NON_VOLATILE_STORAGE => "SAVE_IN_NON_VOLATILE_STORAGE",
            Self::RESET_NON_VOLATILE_STORAGE => "RESET_NON_VOLATILE_STORAGE",
            Self::INITIALIZE => "INITIALIZE",
            Self::FAULT_LOG => "FAULT_LOG",
            Self::FAULT_LOG_RESET => "FAULT_LOG_RESET",
            Self::DEFAULT_DATA_SET => "DEFAULT_DATA_SET",
            Self::CURRENT_DATA_SET => "CURRENT_DATA_SET",
            Self::PARENT_DATA_SET => "PARENT_DATA_SET",
            Self::TIME_PROPERTIES_DATA_SET => "TIME_PROPERTIES_DATA_SET",
            Self::PORT_DATA_SET => "PORT_DATA_SET",
            Self::PRIORITY1 => "PRIORITY1",
            Self::PRIORITY2 => "PRIORITY2",
            Self::DOMAIN => "DOMAIN",
            Self::SLAVE_ONLY => "SLAVE_ONLY",
            Self::LOG_ANNOUNCE_INTERVAL => "LOG_ANNOUNCE_INTERVAL",
            Self::ANNOUNCE_RECEIPT_TIMEOUT => "ANNOUNCE_RECEIPT_TIMEOUT",
            Self::LOG_SYNC_INTERVAL => "LOG_SYNC_INTERVAL",
            Self::VERSION_NUMBER => "VERSION_NUMBER",
            Self::ENABLE_PORT => "ENABLE_PORT",
            Self::DISABLE_PORT => "DISABLE_PORT",
            Self::TIME => "TIME",
            Self::CLOCK_ACCURACY => "CLOCK_ACCURACY",
            Self::UTC_PROPERTIES => "UTC_PROPERTIES",
            Self::TRACEABILITY_PROPERTIES => "TRACEABILITY_PROPERTIES",
            Self::TIMESCALE_PROPERTIES => "TIMESCALE_PROPERTIES",
            Self::DELAY_MECHANISM => "DELAY_MECHANISM",
            Self::LOG_MIN_PDELAY_REQ_INTERVAL => "LOG_MIN_PDELAY_REQ_INTERVAL",
            _ => return None,
        })
    }

    /// IDs whose data is one octet of value and one reserved octet.
    fn is_single_octet(self) -> bool {
        matches!(
            self,
            Self::PRIORITY1
                | Self::PRIORITY2
                | Self::DOMAIN
                | Self::SLAVE_ONLY
                | Self::LOG_ANNOUNCE_INTERVAL
                | Self::ANNOUNCE_RECEIPT_TIMEOUT
                | Self::LOG_SYNC_INTERVAL
                | Self::VERSION_NUMBER
                | Self::CLOCK_ACCURACY
                | Self::TRACEABILITY_PROPERTIES
                | Self::DELAY_MECHANISM
                | Self::LOG_MIN_PDELAY_REQ_INTERVAL
        )
    }
}

impl fmt::Display for ManagementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        name_or_code(f, self.name(), self.0)
    }
}

impl Serialize for ManagementId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The data field of a MANAGEMENT TLV, typed by `managementId` (§15.5.3).
/// A GET carries no data: [`ManagementData::Empty`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ManagementData<'a> {
    Empty {},
    /// CLOCK_DESCRIPTION (§15.5.3.1.2).
    ClockDescription {
        clock_type: u16,
        physical_layer_protocol: PtpText<'a>,
        #[serde(serialize_with = "ser_hex")]
        physical_address: &'a [u8],
        network_protocol: u16,
        #[serde(serialize_with = "ser_hex")]
        protocol_address: &'a [u8],
        #[serde(serialize_with = "ser_oui")]
        manufacturer_identity: [u8; 3],
        #[serde(skip)]
        reserved: u8,
        product_description: PtpText<'a>,
        revision_data: PtpText<'a>,
        user_description: PtpText<'a>,
        #[serde(serialize_with = "ser_hex6")]
        profile_identity: [u8; 6],
    },
    /// USER_DESCRIPTION (§15.5.3.1.3).
    UserDescription {
        user_description: PtpText<'a>,
    },
    /// DEFAULT_DATA_SET (§15.5.3.3.1).
    DefaultDataSet {
        /// Bit 0 twoStepFlag, bit 1 slaveOnly.
        flags: u8,
        #[serde(skip)]
        reserved1: u8,
        number_ports: u16,
        priority1: u8,
        clock_quality: ClockQuality,
        priority2: u8,
        clock_identity: ClockIdentity,
        domain_number: u8,
        #[serde(skip)]
        reserved2: u8,
    },
    /// CURRENT_DATA_SET (§15.5.3.4.1); TimeIntervals in 2^-16 ns.
    CurrentDataSet {
        steps_removed: u16,
        offset_from_master: i64,
        mean_path_delay: i64,
    },
    /// PARENT_DATA_SET (§15.5.3.5.1).
    ParentDataSet {
        parent_port_identity: PortIdentity,
        /// Bit 0: parentStats.
        flags: u8,
        #[serde(skip)]
        reserved: u8,
        observed_parent_offset_scaled_log_variance: u16,
        observed_parent_clock_phase_change_rate: i32,
        grandmaster_priority1: u8,
        grandmaster_clock_quality: ClockQuality,
        grandmaster_priority2: u8,
        grandmaster_identity: ClockIdentity,
    },
    /// TIME_PROPERTIES_DATA_SET (§15.5.3.6.1).
    TimePropertiesDataSet {
        current_utc_offset: i16,
        /// Octet 1 of flagField: leap61, leap59, currentUtcOffsetValid, ...
        flags: u8,
        time_source: u8,
    },
    /// PORT_DATA_SET (§15.5.3.7.1).
    PortDataSet {
        port_identity: PortIdentity,
        port_state: u8,
        log_min_delay_req_interval: i8,
        peer_mean_path_delay: i64,
        log_announce_interval: i8,
        announce_receipt_timeout: u8,
        log_sync_interval: i8,
        delay_mechanism: u8,
        log_min_pdelay_req_interval: i8,
        /// Low nibble versionNumber, high nibble minorVersionNumber.
        version_number: u8,
    },
    /// TIME (§15.5.3.2.1).
    Time {
        current_time: Timestamp,
    },
    /// UTC_PROPERTIES (§15.5.3.6.2).
    UtcProperties {
        current_utc_offset: i16,
        flags: u8,
        #[serde(skip)]
        reserved: u8,
    },
    /// TIMESCALE_PROPERTIES (§15.5.3.6.4).
    TimescaleProperties {
        flags: u8,
        time_source: u8,
    },
    /// One value octet and one reserved octet: PRIORITY1, PRIORITY2, DOMAIN,
    /// SLAVE_ONLY, LOG_ANNOUNCE_INTERVAL, ANNOUNCE_RECEIPT_TIMEOUT,
    /// LOG_SYNC_INTERVAL, VERSION_NUMBER, CLOCK_ACCURACY,
    /// TRACEABILITY_PROPERTIES, DELAY_MECHANISM, LOG_MIN_PDELAY_REQ_INTERVAL.
    /// Log intervals are this octet read as i8.
    Value {
        value: u8,
        #[serde(skip)]
        reserved: u8,
    },
    /// Data of a management ID this decoder does not type.
    Raw {
        #[serde(serialize_with = "ser_hex")]
        data: &'a [u8],
    },
}

fn ser_hex6<S: Serializer>(b: &[u8; 6], s: S) -> Result<S::Ok, S::Error> {
    ser::hex(b, s)
}

impl ManagementData<'_> {
    pub fn buffer_len(&self) -> usize {
        match self {
            ManagementData::Empty {} => 0,
            ManagementData::ClockDescription {
                physical_layer_protocol,
                physical_address,
                protocol_address,
                product_description,
                revision_data,
                user_description,
                ..
            } => {
                2 + physical_layer_protocol.buffer_len()
                    + 2
                    + physical_address.len()
                    + 4
                    + protocol_address.len()
                    + 4
                    + product_description.buffer_len()
                    + revision_data.buffer_len()
                    + user_description.buffer_len()
                    + 6
            }
            ManagementData::UserDescription { user_description } => user_description.buffer_len(),
            ManagementData::DefaultDataSet { .. } => 20,
            ManagementData::CurrentDataSet { .. } => 18,
            ManagementData::ParentDataSet { .. } => 32,
            ManagementData::TimePropertiesDataSet { .. } | ManagementData::UtcProperties { .. } => {
                4
            }
            ManagementData::PortDataSet { .. } => 26,
            ManagementData::Time { .. } => 10,
            ManagementData::TimescaleProperties { .. } | ManagementData::Value { .. } => 2,
            ManagementData::Raw { data } => data.len(),
        }
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        match *self {
            ManagementData::Empty {} => {}
            ManagementData::ClockDescription {
                clock_type,
                physical_layer_protocol,
                physical_address,
                network_protocol,
                protocol_address,
                manufacturer_identity,
                reserved,
                product_description,
                revision_data,
                user_description,
                profile_identity,
            } => {
                out.extend_from_slice(&clock_type.to_be_bytes());
                physical_layer_protocol.emit(out);
                out.extend_from_slice(&(physical_address.len() as u16).to_be_bytes());
                out.extend_from_slice(physical_address);
                out.extend_from_slice(&network_protocol.to_be_bytes());
                out.extend_from_slice(&(protocol_address.len() as u16).to_be_bytes());
                out.extend_from_slice(protocol_address);
                out.extend_from_slice(&manufacturer_identity);
                out.push(reserved);
                product_description.emit(out);
                revision_data.emit(out);
                user_description.emit(out);
                out.extend_from_slice(&profile_identity);
            }
            ManagementData::UserDescription { user_description } => user_description.emit(out),
            ManagementData::DefaultDataSet {
                flags,
                reserved1,
                number_ports,
                priority1,
                clock_quality,
                priority2,
                clock_identity,
                domain_number,
                reserved2,
            } => {
                out.push(flags);
                out.push(reserved1);
                out.extend_from_slice(&number_ports.to_be_bytes());
                out.push(priority1);
                clock_quality.emit(out);
                out.push(priority2);
                out.extend_from_slice(&clock_identity.0);
                out.push(domain_number);
                out.push(reserved2);
            }
            ManagementData::CurrentDataSet {
                steps_removed,
                offset_from_master,
                mean_path_delay,
            } => {
                out.extend_from_slice(&steps_removed.to_be_bytes());
                out.extend_from_slice(&offset_from_master.to_be_bytes());
                out.extend_from_slice(&mean_path_delay.to_be_bytes());
            }
            ManagementData::ParentDataSet {
                parent_port_identity,
                flags,
                reserved,
                observed_parent_offset_scaled_log_variance,
                observed_parent_clock_phase_change_rate,
                grandmaster_priority1,
                grandmaster_clock_quality,
                grandmaster_priority2,
                grandmaster_identity,
            } => {
                parent_port_identity.emit(out);
                out.push(flags);
                out.push(reserved);
                out.extend_from_slice(&observed_parent_offset_scaled_log_variance.to_be_bytes());
                out.extend_from_slice(&observed_parent_clock_phase_change_rate.to_be_bytes());
                out.push(grandmaster_priority1);
                grandmaster_clock_quality.emit(out);
                out.push(grandmaster_priority2);
                out.extend_from_slice(&grandmaster_identity.0);
            }
            // currentUtcOffset, an octet of flags and one more octet.
            ManagementData::TimePropertiesDataSet {
                current_utc_offset,
                flags,
                time_source: last,
            }
            | ManagementData::UtcProperties {
                current_utc_offset,
                flags,
                reserved: last,
            } => {
                out.extend_from_slice(&current_utc_offset.to_be_bytes());
                out.push(flags);
                out.push(last);
            }
            ManagementData::PortDataSet {
                port_identity,
                port_state,
                log_min_delay_req_interval,
                peer_mean_path_delay,
                log_announce_interval,
                announce_receipt_timeout,
                log_sync_interval,
                delay_mechanism,
                log_min_pdelay_req_interval,
                version_number,
            } => {
                port_identity.emit(out);
                out.push(port_state);
                out.push(log_min_delay_req_interval as u8);
                out.extend_from_slice(&peer_mean_path_delay.to_be_bytes());
                out.push(log_announce_interval as u8);
                out.push(announce_receipt_timeout);
                out.push(log_sync_interval as u8);
                out.push(delay_mechanism);
                out.push(log_min_pdelay_req_interval as u8);
                out.push(version_number);
            }
            ManagementData::Time { current_time } => current_time.emit(out),
            // Two octets.
            ManagementData::TimescaleProperties {
                flags: first,
                time_source: second,
            }
            | ManagementData::Value {
                value: first,
                reserved: second,
            } => {
                out.push(first);
                out.push(second);
            }
            ManagementData::Raw { data } => out.extend_from_slice(data),
        }
    }
}

/// Octets of a MANAGEMENT or MANAGEMENT_ERROR_STATUS value; 0 for the
/// variants of other families, which [`TlvBody::buffer_len`] does not send
/// here.
pub(super) fn buffer_len(body: &TlvBody<'_>) -> usize {
    match body {
        TlvBody::Management { data, .. } => 2 + data.buffer_len(),
        TlvBody::ManagementErrorStatus { display_data, .. } => {
            8 + display_data.map_or(0, |t| t.buffer_len())
        }
        _ => 0,
    }
}

/// Emits a MANAGEMENT or MANAGEMENT_ERROR_STATUS value; nothing for the
/// variants of other families, which [`TlvBody::emit`] does not send here.
pub(super) fn emit(body: &TlvBody<'_>, out: &mut Vec<u8>) {
    match *body {
        TlvBody::Management {
            management_id,
            data,
        } => {
            out.extend_from_slice(&management_id.0.to_be_bytes());
            data.emit(out);
        }
        TlvBody::ManagementErrorStatus {
            management_error_id,
            management_id,
            reserved,
            display_data,
        } => {
            out.extend_from_slice(&management_error_id.to_be_bytes());
            out.extend_from_slice(&management_id.0.to_be_bytes());
            out.extend_from_slice(&reserved);
            if let Some(t) = display_data {
                t.emit(out);
            }
        }
        _ => {}
    }
}

/// MANAGEMENT (§15.5.2): `managementId` and the data it types.
pub(super) fn parse_management(i: &[u8]) -> PResult<'_, TlvBody<'_>> {
    let (i, id) = field("managementId", be_u16)(i)?;
    let management_id = ManagementId(id);
    let (i, data) = parse_management_data(management_id, i)?;
    Ok((
        i,
        TlvBody::Management {
            management_id,
            data,
        },
    ))
}

/// MANAGEMENT_ERROR_STATUS (§15.5.4); `displayData` is optional.
pub(super) fn parse_management_error_status(i: &[u8]) -> PResult<'_, TlvBody<'_>> {
    let (i, management_error_id) = field("managementErrorId", be_u16)(i)?;
    let (i, id) = field("managementId", be_u16)(i)?;
    let (i, reserved) = field("reserved", array::<4>)(i)?;
    let (i, display_data) = if i.is_empty() {
        (i, None)
    } else {
        let (i, t) = parse_ptp_text("displayData")(i)?;
        (i, Some(t))
    };
    Ok((
        i,
        TlvBody::ManagementErrorStatus {
            management_error_id,
            management_id: ManagementId(id),
            reserved,
            display_data,
        },
    ))
}

fn parse_management_data(id: ManagementId, i: &[u8]) -> PResult<'_, ManagementData<'_>> {
    if i.is_empty() {
        return Ok((i, ManagementData::Empty {}));
    }
    if id.is_single_octet() {
        let (i, value) = field("value", be_u8)(i)?;
        let (i, reserved) = field("reserved", be_u8)(i)?;
        return Ok((i, ManagementData::Value { value, reserved }));
    }
    match id {
        ManagementId::CLOCK_DESCRIPTION => {
            let (i, clock_type) = field("clockType", be_u16)(i)?;
            let (i, physical_layer_protocol) = parse_ptp_text("physicalLayerProtocol")(i)?;
            let (i, n) = field("physicalAddressLength", be_u16)(i)?;
            let (i, physical_address) = field("physicalAddress", take(n))(i)?;
            // A PortAddress (§5.3.6): networkProtocol, addressLength,
            // addressField.
            let (i, (network_protocol, protocol_address)) = whole("protocolAddress", |i| {
                let (i, network_protocol) = be_u16(i)?;
                let (i, n) = be_u16(i)?;
                let (i, address) = take(n)(i)?;
                Ok((i, (network_protocol, address)))
            })(i)?;
            let (i, manufacturer_identity) = field("manufacturerIdentity", array::<3>)(i)?;
            let (i, reserved) = field("reserved", be_u8)(i)?;
            let (i, product_description) = parse_ptp_text("productDescription")(i)?;
            let (i, revision_data) = parse_ptp_text("revisionData")(i)?;
            let (i, user_description) = parse_ptp_text("userDescription")(i)?;
            let (i, profile_identity) = field("profileIdentity", array::<6>)(i)?;
            Ok((
                i,
                ManagementData::ClockDescription {
                    clock_type,
                    physical_layer_protocol,
                    physical_address,
                    network_protocol,
                    protocol_address,
                    manufacturer_identity,
                    reserved,
                    product_description,
                    revision_data,
                    user_description,
                    profile_identity,
                },
            ))
        }
        ManagementId::USER_DESCRIPTION => {
            let (i, user_description) = parse_ptp_text("userDescription")(i)?;
            Ok((i, ManagementData::UserDescription { user_description }))
        }
        ManagementId::DEFAULT_DATA_SET => {
            let (i, flags) = field("flags", be_u8)(i)?;
            let (i, reserved1) = field("reserved", be_u8)(i)?;
            let (i, number_ports) = field("numberPorts", be_u16)(i)?;
            let (i, priority1) = field("priority1", be_u8)(i)?;
            let (i, clock_quality) = parse_clock_quality("clockQuality")(i)?;
            let (i, priority2) = field("priority2", be_u8)(i)?;
            let (i, clock_identity) = parse_clock_identity("clockIdentity")(i)?;
            let (i, domain_number) = field("domainNumber", be_u8)(i)?;
            let (i, reserved2) = field("reserved", be_u8)(i)?;
            Ok((
                i,
                ManagementData::DefaultDataSet {
                    flags,
                    reserved1,
                    number_ports,
                    priority1,
                    clock_quality,
                    priority2,
                    clock_identity,
                    domain_number,
                    reserved2,
                },
            ))
        }
        ManagementId::CURRENT_DATA_SET => {
            let (i, steps_removed) = field("stepsRemoved", be_u16)(i)?;
            let (i, offset_from_master) = field("offsetFromMaster", be_i64)(i)?;
            let (i, mean_path_delay) = field("meanPathDelay", be_i64)(i)?;
            Ok((
                i,
                ManagementData::CurrentDataSet {
                    steps_removed,
                    offset_from_master,
                    mean_path_delay,
                },
            ))
        }
        ManagementId::PARENT_DATA_SET => {
            let (i, parent_port_identity) = parse_port_identity("parentPortIdentity")(i)?;
            let (i, flags) = field("flags", be_u8)(i)?;
            let (i, reserved) = field("reserved", be_u8)(i)?;
            let (i, v) = field("observedParentOffsetScaledLogVariance", be_u16)(i)?;
            let (i, r) = field("observedParentClockPhaseChangeRate", be_i32)(i)?;
            let (i, grandmaster_priority1) = field("grandmasterPriority1", be_u8)(i)?;
            let (i, q) = parse_clock_quality("grandmasterClockQuality")(i)?;
            let (i, grandmaster_priority2) = field("grandmasterPriority2", be_u8)(i)?;
            let (i, grandmaster_identity) = parse_clock_identity("grandmasterIdentity")(i)?;
            Ok((
                i,
                ManagementData::ParentDataSet {
                    parent_port_identity,
                    flags,
                    reserved,
                    observed_parent_offset_scaled_log_variance: v,
                    observed_parent_clock_phase_change_rate: r,
                    grandmaster_priority1,
                    grandmaster_clock_quality: q,
                    grandmaster_priority2,
                    grandmaster_identity,
                },
            ))
        }
        ManagementId::TIME_PROPERTIES_DATA_SET => {
            let (i, current_utc_offset) = field("currentUtcOffset", be_i16)(i)?;
            let (i, flags) = field("flags", be_u8)(i)?;
            let (i, time_source) = field("timeSource", be_u8)(i)?;
            Ok((
                i,
                ManagementData::TimePropertiesDataSet {
                    current_utc_offset,
                    flags,
                    time_source,
                },
            ))
        }
        ManagementId::PORT_DATA_SET => {
            let (i, port_identity) = parse_port_identity("portIdentity")(i)?;
            let (i, port_state) = field("portState", be_u8)(i)?;
            let (i, log_min_delay_req_interval) = field("logMinDelayReqInterval", be_i8)(i)?;
            let (i, peer_mean_path_delay) = field("peerMeanPathDelay", be_i64)(i)?;
            let (i, log_announce_interval) = field("logAnnounceInterval", be_i8)(i)?;
            let (i, announce_receipt_timeout) = field("announceReceiptTimeout", be_u8)(i)?;
            let (i, log_sync_interval) = field("logSyncInterval", be_i8)(i)?;
            let (i, delay_mechanism) = field("delayMechanism", be_u8)(i)?;
            let (i, log_min_pdelay_req_interval) = field("logMinPdelayReqInterval", be_i8)(i)?;
            let (i, version_number) = field("versionNumber", be_u8)(i)?;
            Ok((
                i,
                ManagementData::PortDataSet {
                    port_identity,
                    port_state,
                    log_min_delay_req_interval,
                    peer_mean_path_delay,
                    log_announce_interval,
                    announce_receipt_timeout,
                    log_sync_interval,
                    delay_mechanism,
                    log_min_pdelay_req_interval,
                    version_number,
                },
            ))
        }
        ManagementId::TIME => {
            let (i, current_time) = parse_timestamp("currentTime")(i)?;
            Ok((i, ManagementData::Time { current_time }))
        }
        ManagementId::UTC_PROPERTIES => {
            let (i, current_utc_offset) = field("currentUtcOffset", be_i16)(i)?;
            let (i, flags) = field("flags", be_u8)(i)?;
            let (i, reserved) = field("reserved", be_u8)(i)?;
            Ok((
                i,
                ManagementData::UtcProperties {
                    current_utc_offset,
                    flags,
                    reserved,
                },
            ))
        }
        ManagementId::TIMESCALE_PROPERTIES => {
            let (i, flags) = field("flags", be_u8)(i)?;
            let (i, time_source) = field("timeSource", be_u8)(i)?;
            Ok((
                i,
                ManagementData::TimescaleProperties { flags, time_source },
            ))
        }
        _ => Ok(take_all(i, |data| ManagementData::Raw { data })),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{check_cuts, check_table, parse_tlv, round_trip};
    use super::*;

    const UNSET_QUALITY: ClockQuality = ClockQuality {
        clock_class: 248,
        clock_accuracy: 0xfe,
        offset_scaled_log_variance: 0xffff,
    };
    const NODE_12: ClockIdentity = ClockIdentity([0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x12]);

    fn management(id: ManagementId, data: ManagementData<'static>) -> TlvBody<'static> {
        TlvBody::Management {
            management_id: id,
            data,
        }
    }

    /// MANAGEMENT TLVs as captured: pmc's GETs (lab-management.pcap), a
    /// linuxptp node's responses (tcpdump's ptp_management.pcap) and a TIME
    /// SET (field/mgmt-time-short-data-bad-control.pcap).
    #[test]
    fn captured_management_tlvs() {
        check_table(&[
            (
                "ptp_management.pcap frame 10: CLOCK_DESCRIPTION response",
                &[
                    0x00, 0x01, 0x00, 0x32, 0x00, 0x01, // MANAGEMENT, CLOCK_DESCRIPTION
                    0x80, 0x00, // clockType: ordinary clock
                    0x0a, b'I', b'E', b'E', b'E', b' ', b'8', b'0', b'2', b'.', b'3', //
                    0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, // physicalAddress
                    0x00, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
                    0x12, // protocolAddress
                    0x00, 0x00, 0x00, 0x00, // manufacturerIdentity, reserved
                    0x02, b';', b';', 0x02, b';', b';', 0x00, // product, revision, user
                    0x00, 0x1b, 0x19, 0x00, 0x02, 0x00, // profileIdentity
                ],
                management(
                    ManagementId::CLOCK_DESCRIPTION,
                    ManagementData::ClockDescription {
                        clock_type: 0x8000,
                        physical_layer_protocol: PtpText(b"IEEE 802.3"),
                        physical_address: &[0, 0, 0, 0, 0, 0x12],
                        network_protocol: 3,
                        protocol_address: &[0, 0, 0, 0, 0, 0x12],
                        manufacturer_identity: [0; 3],
                        reserved: 0,
                        product_description: PtpText(b";;"),
                        revision_data: PtpText(b";;"),
                        user_description: PtpText(b""),
                        profile_identity: [0x00, 0x1b, 0x19, 0x00, 0x02, 0x00],
                    },
                ),
                &[],
            ),
            (
                "lab-management.pcap frame 1: CLOCK_DESCRIPTION GET, zero data",
                &[
                    0x00, 0x01, 0x00, 0x18, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                    0x00, 0x00,
                ],
                management(
                    ManagementId::CLOCK_DESCRIPTION,
                    ManagementData::ClockDescription {
                        clock_type: 0,
                        physical_layer_protocol: PtpText(b""),
                        physical_address: &[],
                        network_protocol: 0,
                        protocol_address: &[],
                        manufacturer_identity: [0; 3],
                        reserved: 0,
                        product_description: PtpText(b""),
                        revision_data: PtpText(b""),
                        user_description: PtpText(b""),
                        profile_identity: [0; 6],
                    },
                ),
                &[],
            ),
            (
                "lab-management.pcap frame 2: USER_DESCRIPTION GET, pad octet",
                &[0x00, 0x01, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00],
                management(
                    ManagementId::USER_DESCRIPTION,
                    ManagementData::UserDescription {
                        user_description: PtpText(b""),
                    },
                ),
                &[0x00],
            ),
            (
                "ptp_management.pcap frame 6: DEFAULT_DATA_SET response",
                &[
                    0x00, 0x01, 0x00, 0x16, 0x20, 0x00, // MANAGEMENT, DEFAULT_DATA_SET
                    0x01, 0x00, 0x00, 0x01, 0x80, 0xf8, 0xfe, 0xff, 0xff, 0x80, //
                    0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x12, 0x00, 0x00,
                ],
                management(
                    ManagementId::DEFAULT_DATA_SET,
                    ManagementData::DefaultDataSet {
                        flags: 0x01,
                        reserved1: 0,
                        number_ports: 1,
                        priority1: 128,
                        clock_quality: UNSET_QUALITY,
                        priority2: 128,
                        clock_identity: NODE_12,
                        domain_number: 0,
                        reserved2: 0,
                    },
                ),
                &[],
            ),
            (
                "ptp_management.pcap frame 1: CURRENT_DATA_SET GET, zero data",
                &[
                    0x00, 0x01, 0x00, 0x14, 0x20, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                ],
                management(
                    ManagementId::CURRENT_DATA_SET,
                    ManagementData::CurrentDataSet {
                        steps_removed: 0,
                        offset_from_master: 0,
                        mean_path_delay: 0,
                    },
                ),
                &[],
            ),
            (
                "ptp_management.pcap frame 8: PARENT_DATA_SET response",
                &[
                    0x00, 0x01, 0x00, 0x22, 0x20, 0x02, // MANAGEMENT, PARENT_DATA_SET
                    0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x12, 0x00,
                    0x00, // parentPortIdentity
                    0x00, 0x00, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, //
                    0x80, 0xf8, 0xfe, 0xff, 0xff, 0x80, //
                    0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x12, // grandmasterIdentity
                ],
                management(
                    ManagementId::PARENT_DATA_SET,
                    ManagementData::ParentDataSet {
                        parent_port_identity: PortIdentity {
                            clock_identity: NODE_12,
                            port_number: 0,
                        },
                        flags: 0,
                        reserved: 0,
                        observed_parent_offset_scaled_log_variance: 0xffff,
                        observed_parent_clock_phase_change_rate: 0x7fff_ffff,
                        grandmaster_priority1: 128,
                        grandmaster_clock_quality: UNSET_QUALITY,
                        grandmaster_priority2: 128,
                        grandmaster_identity: NODE_12,
                    },
                ),
                &[],
            ),
            (
                "lab-management.pcap frame 6: TIME_PROPERTIES_DATA_SET GET, zero data",
                &[0x00, 0x01, 0x00, 0x06, 0x20, 0x03, 0x00, 0x00, 0x00, 0x00],
                management(
                    ManagementId::TIME_PROPERTIES_DATA_SET,
                    ManagementData::TimePropertiesDataSet {
                        current_utc_offset: 0,
                        flags: 0,
                        time_source: 0,
                    },
                ),
                &[],
            ),
            (
                "ptp_management.pcap frame 4: PORT_DATA_SET response",
                &[
                    0x00, 0x01, 0x00, 0x1c, 0x20, 0x04, // MANAGEMENT, PORT_DATA_SET
                    0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x12, 0x00,
                    0x01, // portIdentity
                    0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
                    0x01, 0x03, 0x00, 0x02, 0x00, 0x02,
                ],
                management(
                    ManagementId::PORT_DATA_SET,
                    ManagementData::PortDataSet {
                        port_identity: PortIdentity {
                            clock_identity: NODE_12,
                            port_number: 1,
                        },
                        port_state: 6,
                        log_min_delay_req_interval: 0,
                        peer_mean_path_delay: 0,
                        log_announce_interval: 1,
                        announce_receipt_timeout: 3,
                        log_sync_interval: 0,
                        delay_mechanism: 2,
                        log_min_pdelay_req_interval: 0,
                        version_number: 2,
                    },
                ),
                &[],
            ),
            (
                "lab-management.pcap frame 8: PRIORITY1 GET",
                &[0x00, 0x01, 0x00, 0x04, 0x20, 0x05, 0x00, 0x00],
                management(
                    ManagementId::PRIORITY1,
                    ManagementData::Value {
                        value: 0,
                        reserved: 0,
                    },
                ),
                &[],
            ),
            (
                "lab-management.pcap frame 20: LOG_MIN_PDELAY_REQ_INTERVAL GET",
                &[0x00, 0x01, 0x00, 0x04, 0x60, 0x01, 0x00, 0x00],
                management(
                    ManagementId::LOG_MIN_PDELAY_REQ_INTERVAL,
                    ManagementData::Value {
                        value: 0,
                        reserved: 0,
                    },
                ),
                &[],
            ),
            (
                "lab-management.pcap frame 18: TIMESCALE_PROPERTIES GET",
                &[0x00, 0x01, 0x00, 0x04, 0x20, 0x13, 0x00, 0x00],
                management(
                    ManagementId::TIMESCALE_PROPERTIES,
                    ManagementData::TimescaleProperties {
                        flags: 0,
                        time_source: 0,
                    },
                ),
                &[],
            ),
            (
                "mgmt-time-short-data-bad-control.pcap frame 1: TIME GET, no data",
                &[0x00, 0x01, 0x00, 0x02, 0x20, 0x0f],
                management(ManagementId::TIME, ManagementData::Empty {}),
                &[],
            ),
            (
                "mgmt-time-short-data-bad-control.pcap frame 3: TIME SET",
                &[
                    0x00, 0x01, 0x00, 0x0c, 0x20, 0x0f, 0x00, 0x00, 0x6a, 0xfd, 0x86, 0xc0, 0x07,
                    0x5b, 0xcd, 0x15,
                ],
                management(
                    ManagementId::TIME,
                    ManagementData::Time {
                        current_time: Timestamp {
                            seconds: 0x6afd_86c0,
                            nanoseconds: 123_456_789,
                        },
                    },
                ),
                &[],
            ),
        ]);
    }

    /// No capture holds a MANAGEMENT_ERROR_STATUS: these are built from
    /// §15.5.4, NOT_SUPPORTED (0x0006) for TIME, without and with
    /// `displayData` (and its pad octet).
    #[test]
    fn management_error_status_table() {
        check_table(&[
            (
                "built: no displayData",
                &[
                    0x00, 0x02, 0x00, 0x08, 0x00, 0x06, 0x20, 0x0f, 0x00, 0x00, 0x00, 0x00,
                ],
                TlvBody::ManagementErrorStatus {
                    management_error_id: 6,
                    management_id: ManagementId::TIME,
                    reserved: [0; 4],
                    display_data: None,
                },
                &[],
            ),
            (
                "built: displayData \"no\" and a pad octet",
                &[
                    0x00, 0x02, 0x00, 0x0c, 0x00, 0x06, 0x20, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x02,
                    b'n', b'o', 0x00,
                ],
                TlvBody::ManagementErrorStatus {
                    management_error_id: 6,
                    management_id: ManagementId::TIME,
                    reserved: [0; 4],
                    display_data: Some(PtpText(b"no")),
                },
                &[0x00],
            ),
        ]);
    }

    /// field/mgmt-time-short-data-bad-control.pcap frame 2: a TIME with two
    /// octets of data fails in `currentTime`, at the message offset where
    /// the field starts (after tlvType, lengthField and managementId).
    #[test]
    fn captured_short_time_names_current_time() {
        let e = parse_tlv(&[0x00, 0x01, 0x00, 0x04, 0x20, 0x0f, 0x00, 0x01], 48).unwrap_err();
        assert_eq!((e.field, e.offset), ("currentTime", 54));
    }

    #[test]
    fn management_default_data_set() {
        let b = [
            0x00, 0x01, 0x00, 0x16, 0x20, 0x00, // MANAGEMENT, DEFAULT_DATA_SET
            0x01, 0x00, 0x00, 0x01, 0x80, 0xf8, 0xfe, 0xff, 0xff, 0x80, 0x00, 0x1b, 0x19, 0xff,
            0xfe, 0x00, 0x00, 0x01, 0x00, 0x00,
        ];
        let t = round_trip(&b);
        match t.body {
            TlvBody::Management {
                management_id,
                data:
                    ManagementData::DefaultDataSet {
                        priority1,
                        clock_quality,
                        clock_identity,
                        ..
                    },
            } => {
                assert_eq!(management_id, ManagementId::DEFAULT_DATA_SET);
                assert_eq!(priority1, 128);
                assert_eq!(clock_quality.clock_class, 248);
                assert_eq!(clock_identity.to_string(), "001b19.fffe.000001");
            }
            other => panic!("{other:?}"),
        }
        let j = serde_json::to_value(t).unwrap();
        assert_eq!(j["management_id"], "DEFAULT_DATA_SET");
        assert_eq!(j["priority1"], 128);
    }

    #[test]
    fn management_get_is_empty() {
        let t = round_trip(&[0x00, 0x01, 0x00, 0x02, 0x20, 0x01]);
        assert!(matches!(
            t.body,
            TlvBody::Management {
                data: ManagementData::Empty {},
                ..
            }
        ));
    }

    #[test]
    fn user_description_with_pad_keeps_extra() {
        let b = [0x00, 0x01, 0x00, 0x06, 0x00, 0x02, 0x02, b'h', b'i', 0x00];
        let t = round_trip(&b);
        assert_eq!(t.extra, &[0x00]);
    }

    /// Management data cut anywhere names the field the cut falls in, at its
    /// first octet: Timestamps, PortIdentities, ClockQualities, PTPTexts and
    /// the PortAddress are one field each. Two octets (the managementId
    /// alone) are a GET's empty data; eight, an error status without
    /// displayData.
    #[test]
    fn cut_values_name_the_field_where_it_starts() {
        let time: &[u8] = &[
            0x00, 0x01, 0x00, 0x0c, 0x20, 0x0f, 0x00, 0x00, 0x6a, 0xfd, 0x86, 0xc0, 0x07, 0x5b,
            0xcd, 0x15,
        ];
        check_cuts(time, &[("managementId", 2), ("currentTime", 10)], &[2]);
        let default_data_set: &[u8] = &[
            0x00, 0x01, 0x00, 0x16, 0x20, 0x00, 0x01, 0x00, 0x00, 0x01, 0x80, 0xf8, 0xfe, 0xff,
            0xff, 0x80, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x12, 0x00, 0x00,
        ];
        check_cuts(
            default_data_set,
            &[
                ("managementId", 2),
                ("flags", 1),
                ("reserved", 1),
                ("numberPorts", 2),
                ("priority1", 1),
                ("clockQuality", 4),
                ("priority2", 1),
                ("clockIdentity", 8),
                ("domainNumber", 1),
                ("reserved", 1),
            ],
            &[2],
        );
        let parent_data_set: &[u8] = &[
            0x00, 0x01, 0x00, 0x22, 0x20, 0x02, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x12,
            0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x80, 0xf8, 0xfe, 0xff,
            0xff, 0x80, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x12,
        ];
        check_cuts(
            parent_data_set,
            &[
                ("managementId", 2),
                ("parentPortIdentity", 10),
                ("flags", 1),
                ("reserved", 1),
                ("observedParentOffsetScaledLogVariance", 2),
                ("observedParentClockPhaseChangeRate", 4),
                ("grandmasterPriority1", 1),
                ("grandmasterClockQuality", 4),
                ("grandmasterPriority2", 1),
                ("grandmasterIdentity", 8),
            ],
            &[2],
        );
        let port_data_set: &[u8] = &[
            0x00, 0x01, 0x00, 0x1c, 0x20, 0x04, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x12,
            0x00, 0x01, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
            0x00, 0x02, 0x00, 0x02,
        ];
        check_cuts(
            port_data_set,
            &[
                ("managementId", 2),
                ("portIdentity", 10),
                ("portState", 1),
                ("logMinDelayReqInterval", 1),
                ("peerMeanPathDelay", 8),
                ("logAnnounceInterval", 1),
                ("announceReceiptTimeout", 1),
                ("logSyncInterval", 1),
                ("delayMechanism", 1),
                ("logMinPdelayReqInterval", 1),
                ("versionNumber", 1),
            ],
            &[2],
        );
        // ptp_management.pcap frame 10.
        let clock_description: &[u8] = &[
            0x00, 0x01, 0x00, 0x32, 0x00, 0x01, 0x80, 0x00, 0x0a, b'I', b'E', b'E', b'E', b' ',
            b'8', b'0', b'2', b'.', b'3', 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x00,
            0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x02,
            b';', b';', 0x02, b';', b';', 0x00, 0x00, 0x1b, 0x19, 0x00, 0x02, 0x00,
        ];
        check_cuts(
            clock_description,
            &[
                ("managementId", 2),
                ("clockType", 2),
                ("physicalLayerProtocol", 11),
                ("physicalAddressLength", 2),
                ("physicalAddress", 6),
                ("protocolAddress", 10),
                ("manufacturerIdentity", 3),
                ("reserved", 1),
                ("productDescription", 3),
                ("revisionData", 3),
                ("userDescription", 1),
                ("profileIdentity", 6),
            ],
            &[2],
        );
        let error_status: &[u8] = &[
            0x00, 0x02, 0x00, 0x0c, 0x00, 0x06, 0x20, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x02, b'n',
            b'o', 0x00,
        ];
        check_cuts(
            error_status,
            &[
                ("managementErrorId", 2),
                ("managementId", 2),
                ("reserved", 4),
                ("displayData", 3),
            ],
            &[8],
        );
    }
}
