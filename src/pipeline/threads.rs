//! One capture file on up to three threads: this one reads and decodes
//! (into batches that own their bytes) and feeds the profiles, a second
//! runs the other trackers but the health tracker, a third estimates and
//! keeps the streams' health (without estimates, the second does).
//! Bounded channels join them, and emptied batches go back to their
//! sender so their memory is reused. Each channel has a fixed set of batches, made before the first
//! frame: a sender that has none free waits for one to come back, so the
//! memory in flight is the same for any capture's length and any timing
//! of the threads.

use std::sync::mpsc;
use std::thread;

use super::owned::{Decoded, apply, decode_owned};
use super::{Pipeline, observe, tell_delay_asymmetry};
use crate::analysis::Measurement;
use crate::analysis::health::{self, Health};
use crate::capture::{self, CaptureError, Input, Points};
use crate::estimate::Relevant;
use crate::wire::link::{PtpFrame, Transport};

/// Frames per batch from the reader to the analysis, and the octets of
/// TLVs a batch holds at most (a batch closes at either): memory in
/// flight is bounded in bytes, not only in frames.
const BATCH: usize = 1024;
const BATCH_BYTES: usize = 4 << 20;
/// Messages' health inputs, and measurements, sent to the estimator's
/// thread at a time, at most: a batch goes once it could not take the
/// messages of another batch of decoded frames. Each measurement's
/// message queued a health input, so the measurements fit too.
const ESTIMATE_BATCH: usize = 2 * BATCH;
/// Batches of decoded frames: one being filled, one analyzed, the rest
/// queued.
const BATCHES: usize = 8;
/// Batches of measurements, the same way.
const ESTIMATE_BATCHES: usize = 4;

/// Why a pipeline thread could not start: the system refused one (as
/// `std::thread::spawn` says, by a panic).
const SPAWN: &str = "the system refused a pipeline thread";

/// A thread named as `top -H` and `perf report --sort comm` show it.
fn named(name: &str) -> thread::Builder {
    thread::Builder::new().name(name.to_owned())
}

/// Decoded frames of one input, with the point names known so far.
struct DecodedBatch {
    items: Vec<Decoded>,
    arena: Vec<u8>,
    names: Vec<String>,
}

impl DecodedBatch {
    fn new() -> Self {
        Self {
            items: Vec::with_capacity(BATCH),
            arena: Vec::new(),
            names: Vec::new(),
        }
    }
}

/// Measurements for the estimator's thread, with the point names when
/// they changed.
struct Measured {
    items: Vec<Measurement>,
    /// What the health tracker reads of the messages analyzed.
    health: Vec<health::Input>,
    names: Vec<String>,
}

impl Measured {
    /// A batch with room for [`ESTIMATE_BATCH`] messages; none without an
    /// estimator's thread, where nothing is sent.
    fn new(estimating: bool) -> Self {
        let room = if estimating { ESTIMATE_BATCH } else { 0 };
        Self {
            items: Vec::with_capacity(room),
            health: Vec::with_capacity(room),
            names: Vec::new(),
        }
    }

    fn full(&self) -> bool {
        self.health.len() > ESTIMATE_BATCH - BATCH
    }
}

