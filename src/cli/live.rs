//! `--interface` and the live-capture flags, validated into
//! [`LiveOpts`] (the capture itself is `capture::live`, feature `live`).

use std::path::PathBuf;

#[cfg(feature = "live")]
use crate::capture::live::{LiveOpts, default_filter};

/// Live capture options (feature `live`).
#[derive(Debug, Default, clap::Args)]
pub struct LiveArgs {
    /// Capture live on this interface (repeatable; feature `live`).
    #[arg(long, short = 'i', value_name = "IF")]
    pub interface: Vec<String>,
    /// Kernel filter instead of the default PTP filter (BPF syntax).
    #[arg(long, requires = "interface")]
    pub filter: Option<String>,
    /// Timestamp source: host, host_lowprec, host_hiprec, adapter,
    /// adapter_unsynced (whatever the NIC offers).
    #[arg(long, requires = "interface", value_name = "TYPE")]
    pub tstamp_type: Option<String>,
    /// Stop after this many seconds.
    #[arg(long, requires = "interface", value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Stop after this many frames.
    #[arg(long, requires = "interface", value_name = "N")]
    pub count: Option<u64>,
    /// Keep what was captured in this pcapng file.
    #[arg(long, requires = "interface", value_name = "FILE.pcapng")]
    pub write: Option<PathBuf>,
    /// Print a summary this often (e.g. 10s, 1m) while capturing.
    #[arg(long, requires = "interface", value_name = "DURATION")]
    pub every: Option<String>,
}

/// Parses `10s`, `500ms`, `2m`, `1h` or plain seconds into nanoseconds.
pub fn parse_duration_ns(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let scale = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        _ => return Err(format!("{s}: unknown unit {unit:?} (ms, s, m, h)")),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s}: expected a duration such as 10s or 500ms"))?;
    let ns = v * scale;
    if !(ns > 0.0 && ns < 1e18) {
        return Err(format!("{s}: expected a positive duration"));
    }
    Ok(ns as i64)
}

/// The capture options of `--interface` and its flags.
#[cfg(feature = "live")]
pub fn live_opts(live: &LiveArgs, udp_port: &[u16]) -> anyhow::Result<LiveOpts> {
    let duration = match live.duration {
        Some(d) if !(d > 0.0 && d < 1e9) => anyhow::bail!("--duration {d}: expected seconds"),
        d => d.map(std::time::Duration::from_secs_f64),
    };
    Ok(LiveOpts {
        interfaces: live.interface.clone(),
        filter: live
            .filter
            .clone()
            .unwrap_or_else(|| default_filter(udp_port)),
        tstamp_type: live.tstamp_type.clone(),
        duration,
        count: live.count,
        write: live.write.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ns("10s"), Ok(10_000_000_000));
        assert_eq!(parse_duration_ns("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration_ns("2m"), Ok(120_000_000_000));
        assert_eq!(parse_duration_ns("1.5"), Ok(1_500_000_000));
        assert!(parse_duration_ns("10 parsecs").is_err());
        assert!(parse_duration_ns("-1s").is_err());
        assert!(parse_duration_ns("").is_err());
    }
}
