//! The sliding window of samples the line is fitted over, and which of
//! them it is fitted to.
//!
//! E2E (§11.3): the least-delayed eighth of the window, at least 8, in
//! time order. A sample's mean path delay is half its round trip; the
//! samples queued least in both directions have the smallest, and their
//! offsets are the ones queueing disturbed least (each one's error is
//! within its small delay, so none can pull the line far).
//!
//! P2P (§11.4): all of them. The link delay is the median of recent
//! Pdelay exchanges and says nothing of a Sync's own queueing, so choosing
//! by it would choose nothing; the mean of the samples' errors is that of
//! the link delay's estimate, near 0.

use std::collections::VecDeque;

use super::Sample;

/// Samples in the sliding window of the fit and of the hard bound.
pub const WINDOW: usize = 128;
/// The line is refitted every this many samples and carried between.
pub const REFIT: u64 = 16;

/// What the fit takes of a selected sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitPoint {
    pub mean_path_delay_ns: f64,
    /// The sample's fit time, ns from the fit's origin.
    pub time_ns: f64,
    pub offset_ns: f64,
}

/// The last [`WINDOW`] samples.
#[derive(Debug, Clone)]
pub struct Window {
    samples: VecDeque<Sample>,
    /// Each sample's mean path delay in whole ns (saturated, never negative
    /// here), kept beside it: selection reads these, not the samples.
    delay_keys: VecDeque<u32>,
    /// Reused by each selection: (delay, window index) keys.
    keys: Vec<u64>,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            samples: VecDeque::with_capacity(WINDOW),
            delay_keys: VecDeque::with_capacity(WINDOW),
            keys: Vec::with_capacity(WINDOW),
        }
    }
}

impl Window {
    /// Appends `s`, dropping the oldest when full.
    pub fn push(&mut self, s: Sample) {
        if self.samples.len() == WINDOW {
            self.samples.pop_front();
            self.delay_keys.pop_front();
        }
        self.samples.push_back(s);
        self.delay_keys
            .push_back(s.mean_path_delay_ns.clamp(0.0, u32::MAX as f64) as u32);
    }

    pub fn clear(&mut self) {
        self.samples.clear();
        self.delay_keys.clear();
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    pub fn newest(&self) -> Option<&Sample> {
        self.samples.back()
    }

    /// Appends to `out`, in time order and with times relative to `origin_ns`,
    /// the samples to fit: the least-delayed eighth (at least 8) when
    /// `least_delayed`, else all.
    pub fn select(&mut self, least_delayed: bool, origin_ns: i64, out: &mut Vec<FitPoint>) {
        let n = self.samples.len();
        let keep = if least_delayed {
            (n / 8).max(8).min(n)
        } else {
            n
        };
        let point = |s: &Sample| FitPoint {
            mean_path_delay_ns: s.mean_path_delay_ns,
            time_ns: (s.fit_time_ns - origin_ns) as f64,
            offset_ns: s.offset_ns,
        };
        if keep < n {
            // The least delayed, in time order: select on integer keys,
            // the delay in ns above the window index.
            let mut keys = std::mem::take(&mut self.keys);
            keys.clear();
            keys.extend(
                self.delay_keys
                    .iter()
                    .enumerate()
                    .map(|(i, d)| u64::from(*d) << 32 | i as u64),
            );
            keys.select_nth_unstable(keep - 1);
            let least = &mut keys[..keep];
            least.sort_unstable_by_key(|k| *k as u32);
            out.extend(
                least
                    .iter()
                    .filter_map(|k| self.samples.get(*k as u32 as usize).map(point)),
            );
            self.keys = keys;
        } else {
            out.extend(self.samples.iter().map(point));
        }
    }
}
