//! Unicast negotiation TLVs (IEEE 1588-2019 §16.1.4), carried in Signaling
//! messages: REQUEST_UNICAST_TRANSMISSION (§16.1.4.1),
//! GRANT_UNICAST_TRANSMISSION (§16.1.4.2), CANCEL_UNICAST_TRANSMISSION
//! (§16.1.4.3) and ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION (§16.1.4.4).
//!
//! Each begins with the octet whose high nibble is the `messageType` asked
//! for; REQUEST and GRANT go on with `logInterMessagePeriod` and
//! `durationField`, GRANT then with a reserved octet and the octet holding
//! `renewalInvited`; CANCEL and ACKNOWLEDGE_CANCEL end after one reserved
//! octet.

use nom::number::complete::{be_i8, be_u8, be_u32};
use serde::Serializer;

use super::{TlvBody, TlvType};
use crate::wire::{MessageType, PResult, field};

/// The `messageType` nibble of the octet (the low nibble is reserved), by
/// name.
pub(super) fn ser_nibble_type<S: Serializer>(b: &u8, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&MessageType(b >> 4))
}

/// Octets of a unicast negotiation value; 0 for the variants of other
/// families, which [`TlvBody::buffer_len`] does not send here.
pub(super) fn buffer_len(body: &TlvBody<'_>) -> usize {
    match body {
        TlvBody::RequestUnicastTransmission { .. } => 6,
        TlvBody::GrantUnicastTransmission { .. } => 8,
        TlvBody::CancelUnicastTransmission { .. }
        | TlvBody::AcknowledgeCancelUnicastTransmission { .. } => 2,
        _ => 0,
    }
}

/// Emits a unicast negotiation value; nothing for the variants of other
/// families, which [`TlvBody::emit`] does not send here.
pub(super) fn emit(body: &TlvBody<'_>, out: &mut Vec<u8>) {
    match *body {
        TlvBody::RequestUnicastTransmission {
            message_type,
            log_inter_message_period,
            duration_field,
        } => emit_period(message_type, log_inter_message_period, duration_field, out),
        TlvBody::GrantUnicastTransmission {
            message_type,
            log_inter_message_period,
            duration_field,
            reserved,
            renewal,
        } => {
            emit_period(message_type, log_inter_message_period, duration_field, out);
            out.push(reserved);
            out.push(renewal);
        }
        TlvBody::CancelUnicastTransmission {
            message_type,
            reserved,
        }
        | TlvBody::AcknowledgeCancelUnicastTransmission {
            message_type,
            reserved,
        } => {
            out.push(message_type);
            out.push(reserved);
        }
        _ => {}
    }
}

/// The three fields REQUEST and GRANT begin with: `messageType`,
/// `logInterMessagePeriod`, `durationField`.
fn parse_period(i: &[u8]) -> PResult<'_, (u8, i8, u32)> {
    let (i, message_type) = field("messageType", be_u8)(i)?;
    let (i, log_inter_message_period) = field("logInterMessagePeriod", be_i8)(i)?;
    let (i, duration_field) = field("durationField", be_u32)(i)?;
    Ok((i, (message_type, log_inter_message_period, duration_field)))
}

fn emit_period(
    message_type: u8,
    log_inter_message_period: i8,
    duration_field: u32,
    out: &mut Vec<u8>,
) {
    out.push(message_type);
    out.push(log_inter_message_period as u8);
    out.extend_from_slice(&duration_field.to_be_bytes());
}

/// REQUEST_UNICAST_TRANSMISSION (§16.1.4.1).
pub(super) fn parse_request(i: &[u8]) -> PResult<'_, TlvBody<'_>> {
    let (i, (message_type, log_inter_message_period, duration_field)) = parse_period(i)?;
    Ok((
        i,
        TlvBody::RequestUnicastTransmission {
            message_type,
            log_inter_message_period,
            duration_field,
        },
    ))
}

