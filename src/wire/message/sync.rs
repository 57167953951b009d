//! Sync message body (IEEE 1588-2019 §13.6).

use serde::Serialize;

use crate::wire::time::parse_timestamp;
use crate::wire::{PResult, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Sync {
    /// `originTimestamp`: the send time for a one-step clock, an estimate (or
    /// zero) for a two-step clock whose Follow_Up carries the precise time.
    pub origin_timestamp: Timestamp,
}

impl Sync {
    pub const LEN: usize = 10;

    pub fn emit(&self, out: &mut Vec<u8>) {
        self.origin_timestamp.emit(out);
    }
}

pub fn parse_sync(i: &[u8]) -> PResult<'_, Sync> {
    let (i, origin_timestamp) = parse_timestamp("originTimestamp")(i)?;
    Ok((i, Sync { origin_timestamp }))
}
