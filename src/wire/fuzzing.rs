//! The properties the fuzz targets check, kept here so that the fuzz seed
//! corpora replay as ordinary tests (`tests/fuzz_corpus.rs`).

use super::link::{LinkType, Peeled, PtpPorts, peel};
use super::{Malformed, Ptp, decode};

/// Decoding any bytes, as a PTP payload and as a frame of every link type,
/// returns without panicking; a decoded message's TLVs iterate to the end,
/// and a malformed one keeps what [`check_malformed`] asks.
pub fn check_decode(data: &[u8]) {
    match decode(data) {
        Ok(Ptp::V2(m)) => {
            for t in m.tlvs() {
                t.expect("decode checked every TLV");
            }
        }
        Ok(Ptp::V1(_)) => {}
        Err(m) => check_malformed(data, &m),
    }
    let ports = PtpPorts::default();
    for link in [
        LinkType::Ethernet,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::RawIp,
        LinkType::Null,
        LinkType::Loop,
    ] {
        if let Ok(Peeled::Ptp(p)) = peel(link, data, &ports) {
            let _ = decode(p.payload);
        }
    }
}

/// A malformed message's error points inside the input, and what it kept
/// (header, body, the TLVs before the faulty one) decodes again and emits
/// back to the octets it was decoded from.
pub fn check_malformed(data: &[u8], m: &Malformed<'_>) {
    assert!(
        m.error.offset <= data.len(),
        "{m:?} of {} octets",
        data.len()
    );
    let Some(p) = &m.partial else { return };
    let mut out = Vec::new();
    p.header.emit(&mut out);
    if let Some(b) = p.body {
        b.emit(&mut out);
    }
    for t in p.tlvs() {
        t.expect("the TLVs kept decoded whole").emit(&mut out);
    }
    assert_eq!(Some(&out[..]), data.get(..out.len()), "{m:?}");
}

/// Whatever decodes emits back to the same octets and decodes to the same
/// value again.
pub fn check_round_trip(data: &[u8]) {
    let Ok(m) = decode(data) else { return };
    let mut out = Vec::new();
    match m {
        Ptp::V2(m) => {
            m.emit(&mut out);
            assert_eq!(out, &data[..usize::from(m.header.message_length)]);
            let Ok(Ptp::V2(again)) = decode(&out) else {
                panic!("emitted message does not decode")
            };
            assert_eq!(again.header, m.header);
            assert_eq!(again.body, m.body);
            assert_eq!(again.suffix, m.suffix);
        }
        Ptp::V1(m) => {
            m.emit(&mut out);
            assert_eq!(out, data);
        }
    }
}
