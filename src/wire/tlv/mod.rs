//! TLVs (IEEE 1588-2019 §14): the framing every TLV shares, a bounded
//! iterator over the TLVs that follow a message body, and the dispatch of each
//! value to the family that types it. Any other TLV is kept raw with its type
//! and length.
//!
//! A TLV is `tlvType` (2 octets), `lengthField` (2 octets) and that many
//! octets of value (§14.1). [`parse_tlv`] checks `lengthField` against the
//! octets present, once, and decodes the value inside exactly that many
//! octets into a [`TlvBody`]; octets the typed body does not use (padding,
//! extensions of later editions) are kept in [`Tlv::extra`] so that a TLV
//! always emits back to its own bytes.
//!
//! One file per family, each with the clause it decodes:
//! - [`management`]: MANAGEMENT and MANAGEMENT_ERROR_STATUS (§15.5);
//! - [`unicast`]: REQUEST, GRANT, CANCEL and ACKNOWLEDGE_CANCEL
//!   UNICAST_TRANSMISSION (§16.1);
//! - [`organization`]: ORGANIZATION_EXTENSION and its PROPAGATE /
//!   DO_NOT_PROPAGATE variants (§14.3), typed for IEEE 802.1AS and
//!   IEEE C37.238;
//! - [`path_trace`]: PATH_TRACE (§16.2);
//! - [`alternate_time_offset`]: ALTERNATE_TIME_OFFSET_INDICATOR (§16.3);
//! - [`enhanced_accuracy`]: ENHANCED_ACCURACY_METRICS (§16.12);
//! - this file: PAD (§14.4) and every TLV kept raw.
//!
//! Each family file parses and emits its own values, naming the standard's
//! fields in errors; the framing here adds `tlvType` and `lengthField`.

pub mod alternate_time_offset;
pub mod enhanced_accuracy;
pub mod management;
pub mod organization;
pub mod path_trace;
pub mod unicast;

pub use management::{ManagementData, ManagementId};
pub use organization::OrganizationData;
pub use path_trace::path_identities;

use std::fmt;

use nom::number::complete::be_u16;
use serde::{Serialize, Serializer};

use super::{Error, ErrorKind, PResult, PtpText, field, finish, ser};

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
        name_or_code(f, self.name(), self.0)
    }
}

