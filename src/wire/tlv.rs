//! TLVs (IEEE 1588-2019 §14): a bounded iterator over the TLVs that follow a
//! message body, and typed decoding of the TLVs the standard and its common
//! profiles define. Any other TLV is kept raw with its type and length.
//!
//! A TLV is `tlvType` (2 octets), `lengthField` (2 octets) and that many
//! octets of value. The value is decoded into a [`TlvBody`]; octets the typed
//! body does not use (padding, extensions of later editions) are kept in
//! [`Tlv::extra`] so that a TLV always emits back to its own bytes.

use std::fmt;

use nom::bytes::complete::take;
use nom::number::complete::{be_i8, be_i16, be_i32, be_i64, be_u8, be_u16, be_u24, be_u32, be_u64};
use serde::{Serialize, Serializer};

use super::time::parse_timestamp;
use super::types::{
    parse_clock_identity, parse_clock_quality, parse_port_identity, parse_ptp_text,
};
use super::{
    ClockIdentity, ClockQuality, Error, ErrorKind, PResult, PortIdentity, PtpText, Timestamp,
    array, field, finish, ser,
};

/// `tlvType` (§14.1.1, Table 52). Open: any value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TlvType(pub u16);

impl TlvType {
    pub const MANAGEMENT: Self = Self(0x0001);
    pub const MANAGEMENT_ERROR_STATUS: Self = Self(0x0002);
    pub const ORGANIZATION_EXTENSION: Self = Self(0x0003);
    pub const REQUEST_UNICAST_TRANSMISSION: Self = Self(0x0004);
    pub const GRANT_UNICAST_TRANSMISSION: Self = Self(0x0005);
    pub const CANCEL_UNICAST_TRANSMISSION: Self = Self(0x0006);
    pub const ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION: Self = Self(0x0007);
    pub const PATH_TRACE: Self = Self(0x0008);
    pub const ALTERNATE_TIME_OFFSET_INDICATOR: Self = Self(0x0009);
    pub const ORGANIZATION_EXTENSION_PROPAGATE: Self = Self(0x4000);
    pub const ENHANCED_ACCURACY_METRICS: Self = Self(0x4001);
    pub const ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE: Self = Self(0x8000);
    pub const L1_SYNC: Self = Self(0x8001);
    pub const PORT_COMMUNICATION_AVAILABILITY: Self = Self(0x8002);
    pub const PROTOCOL_ADDRESS: Self = Self(0x8003);
    pub const SLAVE_RX_SYNC_TIMING_DATA: Self = Self(0x8004);
    pub const SLAVE_RX_SYNC_COMPUTED_DATA: Self = Self(0x8005);
    pub const SLAVE_TX_EVENT_TIMESTAMPS: Self = Self(0x8006);
    pub const CUMULATIVE_RATE_RATIO: Self = Self(0x8007);
    pub const PAD: Self = Self(0x8008);
    pub const AUTHENTICATION: Self = Self(0x8009);

    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::MANAGEMENT => "MANAGEMENT",
            Self::MANAGEMENT_ERROR_STATUS => "MANAGEMENT_ERROR_STATUS",
            Self::ORGANIZATION_EXTENSION => "ORGANIZATION_EXTENSION",
            Self::REQUEST_UNICAST_TRANSMISSION => "REQUEST_UNICAST_TRANSMISSION",
            Self::GRANT_UNICAST_TRANSMISSION => "GRANT_UNICAST_TRANSMISSION",
            Self::CANCEL_UNICAST_TRANSMISSION => "CANCEL_UNICAST_TRANSMISSION",
            Self::ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION => {
                "ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION"
            }
            Self::PATH_TRACE => "PATH_TRACE",
            Self::ALTERNATE_TIME_OFFSET_INDICATOR => "ALTERNATE_TIME_OFFSET_INDICATOR",
            Self::ORGANIZATION_EXTENSION_PROPAGATE => "ORGANIZATION_EXTENSION_PROPAGATE",
            Self::ENHANCED_ACCURACY_METRICS => "ENHANCED_ACCURACY_METRICS",
            Self::ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE => {
                "ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE"
            }
            Self::L1_SYNC => "L1_SYNC",
            Self::PORT_COMMUNICATION_AVAILABILITY => "PORT_COMMUNICATION_AVAILABILITY",
            Self::PROTOCOL_ADDRESS => "PROTOCOL_ADDRESS",
            Self::SLAVE_RX_SYNC_TIMING_DATA => "SLAVE_RX_SYNC_TIMING_DATA",
            Self::SLAVE_RX_SYNC_COMPUTED_DATA => "SLAVE_RX_SYNC_COMPUTED_DATA",
            Self::SLAVE_TX_EVENT_TIMESTAMPS => "SLAVE_TX_EVENT_TIMESTAMPS",
            Self::CUMULATIVE_RATE_RATIO => "CUMULATIVE_RATE_RATIO",
            Self::PAD => "PAD",
            Self::AUTHENTICATION => "AUTHENTICATION",
            _ => return None,
        })
    }
}

