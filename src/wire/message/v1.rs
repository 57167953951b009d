//! IEEE 1588-2002 (PTPv1): recognised so that it is never misread as v2.
//!
//! The 40-octet v1 header is decoded in full; of the body, the principal
//! timestamp (Sync/Delay_Req `originTimestamp`, Follow_Up
//! `preciseOriginTimestamp`, Delay_Resp `delayReceiptTimestamp`) is decoded
//! and the rest kept as bytes. v1 has no length field: the message is the
//! whole payload.

use std::fmt;

use nom::number::complete::{be_i32, be_u8, be_u16, be_u32};

use crate::wire::{PResult, array, field};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct V1Message<'a> {
    pub version_ptp: u16,
    pub version_network: u16,
    /// `subdomain`, NUL-padded text such as `_DFLT`.
    pub subdomain: [u8; 16],
    pub message_type: u8,
    pub source_communication_technology: u8,
    pub source_uuid: [u8; 6],
    pub source_port_id: u16,
    pub sequence_id: u16,
    /// `control`: 0 Sync, 1 Delay_Req, 2 Follow_Up, 3 Delay_Resp, 4 Management.
    pub control: u8,
    pub reserved1: u8,
    pub flags: u16,
    pub reserved2: [u8; 4],
    /// Everything after the header.
    pub body: &'a [u8],
}

/// A v1 timestamp: unsigned seconds and signed nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct V1Timestamp {
    pub seconds: u32,
    pub nanoseconds: i32,
}

impl V1Message<'_> {
    pub const HEADER_LEN: usize = 40;

    /// The v2 name of the message this control value stands for.
    pub fn message_name(&self) -> Option<&'static str> {
        Some(match self.control {
            0 => "Sync",
            1 => "Delay_Req",
            2 => "Follow_Up",
            3 => "Delay_Resp",
            4 => "Management",
            _ => return None,
        })
    }

    /// `subdomain` up to its first NUL.
    pub fn subdomain_name(&self) -> String {
        let end = self.subdomain.iter().position(|&b| b == 0).unwrap_or(16);
        String::from_utf8_lossy(&self.subdomain[..end]).into_owned()
    }

    /// The principal timestamp of the message, when the body holds it.
    pub fn timestamp(&self) -> Option<V1Timestamp> {
        let at = match self.control {
            0..=1 | 3 => 0,
            2 => 4,
            _ => return None,
        };
        let b = self.body.get(at..at + 8)?;
        let r: PResult<'_, (u32, i32)> = (|i| {
            let (i, s) = be_u32(i)?;
            let (i, n) = be_i32(i)?;
            Ok((i, (s, n)))
        })(b);
        let (_, (seconds, nanoseconds)) = r.ok()?;
        Some(V1Timestamp {
            seconds,
            nanoseconds,
        })
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version_ptp.to_be_bytes());
        out.extend_from_slice(&self.version_network.to_be_bytes());
        out.extend_from_slice(&self.subdomain);
        out.push(self.message_type);
        out.push(self.source_communication_technology);
        out.extend_from_slice(&self.source_uuid);
        out.extend_from_slice(&self.source_port_id.to_be_bytes());
        out.extend_from_slice(&self.sequence_id.to_be_bytes());
        out.push(self.control);
        out.push(self.reserved1);
        out.extend_from_slice(&self.flags.to_be_bytes());
        out.extend_from_slice(&self.reserved2);
        out.extend_from_slice(self.body);
    }
}

/// `uuid-port` in the style of [`crate::wire::PortIdentity`].
impl fmt::Display for V1Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = &self.source_uuid;
        write!(
            f,
            "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}-{}",
            u[0], u[1], u[2], u[3], u[4], u[5], self.source_port_id
        )
    }
}

pub fn parse_v1(i: &[u8]) -> PResult<'_, V1Message<'_>> {
    let (i, version_ptp) = field("versionPTP", be_u16)(i)?;
    let (i, version_network) = field("versionNetwork", be_u16)(i)?;
    let (i, subdomain) = field("subdomain", array::<16>)(i)?;
    let (i, message_type) = field("messageType", be_u8)(i)?;
    let (i, source_communication_technology) = field("sourceCommunicationTechnology", be_u8)(i)?;
    let (i, source_uuid) = field("sourceUuid", array::<6>)(i)?;
    let (i, source_port_id) = field("sourcePortId", be_u16)(i)?;
    let (i, sequence_id) = field("sequenceId", be_u16)(i)?;
    let (i, control) = field("control", be_u8)(i)?;
    let (i, reserved1) = field("reserved", be_u8)(i)?;
    let (i, flags) = field("flags", be_u16)(i)?;
    let (body, reserved2) = field("reserved", array::<4>)(i)?;
    Ok((
        &body[body.len()..],
        V1Message {
            version_ptp,
            version_network,
            subdomain,
            message_type,
            source_communication_technology,
            source_uuid,
            source_port_id,
            sequence_id,
            control,
            reserved1,
            flags,
            reserved2,
            body,
        },
    ))
}