/// Reads one input through the pipeline; `progress` gets the file offset
/// reached every 8,192 frames.
pub(super) fn read_one(
    input: &Input,
    p: &mut Pipeline,
    points: &mut Points,
    progress: &mut dyn FnMut(u64),
) -> Result<(), CaptureError> {
    let (tx, rx) = mpsc::sync_channel::<DecodedBatch>(BATCHES);
    let (back_tx, back_rx) = mpsc::sync_channel::<DecodedBatch>(BATCHES);
    for _ in 1..BATCHES {
        let _ = back_tx.send(DecodedBatch::new());
    }
    let decoder = &mut p.decoder;
    // The profiles read nothing of the other trackers': they run here, on
    // the decoder's own messages (`apply` leaves them out). With them on
    // the analysis's thread, that thread had 58 % of a steady capture's
    // CPU time to this one's 37 %. Moving the inventory as well made this
    // thread the busier one on every capture.
    let mut profiles = std::mem::take(&mut p.analyzer.profiles);
    // The health tracker reads nothing of the others' state either, and
    // nothing reads it before the end: with an estimator thread, it runs
    // there, on what the analysis queues of each message. The analysis
    // thread was the busiest on a steady capture.
    let estimating = p.estimator.enabled;
    let placeholder = Health::new(p.analyzer.config);
    let mut health = estimating.then(|| std::mem::replace(&mut p.analyzer.health, placeholder));
    let analyzer = &mut p.analyzer;
    let estimator = &mut p.estimator;
    let scorer = &mut p.scorer;
    let point_delay_asymmetry = &p.point_delay_asymmetry;
    let r = thread::scope(|s| {
        // The estimator has a thread of its own, fed batches of
        // measurements: on two cores the three threads share what the
        // analysis alone left idle.
        let (est_tx, est_rx) = mpsc::sync_channel::<Measured>(ESTIMATE_BATCHES);
        let (est_back_tx, est_back_rx) = mpsc::sync_channel::<Measured>(ESTIMATE_BATCHES);
        // `health` was taken out exactly when estimating.
        if let Some(health) = health.as_mut() {
            for _ in 1..ESTIMATE_BATCHES {
                let _ = est_back_tx.send(Measured::new(estimating));
            }
            named("estimator")
                .spawn_scoped(s, move || {
                    let mut names: Vec<String> = Vec::new();
                    for mut b in est_rx {
                        if b.names.len() > names.len() {
                            let known = names.len();
                            names = std::mem::take(&mut b.names);
                            for (point, n) in names.iter().enumerate().skip(known) {
                                tell_delay_asymmetry(estimator, point_delay_asymmetry, point, n);
                            }
                        }
                        let name = |i: usize| names.get(i).map_or("", String::as_str);
                        for m in &b.items {
                            observe(estimator, scorer.as_mut(), m, &name);
                        }
                        for i in &b.health {
                            health.observe(i);
                        }
                        b.items.clear();
                        b.health.clear();
                        b.names.clear();
                        let _ = est_back_tx.try_send(b);
                    }
                })
                .expect(SPAWN);
        } else {
            drop(est_rx);
        }
        let worker = named("analysis")
            .spawn_scoped(s, move || {
                let mut names: Vec<String> = Vec::new();
                let mut sent_names = 0;
                let mut measured = Measured::new(estimating);
                let mut relevant = Relevant::default();
                let mut link = PtpFrame::bare(Transport::L2);
                for mut b in rx {
                    if b.names.len() > names.len() {
                        names = std::mem::take(&mut b.names);
                        analyzer.set_point_count(names.len());
                    }
                    if estimating {
                        // Room for this batch's messages is kept (`full`).
                        analyzer.health_queue = Some(std::mem::take(&mut measured.health));
                    }
                    for d in &b.items {
                        if let Some(m) = apply(analyzer, d, &b.arena, &mut link)
                            && estimating
                            && relevant.keep(&m)
                        {
                            measured.items.push(m);
                        }
                    }
                    if let Some(queue) = analyzer.health_queue.take() {
                        measured.health = queue;
                    }
                    if measured.full() {
                        // Waits for a free batch; a new one only if the
                        // estimator is gone (the scope then panics).
                        let next = est_back_rx
                            .recv()
                            .unwrap_or_else(|_| Measured::new(estimating));
                        let mut full = std::mem::replace(&mut measured, next);
                        if names.len() != sent_names {
                            sent_names = names.len();
                            full.names = names.clone();
                        }
                        let _ = est_tx.send(full);
                    }
                    b.items.clear();
                    b.arena.clear();
                    b.names.clear();
                    let _ = back_tx.try_send(b);
                }
                if !measured.items.is_empty() || !measured.health.is_empty() {
                    measured.names = names;
                    let _ = est_tx.send(measured);
                }
            })
            .expect(SPAWN);
        let mut batch = DecodedBatch::new();
        let mut gone = false;
        let mut n = 0u64;
        let mut sent_names = 0;
        let r = capture::read_file(&input.path, input.name.as_deref(), points, |f, pts| {
            if gone {
                return;
            }
            let (arena, items) = (&mut batch.arena, &mut batch.items);
            decode_owned(decoder, f, pts, arena, &mut profiles, items);
            if batch.items.len() == BATCH || batch.arena.len() >= BATCH_BYTES {
                // Waits for a free batch; a new one only if the analysis
                // is gone (the send below then says so).
                let next = back_rx.recv().unwrap_or_else(|_| DecodedBatch::new());
                let mut full = std::mem::replace(&mut batch, next);
                if pts.len() != sent_names {
                    sent_names = pts.len();
                    full.names = pts.names().to_vec();
                }
                gone = tx.send(full).is_err();
            }
            n += 1;
            if n.is_multiple_of(8192) {
                progress(f.file_offset);
            }
        });
        batch.names = points.names().to_vec();
        let _ = tx.send(batch);
        drop(tx);
        // A panic in the analysis is a bug: it must not pass for the end
        // of the input.
        if let Err(panic) = worker.join() {
            std::panic::resume_unwind(panic);
        }
        r
    });
    p.analyzer.profiles = profiles;
    if let Some(h) = health {
        p.analyzer.health = h;
    }
    r
}
