//! The 34-octet common header of every PTP message (IEEE 1588-2019 §13.3).

use std::fmt;

use nom::number::complete::{be_i8, be_u8, be_u16};

use super::time::parse_correction;
use super::types::parse_port_identity;
use super::{ClockIdentity, Correction, PResult, PortIdentity, array, field};

/// `messageType` (§13.3.2.2, Table 36). An open enum: any 4-bit value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageType(pub u8);

impl MessageType {
    pub const SYNC: Self = Self(0x0);
    pub const DELAY_REQ: Self = Self(0x1);
    pub const PDELAY_REQ: Self = Self(0x2);
    pub const PDELAY_RESP: Self = Self(0x3);
    pub const FOLLOW_UP: Self = Self(0x8);
    pub const DELAY_RESP: Self = Self(0x9);
    pub const PDELAY_RESP_FOLLOW_UP: Self = Self(0xA);
    pub const ANNOUNCE: Self = Self(0xB);
    pub const SIGNALING: Self = Self(0xC);
    pub const MANAGEMENT: Self = Self(0xD);

    /// The standard's name, or `None` for a reserved value.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::SYNC => "Sync",
            Self::DELAY_REQ => "Delay_Req",
            Self::PDELAY_REQ => "Pdelay_Req",
            Self::PDELAY_RESP => "Pdelay_Resp",
            Self::FOLLOW_UP => "Follow_Up",
            Self::DELAY_RESP => "Delay_Resp",
            Self::PDELAY_RESP_FOLLOW_UP => "Pdelay_Resp_Follow_Up",
            Self::ANNOUNCE => "Announce",
            Self::SIGNALING => "Signaling",
            Self::MANAGEMENT => "Management",
            _ => return None,
        })
    }

    /// The messageType nibble (§13.3.2.2) as an index into 16 slots.
    pub fn index(self) -> usize {
        usize::from(self.0 & 0x0f)
    }

    /// Event messages are timestamped on the wire (§7.4.1).
    pub fn is_event(self) -> bool {
        self.0 < 0x8
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "Reserved(0x{:x})", self.0),
        }
    }
}

/// `flagField` (§13.3.2.8, Table 37) as one big-endian 16-bit word: octet 0 is
/// the high byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Flags(pub u16);

impl Flags {
    pub const ALTERNATE_MASTER: u16 = 0x0100;
    pub const TWO_STEP: u16 = 0x0200;
    pub const UNICAST: u16 = 0x0400;
    pub const PROFILE_SPECIFIC_1: u16 = 0x2000;
    pub const PROFILE_SPECIFIC_2: u16 = 0x4000;
    /// Reserved in 1588-2019; the securityFlag of 1588-2008.
    pub const SECURITY: u16 = 0x8000;
    pub const LEAP61: u16 = 0x0001;
    pub const LEAP59: u16 = 0x0002;
    pub const CURRENT_UTC_OFFSET_VALID: u16 = 0x0004;
    pub const PTP_TIMESCALE: u16 = 0x0008;
    pub const TIME_TRACEABLE: u16 = 0x0010;
    pub const FREQUENCY_TRACEABLE: u16 = 0x0020;
    /// New in 1588-2019.
    pub const SYNCHRONIZATION_UNCERTAIN: u16 = 0x0040;

    /// Every named bit with the standard's name, in wire order.
    pub const NAMES: [(u16, &'static str); 13] = [
        (Self::ALTERNATE_MASTER, "alternateMasterFlag"),
        (Self::TWO_STEP, "twoStepFlag"),
        (Self::UNICAST, "unicastFlag"),
        (Self::PROFILE_SPECIFIC_1, "profileSpecific1"),
        (Self::PROFILE_SPECIFIC_2, "profileSpecific2"),
        (Self::SECURITY, "securityFlag"),
        (Self::LEAP61, "leap61"),
        (Self::LEAP59, "leap59"),
        (Self::CURRENT_UTC_OFFSET_VALID, "currentUtcOffsetValid"),
        (Self::PTP_TIMESCALE, "ptpTimescale"),
        (Self::TIME_TRACEABLE, "timeTraceable"),
        (Self::FREQUENCY_TRACEABLE, "frequencyTraceable"),
        (Self::SYNCHRONIZATION_UNCERTAIN, "synchronizationUncertain"),
    ];

    pub fn contains(self, bit: u16) -> bool {
        self.0 & bit != 0
    }

    /// Names of the set bits; reserved bits come out as `reserved0x....`.
    pub fn names(self) -> impl Iterator<Item = FlagName> {
        // Octet 0 then octet 1, each from bit 0 up (Table 37 order).
        (8..16).chain(0..8).filter_map(move |b| {
            let bit = 1u16 << b;
            if self.0 & bit == 0 {
                return None;
            }
            Some(match Self::NAMES.iter().find(|(m, _)| *m == bit) {
                Some((_, n)) => FlagName::Named(n),
                None => FlagName::Reserved(bit),
            })
        })
    }
}

/// A set flag bit: its name, or the mask of a reserved bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagName {
    Named(&'static str),
    Reserved(u16),
}

impl fmt::Display for FlagName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlagName::Named(n) => f.write_str(n),
            FlagName::Reserved(m) => write!(f, "reserved0x{m:04x}"),
        }
    }
}

