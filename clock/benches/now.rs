//! `ClockReader::now()` against `clock_gettime(CLOCK_REALTIME)`, with a
//! writer publishing 1,000 times per second in another thread.
//! Needs the `writer` feature: `cargo bench -p ptpscope-clock --features writer`.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ptpscope_clock::{ClockReader, ClockWriter, Snapshot, Status, monotonic_ns, realtime_ns};

fn bench(c: &mut Criterion) {
    let path = std::env::temp_dir().join(format!("ptpscope-clock-bench-{}", std::process::id()));
    let mut w = ClockWriter::create(&path).expect("create the record");
    let snap = |mono| Snapshot {
        mono_ns: mono,
        real_ns: realtime_ns(),
        offset_ns: 1_000,
        freq_ppb: 20.0,
        bound_ns: 5_000,
        drift_ppb: 200_000,
        valid_ns: 5_000_000_000,
        status: Status::Synchronized,
        grandmaster: [0; 8],
        disruptions: 0,
        leap: Default::default(),
    };
    w.publish(&snap(monotonic_ns()));
    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writer = {
        let (stop, writes) = (stop.clone(), writes.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                w.publish(&snap(monotonic_ns()));
                writes.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1));
            }
            drop(w);
        })
    };
    let r = ClockReader::open(&path).expect("open the record");
    let mut g = c.benchmark_group("clock");
    g.bench_function("clock_gettime(CLOCK_REALTIME)", |b| {
        b.iter(|| black_box(realtime_ns()))
    });
    g.bench_function("clock_gettime(CLOCK_MONOTONIC)", |b| {
        b.iter(|| black_box(monotonic_ns()))
    });
    g.bench_function("ClockReader::now (writer at 1 kHz)", |b| {
        b.iter(|| black_box(r.now().unwrap()))
    });
    g.finish();
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    eprintln!(
        "writer published {} times during the run",
        writes.load(Ordering::Relaxed)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
