//! encode(decode(bytes)) == bytes for every PTP message in the captures, and
//! decode(encode(m)) == m.

mod common;

use ptpscope::capture::{Points, read_file};
use ptpscope::wire::link::{Peeled, PtpPorts, peel};
use ptpscope::wire::{Ptp, decode};

#[test]
fn every_captured_message_emits_back_to_its_bytes() {
    let ports = PtpPorts::default();
    let mut total = 0;
    for file in common::capture_files() {
        let mut points = Points::default();
        read_file(&file, None, &mut points, |frame, _| {
            let Ok(Peeled::Ptp(p)) = peel(frame.link, frame.data, &ports) else {
                return;
            };
            let ctx = format!("{} frame {}", file.display(), frame.number);
            let m = decode(p.payload).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            let mut out = Vec::new();
            match m {
                Ptp::V2(m) => {
                    m.emit(&mut out);
                    let len = usize::from(m.header.message_length);
                    assert_eq!(out, &p.payload[..len], "{ctx}");
                    assert_eq!(m.buffer_len(), len, "{ctx}");
                    // The typed TLVs emit back to the suffix too.
                    let mut tlvs = Vec::new();
                    for t in m.tlvs() {
                        t.unwrap().emit(&mut tlvs);
                    }
                    assert_eq!(tlvs, m.suffix, "{ctx}");
                }
                Ptp::V1(m) => {
                    m.emit(&mut out);
                    assert_eq!(out, p.payload, "{ctx}");
                }
            }
            assert_eq!(
                decode(&out).unwrap(),
                {
                    // The re-decoded message equals the original, bar the trailer.
                    match m {
                        Ptp::V2(mut m) => {
                            m.trailer = &[];
                            Ptp::V2(m)
                        }
                        v1 => v1,
                    }
                },
                "{ctx}"
            );
            total += 1;
        })
        .unwrap_or_else(|e| panic!("{e}"));
    }
    eprintln!("{total} messages round-tripped");
    assert!(total > 0);
}