/// The common header (§13.3.1, Table 35). Reserved fields are kept so that the
/// header emits back to the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// `majorSdoId` (2019), `transportSpecific` (2008): high nibble of octet 0.
    pub major_sdo_id: u8,
    /// `messageType`: low nibble of octet 0.
    pub message_type: MessageType,
    /// `minorVersionPTP`: high nibble of octet 1 (reserved in 2008).
    pub minor_version_ptp: u8,
    /// `versionPTP`: low nibble of octet 1.
    pub version_ptp: u8,
    /// `messageLength`: the whole message, header and TLVs included.
    pub message_length: u16,
    pub domain_number: u8,
    /// `minorSdoId` (2019; reserved in 2008).
    pub minor_sdo_id: u8,
    pub flags: Flags,
    pub correction_field: Correction,
    /// `messageTypeSpecific` (2019; reserved in 2008).
    pub message_type_specific: [u8; 4],
    pub source_port_identity: PortIdentity,
    pub sequence_id: u16,
    /// `controlField` (deprecated in 2019, kept for 2002/2008 receivers).
    pub control_field: u8,
    pub log_message_interval: i8,
}

impl Header {
    pub const LEN: usize = 34;

    /// "2.0" or "2.1" style version text.
    pub fn version(&self) -> (u8, u8) {
        (self.version_ptp, self.minor_version_ptp)
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push((self.major_sdo_id << 4) | (self.message_type.0 & 0x0f));
        out.push((self.minor_version_ptp << 4) | (self.version_ptp & 0x0f));
        out.extend_from_slice(&self.message_length.to_be_bytes());
        out.push(self.domain_number);
        out.push(self.minor_sdo_id);
        out.extend_from_slice(&self.flags.0.to_be_bytes());
        out.extend_from_slice(&self.correction_field.0.to_be_bytes());
        out.extend_from_slice(&self.message_type_specific);
        self.source_port_identity.emit(out);
        out.extend_from_slice(&self.sequence_id.to_be_bytes());
        out.push(self.control_field);
        out.push(self.log_message_interval as u8);
    }
}

/// Parses the common header.
pub fn parse_header(i: &[u8]) -> PResult<'_, Header> {
    // Fast path: every field is plain octets, so a complete header is read
    // by index; the field-by-field parser below names what is missing.
    if let Some((h, rest)) = i.split_first_chunk::<{ Header::LEN }>() {
        return Ok((rest, Header::from_octets(h)));
    }
    parse_header_fields(i)
}

/// The header field by field: errors name the field that is cut short.
fn parse_header_fields(i: &[u8]) -> PResult<'_, Header> {
    let (i, b0) = field("messageType", be_u8)(i)?;
    let (i, b1) = field("versionPTP", be_u8)(i)?;
    let (i, message_length) = field("messageLength", be_u16)(i)?;
    let (i, domain_number) = field("domainNumber", be_u8)(i)?;
    let (i, minor_sdo_id) = field("minorSdoId", be_u8)(i)?;
    let (i, flags) = field("flagField", be_u16)(i)?;
    let (i, correction_field) = parse_correction("correctionField")(i)?;
    let (i, message_type_specific) = field("messageTypeSpecific", array::<4>)(i)?;
    let (i, source_port_identity) = parse_port_identity("sourcePortIdentity")(i)?;
    let (i, sequence_id) = field("sequenceId", be_u16)(i)?;
    let (i, control_field) = field("controlField", be_u8)(i)?;
    let (i, log_message_interval) = field("logMessageInterval", be_i8)(i)?;
    Ok((
        i,
        Header {
            major_sdo_id: b0 >> 4,
            message_type: MessageType(b0 & 0x0f),
            minor_version_ptp: b1 >> 4,
            version_ptp: b1 & 0x0f,
            message_length,
            domain_number,
            minor_sdo_id,
            flags: Flags(flags),
            correction_field,
            message_type_specific,
            source_port_identity,
            sequence_id,
            control_field,
            log_message_interval,
        },
    ))
}

