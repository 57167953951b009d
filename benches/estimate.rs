//! Estimator cost per sample: the measurements of a simulated congested
//! LAN (one hour, about 57,000 E2E samples), fed to a fresh estimator.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ptpscope::analysis::{Analyzer, Config, Measurement, Observation, content_hash};
use ptpscope::estimate::{self, Estimator};
use ptpscope::simulate::{self, Captured, Scenario};
use ptpscope::wire::link::{LinkType, Peeled, PtpPorts, peel};
use ptpscope::wire::{Ptp, decode};

fn measurements() -> Vec<Measurement> {
    let mut s = Scenario::load("congested-lan").expect("named scenario");
    s.duration_s = 3600.0;
    let mut frames = Vec::new();
    simulate::run(&s, &mut |f: Captured<'_>| {
        frames.push((f.time_ns, f.data.to_vec()))
    });
    let ports = PtpPorts::default();
    let mut a = Analyzer::new(Config::default());
    a.set_point_count(1);
    let mut out = Vec::new();
    for (i, (t, data)) in frames.iter().enumerate() {
        let Ok(Peeled::Ptp(link)) = peel(LinkType::Ethernet, data, &ports) else {
            continue;
        };
        let Ok(Ptp::V2(message)) = decode(link.payload) else {
            continue;
        };
        let len = usize::from(message.header.message_length).min(link.payload.len());
        a.frame(0, Some(*t));
        if let Some(m) = a.observe(&Observation {
            point: 0,
            frame: i as u64 + 1,
            time_ns: *t,
            resolution_ns: 1,
            link: &link,
            message: &message,
            content: Some(content_hash(&link.payload[..len])),
        }) {
            out.push(m);
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let ms = measurements();
    let samples = ms
        .iter()
        .filter(|m| matches!(m, Measurement::E2e { .. }))
        .count();
    let mut g = c.benchmark_group("estimate");
    g.throughput(Throughput::Elements(samples as u64));
    g.bench_function("congested-lan 1 h, per E2E sample", |b| {
        b.iter(|| {
            let mut e = Estimator::new(estimate::Config {
                enabled: true,
                ..Default::default()
            });
            for m in &ms {
                black_box(e.observe(m));
            }
            e
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
