//! ptpscope: an IEEE 1588 (PTP) packet analyzer.
//!
//! Layers, each depending only on those above it:
//! - [`wire`]: sans-IO decoding and encoding of PTP messages and the link
//!   layers that carry them. Bytes in, borrowed values out; never panics.
//! - [`capture`]: reading pcap and pcapng files into [`capture::Frame`]s,
//!   streaming, in bounded memory.
//! - [`analysis`]: sans-IO trackers over decoded messages: inventory,
//!   exchanges (measurements), stream health, the transparent-clock
//!   ledger. Plain values out: points are ids, findings are enums.
//! - [`estimate`]: offset, path delay and frequency with error bounds,
//!   from the analysis' measurements.
//! - [`simulate`]: synthetic traffic with known truth, to test the
//!   estimator against.
//! - [`report`]: the one output layer: decoded frames as text, JSON Lines
//!   and CSV; the analysis as JSON and text, with the points' names and
//!   the findings worded; the report folder.
//! - [`cli`]: the command-line front end.

pub mod analysis;
pub mod capture;
pub mod cli;
pub mod estimate;
pub mod report;
pub mod serve;
pub mod simulate;
pub mod wire;
