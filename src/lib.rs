//! ptpscope: an IEEE 1588 (PTP) packet analyzer, and a daemon that
//! publishes the error-bounded time it estimates.
//!
//! Layers, each depending only on those before it (checked by
//! `tests/layers.rs`):
//! - [`wire`]: sans-IO decoding and encoding of PTP messages (IEEE
//!   1588-2019 §13, §14) and of the link layers that carry them. Bytes in,
//!   borrowed values out; never panics.
//! - [`capture`]: capture sources as [`capture::Frame`]s with their
//!   timestamp resolution: pcap and pcapng files (streaming, in bounded
//!   memory), live interfaces (feature `live`), and the time-ordered merge
//!   of several files.
//! - [`analysis`]: sans-IO trackers over decoded messages: inventory,
//!   exchanges (measurements), stream health, the transparent-clock
//!   ledger. Plain values out: points are ids, findings are enums.
//! - [`estimate`]: offset, path delay and frequency with error bounds,
//!   from the analysis' measurements.
//! - [`simulate`]: synthetic traffic with known truth, to test the
//!   estimator against.
//! - [`score`]: estimates against a simulation's truth (above both
//!   estimate and simulate; the estimator knows nothing of truth).
//! - [`pipeline`]: capture → merge → decode → analysis → estimate on
//!   threads, configured by a typed [`pipeline::Config`]; used by
//!   `analyze`, `report` and `serve` alike.
//! - [`report`]: the one output layer: decoded records as text, JSON Lines
//!   and CSV; the analysis as text and JSON, its findings, the report
//!   folder.
//! - [`serve`]: the published clock: what to publish, the daemon, metrics.
//! - [`cli`]: the command line: arguments into configs, and the choice of
//!   output. Nothing below imports it.
//!
//! The crate's only `unsafe` code maps capture files into memory
//! (`capture::mapped`, two calls into memmap2, each with what it rests on);
//! the shared-memory record lives in the `ptpscope-clock` crate.

#![deny(unsafe_code)]

pub mod analysis;
pub mod capture;
pub mod cli;
pub mod estimate;
pub mod pipeline;
pub mod report;
pub mod score;
pub mod serve;
pub mod simulate;
pub mod wire;