impl Header {
    /// The header from its 34 octets (§13.3.1, Table 35).
    fn from_octets(h: &[u8; Header::LEN]) -> Header {
        let u16_at = |o: usize| u16::from_be_bytes([h[o], h[o + 1]]);
        let mut correction = [0; 8];
        correction.copy_from_slice(&h[8..16]);
        let mut mts = [0; 4];
        mts.copy_from_slice(&h[16..20]);
        let mut clock = [0; 8];
        clock.copy_from_slice(&h[20..28]);
        Header {
            major_sdo_id: h[0] >> 4,
            message_type: MessageType(h[0] & 0x0f),
            minor_version_ptp: h[1] >> 4,
            version_ptp: h[1] & 0x0f,
            message_length: u16_at(2),
            domain_number: h[4],
            minor_sdo_id: h[5],
            flags: Flags(u16_at(6)),
            correction_field: Correction(i64::from_be_bytes(correction)),
            message_type_specific: mts,
            source_port_identity: PortIdentity {
                clock_identity: ClockIdentity(clock),
                port_number: u16_at(28),
            },
            sequence_id: u16_at(30),
            control_field: h[32],
            log_message_interval: h[33] as i8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_and_field_by_field_parsers_agree() {
        let mut rng = 0x1234_5678_9abc_def0u64;
        for _ in 0..1000 {
            let mut b = [0u8; 40];
            for x in &mut b {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                *x = rng as u8;
            }
            let (rest, fast) = parse_header(&b).unwrap();
            let (slow_rest, slow) = parse_header_fields(&b).unwrap();
            assert_eq!(fast, slow);
            assert_eq!(rest, slow_rest);
        }
        // Short input takes the field parser and names the missing field.
        let e = parse_header(&[0u8; 33]).unwrap_err();
        assert!(format!("{e:?}").contains("logMessageInterval"), "{e:?}");
    }

    /// A two-step Sync header from linuxptp (domain 0, seq 0x1234, 2^-16 ns
    /// correction of 1.5 ns).
    static BYTES: [u8; 34] = [
        0x10, 0x12, 0x00, 0x2c, 0x00, 0x00, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1b, 0x19, 0xff, 0xfe, 0x00, 0x00, 0x01, 0x00, 0x01,
        0x12, 0x34, 0x00, 0xfd,
    ];

    #[test]
    fn deconstruct() {
        let (rest, h) = parse_header(&BYTES).unwrap();
        assert!(rest.is_empty());
        assert_eq!(h.major_sdo_id, 1);
        assert_eq!(h.message_type, MessageType::SYNC);
        assert_eq!(h.version(), (2, 1));
        assert_eq!(h.message_length, 44);
        assert!(h.flags.contains(Flags::TWO_STEP));
        assert!(h.flags.contains(Flags::PTP_TIMESCALE));
        let names: Vec<String> = h.flags.names().map(|n| n.to_string()).collect();
        assert_eq!(names, ["twoStepFlag", "ptpTimescale"]);
        assert_eq!(h.correction_field, Correction(0x18000));
        assert_eq!(h.source_port_identity.to_string(), "001b19.fffe.000001-1");
        assert_eq!(h.sequence_id, 0x1234);
        assert_eq!(h.log_message_interval, -3);
    }

    #[test]
    fn construct() {
        let (_, h) = parse_header(&BYTES).unwrap();
        let mut out = vec![];
        h.emit(&mut out);
        assert_eq!(out, BYTES);
    }

    #[test]
    fn truncated_at_each_field() {
        for n in 0..BYTES.len() {
            let e = parse_header(&BYTES[..n]).unwrap_err();
            assert!(
                matches!(e, nom::Err::Error(f) if !f.field.is_empty()),
                "{n}"
            );
        }
    }

    #[test]
    fn reserved_flag_named() {
        let names: Vec<String> = Flags(0x1080).names().map(|n| n.to_string()).collect();
        assert_eq!(names, ["reserved0x1000", "reserved0x0080"]);
    }
}
