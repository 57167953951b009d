//! Unicast negotiation (IEEE 1588-2019 §16.1) in Signaling messages
//! (§13.12): a REQUEST_UNICAST_TRANSMISSION TLV (§16.1.4.1) is answered by
//! a GRANT_UNICAST_TRANSMISSION TLV (§16.1.4.2) for the same messageType,
//! sent to the requester as the Signaling's targetPortIdentity. A grant of
//! durationField 0 is a denial.

use super::{Exchanges, file};
use crate::analysis::{Observation, PointId};
use crate::wire::PortIdentity;
use crate::wire::message::Signaling;
use crate::wire::tlv::TlvBody;

/// A unicast request: who asked, for which messageType.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct UnicastKey {
    point: PointId,
    major_sdo_id: u8,
    domain_number: u8,
    requester: PortIdentity,
    /// The TLV's messageType nibble.
    message_type: u8,
}

/// Every PortIdentity bit set: "all ports" in a targetPortIdentity.
fn is_wildcard(p: &PortIdentity) -> bool {
    p.clock_identity.0 == [0xff; 8]
}

impl Exchanges {
    pub(super) fn signaling(&mut self, o: &Observation<'_, '_>, sig: &Signaling) {
        let h = &o.message.header;
        let t = o.time_ns;
        let key = |requester, message_type: u8| UnicastKey {
            point: o.point,
            major_sdo_id: h.major_sdo_id,
            domain_number: h.domain_number,
            requester,
            message_type: message_type >> 4,
        };
        for tlv in o.message.tlvs().flatten() {
            match tlv.body {
                TlvBody::RequestUnicastTransmission { message_type, .. } => {
                    let k = key(h.source_port_identity, message_type);
                    // Several REQUEST TLVs may share a message.
                    let full = self.full();
                    let c = &mut self.unicast_negotiation.duplicates;
                    file(&mut self.unicast_requests, k, t, full, c, &mut self.dropped);
                }
                TlvBody::GrantUnicastTransmission {
                    message_type,
                    duration_field,
                    ..
                } => {
                    if is_wildcard(&sig.target_port_identity) {
                        self.unicast_negotiation.orphans += 1;
                        continue;
                    }
                    let k = key(sig.target_port_identity, message_type);
                    if duration_field == 0 {
                        self.unicast_negotiation.one_step += 1;
                    }
                    match self.unicast_requests.remove(&k) {
                        Some(at) => {
                            self.unicast_negotiation.matched += 1;
                            self.unicast_negotiation.response.add(t - at);
                        }
                        None => self.unicast_negotiation.orphans += 1,
                    }
                }
                _ => {}
            }
        }
    }
}
