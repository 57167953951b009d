//! Delay_Req message body (IEEE 1588-2019 §13.6).

use serde::Serialize;

use crate::wire::time::parse_timestamp;
use crate::wire::{PResult, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct DelayReq {
    /// `originTimestamp`: an estimate of the send time, or zero.
    pub origin_timestamp: Timestamp,
}

impl DelayReq {
    pub const LEN: usize = 10;

    pub fn emit(&self, out: &mut Vec<u8>) {
        self.origin_timestamp.emit(out);
    }
}

pub fn parse_delay_req(i: &[u8]) -> PResult<'_, DelayReq> {
    let (i, origin_timestamp) = parse_timestamp("originTimestamp")(i)?;
    Ok((i, DelayReq { origin_timestamp }))
}
