//! Follow_Up message body (IEEE 1588-2019 §13.7).

use serde::Serialize;

use crate::wire::time::parse_timestamp;
use crate::wire::{PResult, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct FollowUp {
    /// `preciseOriginTimestamp`: when the associated Sync left the master.
    pub precise_origin_timestamp: Timestamp,
}

impl FollowUp {
    pub const LEN: usize = 10;

    pub fn emit(&self, out: &mut Vec<u8>) {
        self.precise_origin_timestamp.emit(out);
    }
}

pub fn parse_follow_up(i: &[u8]) -> PResult<'_, FollowUp> {
    let (i, precise_origin_timestamp) = parse_timestamp("preciseOriginTimestamp")(i)?;
    Ok((
        i,
        FollowUp {
            precise_origin_timestamp,
        },
    ))
}
