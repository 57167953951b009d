//! Property tests of the wire layer: generated messages round-trip through
//! decode and emit, and arbitrary bytes never make a decoder panic.

use proptest::collection::vec;
use proptest::prelude::*;

use super::link::{LinkType, PtpPorts, peel};
use super::tlv::TlvType;
use super::{Body, MessageType, Ptp, decode};

const TYPES: [u8; 10] = [0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA, 0xB, 0xC, 0xD];

fn text(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max).prop_map(|t| {
        let mut v = vec![t.len() as u8];
        v.extend(t);
        v
    })
}

/// The value octets of a TLV of a known type, well formed, random fields.
fn tlv_value(t: u16) -> BoxedStrategy<Vec<u8>> {
    let fixed = |n: usize| vec(any::<u8>(), n..=n).boxed();
    match t {
        // MANAGEMENT: an id and data of the right shape for it.
        0x0001 => prop_oneof![
            (prop::sample::select(vec![
                0x2000u16, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x200f, 0x2011, 0x2013, 0x6000
            ]))
            .prop_flat_map(|id| {
                let n = match id {
                    0x2000 => 20,
                    0x2001 => 18,
                    0x2002 => 32,
                    0x2003 | 0x2011 => 4,
                    0x2004 => 26,
                    0x200f => 10,
                    _ => 2,
                };
                vec(any::<u8>(), n..=n).prop_map(move |d| {
                    let mut v = id.to_be_bytes().to_vec();
                    v.extend(d);
                    v
                })
            }),
            (text(20), vec(any::<u8>(), 0..2)).prop_map(|(t, pad)| {
                let mut v = vec![0x00, 0x02];
                v.extend(t);
                v.extend(pad);
                v
            }),
            (
                text(8),
                vec(any::<u8>(), 0..8),
                vec(any::<u8>(), 0..8),
                text(8),
                text(8),
                text(8)
            )
                .prop_map(|(p, a, b, x, y, z)| {
                    let mut v = vec![0x00, 0x01, 0x80, 0x00];
                    v.extend(p);
                    v.extend((a.len() as u16).to_be_bytes());
                    v.extend(a);
                    v.extend([0, 1]);
                    v.extend((b.len() as u16).to_be_bytes());
                    v.extend(b);
                    v.extend([0, 0x1b, 0x19, 0]);
                    v.extend(x);
                    v.extend(y);
                    v.extend(z);
                    v.extend([0, 0x1b, 0x19, 0, 1, 0]);
                    v
                }),
            Just(vec![0x20, 0x01]),
            vec(any::<u8>(), 0..12).prop_map(|d| {
                let mut v = vec![0xc0, 0x00];
                v.extend(d);
                v
            }),
        ]
        .boxed(),
        0x0002 => (fixed(8), prop::option::of(text(10)))
            .prop_map(|(mut v, t)| {
                v.extend(t.unwrap_or_default());
                v
            })
            .boxed(),
        0x0003 | 0x4000 | 0x8000 => prop_oneof![
            fixed(22).prop_map(|d| [&[0x00, 0x80, 0xc2, 0, 0, 1][..], &d].concat()),
            fixed(6).prop_map(|d| [&[0x00, 0x80, 0xc2, 0, 0, 2][..], &d].concat()),
            fixed(12).prop_map(|d| [&[0x1c, 0x12, 0x9d, 0, 0, 1][..], &d].concat()),
            vec(any::<u8>(), 6..30),
        ]
        .boxed(),
        0x0004 => fixed(6),
        0x0005 => fixed(8),
        0x0006 | 0x0007 => fixed(2),
        0x0008 => (0usize..5)
            .prop_flat_map(|n| vec(any::<u8>(), n * 8..=n * 8))
            .boxed(),
        0x0009 => (fixed(15), text(12), vec(any::<u8>(), 0..2))
            .prop_map(|(a, b, c)| [a, b, c].concat())
            .boxed(),
        0x4001 => fixed(84),
        _ => vec(any::<u8>(), 0..40).boxed(),
    }
}

fn tlv() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(vec![
        0x0001u16, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x0008, 0x0009, 0x4000, 0x4001,
        0x8000, 0x8001, 0x8008, 0x7f00,
    ])
    .prop_flat_map(|t| {
        tlv_value(t).prop_map(move |v| {
            let mut b = t.to_be_bytes().to_vec();
            b.extend((v.len() as u16).to_be_bytes());
            b.extend(v);
            b
        })
    })
}