impl fmt::Display for TlvType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "0x{:04x}", self.0),
        }
    }
}

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
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "0x{:04x}", self.0),
        }
    }
}

impl Serialize for ManagementId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One TLV: its type, its decoded value and any octets of the value the typed
/// decoding did not use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tlv_type: TlvType,
    pub body: TlvBody<'a>,
    pub extra: &'a [u8],
}

impl Tlv<'_> {
    /// `lengthField`: the value's length.
    pub fn length(&self) -> usize {
        self.body.buffer_len() + self.extra.len()
    }

    pub fn buffer_len(&self) -> usize {
        4 + self.length()
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.tlv_type.0.to_be_bytes());
        // A value longer than 65535 octets cannot be represented; emit never
        // panics and writes the low 16 bits.
        out.extend_from_slice(&(self.length() as u16).to_be_bytes());
        self.body.emit(out);
        out.extend_from_slice(self.extra);
    }
}

impl Serialize for TlvType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// JSON form of a TLV: `type`, `type_code`, `length`, the decoded fields, and
/// `extra` (hex) when the value holds octets past its typed fields.
impl Serialize for Tlv<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'t, 'a> {
            #[serde(rename = "type")]
            tlv_type: TlvType,
            type_code: u16,
            length: usize,
            #[serde(flatten)]
            body: &'t TlvBody<'a>,
            #[serde(skip_serializing_if = "<[u8]>::is_empty", serialize_with = "ser_hex")]
            extra: &'a [u8],
        }
        Json {
            tlv_type: self.tlv_type,
            type_code: self.tlv_type.0,
            length: self.length(),
            body: &self.body,
            extra: self.extra,
        }
        .serialize(s)
    }
}

