//! Delay_Resp message body (IEEE 1588-2019 §13.8).

use serde::Serialize;

use crate::wire::time::parse_timestamp;
use crate::wire::types::parse_port_identity;
use crate::wire::{PResult, PortIdentity, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct DelayResp {
    /// `receiveTimestamp`: when the Delay_Req reached the master (t4).
    pub receive_timestamp: Timestamp,
    /// `requestingPortIdentity`: the sourcePortIdentity of that Delay_Req.
    pub requesting_port_identity: PortIdentity,
}

impl DelayResp {
    pub const LEN: usize = 20;

    pub fn emit(&self, out: &mut Vec<u8>) {
        self.receive_timestamp.emit(out);
        self.requesting_port_identity.emit(out);
    }
}

pub fn parse_delay_resp(i: &[u8]) -> PResult<'_, DelayResp> {
    let (i, receive_timestamp) = parse_timestamp("receiveTimestamp")(i)?;
    let (i, requesting_port_identity) = parse_port_identity("requestingPortIdentity")(i)?;
    Ok((
        i,
        DelayResp {
            receive_timestamp,
            requesting_port_identity,
        },
    ))
}
