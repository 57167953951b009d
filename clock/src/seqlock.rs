//! A single-writer sequence lock over a fixed number of 64-bit words.
//!
//! The ordering is the textbook one (crossbeam-utils' `seq_lock.rs`, and
//! Boehm, "Can seqlocks get along with programming language memory
//! models?", 2012):
//!
//! - writer: `seq` to odd (Relaxed), `fence(Release)`, the words
//!   (Relaxed), `seq` to the next even value (Release);
//! - reader: `seq` (Acquire), the words (Relaxed), `fence(Acquire)`, `seq`
//!   again (Relaxed); the copy is good when both reads of `seq` are the
//!   same even value.
//!
//! Why a good copy is never torn: if the reader's words include any store
//! of a write that started after its first `seq` read, its acquire fence
//! synchronizes with that write's release fence, so its second `seq` read
//! sees the odd value (or later) and differs. If its first `seq` read saw
//! the even value published by write k (Acquire, synchronizing with that
//! Release store), every word it reads is from write k or later. Both
//! together: all words are from write k. The words are atomics, so a
//! racing read is a valid (discarded) value, never undefined behaviour.
//!
//! The protocol is [`write_words`] and [`try_read_words`], over any
//! [`Sequence`] word: [`SeqLock`] (this crate's own record) drives a
//! 64-bit `seq` in front of its words; AWS ClockBound's segment
//! (`crate::clockbound`) drives the 16-bit `generation` of its header.
//! The sequence wraps at its width and skips 0 when it does: 0 is what a
//! segment that was never written holds (ClockBound's readers refuse it),
//! so once written a lock never reads 0 again. A 16-bit sequence wraps
//! after 32,767 writes (the even values but 0): a reader stalled between its two reads for
//! exactly a multiple of that many writes would take a torn copy for a
//! good one, a risk that only a writer far faster than its readers makes
//! real.

#[cfg(loom)]
use loom::sync::atomic::{AtomicU16, AtomicU64, Ordering, fence};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering, fence};

/// The word a seqlock's writer makes odd while writing and even after.
pub trait Sequence {
    /// The values the word holds: `0..=MASK`.
    const MASK: u64;
    /// Loads it, widened to 64 bits.
    fn load_sequence(&self, order: Ordering) -> u64;
    /// Stores `value` (at most [`Self::MASK`]).
    fn store_sequence(&self, value: u64, order: Ordering);
}

impl Sequence for AtomicU64 {
    const MASK: u64 = u64::MAX;
    #[inline]
    fn load_sequence(&self, order: Ordering) -> u64 {
        self.load(order)
    }
    #[inline]
    fn store_sequence(&self, value: u64, order: Ordering) {
        self.store(value, order);
    }
}

impl Sequence for AtomicU16 {
    const MASK: u64 = u16::MAX as u64;
    #[inline]
    fn load_sequence(&self, order: Ordering) -> u64 {
        u64::from(self.load(order))
    }
    #[inline]
    fn store_sequence(&self, value: u64, order: Ordering) {
        // Within MASK by the caller's contract: the cast drops nothing.
        self.store(value as u16, order);
    }
}

/// The odd value that opens the write after `seq` (after a writer that
/// died mid-write, too): `seq + 1` rounded up to odd, wrapping at the
/// width.
#[inline]
fn next_odd<S: Sequence>(seq: u64) -> u64 {
    (seq.wrapping_add(1) | 1) & S::MASK
}

/// The even value that closes the write opened by `odd`: `odd + 1`,
/// wrapping at the width, and 2 instead of 0.
#[inline]
fn next_even<S: Sequence>(odd: u64) -> u64 {
    match odd.wrapping_add(1) & S::MASK {
        0 => 2,
        even => even,
    }
}

/// One read attempt of the first `K` of `words` (`K <= words.len()`),
/// guarded by `seq`: the words, or `None` when a write was in progress or
/// happened meanwhile. Wait-free.
#[inline]
pub fn try_read_words<S: Sequence, const K: usize>(
    seq: &S,
    words: &[AtomicU64],
) -> Option<[u64; K]> {
    debug_assert!(K <= words.len());
    let s1 = seq.load_sequence(Ordering::Acquire);
    if s1 & 1 == 1 {
        return None;
    }
    let mut out = [0u64; K];
    for (o, w) in out.iter_mut().zip(words) {
        *o = w.load(Ordering::Relaxed);
    }
    fence(Ordering::Acquire);
    let s2 = seq.load_sequence(Ordering::Relaxed);
    (s1 == s2).then_some(out)
}