/// The decoded value of a TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TlvBody<'a> {
    /// MANAGEMENT (§15.5.2).
    Management {
        management_id: ManagementId,
        #[serde(flatten)]
        data: ManagementData<'a>,
    },
    /// MANAGEMENT_ERROR_STATUS (§15.5.4).
    ManagementErrorStatus {
        management_error_id: u16,
        management_id: ManagementId,
        #[serde(skip)]
        reserved: [u8; 4],
        display_data: Option<PtpText<'a>>,
    },
    /// ORGANIZATION_EXTENSION and its PROPAGATE / DO_NOT_PROPAGATE variants
    /// (§14.3).
    OrganizationExtension {
        #[serde(serialize_with = "ser_oui")]
        organization_id: [u8; 3],
        organization_sub_type: u32,
        #[serde(flatten)]
        data: OrganizationData<'a>,
    },
    /// REQUEST_UNICAST_TRANSMISSION (§16.1.4.1).
    RequestUnicastTransmission {
        /// High nibble: the messageType requested; low nibble reserved.
        #[serde(serialize_with = "ser_nibble_type")]
        message_type: u8,
        log_inter_message_period: i8,
        duration_field: u32,
    },
    /// GRANT_UNICAST_TRANSMISSION (§16.1.4.2).
    GrantUnicastTransmission {
        #[serde(serialize_with = "ser_nibble_type")]
        message_type: u8,
        log_inter_message_period: i8,
        duration_field: u32,
        #[serde(skip)]
        reserved: u8,
        /// Bit 0: renewal invited.
        renewal: u8,
    },
    /// CANCEL_UNICAST_TRANSMISSION (§16.1.4.3).
    CancelUnicastTransmission {
        #[serde(serialize_with = "ser_nibble_type")]
        message_type: u8,
        #[serde(skip)]
        reserved: u8,
    },
    /// ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION (§16.1.4.4).
    AcknowledgeCancelUnicastTransmission {
        #[serde(serialize_with = "ser_nibble_type")]
        message_type: u8,
        #[serde(skip)]
        reserved: u8,
    },
    /// PATH_TRACE (§16.2): the clock identities the Announce passed through.
    PathTrace {
        #[serde(serialize_with = "ser_path")]
        path_sequence: &'a [u8],
    },
    /// ALTERNATE_TIME_OFFSET_INDICATOR (§16.3).
    AlternateTimeOffsetIndicator {
        key_field: u8,
        current_offset: i32,
        jump_seconds: i32,
        /// 48 bits.
        time_of_next_jump: u64,
        display_name: PtpText<'a>,
    },
    /// ENHANCED_ACCURACY_METRICS (§16.12): hop counts and eight
    /// inaccuracy figures (TimeInterval maxima and Float64 variances, kept as
    /// their raw 64-bit words).
    EnhancedAccuracyMetrics {
        bc_hop_count: u8,
        tc_hop_count: u8,
        #[serde(skip)]
        reserved: [u8; 2],
        max_gm_inaccuracy: i64,
        var_gm_inaccuracy: u64,
        max_transient_inaccuracy: i64,
        var_transient_inaccuracy: u64,
        max_dynamic_inaccuracy: i64,
        var_dynamic_inaccuracy: u64,
        max_static_instance_inaccuracy: i64,
        var_static_instance_inaccuracy: u64,
        max_static_medium_inaccuracy: i64,
        var_static_medium_inaccuracy: u64,
    },
    /// PAD (§14.4): octets with no meaning.
    Pad {
        #[serde(skip)]
        pad: &'a [u8],
    },
    /// Any TLV this decoder does not type.
    Raw {
        #[serde(serialize_with = "ser_hex")]
        value: &'a [u8],
    },
}

fn ser_hex<S: Serializer>(b: &&[u8], s: S) -> Result<S::Ok, S::Error> {
    ser::hex(b, s)
}

fn ser_oui<S: Serializer>(b: &[u8; 3], s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{:02x}-{:02x}-{:02x}", b[0], b[1], b[2]))
}

fn ser_nibble_type<S: Serializer>(b: &u8, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&super::MessageType(b >> 4))
}

fn ser_path<S: Serializer>(b: &&[u8], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(path_identities(b))
}

/// The clock identities of a PATH_TRACE `pathSequence`.
pub fn path_identities(b: &[u8]) -> impl Iterator<Item = ClockIdentity> + '_ {
    b.chunks_exact(8).map(|c| {
        let mut a = [0; 8];
        a.copy_from_slice(c);
        ClockIdentity(a)
    })
}

