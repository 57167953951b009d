//! ALTERNATE_TIME_OFFSET_INDICATOR TLV (IEEE 1588-2019 §16.3), carried in
//! Announce messages: the offset of an alternate timescale (a local time)
//! from the PTP timescale, and its next jump.
//!
//! Fields: `keyField`, `currentOffset` and `jumpSeconds` (seconds),
//! `timeOfNextJump` (48 bits, seconds of the PTP timescale) and
//! `displayName` (a PTPText). The pad octet after an odd-length name is the
//! TLV's `extra`.

use nom::number::complete::{be_i32, be_u8, be_u16, be_u32};

use super::TlvBody;
use crate::wire::types::parse_ptp_text;
use crate::wire::{PResult, field, whole};

/// Octets of an ALTERNATE_TIME_OFFSET_INDICATOR value; 0 for the variants of
/// other families, which [`TlvBody::buffer_len`] does not send here.
pub(super) fn buffer_len(body: &TlvBody<'_>) -> usize {
    match body {
        TlvBody::AlternateTimeOffsetIndicator { display_name, .. } => {
            15 + display_name.buffer_len()
        }
        _ => 0,
    }
}

/// Emits an ALTERNATE_TIME_OFFSET_INDICATOR value; nothing for the variants
/// of other families, which [`TlvBody::emit`] does not send here.
pub(super) fn emit(body: &TlvBody<'_>, out: &mut Vec<u8>) {
    if let TlvBody::AlternateTimeOffsetIndicator {
        key_field,
        current_offset,
        jump_seconds,
        time_of_next_jump,
        display_name,
    } = *body
    {
        out.push(key_field);
        out.extend_from_slice(&current_offset.to_be_bytes());
        out.extend_from_slice(&jump_seconds.to_be_bytes());
        out.extend_from_slice(&time_of_next_jump.to_be_bytes()[2..]);
        display_name.emit(out);
    }
}

pub(super) fn parse_alternate_time_offset_indicator(i: &[u8]) -> PResult<'_, TlvBody<'_>> {
    let (i, key_field) = field("keyField", be_u8)(i)?;
    let (i, current_offset) = field("currentOffset", be_i32)(i)?;
    let (i, jump_seconds) = field("jumpSeconds", be_i32)(i)?;
    let (i, (high, low)) = whole("timeOfNextJump", (be_u16, be_u32))(i)?;
    let (i, display_name) = parse_ptp_text("displayName")(i)?;
    Ok((
        i,
        TlvBody::AlternateTimeOffsetIndicator {
            key_field,
            current_offset,
            jump_seconds,
            time_of_next_jump: (u64::from(high) << 32) | u64::from(low),
            display_name,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::super::{check_cuts, check_table, parse_tlv, round_trip};
    use super::*;
    use crate::wire::PtpText;

    /// The indicator of a broadcast grandmaster's Announce
    /// (ebu_pi-list__PTP_at_clock.pcap frame 2): local time "ldt", 4 h 0 min
    /// 36 s behind, jumping back one hour; the pad octet after the name is
    /// `extra`.
    #[test]
    fn captured_alternate_time_offset_indicator() {
        let bytes: &[u8] = &[
            0x00, 0x09, 0x00, 0x14, // ALTERNATE_TIME_OFFSET_INDICATOR, 20
            0x00, 0xff, 0xff, 0xc7, 0x9c, 0xff, 0xff, 0xf1, 0xf0, // key, offset, jump
            0x00, 0x00, 0x56, 0x35, 0xaa, 0x84, // timeOfNextJump
            0x03, b'l', b'd', b't', 0x00,
        ];
        check_table(&[(
            "ebu_pi-list__PTP_at_clock.pcap frame 2",
            bytes,
            TlvBody::AlternateTimeOffsetIndicator {
                key_field: 0,
                current_offset: -14436,
                jump_seconds: -3600,
                time_of_next_jump: 0x5635_aa84,
                display_name: PtpText(b"ldt"),
            },
            &[0x00],
        )]);
        let j = serde_json::to_value(round_trip(bytes)).unwrap();
        assert_eq!(j["display_name"], "ldt");
        assert_eq!(j["time_of_next_jump"], 0x5635_aa84);
    }

    #[test]
    fn short_name_names_display_name() {
        let e = parse_tlv(
            &[
                0x00, 0x09, 0x00, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, b'l',
            ],
            64,
        )
        .unwrap_err();
        // The PTPText starts at its length octet, which says 3 where 1 is left.
        assert_eq!((e.field, e.offset), ("displayName", 83));
    }

    /// The 48-bit timeOfNextJump and the PTPText displayName are each one
    /// field: a cut anywhere in them points at their first octet.
    #[test]
    fn cut_values_name_the_field_where_it_starts() {
        let bytes: &[u8] = &[
            0x00, 0x09, 0x00, 0x14, 0x00, 0xff, 0xff, 0xc7, 0x9c, 0xff, 0xff, 0xf1, 0xf0, 0x00,
            0x00, 0x56, 0x35, 0xaa, 0x84, 0x03, b'l', b'd', b't', 0x00,
        ];
        check_cuts(
            bytes,
            &[
                ("keyField", 1),
                ("currentOffset", 4),
                ("jumpSeconds", 4),
                ("timeOfNextJump", 6),
                ("displayName", 4),
            ],
            &[],
        );
    }
}
