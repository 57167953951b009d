//! PATH_TRACE TLV (IEEE 1588-2019 §16.2), carried in Announce messages: the
//! `pathSequence`, one ClockIdentity (§5.3.4) for each boundary clock the
//! Announce has passed through.
//!
//! The value is cut to whole identities; a trailing part of one (not a whole
//! eight octets) is the TLV's `extra`.

use nom::bytes::complete::take;
use serde::Serializer;

use super::TlvBody;
use crate::wire::{ClockIdentity, PResult, field};

/// The clock identities of a PATH_TRACE `pathSequence`.
pub fn path_identities(b: &[u8]) -> impl Iterator<Item = ClockIdentity> + '_ {
    b.chunks_exact(8).map(|c| {
        let mut a = [0; 8];
        a.copy_from_slice(c);
        ClockIdentity(a)
    })
}

/// `pathSequence` as a list of clock identities.
pub(super) fn ser_path<S: Serializer>(b: &&[u8], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(path_identities(b))
}

/// Octets of a PATH_TRACE value; 0 for the variants of other families, which
/// [`TlvBody::buffer_len`] does not send here.
pub(super) fn buffer_len(body: &TlvBody<'_>) -> usize {
    match body {
        TlvBody::PathTrace { path_sequence } => path_sequence.len(),
        _ => 0,
    }
}

/// Emits a PATH_TRACE value; nothing for the variants of other families,
/// which [`TlvBody::emit`] does not send here.
pub(super) fn emit(body: &TlvBody<'_>, out: &mut Vec<u8>) {
    if let TlvBody::PathTrace { path_sequence } = *body {
        out.extend_from_slice(path_sequence);
    }
}

pub(super) fn parse_path_trace(i: &[u8]) -> PResult<'_, TlvBody<'_>> {
    let n = i.len() / 8 * 8;
    let (i, path_sequence) = field("pathSequence", take(n))(i)?;
    Ok((i, TlvBody::PathTrace { path_sequence }))
}

#[cfg(test)]
mod tests {
    use super::super::{check_table, round_trip};
    use super::*;

    const GM_1: &[u8] = &[
        0x00, 0x08, 0x00, 0x08, 0x02, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x01,
    ];
    const GM_2: &[u8] = &[
        0x00, 0x08, 0x00, 0x08, 0x02, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x02,
    ];
    const TWO_AND_A_PART: &[u8] = &[
        0x00, 0x08, 0x00, 0x12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0xaa, 0xbb,
    ];

    /// PATH_TRACE TLVs of the Announce messages of linuxptp's gPTP
    /// (lab-gptp.pcap), one per grandmaster it saw, and a value with a partial
    /// identity (built; no capture holds one).
    #[test]
    fn path_trace_table() {
        check_table(&[
            (
                "lab-gptp.pcap frame 57",
                GM_1,
                TlvBody::PathTrace {
                    path_sequence: &GM_1[4..],
                },
                &[],
            ),
            (
                "lab-gptp.pcap frame 81",
                GM_2,
                TlvBody::PathTrace {
                    path_sequence: &GM_2[4..],
                },
                &[],
            ),
            (
                "built: two identities and two octets more",
                TWO_AND_A_PART,
                TlvBody::PathTrace {
                    path_sequence: &TWO_AND_A_PART[4..20],
                },
                &[0xaa, 0xbb],
            ),
        ]);
        let identities: &[(&[u8], &[&str])] = &[
            (GM_1, &["020000.fffe.000001"]),
            (GM_2, &["020000.fffe.000002"]),
            (
                TWO_AND_A_PART,
                &["010203.0405.060708", "090a0b.0c0d.0e0f10"],
            ),
        ];
        for &(bytes, expected) in identities {
            let t = round_trip(bytes);
            let TlvBody::PathTrace { path_sequence } = t.body else {
                panic!("{:?}", t.body)
            };
            let ids: Vec<_> = path_identities(path_sequence)
                .map(|c| c.to_string())
                .collect();
            assert_eq!(ids, expected);
            let j = serde_json::to_value(t).unwrap();
            assert_eq!(j["path_sequence"], serde_json::json!(expected));
        }
    }

    #[test]
    fn path_trace_identities() {
        let b = [0x00, 0x08, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8];
        let t = round_trip(&b);
        let TlvBody::PathTrace { path_sequence } = t.body else {
            panic!()
        };
        let ids: Vec<_> = path_identities(path_sequence).collect();
        assert_eq!(ids, [ClockIdentity([1, 2, 3, 4, 5, 6, 7, 8])]);
    }
}
