//! Management message body (IEEE 1588-2019 §15.4.1); the MANAGEMENT TLV
//! follows it.

use serde::Serialize;

use nom::number::complete::be_u8;

use crate::wire::types::parse_port_identity;
use crate::wire::{PResult, PortIdentity, field};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Management {
    pub target_port_identity: PortIdentity,
    pub starting_boundary_hops: u8,
    pub boundary_hops: u8,
    /// Octet holding `actionField` in its low nibble (high nibble reserved).
    pub action_octet: u8,
    #[serde(skip)]
    pub reserved: u8,
}

impl Management {
    pub const LEN: usize = 14;

    /// `actionField` (Table 57).
    pub fn action(&self) -> u8 {
        self.action_octet & 0x0f
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        self.target_port_identity.emit(out);
        out.push(self.starting_boundary_hops);
        out.push(self.boundary_hops);
        out.push(self.action_octet);
        out.push(self.reserved);
    }
}

/// The standard's name of an `actionField` value.
pub fn action_name(action: u8) -> Option<&'static str> {
    Some(match action {
        0 => "GET",
        1 => "SET",
        2 => "RESPONSE",
        3 => "COMMAND",
        4 => "ACKNOWLEDGE",
        _ => return None,
    })
}

pub fn parse_management(i: &[u8]) -> PResult<'_, Management> {
    let (i, target_port_identity) = parse_port_identity("targetPortIdentity")(i)?;
    let (i, starting_boundary_hops) = field("startingBoundaryHops", be_u8)(i)?;
    let (i, boundary_hops) = field("boundaryHops", be_u8)(i)?;
    let (i, action_octet) = field("actionField", be_u8)(i)?;
    let (i, reserved) = field("reserved", be_u8)(i)?;
    Ok((
        i,
        Management {
            target_port_identity,
            starting_boundary_hops,
            boundary_hops,
            action_octet,
            reserved,
        },
    ))
}