/// A well-formed PTPv2 message: random header fields and body, a list of
/// TLVs, and possibly link padding after messageLength.
fn message() -> impl Strategy<Value = (Vec<u8>, usize)> {
    (
        prop::sample::select(TYPES.to_vec()),
        vec(any::<u8>(), 34..=34),
        0u8..2,
        vec(any::<u8>(), 30..=30),
        vec(tlv(), 0..4),
        vec(any::<u8>(), 0..8),
    )
        .prop_map(|(t, mut h, minor, body, tlvs, pad)| {
            let body_len = Body::len_for(MessageType(t)).unwrap();
            h[0] = (h[0] & 0xf0) | t;
            h[1] = (minor << 4) | 2;
            let mut m = h;
            m.extend_from_slice(&body[..body_len]);
            for t in tlvs {
                m.extend(t);
            }
            let len = m.len();
            m[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            m.extend(pad);
            (m, len)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_messages_round_trip((bytes, len) in message()) {
        let decoded = decode(&bytes);
        prop_assert!(decoded.is_ok(), "{:?}", decoded);
        let Ok(Ptp::V2(m)) = decoded else { unreachable!() };
        prop_assert_eq!(m.trailer.len(), bytes.len() - len);
        let mut out = Vec::new();
        m.emit(&mut out);
        prop_assert_eq!(&out[..], &bytes[..len]);
        // decode(encode(x)) == x, and the typed TLVs emit to the same octets.
        let Ok(Ptp::V2(again)) = decode(&out) else { panic!("re-decode failed") };
        prop_assert_eq!(again.header, m.header);
        prop_assert_eq!(again.body, m.body);
        let a: Vec<_> = again.tlvs().collect::<Result<_, _>>().unwrap();
        let b: Vec<_> = m.tlvs().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(&a, &b);
        let mut tlv_bytes = Vec::new();
        for t in &a {
            tlv_bytes.extend_from_slice(&[0xa5; 0]);
            t.emit(&mut tlv_bytes);
            prop_assert_eq!(t.buffer_len(), usize::from(u16::from_be_bytes([tlv_bytes[tlv_bytes.len() - t.buffer_len() + 2], tlv_bytes[tlv_bytes.len() - t.buffer_len() + 3]])) + 4);
        }
        prop_assert_eq!(&tlv_bytes[..], m.suffix);
        prop_assert!(a.iter().all(|t| t.tlv_type != TlvType(0) ));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..300)) {
        let _ = decode(&bytes);
        if let Ok(Ptp::V2(m)) = decode(&bytes) {
            for t in m.tlvs() {
                let _ = t;
            }
        }
    }

    #[test]
    fn mutated_messages_never_panic((mut bytes, _) in message(), flips in vec((any::<usize>(), any::<u8>()), 1..6), cut in any::<usize>()) {
        for (at, v) in flips {
            let n = bytes.len();
            bytes[at % n] = v;
        }
        let n = bytes.len();
        bytes.truncate(cut % (n + 1));
        match decode(&bytes) {
            Ok(Ptp::V2(m)) => {
                let mut out = Vec::new();
                m.emit(&mut out);
                prop_assert_eq!(&out[..], &bytes[..usize::from(m.header.message_length)]);
            }
            Ok(Ptp::V1(_)) => {}
            Err(m) => super::fuzzing::check_malformed(&bytes, &m),
        }
    }

    #[test]
    fn arbitrary_frames_never_panic(bytes in vec(any::<u8>(), 0..200), link in 0usize..6) {
        let links = [LinkType::Ethernet, LinkType::LinuxSll, LinkType::LinuxSll2, LinkType::RawIp, LinkType::Null, LinkType::Loop];
        let ports = PtpPorts::default();
        if let Ok(super::link::Peeled::Ptp(p)) = peel(links[link], &bytes, &ports) {
            let _ = decode(p.payload);
        }
    }

    /// Each encapsulation's header, then arbitrary octets: the tunnel
    /// parsers see every field value, with the lengths cut anywhere.
    #[test]
    fn arbitrary_tunnelled_frames_never_panic(rest in vec(any::<u8>(), 0..120), kind in 0usize..6, cut in any::<usize>()) {
        let prefixes: [&[u8]; 6] = [
            // IPv4 + GRE with flags from `rest`.
            &[0x08, 0x00, 0x45, 0, 0, 200, 0, 0, 0, 0, 64, 47, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2],
            // IPv4 + GRE + ERSPAN III.
            &[0x08, 0x00, 0x45, 0, 0, 200, 0, 0, 0, 0, 64, 47, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x10, 0, 0x22, 0xeb, 0, 0, 0, 1],
            // IPv4 + UDP 4789.
            &[0x08, 0x00, 0x45, 0, 0, 200, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0x12, 0xb5, 0, 180, 0, 0],
            // IPv4 + UDP 6081.
            &[0x08, 0x00, 0x45, 0, 0, 200, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0x17, 0xc1, 0, 180, 0, 0],
            // MPLS.
            &[0x88, 0x47],
            // IPv4 fragment (MF set) of UDP.
            &[0x08, 0x00, 0x45, 0, 0, 200, 0, 0, 0x20, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2],
        ];
        let mut f = vec![1, 0x1b, 0x19, 0, 0, 0, 2, 0, 0, 0, 0, 1];
        f.extend_from_slice(prefixes[kind]);
        f.extend_from_slice(&rest);
        f.truncate(cut % (f.len() + 1));
        let ports = PtpPorts::default();
        if let Ok(super::link::Peeled::Ptp(p)) = peel(LinkType::Ethernet, &f, &ports) {
            let _ = decode(p.payload);
        }
    }
}
