//! Pdelay_Resp_Follow_Up message body (IEEE 1588-2019 §13.11).

use serde::Serialize;

use crate::wire::time::parse_timestamp;
use crate::wire::types::parse_port_identity;
use crate::wire::{PResult, PortIdentity, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct PdelayRespFollowUp {
    /// `responseOriginTimestamp` (t3).
    pub response_origin_timestamp: Timestamp,
    pub requesting_port_identity: PortIdentity,
}

impl PdelayRespFollowUp {
    pub const LEN: usize = 20;

    pub fn emit(&self, out: &mut Vec<u8>) {
        self.response_origin_timestamp.emit(out);
        self.requesting_port_identity.emit(out);
    }
}

pub fn parse_pdelay_resp_follow_up(i: &[u8]) -> PResult<'_, PdelayRespFollowUp> {
    let (i, response_origin_timestamp) = parse_timestamp("responseOriginTimestamp")(i)?;
    let (i, requesting_port_identity) = parse_port_identity("requestingPortIdentity")(i)?;
    Ok((
        i,
        PdelayRespFollowUp {
            response_origin_timestamp,
            requesting_port_identity,
        },
    ))
}
