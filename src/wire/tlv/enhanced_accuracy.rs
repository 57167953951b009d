//! ENHANCED_ACCURACY_METRICS TLV (IEEE 1588-2019 §16.12): `bcHopCount` and
//! `tcHopCount`, then five pairs of a maximum inaccuracy (TimeInterval) and
//! its variance (Float64, kept as its raw 64-bit word): grandmaster,
//! transient, dynamic, static instance and static medium.

use nom::number::complete::{be_i64, be_u8, be_u64};

use super::TlvBody;
use crate::wire::{PResult, array, field};

/// Octets of the value.
pub(super) const LEN: usize = 84;

/// Emits an ENHANCED_ACCURACY_METRICS value; nothing for the variants of
/// other families, which [`TlvBody::emit`] does not send here.
pub(super) fn emit(body: &TlvBody<'_>, out: &mut Vec<u8>) {
    if let TlvBody::EnhancedAccuracyMetrics {
        bc_hop_count,
        tc_hop_count,
        reserved,
        max_gm_inaccuracy,
        var_gm_inaccuracy,
        max_transient_inaccuracy,
        var_transient_inaccuracy,
        max_dynamic_inaccuracy,
        var_dynamic_inaccuracy,
        max_static_instance_inaccuracy,
        var_static_instance_inaccuracy,
        max_static_medium_inaccuracy,
        var_static_medium_inaccuracy,
    } = *body
    {
        out.push(bc_hop_count);
        out.push(tc_hop_count);
        out.extend_from_slice(&reserved);
        for (max, var) in [
            (max_gm_inaccuracy, var_gm_inaccuracy),
            (max_transient_inaccuracy, var_transient_inaccuracy),
            (max_dynamic_inaccuracy, var_dynamic_inaccuracy),
            (
                max_static_instance_inaccuracy,
                var_static_instance_inaccuracy,
            ),
            (max_static_medium_inaccuracy, var_static_medium_inaccuracy),
        ] {
            out.extend_from_slice(&max.to_be_bytes());
            out.extend_from_slice(&var.to_be_bytes());
        }
    }
}

pub(super) fn parse_enhanced_accuracy_metrics(i: &[u8]) -> PResult<'_, TlvBody<'_>> {
    let (i, bc_hop_count) = field("bcHopCount", be_u8)(i)?;
    let (i, tc_hop_count) = field("tcHopCount", be_u8)(i)?;
    let (i, reserved) = field("reserved", array::<2>)(i)?;
    let (i, max_gm_inaccuracy) = field("maxGmInaccuracy", be_i64)(i)?;
    let (i, var_gm_inaccuracy) = field("varGmInaccuracy", be_u64)(i)?;
    let (i, max_transient_inaccuracy) = field("maxTransientInaccuracy", be_i64)(i)?;
    let (i, var_transient_inaccuracy) = field("varTransientInaccuracy", be_u64)(i)?;
    let (i, max_dynamic_inaccuracy) = field("maxDynamicInaccuracy", be_i64)(i)?;
    let (i, var_dynamic_inaccuracy) = field("varDynamicInaccuracy", be_u64)(i)?;
    let (i, max_static_instance_inaccuracy) = field("maxStaticInstanceInaccuracy", be_i64)(i)?;
    let (i, var_static_instance_inaccuracy) = field("varStaticInstanceInaccuracy", be_u64)(i)?;
    let (i, max_static_medium_inaccuracy) = field("maxStaticMediumInaccuracy", be_i64)(i)?;
    let (i, var_static_medium_inaccuracy) = field("varStaticMediumInaccuracy", be_u64)(i)?;
    Ok((
        i,
        TlvBody::EnhancedAccuracyMetrics {
            bc_hop_count,
            tc_hop_count,
            reserved,
            max_gm_inaccuracy,
            var_gm_inaccuracy,
            max_transient_inaccuracy,
            var_transient_inaccuracy,
            max_dynamic_inaccuracy,
            var_dynamic_inaccuracy,
            max_static_instance_inaccuracy,
            var_static_instance_inaccuracy,
            max_static_medium_inaccuracy,
            var_static_medium_inaccuracy,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::super::{check_cuts, check_table, parse_tlv, round_trip};
    use super::*;

    /// No capture holds this TLV; the value is built from §16.12: one
    /// boundary clock and two transparent clocks, each figure distinct so a
    /// field read from the wrong octets shows. Maxima are TimeIntervals
    /// (ns x 2^16), variances the bits of a Float64 (1.0 = 0x3ff0...).
    #[test]
    fn enhanced_accuracy_metrics_table() {
        let mut bytes = vec![0x40, 0x01, 0x00, 0x54, 0x01, 0x02, 0x00, 0x00];
        let figures: [(i64, u64); 5] = [
            (100 << 16, 0x3ff0_0000_0000_0000),
            (200 << 16, 0x4000_0000_0000_0000),
            (-(300 << 16), 0x4008_0000_0000_0000),
            (400 << 16, 0x4010_0000_0000_0000),
            (500 << 16, 0x4014_0000_0000_0000),
        ];
        for (max, var) in figures {
            bytes.extend_from_slice(&max.to_be_bytes());
            bytes.extend_from_slice(&var.to_be_bytes());
        }
        check_table(&[(
            "built from §16.12",
            &bytes,
            TlvBody::EnhancedAccuracyMetrics {
                bc_hop_count: 1,
                tc_hop_count: 2,
                reserved: [0; 2],
                max_gm_inaccuracy: 100 << 16,
                var_gm_inaccuracy: 0x3ff0_0000_0000_0000,
                max_transient_inaccuracy: 200 << 16,
                var_transient_inaccuracy: 0x4000_0000_0000_0000,
                max_dynamic_inaccuracy: -(300 << 16),
                var_dynamic_inaccuracy: 0x4008_0000_0000_0000,
                max_static_instance_inaccuracy: 400 << 16,
                var_static_instance_inaccuracy: 0x4010_0000_0000_0000,
                max_static_medium_inaccuracy: 500 << 16,
                var_static_medium_inaccuracy: 0x4014_0000_0000_0000,
            },
            &[],
        )]);
        assert_eq!(round_trip(&bytes).body.buffer_len(), LEN);
    }

    #[test]
    fn short_value_names_the_last_field() {
        let mut b = vec![0x40, 0x01, 0x00, 0x53];
        b.extend_from_slice(&[0; 83]);
        let e = parse_tlv(&b, 0).unwrap_err();
        assert_eq!((e.field, e.offset), ("varStaticMediumInaccuracy", 80));
    }

    #[test]
    fn cut_values_name_the_field_where_it_starts() {
        let mut b = vec![0x40, 0x01, 0x00, 0x54];
        b.extend_from_slice(&[7; 84]);
        check_cuts(
            &b,
            &[
                ("bcHopCount", 1),
                ("tcHopCount", 1),
                ("reserved", 2),
                ("maxGmInaccuracy", 8),
                ("varGmInaccuracy", 8),
                ("maxTransientInaccuracy", 8),
                ("varTransientInaccuracy", 8),
                ("maxDynamicInaccuracy", 8),
                ("varDynamicInaccuracy", 8),
                ("maxStaticInstanceInaccuracy", 8),
                ("varStaticInstanceInaccuracy", 8),
                ("maxStaticMediumInaccuracy", 8),
                ("varStaticMediumInaccuracy", 8),
            ],
            &[],
        );
    }
}
