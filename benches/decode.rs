//! Decoder throughput: single messages, and every frame of a lab capture
//! peeled and fully decoded (TLVs included).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ptpscope::capture::{Points, read_file};
use ptpscope::wire::link::{LinkType, Peeled, PtpPorts, peel};
use ptpscope::wire::{Ptp, decode};

fn frames(file: &str) -> Vec<(LinkType, Vec<u8>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(file);
    let mut v = Vec::new();
    read_file(&path, None, &mut Points::default(), |f, _| {
        v.push((f.link, f.data.to_vec()))
    })
    .expect("lab capture");
    v
}

fn full_decode(link: LinkType, frame: &[u8], ports: &PtpPorts) -> usize {
    match peel(link, frame, ports) {
        Ok(Peeled::Ptp(p)) => match decode(p.payload) {
            Ok(Ptp::V2(m)) => m.tlvs().count() + 1,
            Ok(Ptp::V1(_)) => 1,
            Err(_) => 0,
        },
        _ => 0,
    }
}

fn bench(c: &mut Criterion) {
    let ports = PtpPorts::default();
    for file in [
        "lab-l2-e2e.pcap",
        "lab-udp4-e2e.pcap",
        "lab-gptp.pcap",
        "lab-management.pcap",
    ] {
        let fr = frames(file);
        let mut g = c.benchmark_group("peel+decode");
        g.throughput(Throughput::Elements(fr.len() as u64));
        g.bench_function(file, |b| {
            b.iter(|| {
                fr.iter()
                    .map(|(l, f)| full_decode(*l, black_box(f), &ports))
                    .sum::<usize>()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