impl TlvBody<'_> {
    pub fn buffer_len(&self) -> usize {
        match self {
            TlvBody::Management { data, .. } => 2 + data.buffer_len(),
            TlvBody::ManagementErrorStatus { display_data, .. } => {
                8 + display_data.map_or(0, |t| t.buffer_len())
            }
            TlvBody::OrganizationExtension { data, .. } => 6 + data.buffer_len(),
            TlvBody::RequestUnicastTransmission { .. } => 6,
            TlvBody::GrantUnicastTransmission { .. } => 8,
            TlvBody::CancelUnicastTransmission { .. }
            | TlvBody::AcknowledgeCancelUnicastTransmission { .. } => 2,
            TlvBody::PathTrace { path_sequence } => path_sequence.len(),
            TlvBody::AlternateTimeOffsetIndicator { display_name, .. } => {
                15 + display_name.buffer_len()
            }
            TlvBody::EnhancedAccuracyMetrics { .. } => 84,
            TlvBody::Pad { pad } => pad.len(),
            TlvBody::Raw { value } => value.len(),
        }
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        match *self {
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
            TlvBody::OrganizationExtension {
                organization_id,
                organization_sub_type,
                data,
            } => {
                out.extend_from_slice(&organization_id);
                out.extend_from_slice(&organization_sub_type.to_be_bytes()[1..]);
                data.emit(out);
            }
            TlvBody::RequestUnicastTransmission {
                message_type,
                log_inter_message_period,
                duration_field,
            } => {
                out.push(message_type);
                out.push(log_inter_message_period as u8);
                out.extend_from_slice(&duration_field.to_be_bytes());
            }
            TlvBody::GrantUnicastTransmission {
                message_type,
                log_inter_message_period,
                duration_field,
                reserved,
                renewal,
            } => {
                out.push(message_type);
                out.push(log_inter_message_period as u8);
                out.extend_from_slice(&duration_field.to_be_bytes());
                out.push(reserved);
                out.push(renewal);
            }
            TlvBody::CancelUnicastTransmission {
                message_type,
                reserved,
            }
            | TlvBody::AcknowledgeCancelUnicastTransmission {
                message_type,
                reserved,
            } => {
                out.push(message_type);
                out.push(reserved);
            }
            TlvBody::PathTrace { path_sequence } => out.extend_from_slice(path_sequence),
            TlvBody::AlternateTimeOffsetIndicator {
                key_field,
                current_offset,
                jump_seconds,
                time_of_next_jump,
                display_name,
            } => {
                out.push(key_field);
                out.extend_from_slice(&current_offset.to_be_bytes());
                out.extend_from_slice(&jump_seconds.to_be_bytes());
                out.extend_from_slice(&time_of_next_jump.to_be_bytes()[2..]);
                display_name.emit(out);
            }
            TlvBody::EnhancedAccuracyMetrics {
                bc_hop_count,
                tc_hop_count,
                reserved,
                max_gm_inaccuracy,
                var_gm_inaccuracy,
                max_transient_inaccuracy,
                var_transient_inaccuracy,
                max_dynamic_inaccuracy,
                var_dynamic_inaccuracy,
                max_static_instance_inaccuracy,
                var_static_instance_inaccuracy,
                max_static_medium_inaccuracy,
                var_static_medium_inaccuracy,
            } => {
                out.push(bc_hop_count);
                out.push(tc_hop_count);
                out.extend_from_slice(&reserved);
                for (max, var) in [
                    (max_gm_inaccuracy, var_gm_inaccuracy),
                    (max_transient_inaccuracy, var_transient_inaccuracy),
                    (max_dynamic_inaccuracy, var_dynamic_inaccuracy),
                    (
                        max_static_instance_inaccuracy,
                        var_static_instance_inaccuracy,
                    ),
                    (max_static_medium_inaccuracy, var_static_medium_inaccuracy),
                ] {
                    out.extend_from_slice(&max.to_be_bytes());
                    out.extend_from_slice(&var.to_be_bytes());
                }
            }
            TlvBody::Pad { pad } => out.extend_from_slice(pad),
            TlvBody::Raw { value } => out.extend_from_slice(value),
        }
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
            ManagementData::TimePropertiesDataSet { .. } => 4,
            ManagementData::PortDataSet { .. } => 26,
            ManagementData::Time { .. } => 10,
            ManagementData::UtcProperties { .. } => 4,
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
            ManagementData::TimePropertiesDataSet {
                current_utc_offset,
                flags,
                time_source,
            } => {
                out.extend_from_slice(&current_utc_offset.to_be_bytes());
                out.push(flags);
                out.push(time_source);
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
            ManagementData::UtcProperties {
                current_utc_offset,
                flags,
                reserved,
            } => {
                out.extend_from_slice(&current_utc_offset.to_be_bytes());
                out.push(flags);
                out.push(reserved);
            }
            ManagementData::TimescaleProperties { flags, time_source } => {
                out.push(flags);
                out.push(time_source);
            }
            ManagementData::Value { value, reserved } => {
                out.push(value);
                out.push(reserved);
            }
            ManagementData::Raw { data } => out.extend_from_slice(data),
        }
    }
}