/// Replaces `words` with `values` (of the same length), `seq` odd while
/// it does. Only one writer may ever call this on a given `seq` (the
/// caller's contract: each writer of this crate holds an exclusive file
/// lock); it never waits for readers.
#[inline]
pub fn write_words<S: Sequence>(seq: &S, words: &[AtomicU64], values: &[u64]) {
    debug_assert_eq!(words.len(), values.len());
    let odd = next_odd::<S>(seq.load_sequence(Ordering::Relaxed));
    seq.store_sequence(odd, Ordering::Relaxed);
    fence(Ordering::Release);
    for (w, v) in words.iter().zip(values) {
        w.store(*v, Ordering::Relaxed);
    }
    seq.store_sequence(next_even::<S>(odd), Ordering::Release);
}

/// `seq` and `N` words, laid out in that order (`repr(C)`).
#[repr(C)]
#[derive(Debug)]
pub struct SeqLock<const N: usize> {
    seq: AtomicU64,
    words: [AtomicU64; N],
}

/// Where the words start (after `seq`), bytes.
#[cfg(not(loom))]
pub const WORDS_OFFSET: usize = std::mem::offset_of!(SeqLock<1>, words);

impl<const N: usize> Default for SeqLock<N> {
    fn default() -> Self {
        Self {
            seq: AtomicU64::new(0),
            words: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl<const N: usize> SeqLock<N> {
    /// One attempt: the words, or `None` when a write was in progress or
    /// happened meanwhile. Wait-free.
    #[inline]
    pub fn try_read(&self) -> Option<[u64; N]> {
        self.try_read_prefix::<N>()
    }

    /// One attempt at the first `K` words only (`K <= N`): the same
    /// guarantee for them, fewer loads.
    #[inline]
    pub fn try_read_prefix<const K: usize>(&self) -> Option<[u64; K]> {
        const { assert!(K <= N) };
        try_read_words(&self.seq, &self.words)
    }

    /// Up to `tries` attempts.
    #[inline]
    pub fn read(&self, tries: u32) -> Option<[u64; N]> {
        self.read_prefix::<N>(tries)
    }

    /// Up to `tries` attempts at the first `K` words: spinning for the
    /// first half, then yielding the processor (a writer preempted in the
    /// middle of a write needs it to finish).
    #[inline]
    pub fn read_prefix<const K: usize>(&self, tries: u32) -> Option<[u64; K]> {
        for i in 0..tries {
            if let Some(w) = self.try_read_prefix::<K>() {
                return Some(w);
            }
            #[cfg(loom)]
            {
                let _ = i;
                loom::thread::yield_now();
            }
            #[cfg(not(loom))]
            if i < tries / 2 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        None
    }

    /// Replaces the words. Only one writer may ever call this on a given
    /// lock (the caller's contract: [`crate::ClockWriter`] holds an
    /// exclusive file lock); it never waits for readers.
    pub fn write(&self, words: &[u64; N]) {
        write_words(&self.seq, &self.words, words);
    }

    /// The sequence number: even when no write is in progress.
    pub fn sequence(&self) -> u64 {
        self.seq.load(Ordering::Acquire)
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::{SeqLock, try_read_words, write_words};
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicU16, AtomicU64, Ordering};
    use loom::thread;

    /// ClockBound's header and payload: a 16-bit generation and words.
    struct Segment {
        generation: AtomicU16,
        words: [AtomicU64; 2],
    }

    /// Every write puts the same value in all words: a torn read would
    /// show two different ones.
    #[test]
    fn readers_never_see_a_torn_record() {
        loom::model(|| {
            let lock = Arc::new(SeqLock::<2>::default());
            let w = lock.clone();
            let writer = thread::spawn(move || {
                for k in 1..=2u64 {
                    w.write(&[k; 2]);
                }
            });
            if let Some(v) = lock.try_read() {
                assert_eq!(v[0], v[1], "torn: {v:?}");
            }
            writer.join().unwrap();
            assert_eq!(lock.try_read(), Some([2; 2]));
        });
    }

    /// A reader that succeeds after a completed write sees it, not an
    /// older one (no stale value once the write is published).
    #[test]
    fn a_read_after_a_completed_write_sees_it() {
        loom::model(|| {
            let lock = Arc::new(SeqLock::<2>::default());
            let w = lock.clone();
            let writer = thread::spawn(move || w.write(&[7, 7]));
            writer.join().unwrap();
            let r = lock.clone();
            let reader = thread::spawn(move || r.try_read());
            assert_eq!(reader.join().unwrap(), Some([7, 7]));
        });
    }

    /// ClockBound's generation protocol across the wrap of its 16-bit
    /// generation (65534, 65535, then 2, skipping 0): a reader never takes
    /// a torn copy and never sees a generation of 0, which ClockBound's
    /// readers take for a segment never written.
    #[test]
    fn a_16_bit_generation_wraps_without_tearing_or_zero() {
        loom::model(|| {
            let seg = Arc::new(Segment {
                generation: AtomicU16::new(65534),
                words: [AtomicU64::new(0), AtomicU64::new(0)],
            });
            let w = seg.clone();
            let writer = thread::spawn(move || {
                for k in 1..=2u64 {
                    write_words(&w.generation, &w.words, &[k; 2]);
                }
            });
            assert_ne!(seg.generation.load(Ordering::Acquire), 0);
            if let Some(v) = try_read_words::<_, 2>(&seg.generation, &seg.words) {
                assert_eq!(v[0], v[1], "torn: {v:?}");
            }
            assert_ne!(seg.generation.load(Ordering::Acquire), 0);
            writer.join().unwrap();
            assert_eq!(seg.generation.load(Ordering::Relaxed), 4);
            assert_eq!(
                try_read_words::<_, 2>(&seg.generation, &seg.words),
                Some([2; 2])
            );
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{SeqLock, Sequence, try_read_words, write_words};
    use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};

    #[test]
    fn write_then_read() {
        let l = SeqLock::<4>::default();
        assert_eq!(l.try_read(), Some([0; 4]));
        l.write(&[1, 2, 3, 4]);
        assert_eq!(l.try_read(), Some([1, 2, 3, 4]));
        assert_eq!(l.sequence(), 2);
        l.write(&[5, 6, 7, 8]);
        assert_eq!(l.read(1), Some([5, 6, 7, 8]));
        assert_eq!(l.sequence(), 4);
    }

    #[test]
    fn a_write_in_progress_is_not_read() {
        let l = SeqLock::<1>::default();
        l.seq.store(3, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(l.try_read(), None);
        assert_eq!(l.read(10), None);
        // The writer recovers from an odd sequence (a writer that died
        // mid-write): the next write ends even.
        l.write(&[9]);
        assert_eq!(l.try_read(), Some([9]));
        assert_eq!(l.sequence(), 6);
    }

    /// A 16-bit sequence wraps from 65535 to 2, never to 0; a writer that
    /// died mid-write (odd) is recovered from, at the wrap too.
    #[test]
    fn a_16_bit_sequence_wraps_past_zero() {
        let seq = AtomicU16::new(65532);
        let words = [AtomicU64::new(0)];
        let mut seen = Vec::new();
        for k in 0..4 {
            write_words(&seq, &words, &[k]);
            seen.push(seq.load_sequence(Ordering::Relaxed));
            assert_eq!(try_read_words::<_, 1>(&seq, &words), Some([k]));
        }
        assert_eq!(seen, [65534, 2, 4, 6]);
        seq.store(65535, Ordering::Relaxed);
        assert_eq!(try_read_words::<_, 1>(&seq, &words), None);
        write_words(&seq, &words, &[9]);
        assert_eq!(seq.load(Ordering::Relaxed), 2);
        assert_eq!(try_read_words::<_, 1>(&seq, &words), Some([9]));
    }

    /// The same rule at 64 bits (never reached in practice).
    #[test]
    fn a_64_bit_sequence_wraps_past_zero() {
        let seq = AtomicU64::new(u64::MAX - 1);
        let words = [AtomicU64::new(0)];
        write_words(&seq, &words, &[1]);
        assert_eq!(seq.load(Ordering::Relaxed), 2);
        seq.store(u64::MAX, Ordering::Relaxed);
        write_words(&seq, &words, &[2]);
        assert_eq!(seq.load(Ordering::Relaxed), 2);
    }
}
