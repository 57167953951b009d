//! Several capture files as one stream in capture-time order: each file is
//! read on a thread of its own into bounded batches of owned frames, and a
//! k-way merge hands the earliest head frame of all inputs on next. Memory
//! is bounded by the batches in flight, not by the files' length. Capture
//! points are renumbered into the caller's [`Points`] as they appear.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::mpsc;
use std::thread;

use super::{CaptureError, Frame, Input, Points, read_file};
use crate::wire::link::LinkType;

/// Frames per batch a reader hands to the merge, and the frame octets a
/// batch holds at most (it closes at either): memory in flight is bounded
/// in bytes, not only in frames.
const BATCH: usize = 1024;
const BATCH_BYTES: usize = 4 << 20;
/// Batches in flight per input.
const IN_FLIGHT: usize = 4;

/// A frame copied out of its reader, to cross threads.
struct OwnedFrame {
    point: usize,
    number: u64,
    time_ns: Option<i64>,
    resolution_ns: u32,
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
    file_offset: u64,
}

/// A batch of frames from one input, with its point names so far.
struct Batch {
    frames: Vec<OwnedFrame>,
    names: Vec<String>,
}

/// Reads every input on its own thread and hands the frames to `on_frame`
/// merged by capture time (frames without a time come first, as they
/// appear). `progress` gets the bytes read so far, summed over the inputs,
/// every 8,192 frames. Returns the inputs' errors; what was read before an
/// error is still handed on.
pub fn read_merged(
    inputs: &[Input],
    points: &mut Points,
    mut on_frame: impl FnMut(&Frame<'_>, &mut Points),
    mut progress: impl FnMut(u64),
) -> Vec<CaptureError> {
    thread::scope(|s| {
        let mut rx = Vec::new();
        let mut handles = Vec::new();
        for input in inputs {
            let (tx, r) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
            rx.push(r);
            handles.push(s.spawn(move || read_batches(input, &tx)));
        }
        merge(&rx, points, &mut on_frame, &mut progress);
        drop(rx);
        // A reader's panic is a bug, not the end of its input.
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .filter_map(Result::err)
            .collect()
    })
}

/// One input's reader thread: batches of owned frames into `tx`.
fn read_batches(input: &Input, tx: &mpsc::SyncSender<Batch>) -> Result<(), CaptureError> {
    let mut local = Points::default();
    let mut frames = Vec::with_capacity(BATCH);
    let mut bytes = 0usize;
    let mut gone = false;
    let r = read_file(&input.path, input.name.as_deref(), &mut local, |f, pts| {
        if gone {
            return;
        }
        frames.push(OwnedFrame {
            point: f.point,
            number: f.number,
            time_ns: f.time_ns,
            resolution_ns: f.resolution_ns,
            link: f.link,
            data: f.data.to_vec(),
            orig_len: f.orig_len,
            file_offset: f.file_offset,
        });
        bytes += f.data.len();
        if frames.len() == BATCH || bytes >= BATCH_BYTES {
            bytes = 0;
            let batch = Batch {
                frames: std::mem::replace(&mut frames, Vec::with_capacity(BATCH)),
                names: pts.names().to_vec(),
            };
            gone = tx.send(batch).is_err();
        }
    });
    if !frames.is_empty() {
        let _ = tx.send(Batch {
            frames,
            names: local.names().to_vec(),
        });
    }
    r
}

/// One input's side of the merge.
struct Source<'r> {
    rx: &'r mpsc::Receiver<Batch>,
    queue: VecDeque<OwnedFrame>,
    /// Local point index -> global point index.
    map: Vec<usize>,
    done: bool,
    offset: u64,
}

impl Source<'_> {
    /// Refills the queue when empty; false when the input is finished.
    fn refill(&mut self, points: &mut Points) -> bool {
        while self.queue.is_empty() && !self.done {
            match self.rx.recv() {
                Ok(b) => {
                    for n in b.names.iter().skip(self.map.len()) {
                        self.map.push(points.intern(n));
                    }
                    self.queue.extend(b.frames);
                }
                Err(_) => self.done = true,
            }
        }
        !self.queue.is_empty()
    }

    fn head_time(&self) -> i64 {
        self.queue
            .front()
            .and_then(|f| f.time_ns)
            .unwrap_or(i64::MIN)
    }
}