/// Data of an organization extension TLV, typed for the organizations and
/// sub-types this decoder knows (IEEE 802.1AS, IEEE C37.238).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum OrganizationData<'a> {
    /// IEEE 802.1AS-2020 §11.4.4.3 Follow_Up information TLV
    /// (OUI 00-80-C2, sub-type 1).
    FollowUpInformation {
        /// (rateRatio - 1) x 2^41.
        cumulative_scaled_rate_offset: i32,
        gm_time_base_indicator: u16,
        /// `lastGmPhaseChange`, ScaledNs: 96-bit ns x 2^16 (high 32, low 64).
        last_gm_phase_change_high: u32,
        last_gm_phase_change_low: u64,
        scaled_last_gm_freq_change: i32,
    },
    /// IEEE 802.1AS-2020 §10.6.4.3 message interval request TLV
    /// (OUI 00-80-C2, sub-type 2).
    MessageIntervalRequest {
        link_delay_interval: i8,
        time_sync_interval: i8,
        announce_interval: i8,
        /// Bit 0 computeNeighborRateRatio, bit 1 computeMeanLinkDelay,
        /// bit 2 oneStepReceiveCapable.
        flags: u8,
        #[serde(skip)]
        reserved: [u8; 2],
    },
    /// IEEE C37.238-2011 power profile TLV (OUI 1C-12-9D, sub-type 1).
    PowerProfile {
        grandmaster_id: u16,
        grandmaster_time_inaccuracy: u32,
        network_time_inaccuracy: u32,
        #[serde(skip)]
        reserved: [u8; 2],
    },
    Raw {
        #[serde(serialize_with = "ser_hex")]
        data: &'a [u8],
    },
}

impl OrganizationData<'_> {
    pub const IEEE_802_1: [u8; 3] = [0x00, 0x80, 0xc2];
    pub const IEEE_C37_238: [u8; 3] = [0x1c, 0x12, 0x9d];

    pub fn buffer_len(&self) -> usize {
        match self {
            OrganizationData::FollowUpInformation { .. } => 22,
            OrganizationData::MessageIntervalRequest { .. } => 6,
            OrganizationData::PowerProfile { .. } => 12,
            OrganizationData::Raw { data } => data.len(),
        }
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        match *self {
            OrganizationData::FollowUpInformation {
                cumulative_scaled_rate_offset,
                gm_time_base_indicator,
                last_gm_phase_change_high,
                last_gm_phase_change_low,
                scaled_last_gm_freq_change,
            } => {
                out.extend_from_slice(&cumulative_scaled_rate_offset.to_be_bytes());
                out.extend_from_slice(&gm_time_base_indicator.to_be_bytes());
                out.extend_from_slice(&last_gm_phase_change_high.to_be_bytes());
                out.extend_from_slice(&last_gm_phase_change_low.to_be_bytes());
                out.extend_from_slice(&scaled_last_gm_freq_change.to_be_bytes());
            }
            OrganizationData::MessageIntervalRequest {
                link_delay_interval,
                time_sync_interval,
                announce_interval,
                flags,
                reserved,
            } => {
                out.push(link_delay_interval as u8);
                out.push(time_sync_interval as u8);
                out.push(announce_interval as u8);
                out.push(flags);
                out.extend_from_slice(&reserved);
            }
            OrganizationData::PowerProfile {
                grandmaster_id,
                grandmaster_time_inaccuracy,
                network_time_inaccuracy,
                reserved,
            } => {
                out.extend_from_slice(&grandmaster_id.to_be_bytes());
                out.extend_from_slice(&grandmaster_time_inaccuracy.to_be_bytes());
                out.extend_from_slice(&network_time_inaccuracy.to_be_bytes());
                out.extend_from_slice(&reserved);
            }
            OrganizationData::Raw { data } => out.extend_from_slice(data),
        }
    }
}