impl Serialize for TlvType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Display of a 16-bit wire code of an open enum (`tlvType`,
/// `managementId`): the standard's name, or the code as `0x` and four hex
/// digits.
fn name_or_code(f: &mut fmt::Formatter<'_>, name: Option<&str>, code: u16) -> fmt::Result {
    match name {
        Some(n) => f.write_str(n),
        None => write!(f, "0x{code:04x}"),
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

/// The decoded value of a TLV. Each variant is parsed and emitted by the
/// family file named in its doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TlvBody<'a> {
    /// MANAGEMENT (§15.5.2), [`management`].
    Management {
        management_id: ManagementId,
        #[serde(flatten)]
        data: ManagementData<'a>,
    },
    /// MANAGEMENT_ERROR_STATUS (§15.5.4), [`management`].
    ManagementErrorStatus {
        management_error_id: u16,
        management_id: ManagementId,
        #[serde(skip)]
        reserved: [u8; 4],
        display_data: Option<PtpText<'a>>,
    },
    /// ORGANIZATION_EXTENSION and its PROPAGATE / DO_NOT_PROPAGATE variants
    /// (§14.3), [`organization`].
    OrganizationExtension {
        #[serde(serialize_with = "ser_oui")]
        organization_id: [u8; 3],
        organization_sub_type: u32,
        #[serde(flatten)]
        data: OrganizationData<'a>,
    },
    /// REQUEST_UNICAST_TRANSMISSION (§16.1.4.1), [`unicast`].
    RequestUnicastTransmission {
        /// High nibble: the messageType requested; low nibble reserved.
        #[serde(serialize_with = "unicast::ser_nibble_type")]
        message_type: u8,
        log_inter_message_period: i8,
        duration_field: u32,
    },
    /// GRANT_UNICAST_TRANSMISSION (§16.1.4.2), [`unicast`].
    GrantUnicastTransmission {
        #[serde(serialize_with = "unicast::ser_nibble_type")]
        message_type: u8,
        log_inter_message_period: i8,
        duration_field: u32,
        #[serde(skip)]
        reserved: u8,
        /// Bit 0: renewal invited.
        renewal: u8,
    },
    /// CANCEL_UNICAST_TRANSMISSION (§16.1.4.3), [`unicast`].
    CancelUnicastTransmission {
        #[serde(serialize_with = "unicast::ser_nibble_type")]
        message_type: u8,
        #[serde(skip)]
        reserved: u8,
    },
    /// ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION (§16.1.4.4), [`unicast`].
    AcknowledgeCancelUnicastTransmission {
        #[serde(serialize_with = "unicast::ser_nibble_type")]
        message_type: u8,
        #[serde(skip)]
        reserved: u8,
    },
    /// PATH_TRACE (§16.2): the clock identities the Announce passed through,
    /// [`path_trace`].
    PathTrace {
        #[serde(serialize_with = "path_trace::ser_path")]
        path_sequence: &'a [u8],
    },
    /// ALTERNATE_TIME_OFFSET_INDICATOR (§16.3), [`alternate_time_offset`].
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
    /// their raw 64-bit words), [`enhanced_accuracy`].
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

/// An organizationally unique identifier as `xx-xx-xx`.
fn ser_oui<S: Serializer>(b: &[u8; 3], s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{:02x}-{:02x}-{:02x}", b[0], b[1], b[2]))
}

impl TlvBody<'_> {
    /// Octets of the typed value (without `tlvType`, `lengthField` and
    /// [`Tlv::extra`]).
    pub fn buffer_len(&self) -> usize {
        match self {
            TlvBody::Management { .. } | TlvBody::ManagementErrorStatus { .. } => {
                management::buffer_len(self)
            }
            TlvBody::OrganizationExtension { .. } => organization::buffer_len(self),
            TlvBody::RequestUnicastTransmission { .. }
            | TlvBody::GrantUnicastTransmission { .. }
            | TlvBody::CancelUnicastTransmission { .. }
            | TlvBody::AcknowledgeCancelUnicastTransmission { .. } => unicast::buffer_len(self),
            TlvBody::PathTrace { .. } => path_trace::buffer_len(self),
            TlvBody::AlternateTimeOffsetIndicator { .. } => alternate_time_offset::buffer_len(self),
            TlvBody::EnhancedAccuracyMetrics { .. } => enhanced_accuracy::LEN,
            TlvBody::Pad { pad } => pad.len(),
            TlvBody::Raw { value } => value.len(),
        }
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        match self {
            TlvBody::Management { .. } | TlvBody::ManagementErrorStatus { .. } => {
                management::emit(self, out)
            }
            TlvBody::OrganizationExtension { .. } => organization::emit(self, out),
            TlvBody::RequestUnicastTransmission { .. }
            | TlvBody::GrantUnicastTransmission { .. }
            | TlvBody::CancelUnicastTransmission { .. }
            | TlvBody::AcknowledgeCancelUnicastTransmission { .. } => unicast::emit(self, out),
            TlvBody::PathTrace { .. } => path_trace::emit(self, out),
            TlvBody::AlternateTimeOffsetIndicator { .. } => alternate_time_offset::emit(self, out),
            TlvBody::EnhancedAccuracyMetrics { .. } => enhanced_accuracy::emit(self, out),
            TlvBody::Pad { pad } => out.extend_from_slice(pad),
            TlvBody::Raw { value } => out.extend_from_slice(value),
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

/// Decodes a value (exactly `lengthField` octets) by its `tlvType`.
fn parse_tlv_body(t: TlvType, i: &[u8]) -> PResult<'_, TlvBody<'_>> {
    match t {
        TlvType::MANAGEMENT => management::parse_management(i),
        TlvType::MANAGEMENT_ERROR_STATUS => management::parse_management_error_status(i),
        TlvType::ORGANIZATION_EXTENSION
        | TlvType::ORGANIZATION_EXTENSION_PROPAGATE
        | TlvType::ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE => {
            organization::parse_organization_extension(i)
        }
        TlvType::REQUEST_UNICAST_TRANSMISSION => unicast::parse_request(i),
        TlvType::GRANT_UNICAST_TRANSMISSION => unicast::parse_grant(i),
        TlvType::CANCEL_UNICAST_TRANSMISSION | TlvType::ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION => {
            unicast::parse_cancel(t, i)
        }
        TlvType::PATH_TRACE => path_trace::parse_path_trace(i),
        TlvType::ALTERNATE_TIME_OFFSET_INDICATOR => {
            alternate_time_offset::parse_alternate_time_offset_indicator(i)
        }
        TlvType::ENHANCED_ACCURACY_METRICS => enhanced_accuracy::parse_enhanced_accuracy_metrics(i),
        TlvType::PAD => Ok(take_all(i, |pad| TlvBody::Pad { pad })),
        _ => Ok(take_all(i, |value| TlvBody::Raw { value })),
    }
}

/// Keeps every octet left as one untyped field: PAD, a raw TLV, management
/// or organization data this decoder does not type.
fn take_all<'a, T>(i: &'a [u8], keep: impl FnOnce(&'a [u8]) -> T) -> (&'a [u8], T) {
    (&i[i.len()..], keep(i))
}

/// Test support for the family files: decodes `bytes` as exactly one TLV,
/// checks that it emits back to the same octets (after, and without touching,
/// what the buffer already holds) and that `buffer_len` agrees.
#[cfg(test)]
fn round_trip(bytes: &[u8]) -> Tlv<'_> {
    let (rest, tlv) = parse_tlv(bytes, 0).unwrap();
    assert!(rest.is_empty(), "octets after the TLV: {rest:02x?}");
    let mut out = vec![0xa5; 4];
    tlv.emit(&mut out);
    assert_eq!(out[..4], [0xa5; 4]);
    assert_eq!(out[4..], *bytes);
    assert_eq!(tlv.buffer_len(), bytes.len());
    tlv
}

/// A row of a family's test table: where the bytes come from (a capture and
/// frame, or the clause a built TLV follows), one whole TLV, the value it
/// decodes to and its `extra` octets.
#[cfg(test)]
type Row<'a> = (&'a str, &'a [u8], TlvBody<'a>, &'a [u8]);

/// Checks every row of a table with [`round_trip`], then its value and
/// `extra`.
#[cfg(test)]
fn check_table(rows: &[Row<'_>]) {
    for &(source, bytes, body, extra) in rows {
        let t = round_trip(bytes);
        assert_eq!(t.body, body, "{source}");
        assert_eq!(t.extra, extra, "{source}");
    }
}

/// The standard's layout of (a prefix of) a TLV's value: each field's name
/// and octet count, in order. For [`check_cuts`].
#[cfg(test)]
type Layout<'a> = &'a [(&'a str, usize)];

/// Cuts the value of the TLV `bytes` short at every octet its `layout`
/// covers, with `lengthField` saying so: each cut fails as truncated in the
/// field that holds the first missing octet, at the message offset where
/// that field starts. The lengths in `whole_at` are forms the standard
/// allows (a GET's empty data, an absent optional field): those decode.
#[cfg(test)]
fn check_cuts(bytes: &[u8], layout: Layout<'_>, whole_at: &[usize]) {
    const AT: usize = 100;
    let covered: usize = layout.iter().map(|&(_, n)| n).sum();
    assert!(
        covered <= bytes.len() - 4,
        "the layout is longer than the value"
    );
    for n in 0..covered {
        let mut b = bytes[..4 + n].to_vec();
        b[2..4].copy_from_slice(&(n as u16).to_be_bytes());
        let r = parse_tlv(&b, AT);
        if whole_at.contains(&n) {
            assert!(r.is_ok(), "{n} octets: {r:?}");
            continue;
        }
        let mut start = 0;
        let (name, start) = layout
            .iter()
            .find_map(|&(name, len)| {
                start += len;
                (n < start).then_some((name, start - len))
            })
            .unwrap_or(("?", 0));
        let e = r.expect_err("a cut value fails");
        assert_eq!(
            (e.field, e.offset, e.kind),
            (name, AT + 4 + start, ErrorKind::Truncated),
            "value cut to {n} octets"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PAD TLVs from a Signaling message of field/ipv4-fragmented-signaling.pcap
    /// (frame 1, the first of its TLVs), and a TLV of a type this decoder keeps
    /// raw.
    #[test]
    fn pad_and_raw_table() {
        let pad: &[u8] = &[
            0x80, 0x08, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00,
        ];
        let l1_sync: &[u8] = &[0x80, 0x01, 0x00, 0x02, 0x01, 0x00];
        check_table(&[
            (
                "ipv4-fragmented-signaling.pcap frame 1",
                pad,
                TlvBody::Pad { pad: &[0; 12] },
                &[],
            ),
            (
                "built: L1_SYNC (§16.11), not typed",
                l1_sync,
                TlvBody::Raw { value: &[1, 0] },
                &[],
            ),
        ]);
        assert_eq!(round_trip(pad).tlv_type.to_string(), "PAD");
        assert_eq!(round_trip(l1_sync).tlv_type.to_string(), "L1_SYNC");
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
    fn short_header_names_its_field() {
        let e = parse_tlv(&[0x00, 0x08, 0x00], 44).unwrap_err();
        assert_eq!((e.field, e.offset), ("lengthField", 46));
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
        let j = serde_json::to_value(t).unwrap();
        assert_eq!(j["type"], "0x7f00");
        assert_eq!(j["value"], "010203");
    }
}
