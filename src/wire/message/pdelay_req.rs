//! Pdelay_Req message body (IEEE 1588-2019 §13.9).

use serde::Serialize;

use crate::wire::time::parse_timestamp;
use crate::wire::{PResult, Timestamp, array, field};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct PdelayReq {
    /// `originTimestamp`: an estimate of the send time, or zero.
    pub origin_timestamp: Timestamp,
    /// Ten reserved octets that make Pdelay_Req as long as Pdelay_Resp.
    #[serde(skip)]
    pub reserved: [u8; 10],
}

impl PdelayReq {
    pub const LEN: usize = 20;

    pub fn emit(&self, out: &mut Vec<u8>) {
        self.origin_timestamp.emit(out);
        out.extend_from_slice(&self.reserved);
    }
}

pub fn parse_pdelay_req(i: &[u8]) -> PResult<'_, PdelayReq> {
    let (i, origin_timestamp) = parse_timestamp("originTimestamp")(i)?;
    let (i, reserved) = field("reserved", array::<10>)(i)?;
    Ok((
        i,
        PdelayReq {
            origin_timestamp,
            reserved,
        },
    ))
}