/// A bounded iterator over the TLVs in `bytes`. Offsets in errors count from
/// the start of the message (`base_offset` is where `bytes` starts in it).
/// After an error the iterator ends.
#[derive(Debug, Clone)]
pub struct TlvIter<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> TlvIter<'a> {
    pub fn new(bytes: &'a [u8], base_offset: usize) -> Self {
        TlvIter {
            rest: bytes,
            offset: base_offset,
        }
    }
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Result<Tlv<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let r = parse_tlv(self.rest, self.offset);
        match r {
            Ok((rest, tlv)) => {
                self.offset += self.rest.len() - rest.len();
                self.rest = rest;
                Some(Ok(tlv))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Parses one TLV at `offset` of its message.
pub fn parse_tlv(i: &[u8], offset: usize) -> Result<(&[u8], Tlv<'_>), Error> {
    let (rest, (tlv_type, length)) = finish(i, offset, {
        let r: PResult<'_, (u16, u16)> = (|i| {
            let (i, t) = field("tlvType", be_u16)(i)?;
            let (i, l) = field("lengthField", be_u16)(i)?;
            Ok((i, (t, l)))
        })(i);
        r
    })?;
    let length = usize::from(length);
    if length > rest.len() {
        return Err(Error {
            field: "lengthField",
            offset: offset + 2,
            kind: ErrorKind::TlvOverrun {
                length,
                available: rest.len(),
            },
        });
    }
    let (value, rest) = rest.split_at(length);
    let tlv_type = TlvType(tlv_type);
    let (extra, body) = finish(value, offset + 4, parse_tlv_body(tlv_type, value))?;
    Ok((
        rest,
        Tlv {
            tlv_type,
            body,
            extra,
        },
    ))
}

