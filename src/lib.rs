//! ptpscope: an IEEE 1588 (PTP) packet analyzer.
//!
//! Layers, each depending only on those above it:
//! - [`wire`]: sans-IO decoding and encoding of PTP messages and the link
//!   layers that carry them. Bytes in, borrowed values out; never panics.
//! - [`capture`]: reading pcap and pcapng files into [`capture::Frame`]s,
//!   streaming, in bounded memory.
//! - [`analysis`]: sans-IO trackers over decoded messages: inventory,
//!   exchanges (measurements), stream health.
//! - [`estimate`]: offset, path delay and frequency with error bounds,
//!   from the analysis' measurements.
//! - [`simulate`]: synthetic traffic with known truth, to test the
//!   estimator against.
//! - [`score`]: estimates against a simulation's truth (above both
//!   estimate and simulate; the estimator knows nothing of truth).
//! - [`report`]: turning decoded frames into text, JSON Lines and CSV.
//! - [`cli`]: the command-line front end.

pub mod analysis;
pub mod capture;
pub mod cli;
pub mod estimate;
pub mod report;
pub mod score;
pub mod serve;
pub mod simulate;
pub mod wire;