/// The k-way merge: always the earliest head frame of all inputs next (ties
/// go to the input given first).
fn merge(
    rx: &[mpsc::Receiver<Batch>],
    points: &mut Points,
    on_frame: &mut impl FnMut(&Frame<'_>, &mut Points),
    progress: &mut impl FnMut(u64),
) {
    let mut sources: Vec<Source<'_>> = rx
        .iter()
        .map(|rx| Source {
            rx,
            queue: VecDeque::new(),
            map: Vec::new(),
            done: false,
            offset: 0,
        })
        .collect();
    let mut heap = BinaryHeap::new();
    for (i, s) in sources.iter_mut().enumerate() {
        if s.refill(points) {
            heap.push(Reverse((s.head_time(), i)));
        }
    }
    let mut n = 0u64;
    while let Some(Reverse((_, i))) = heap.pop() {
        let s = &mut sources[i];
        let Some(f) = s.queue.pop_front() else {
            continue;
        };
        let frame = Frame {
            point: s.map.get(f.point).copied().unwrap_or(0),
            number: f.number,
            time_ns: f.time_ns,
            resolution_ns: f.resolution_ns,
            link: f.link,
            data: &f.data,
            orig_len: f.orig_len,
            file_offset: f.file_offset,
        };
        on_frame(&frame, points);
        s.offset = f.file_offset;
        if s.refill(points) {
            heap.push(Reverse((s.head_time(), i)));
        }
        n += 1;
        if n.is_multiple_of(8192) {
            progress(sources.iter().map(|s| s.offset).sum());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::write::PcapngWriter;

    /// A pcapng file of one interface with frames at these times.
    fn file(dir: &std::path::Path, name: &str, times: &[i64]) -> Input {
        let path = dir.join(format!("{name}.pcapng"));
        let mut w = PcapngWriter::create(&path).unwrap();
        w.add_interface(name, 1, 2048).unwrap();
        for (i, &t) in times.iter().enumerate() {
            w.write_packet(0, t, &[i as u8; 14], 14).unwrap();
        }
        w.flush().unwrap();
        Input { path, name: None }
    }

    #[test]
    fn frames_come_in_time_order_across_inputs() {
        let dir = std::env::temp_dir().join(format!("ptpscope-merge-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // More than a batch each, interleaved, with equal times across inputs.
        let a: Vec<i64> = (0..3000).map(|i| i * 10).collect();
        let b: Vec<i64> = (0..2500).map(|i| i * 12 + 5).collect();
        let c: Vec<i64> = vec![0, 10, 20];
        let inputs = [
            file(&dir, "a", &a),
            file(&dir, "b", &b),
            file(&dir, "c", &c),
        ];
        let mut points = Points::default();
        let mut seen = Vec::new();
        let errors = read_merged(
            &inputs,
            &mut points,
            |f, p| seen.push((f.time_ns.unwrap(), p.name(f.point).to_owned(), f.number)),
            |_| {},
        );
        assert!(errors.is_empty());
        assert_eq!(seen.len(), a.len() + b.len() + c.len());
        assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
        // Ties keep the inputs' order; each input's own order is kept.
        assert_eq!(
            &seen[..3].iter().map(|s| s.1.as_str()).collect::<Vec<_>>(),
            &["a", "c", "b"]
        );
        for name in ["a", "b", "c"] {
            let numbers: Vec<u64> = seen.iter().filter(|s| s.1 == name).map(|s| s.2).collect();
            assert!(numbers.windows(2).all(|w| w[0] + 1 == w[1]), "{name}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unreadable_input_is_reported_and_the_others_read() {
        let dir = std::env::temp_dir().join(format!("ptpscope-merge-e-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = file(&dir, "good", &[1, 2, 3]);
        let missing = Input {
            path: dir.join("missing.pcap"),
            name: None,
        };
        let mut points = Points::default();
        let mut n = 0;
        let errors = read_merged(&[good, missing], &mut points, |_, _| n += 1, |_| {});
        assert_eq!(n, 3);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().contains("missing.pcap"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
