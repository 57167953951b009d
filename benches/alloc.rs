//! Heap allocations on `analyze`'s path, counted by a counting global
//! allocator: the lab capture (UDP/IPv4 E2E) repeated to N and to 10 N
//! packets, both as plain repetitions (the offset steps at each, sequenceIds
//! start over: the estimator restarts) and as one steady run
//! (`scripts/make-big-capture.py --continuous`). What the 9 N extra packets
//! allocate, divided by 9 N, is the allocation per message; the peak of
//! live heap octets at N and at 10 N shows whether memory grows with the
//! capture.
//!
//!     cargo bench --bench alloc            # N = 100,000
//!     N=20000 cargo bench --bench alloc

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

use ptpscope::capture::Input;
use ptpscope::pipeline::{self, Config};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; the
// counters are atomics and allocate nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size(), Relaxed);
        count(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn count(size: usize) {
    ALLOCATIONS.fetch_add(1, Relaxed);
    ALLOCATED.fetch_add(size as u64, Relaxed);
    let live = LIVE.fetch_add(size, Relaxed) + size;
    PEAK.fetch_max(live, Relaxed);
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations, octets allocated and peak live octets of one `analyze`
/// run (estimates included) over `path`.
fn analyze(path: &Path) -> (u64, u64, usize) {
    ALLOCATIONS.store(0, Relaxed);
    ALLOCATED.store(0, Relaxed);
    PEAK.store(LIVE.load(Relaxed), Relaxed);
    let base = LIVE.load(Relaxed);
    let input = Input {
        path: path.to_owned(),
        name: None,
    };
    // As `analyze` runs by default: with estimates (the config's default
    // has them off).
    let mut config = Config::default();
    config.estimate.enabled = true;
    let run = pipeline::run_files(&config, &[input], &mut |_| {}).expect("analysis");
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let messages = run.pipeline.decoder.summary.ptp_v2;
    std::hint::black_box(&run);
    drop(run);
    let peak = PEAK.load(Relaxed) - base;
    eprintln!("  {}: {messages} PTP messages", path.display());
    (ALLOCATIONS.load(Relaxed), ALLOCATED.load(Relaxed), peak)
}

fn make(dir: &Path, continuous: bool, n: u64) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.join(format!(
        "{}-{n}.pcap",
        if continuous { "steady" } else { "stepping" }
    ));
    if !out.exists() {
        let mut c = Command::new("python3");
        c.arg(root.join("scripts/make-big-capture.py"));
        if continuous {
            c.arg("--continuous");
        }
        c.arg(root.join("captures/lab-udp4-e2e.pcap"))
            .arg(&out)
            .arg(n.to_string());
        let ok = c.status().map(|s| s.success()).unwrap_or(false);
        assert!(ok, "python3 scripts/make-big-capture.py failed");
    }
    out
}

fn main() {
    let n: u64 = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-data");
    std::fs::create_dir_all(&dir).expect("bench-data/");
    println!("| capture | packets | allocations | octets allocated | peak live heap KiB |");
    println!("|---|---|---|---|---|");
    for continuous in [false, true] {
        let name = if continuous { "steady" } else { "stepping" };
        let small = analyze(&make(&dir, continuous, n));
        let large = analyze(&make(&dir, continuous, n * 10));
        for (packets, (a, b, p)) in [(n, small), (n * 10, large)] {
            println!("| {name} | {packets} | {a} | {b} | {} |", p / 1024);
        }
        let extra = (9 * n) as f64;
        println!(
            "| {name}: per extra packet | | {:.4} | {:.1} | peak x{:.2} |",
            (large.0 as f64 - small.0 as f64) / extra,
            (large.1 as f64 - small.1 as f64) / extra,
            large.2 as f64 / small.2.max(1) as f64
        );
    }
}
