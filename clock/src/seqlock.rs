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

#[cfg(loom)]
use loom::sync::atomic::{AtomicU64, Ordering, fence};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicU64, Ordering, fence};

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
        let s1 = self.seq.load(Ordering::Acquire);
        if s1 & 1 == 1 {
            return None;
        }
        let mut out = [0u64; K];
        for (o, w) in out.iter_mut().zip(&self.words) {
            *o = w.load(Ordering::Relaxed);
        }
        fence(Ordering::Acquire);
        let s2 = self.seq.load(Ordering::Relaxed);
        (s1 == s2).then_some(out)
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
        // The next odd value (after a writer that died mid-write, too).
        let odd = self.seq.load(Ordering::Relaxed).wrapping_add(1) | 1;
        self.seq.store(odd, Ordering::Relaxed);
        fence(Ordering::Release);
        for (w, v) in self.words.iter().zip(words) {
            w.store(*v, Ordering::Relaxed);
        }
        self.seq.store(odd.wrapping_add(1), Ordering::Release);
    }

    /// The sequence number: even when no write is in progress.
    pub fn sequence(&self) -> u64 {
        self.seq.load(Ordering::Acquire)
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::SeqLock;
    use loom::sync::Arc;
    use loom::thread;

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
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::SeqLock;

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
}
