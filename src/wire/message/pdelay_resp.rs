//! Pdelay_Resp message body (IEEE 1588-2019 §13.10).

use serde::Serialize;

use crate::wire::time::parse_timestamp;
use crate::wire::types::parse_port_identity;
use crate::wire::{PResult, PortIdentity, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct PdelayResp {
    /// `requestReceiptTimestamp` (t2), or zero when the responder folds the
    /// turnaround time into correctionField.
    pub request_receipt_timestamp: Timestamp,
    pub requesting_port_identity: PortIdentity,
}

impl PdelayResp {
    pub const LEN: usize = 20;

    pub fn emit(&self, out: &mut Vec<u8>) {
        self.request_receipt_timestamp.emit(out);
        self.requesting_port_identity.emit(out);
    }
}

pub fn parse_pdelay_resp(i: &[u8]) -> PResult<'_, PdelayResp> {
    let (i, request_receipt_timestamp) = parse_timestamp("requestReceiptTimestamp")(i)?;
    let (i, requesting_port_identity) = parse_port_identity("requestingPortIdentity")(i)?;
    Ok((
        i,
        PdelayResp {
            request_receipt_timestamp,
            requesting_port_identity,
        },
    ))
}
