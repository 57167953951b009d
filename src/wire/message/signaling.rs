//! Signaling message body (IEEE 1588-2019 §13.12); its TLVs follow.

use serde::Serialize;

use crate::wire::types::parse_port_identity;
use crate::wire::{PResult, PortIdentity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Signaling {
    /// `targetPortIdentity`: all ones for every port.
    pub target_port_identity: PortIdentity,
}

impl Signaling {
    pub const LEN: usize = 10;

    pub fn emit(&self, out: &mut Vec<u8>) {
        self.target_port_identity.emit(out);
    }
}

pub fn parse_signaling(i: &[u8]) -> PResult<'_, Signaling> {
    let (i, target_port_identity) = parse_port_identity("targetPortIdentity")(i)?;
    Ok((
        i,
        Signaling {
            target_port_identity,
        },
    ))
}
