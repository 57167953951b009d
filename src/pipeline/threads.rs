//! One capture file on two threads, one per core of a two-core machine:
//! this one reads and decodes (into batches that own their bytes), and
//! estimates and keeps the streams' health from the measurements the
//! analysis hands back; the other runs the analysis's trackers (and,
//! without estimates, the health tracker). Bounded channels join them,
//! and emptied batches go back to their sender so their memory is
//! reused. Each channel has a fixed set of batches, made before the first
//! frame: a sender that has none free waits for one to come back, so the
//! memory in flight is the same for any capture's length and any timing
//! of the threads.
//!
//! With three threads (the estimator on its own), the woken estimator was
//! put on the analysis's core (`perf sched`), and `perf stat` counted
//! 1,295–1,693 context switches a million frames against 356–511 with
//! two threads; in wall time the two are within this VM's noise (README,
//! Performance).

use std::sync::mpsc;
use std::thread;

use super::owned::{Decoded, apply, decode_owned};
use super::{Pipeline, observe, tell_delay_asymmetry};
use crate::analysis::Measurement;
use crate::analysis::health::{self, Health};
use crate::capture::{self, CaptureError, Input, Points};
use crate::estimate::{Estimator, Relevant};
use crate::score::Scorer;
use crate::wire::link::{PtpFrame, Transport};

/// Frames per batch from the reader to the analysis, and the octets of
/// TLVs a batch holds at most (a batch closes at either): memory in
/// flight is bounded in bytes, not only in frames.
const BATCH: usize = 1024;
const BATCH_BYTES: usize = 4 << 20;
/// Messages' health inputs, and measurements, handed back to estimate at
/// a time, at most: a batch goes once it could not take the
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

/// Measurements handed back to the reader's thread to estimate, with the
/// point names when they changed.
struct Measured {
    items: Vec<Measurement>,
    /// What the health tracker reads of the messages analyzed.
    health: Vec<health::Input>,
    names: Vec<String>,
}

impl Measured {
    /// A batch with room for [`ESTIMATE_BATCH`] messages; none without
    /// estimates, where nothing is sent.
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

/// What the analysis hands back to the reader: an emptied batch of
/// decoded frames, or measurements to estimate.
enum Back {
    Free(DecodedBatch),
    Measured(Measured),
}

/// The estimator's side, on the reader's thread: it estimates what the
/// analysis measured and keeps the streams' health.
struct Estimating<'p> {
    estimator: &'p mut Estimator,
    scorer: Option<&'p mut Scorer>,
    point_delay_asymmetry: &'p [(String, f64)],
    health: &'p mut Health,
    names: Vec<String>,
    /// Where the batches go back to the analysis: room for all of them,
    /// so sending never waits.
    back: mpsc::SyncSender<Measured>,
}

impl Estimating<'_> {
    fn run(&mut self, mut b: Measured) {
        if b.names.len() > self.names.len() {
            let known = self.names.len();
            self.names = std::mem::take(&mut b.names);
            for (point, n) in self.names.iter().enumerate().skip(known) {
                tell_delay_asymmetry(self.estimator, self.point_delay_asymmetry, point, n);
            }
        }
        let names = &self.names;
        let name = |i: usize| names.get(i).map_or("", String::as_str);
        for m in &b.items {
            observe(self.estimator, self.scorer.as_deref_mut(), m, &name);
        }
        for i in &b.health {
            self.health.observe(i);
        }
        b.items.clear();
        b.health.clear();
        b.names.clear();
        let _ = self.back.try_send(b);
    }
}