/// GRANT_UNICAST_TRANSMISSION (§16.1.4.2).
pub(super) fn parse_grant(i: &[u8]) -> PResult<'_, TlvBody<'_>> {
    let (i, (message_type, log_inter_message_period, duration_field)) = parse_period(i)?;
    let (i, reserved) = field("reserved", be_u8)(i)?;
    let (i, renewal) = field("renewalInvited", be_u8)(i)?;
    Ok((
        i,
        TlvBody::GrantUnicastTransmission {
            message_type,
            log_inter_message_period,
            duration_field,
            reserved,
            renewal,
        },
    ))
}

/// CANCEL_UNICAST_TRANSMISSION (§16.1.4.3) or, for any other `t`,
/// ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION (§16.1.4.4): the same two octets.
pub(super) fn parse_cancel(t: TlvType, i: &[u8]) -> PResult<'_, TlvBody<'_>> {
    let (i, message_type) = field("messageType", be_u8)(i)?;
    let (i, reserved) = field("reserved", be_u8)(i)?;
    let body = if t == TlvType::CANCEL_UNICAST_TRANSMISSION {
        TlvBody::CancelUnicastTransmission {
            message_type,
            reserved,
        }
    } else {
        TlvBody::AcknowledgeCancelUnicastTransmission {
            message_type,
            reserved,
        }
    };
    Ok((i, body))
}

#[cfg(test)]
mod tests {
    use super::super::{check_cuts, check_table, parse_tlv, round_trip};
    use super::*;