fn parse_tlv_body(t: TlvType, i: &[u8]) -> PResult<'_, TlvBody<'_>> {
    match t {
        TlvType::MANAGEMENT => {
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
        TlvType::MANAGEMENT_ERROR_STATUS => {
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
        TlvType::ORGANIZATION_EXTENSION
        | TlvType::ORGANIZATION_EXTENSION_PROPAGATE
        | TlvType::ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE => {
            let (i, organization_id) = field("organizationId", array::<3>)(i)?;
            let (i, organization_sub_type) = field("organizationSubType", be_u24)(i)?;
            let (i, data) = parse_organization_data(organization_id, organization_sub_type, i)?;
            Ok((
                i,
                TlvBody::OrganizationExtension {
                    organization_id,
                    organization_sub_type,
                    data,
                },
            ))
        }
        TlvType::REQUEST_UNICAST_TRANSMISSION => {
            let (i, message_type) = field("messageType", be_u8)(i)?;
            let (i, log_inter_message_period) = field("logInterMessagePeriod", be_i8)(i)?;
            let (i, duration_field) = field("durationField", be_u32)(i)?;
            Ok((
                i,
                TlvBody::RequestUnicastTransmission {
                    message_type,
                    log_inter_message_period,
                    duration_field,
                },
            ))
        }
        TlvType::GRANT_UNICAST_TRANSMISSION => {
            let (i, message_type) = field("messageType", be_u8)(i)?;
            let (i, log_inter_message_period) = field("logInterMessagePeriod", be_i8)(i)?;
            let (i, duration_field) = field("durationField", be_u32)(i)?;
            let (i, reserved) = field("reserved", be_u8)(i)?;
            let (i, renewal) = field("renewalInvited", be_u8)(i)?;
            Ok((
                i,
                TlvBody::GrantUnicastTransmission {
                    message_type,
                    log_inter_message_period,
                    duration_field,
                    reserved,
                    renewal,
                },
            ))
        }
        TlvType::CANCEL_UNICAST_TRANSMISSION | TlvType::ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION => {
            let (i, message_type) = field("messageType", be_u8)(i)?;
            let (i, reserved) = field("reserved", be_u8)(i)?;
            let body = if t == TlvType::CANCEL_UNICAST_TRANSMISSION {
                TlvBody::CancelUnicastTransmission {
                    message_type,
                    reserved,
                }
            } else {
                TlvBody::AcknowledgeCancelUnicastTransmission {
                    message_type,
                    reserved,
                }
            };
            Ok((i, body))
        }
        TlvType::PATH_TRACE => {
            let n = i.len() / 8 * 8;
            let (i, path_sequence) = field("pathSequence", take(n))(i)?;
            Ok((i, TlvBody::PathTrace { path_sequence }))
        }
        TlvType::ALTERNATE_TIME_OFFSET_INDICATOR => {
            let (i, key_field) = field("keyField", be_u8)(i)?;
            let (i, current_offset) = field("currentOffset", be_i32)(i)?;
            let (i, jump_seconds) = field("jumpSeconds", be_i32)(i)?;
            let (i, high) = field("timeOfNextJump", be_u16)(i)?;
            let (i, low) = field("timeOfNextJump", be_u32)(i)?;
            let (i, display_name) = parse_ptp_text("displayName")(i)?;
            Ok((
                i,
                TlvBody::AlternateTimeOffsetIndicator {
                    key_field,
                    current_offset,
                    jump_seconds,
                    time_of_next_jump: (u64::from(high) << 32) | u64::from(low),
                    display_name,
                },
            ))
        }
        TlvType::ENHANCED_ACCURACY_METRICS => {
            let (i, bc_hop_count) = field("bcHopCount", be_u8)(i)?;
            let (i, tc_hop_count) = field("tcHopCount", be_u8)(i)?;
            let (i, reserved) = field("reserved", array::<2>)(i)?;
            let (i, max_gm_inaccuracy) = field("maxGmInaccuracy", be_i64)(i)?;
            let (i, var_gm_inaccuracy) = field("varGmInaccuracy", be_u64)(i)?;
            let (i, max_transient_inaccuracy) = field("maxTransientInaccuracy", be_i64)(i)?;
            let (i, var_transient_inaccuracy) = field("varTransientInaccuracy", be_u64)(i)?;
            let (i, max_dynamic_inaccuracy) = field("maxDynamicInaccuracy", be_i64)(i)?;
            let (i, var_dynamic_inaccuracy) = field("varDynamicInaccuracy", be_u64)(i)?;
            let (i, max_static_instance_inaccuracy) =
                field("maxStaticInstanceInaccuracy", be_i64)(i)?;
            let (i, var_static_instance_inaccuracy) =
                field("varStaticInstanceInaccuracy", be_u64)(i)?;
            let (i, max_static_medium_inaccuracy) = field("maxStaticMediumInaccuracy", be_i64)(i)?;
            let (i, var_static_medium_inaccuracy) = field("varStaticMediumInaccuracy", be_u64)(i)?;
            Ok((
                i,
                TlvBody::EnhancedAccuracyMetrics {
                    bc_hop_count,
                    tc_hop_count,
                    reserved,
                    max_gm_inaccuracy,
                    var_gm_inaccuracy,
                    max_transient_inaccuracy,
                    var_transient_inaccuracy,
                    max_dynamic_inaccuracy,
                    var_dynamic_inaccuracy,
                    max_static_instance_inaccuracy,
                    var_static_instance_inaccuracy,
                    max_static_medium_inaccuracy,
                    var_static_medium_inaccuracy,
                },
            ))
        }
        TlvType::PAD => Ok((&i[i.len()..], TlvBody::Pad { pad: i })),
        _ => Ok((&i[i.len()..], TlvBody::Raw { value: i })),
    }
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
            let (i, network_protocol) = field("protocolAddress", be_u16)(i)?;
            let (i, n) = field("protocolAddress", be_u16)(i)?;
            let (i, protocol_address) = field("protocolAddress", take(n))(i)?;
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
        _ => Ok((&i[i.len()..], ManagementData::Raw { data: i })),
    }
}

fn parse_organization_data(
    oui: [u8; 3],
    sub_type: u32,
    i: &[u8],
) -> PResult<'_, OrganizationData<'_>> {
    match (oui, sub_type) {
        (OrganizationData::IEEE_802_1, 1) if i.len() >= 22 => {
            let (i, cumulative_scaled_rate_offset) = be_i32(i)?;
            let (i, gm_time_base_indicator) = be_u16(i)?;
            let (i, last_gm_phase_change_high) = be_u32(i)?;
            let (i, last_gm_phase_change_low) = be_u64(i)?;
            let (i, scaled_last_gm_freq_change) = be_i32(i)?;
            Ok((
                i,
                OrganizationData::FollowUpInformation {
                    cumulative_scaled_rate_offset,
                    gm_time_base_indicator,
                    last_gm_phase_change_high,
                    last_gm_phase_change_low,
                    scaled_last_gm_freq_change,
                },
            ))
        }
        (OrganizationData::IEEE_802_1, 2) if i.len() >= 6 => {
            let (i, link_delay_interval) = be_i8(i)?;
            let (i, time_sync_interval) = be_i8(i)?;
            let (i, announce_interval) = be_i8(i)?;
            let (i, flags) = be_u8(i)?;
            let (i, reserved) = array::<2>(i)?;
            Ok((
                i,
                OrganizationData::MessageIntervalRequest {
                    link_delay_interval,
                    time_sync_interval,
                    announce_interval,
                    flags,
                    reserved,
                },
            ))
        }
        (OrganizationData::IEEE_C37_238, 1) if i.len() >= 12 => {
            let (i, grandmaster_id) = be_u16(i)?;
            let (i, grandmaster_time_inaccuracy) = be_u32(i)?;
            let (i, network_time_inaccuracy) = be_u32(i)?;
            let (i, reserved) = array::<2>(i)?;
            Ok((
                i,
                OrganizationData::PowerProfile {
                    grandmaster_id,
                    grandmaster_time_inaccuracy,
                    network_time_inaccuracy,
                    reserved,
                },
            ))
        }
        _ => Ok((&i[i.len()..], OrganizationData::Raw { data: i })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(bytes: &[u8]) -> Tlv<'_> {
        let (rest, tlv) = parse_tlv(bytes, 0).unwrap();
        assert!(rest.is_empty());
        let mut out = vec![0xa5; 0];
        tlv.emit(&mut out);
        assert_eq!(out, bytes);
        assert_eq!(tlv.buffer_len(), bytes.len());
        tlv
    }

    #[test]
    fn grant_unicast() {
        let b = [
            0x00, 0x05, 0x00, 0x08, 0xb0, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x01,
        ];
        let t = round_trip(&b);
        assert_eq!(
            t.body,
            TlvBody::GrantUnicastTransmission {
                message_type: 0xb0,
                log_inter_message_period: 1,
                duration_field: 300,
                reserved: 0,
                renewal: 1
            }
        );
        let j = serde_json::to_value(t).unwrap();
        assert_eq!(j["type"], "GRANT_UNICAST_TRANSMISSION");
        assert_eq!(j["message_type"], "Announce");
        assert_eq!(j["duration_field"], 300);
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

    #[test]
    fn follow_up_information() {
        let mut b = vec![0x00, 0x03, 0x00, 0x1c, 0x00, 0x80, 0xc2, 0x00, 0x00, 0x01];
        b.extend_from_slice(&[0; 22]);
        let t = round_trip(&b);
        assert!(matches!(
            t.body,
            TlvBody::OrganizationExtension {
                data: OrganizationData::FollowUpInformation { .. },
                ..
            }
        ));
    }

    #[test]
    fn path_trace_identities() {
        let b = [0x00, 0x08, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8];
        let t = round_trip(&b);
        let TlvBody::PathTrace { path_sequence } = t.body else {
            panic!()
        };
        let ids: Vec<_> = path_identities(path_sequence).collect();
        assert_eq!(ids, [ClockIdentity([1, 2, 3, 4, 5, 6, 7, 8])]);
    }

    #[test]
    fn overrun_is_an_error_at_length_field() {
        let e = parse_tlv(&[0x00, 0x08, 0x00, 0x10, 1, 2], 44).unwrap_err();
        assert_eq!(e.field, "lengthField");
        assert_eq!(e.offset, 46);
        assert_eq!(
            e.kind,
            ErrorKind::TlvOverrun {
                length: 16,
                available: 2
            }
        );
    }

    #[test]
    fn short_typed_value_names_field_and_offset() {
        // REQUEST_UNICAST_TRANSMISSION with a 3-octet value.
        let e = parse_tlv(&[0x00, 0x04, 0x00, 0x03, 0xb0, 0x01, 0x00], 44).unwrap_err();
        assert_eq!(e.field, "durationField");
        assert_eq!(e.offset, 50);
    }

    #[test]
    fn iterator_stops_after_error() {
        let b = [0x80, 0x08, 0x00, 0x02, 0, 0, 0x00, 0x09];
        let v: Vec<_> = TlvIter::new(&b, 0).collect();
        assert_eq!(v.len(), 2);
        assert!(v[0].is_ok());
        assert!(v[1].is_err());
    }

    #[test]
    fn unknown_kept_raw() {
        let t = round_trip(&[0x7f, 0x00, 0x00, 0x03, 1, 2, 3]);
        assert_eq!(t.body, TlvBody::Raw { value: &[1, 2, 3] });
        assert_eq!(t.tlv_type.to_string(), "0x7f00");
    }
}