/// Takes what the analysis handed back: a free batch is kept in `free`,
/// measurements are estimated.
fn take_back(b: Back, free: &mut Vec<DecodedBatch>, estimating: &mut Option<Estimating<'_>>) {
    match b {
        Back::Free(b) => free.push(b),
        Back::Measured(m) => {
            if let Some(e) = estimating {
                e.run(m);
            }
        }
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
    // Room for every batch there is: the analysis never waits to hand one
    // back.
    let (back_tx, back_rx) = mpsc::sync_channel::<Back>(BATCHES + ESTIMATE_BATCHES);
    let (est_back_tx, est_back_rx) = mpsc::sync_channel::<Measured>(ESTIMATE_BATCHES);
    let mut free: Vec<DecodedBatch> = (1..BATCHES).map(|_| DecodedBatch::new()).collect();
    let decoder = &mut p.decoder;
    // The health tracker reads nothing of the other trackers' state, and
    // nothing reads it before the end: with estimates, it runs here, on
    // what the analysis queues of each message, beside the estimator.
    let estimating = p.estimator.enabled;
    let placeholder = Health::new(p.analyzer.config);
    let mut health = estimating.then(|| std::mem::replace(&mut p.analyzer.health, placeholder));
    let analyzer = &mut p.analyzer;
    let estimation = health.as_mut().map(|health| {
        for _ in 1..ESTIMATE_BATCHES {
            let _ = est_back_tx.send(Measured::new(true));
        }
        Estimating {
            estimator: &mut p.estimator,
            scorer: p.scorer.as_mut(),
            point_delay_asymmetry: &p.point_delay_asymmetry,
            health,
            names: Vec::new(),
            back: est_back_tx,
        }
    });
    let r = thread::scope(|s| {
        // Owned here: should this thread panic, the analysis is not left
        // waiting for measurement batches.
        let mut estimation = estimation;
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
                        // Taken only when kept: a measurement is copied
                        // whole at each move.
                        if apply(analyzer, d, &b.arena, &mut link)
                            && estimating
                            && analyzer
                                .completed
                                .as_ref()
                                .is_some_and(|m| relevant.keep(m))
                            && let Some(m) = analyzer.completed.take()
                        {
                            measured.items.push(m);
                        }
                    }
                    if let Some(queue) = analyzer.health_queue.take() {
                        measured.health = queue;
                    }
                    if measured.full() {
                        // Waits for a free batch; a new one only if the
                        // reader is gone (the scope then panics).
                        let next = est_back_rx
                            .recv()
                            .unwrap_or_else(|_| Measured::new(estimating));
                        let mut full = std::mem::replace(&mut measured, next);
                        if names.len() != sent_names {
                            sent_names = names.len();
                            full.names = names.clone();
                        }
                        let _ = back_tx.send(Back::Measured(full));
                    }
                    b.items.clear();
                    b.arena.clear();
                    b.names.clear();
                    let _ = back_tx.send(Back::Free(b));
                }
                if !measured.items.is_empty() || !measured.health.is_empty() {
                    measured.names = names;
                    let _ = back_tx.send(Back::Measured(measured));
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
            decode_owned(decoder, f, pts, arena, items);
            if batch.items.len() == BATCH || batch.arena.len() >= BATCH_BYTES {
                // Waits for a free batch, estimating meanwhile; a new one
                // only if the analysis is gone (the send below then says
                // so).
                let next = loop {
                    if let Some(b) = free.pop() {
                        break b;
                    }
                    match back_rx.recv() {
                        Ok(b) => take_back(b, &mut free, &mut estimation),
                        Err(_) => break DecodedBatch::new(),
                    }
                };
                let mut full = std::mem::replace(&mut batch, next);
                if pts.len() != sent_names {
                    sent_names = pts.len();
                    full.names = pts.names().to_vec();
                }
                gone = tx.send(full).is_err();
                // Then what else came back: the analysis has its next
                // batch while the measurements are estimated, and has
                // their batches again soon.
                while let Ok(b) = back_rx.try_recv() {
                    take_back(b, &mut free, &mut estimation);
                }
            }
            n += 1;
            if n.is_multiple_of(8192) {
                progress(f.file_offset);
            }
        });
        batch.names = points.names().to_vec();
        let _ = tx.send(batch);
        drop(tx);
        // The rest of the measurements, until the analysis is done.
        for b in back_rx {
            take_back(b, &mut free, &mut estimation);
        }
        // A panic in the analysis is a bug: it must not pass for the end
        // of the input.
        if let Err(panic) = worker.join() {
            std::panic::resume_unwind(panic);
        }
        r
    });
    if let Some(h) = health {
        p.analyzer.health = h;
    }
    r
}