    fn request(message_type: u8, period: i8, duration_field: u32) -> TlvBody<'static> {
        TlvBody::RequestUnicastTransmission {
            message_type,
            log_inter_message_period: period,
            duration_field,
        }
    }

    fn grant(message_type: u8, period: i8, duration_field: u32, renewal: u8) -> TlvBody<'static> {
        TlvBody::GrantUnicastTransmission {
            message_type,
            log_inter_message_period: period,
            duration_field,
            reserved: 0,
            renewal,
        }
    }

    /// REQUEST and GRANT TLVs as captured from linuxptp (lab-unicast.pcap),
    /// from the nDPI and pi-list corpora, and from a retrying client
    /// (field/unicast-request-retry-1s.pcap). messageType 0xb0 Announce,
    /// 0x00 Sync, 0x90 Delay_Resp.
    #[test]
    fn captured_unicast_tlvs() {
        check_table(&[
            (
                "lab-unicast.pcap frame 1: Announce every 2^-1 s for 60 s",
                &[0x00, 0x04, 0x00, 0x06, 0xb0, 0xff, 0x00, 0x00, 0x00, 0x3c],
                request(0xb0, -1, 60),
                &[],
            ),
            (
                "lab-unicast.pcap frame 34, first TLV: Sync",
                &[0x00, 0x04, 0x00, 0x06, 0x00, 0xfd, 0x00, 0x00, 0x00, 0x3c],
                request(0x00, -3, 60),
                &[],
            ),
            (
                "lab-unicast.pcap frame 34, second TLV: Delay_Resp",
                &[0x00, 0x04, 0x00, 0x06, 0x90, 0xfd, 0x00, 0x00, 0x00, 0x3c],
                request(0x90, -3, 60),
                &[],
            ),
            (
                "ntop_nDPI__ptpv2.pcap frame 1",
                &[0x00, 0x04, 0x00, 0x06, 0xb0, 0x00, 0x00, 0x00, 0x01, 0x2c],
                request(0xb0, 0, 300),
                &[],
            ),
            (
                "ebu_pi-list__PTP_at_clock.pcap frame 24",
                &[0x00, 0x04, 0x00, 0x06, 0xb0, 0x01, 0x00, 0x00, 0x02, 0x58],
                request(0xb0, 1, 600),
                &[],
            ),
            (
                "unicast-request-retry-1s.pcap frame 1",
                &[0x00, 0x04, 0x00, 0x06, 0x00, 0xfc, 0x00, 0x00, 0x01, 0x2c],
                request(0x00, -4, 300),
                &[],
            ),
            (
                "lab-unicast.pcap frame 2: granted, renewal invited",
                &[
                    0x00, 0x05, 0x00, 0x08, 0xb0, 0xff, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x01,
                ],
                grant(0xb0, -1, 60, 1),
                &[],
            ),
            (
                "ntop_nDPI__ptpv2.pcap frame 6",
                &[
                    0x00, 0x05, 0x00, 0x08, 0x90, 0x00, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x01,
                ],
                grant(0x90, 0, 300, 1),
                &[],
            ),
            (
                "ebu_pi-list__PTP_at_clock.pcap frame 25: denied (duration 0)",
                &[
                    0x00, 0x05, 0x00, 0x08, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                ],
                grant(0xb0, 0, 0, 0),
                &[],
            ),
        ]);
    }

    /// No capture holds a CANCEL or ACKNOWLEDGE_CANCEL: these are built from
    /// §16.1.4.3 and §16.1.4.4.
    #[test]
    fn cancel_and_acknowledge_table() {
        check_table(&[
            (
                "built: CANCEL Announce",
                &[0x00, 0x06, 0x00, 0x02, 0xb0, 0x00],
                TlvBody::CancelUnicastTransmission {
                    message_type: 0xb0,
                    reserved: 0,
                },
                &[],
            ),
            (
                "built: ACKNOWLEDGE_CANCEL Delay_Resp",
                &[0x00, 0x07, 0x00, 0x02, 0x90, 0x00],
                TlvBody::AcknowledgeCancelUnicastTransmission {
                    message_type: 0x90,
                    reserved: 0,
                },
                &[],
            ),
        ]);
    }

    #[test]
    fn grant_unicast() {
        let b = [
            0x00, 0x05, 0x00, 0x08, 0xb0, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x01,
        ];
        let t = round_trip(&b);
        assert_eq!(
            t.body,
            TlvBody::GrantUnicastTransmission {
                message_type: 0xb0,
                log_inter_message_period: 1,
                duration_field: 300,
                reserved: 0,
                renewal: 1
            }
        );
        let j = serde_json::to_value(t).unwrap();
        assert_eq!(j["type"], "GRANT_UNICAST_TRANSMISSION");
        assert_eq!(j["message_type"], "Announce");
        assert_eq!(j["duration_field"], 300);
    }

    #[test]
    fn short_typed_value_names_field_and_offset() {
        // REQUEST_UNICAST_TRANSMISSION with a 3-octet value.
        let e = parse_tlv(&[0x00, 0x04, 0x00, 0x03, 0xb0, 0x01, 0x00], 44).unwrap_err();
        assert_eq!(e.field, "durationField");
        assert_eq!(e.offset, 50);
    }

    #[test]
    fn short_grant_names_renewal_invited() {
        let e = parse_tlv(
            &[
                0x00, 0x05, 0x00, 0x07, 0xb0, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00,
            ],
            44,
        )
        .unwrap_err();
        assert_eq!((e.field, e.offset), ("renewalInvited", 55));
    }

    /// Every cut of REQUEST, GRANT and CANCEL names the field it falls in,
    /// at the field's first octet.
    #[test]
    fn cut_values_name_the_field_where_it_starts() {
        let period = [
            ("messageType", 1),
            ("logInterMessagePeriod", 1),
            ("durationField", 4),
        ];
        let request = [0x00, 0x04, 0x00, 0x06, 0xb0, 0xff, 0x00, 0x00, 0x00, 0x3c];
        check_cuts(&request, &period, &[]);
        let grant = [
            0x00, 0x05, 0x00, 0x08, 0xb0, 0xff, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x01,
        ];
        let mut layout = period.to_vec();
        layout.extend([("reserved", 1), ("renewalInvited", 1)]);
        check_cuts(&grant, &layout, &[]);
        let cancel = [0x00, 0x06, 0x00, 0x02, 0xb0, 0x00];
        check_cuts(&cancel, &[("messageType", 1), ("reserved", 1)], &[]);
    }
}
