//! Prometheus metrics of `serve` (prometheus-client), served on loopback.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use ptpscope_clock::Status;

use crate::estimate::Estimate;
use crate::report::Summary;

type Labels = Vec<(String, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// The metrics' handles; their registry is shared with the HTTP thread.
pub struct Metrics {
    registry: Arc<Registry>,
    offset: FloatGauge,
    bound: Family<Labels, FloatGauge>,
    delay: FloatGauge,
    frequency: FloatGauge,
    status: Gauge,
    disruptions: Gauge,
    grandmaster_changes: Gauge,
    estimates: Counter,
    messages: Family<Labels, Counter>,
    seen: BTreeMap<String, u64>,
    residence: Family<Labels, FloatGauge>,
    malformed: Counter,
    malformed_seen: u64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut r = Registry::with_prefix("ptpscope");
        let m = Self {
            registry: Arc::new(Registry::default()),
            offset: FloatGauge::default(),
            bound: Family::default(),
            delay: FloatGauge::default(),
            frequency: FloatGauge::default(),
            status: Gauge::default(),
            disruptions: Gauge::default(),
            grandmaster_changes: Gauge::default(),
            estimates: Counter::default(),
            messages: Family::default(),
            seen: BTreeMap::new(),
            residence: Family::default(),
            malformed: Counter::default(),
            malformed_seen: 0,
        };
        r.register(
            "offset_nanoseconds",
            "Estimated offset of this host's clock from the grandmaster",
            m.offset.clone(),
        );
        r.register(
            "bound_nanoseconds",
            "Error bound of the offset (kind: hard, from causality; stat, 95 %)",
            m.bound.clone(),
        );
        r.register(
            "path_delay_nanoseconds",
            "Mean path delay (E2E) or link delay (P2P) of the last estimate",
            m.delay.clone(),
        );
        r.register(
            "frequency_ppb",
            "Frequency error of this host's clock against the grandmaster",
            m.frequency.clone(),
        );
        r.register(
            "status",
            "Published status: 0 unknown, 1 synchronized, 2 holdover, 3 free-running, 4 disrupted",
            m.status.clone(),
        );
        r.register(
            "disruptions",
            "Grandmaster changes and clock steps so far",
            m.disruptions.clone(),
        );
        r.register(
            "grandmaster_changes",
            "Changes of the master whose estimates are published, after the first",
            m.grandmaster_changes.clone(),
        );
        r.register("estimates", "Estimates published", m.estimates.clone());
        r.register(
            "messages",
            "PTP messages seen, by message type",
            m.messages.clone(),
        );
        r.register(
            "hop_residence_median_nanoseconds",
            "Median residence time per hop between capture points and message type",
            m.residence.clone(),
        );
        r.register(
            "malformed_messages",
            "PTP messages that failed to decode",
            m.malformed.clone(),
        );
        Self {
            registry: Arc::new(r),
            ..m
        }
    }

    pub fn registry(&self) -> Arc<Registry> {
        self.registry.clone()
    }

    pub fn estimate(&self, e: &Estimate) {
        self.offset.set(e.offset_ns);
        self.delay.set(e.mean_path_delay_ns);
        self.frequency.set(e.frequency_ppb);
        let kind = |k: &str| vec![("kind".to_string(), k.to_string())];
        self.bound.get_or_create(&kind("hard")).set(e.hard_bound_ns);
        self.bound
            .get_or_create(&kind("stat"))
            .set(e.statistical_bound_ns);
        self.estimates.inc();
    }

    pub fn status(&self, s: Status, disruptions: u64, grandmaster_changes: u64) {
        self.status.set(s as i64);
        self.disruptions.set(disruptions as i64);
        self.grandmaster_changes.set(grandmaster_changes as i64);
    }

    /// Message counts, per-hop residence and errors from an analysis
    /// summary.
    pub fn summary(&mut self, s: &Summary) {
        for (kind, &n) in &s.messages {
            let before = self.seen.insert(kind.clone(), n).unwrap_or(0);
            let labels = vec![("message_type".to_string(), kind.clone())];
            self.messages
                .get_or_create(&labels)
                .inc_by(n.saturating_sub(before));
        }
        for h in &s.hops {
            for t in &h.per_type {
                if let Some(r) = &t.residence_ns {
                    let labels = vec![
                        ("from".to_string(), h.from.clone()),
                        ("to".to_string(), h.to.clone()),
                        ("message_type".to_string(), t.message_type.clone()),
                    ];
                    self.residence.get_or_create(&labels).set(r.median as f64);
                }
            }
        }
        let n = s.errors.count;
        self.malformed.inc_by(n.saturating_sub(self.malformed_seen));
        self.malformed_seen = n;
    }
}

/// The metrics page, OpenMetrics text.
pub fn render(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = encode(&mut out, registry);
    out
}

/// Metrics are for this host: refuses any address but loopback.
pub fn loopback_only(addr: SocketAddr) -> anyhow::Result<()> {
    if !addr.ip().is_loopback() {
        anyhow::bail!("--metrics {addr}: metrics are served on loopback only (127.0.0.1 or [::1])");
    }
    Ok(())
}

/// Serves `GET /metrics` on `addr` (loopback only) from a thread.
pub fn serve(addr: SocketAddr, registry: Arc<Registry>) -> anyhow::Result<SocketAddr> {
    loopback_only(addr)?;
    let listener = TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("--metrics {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let mut line = String::new();
            let mut reader = BufReader::new(&stream);
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut h = String::new();
            while reader.read_line(&mut h).is_ok_and(|n| n > 2) {
                h.clear();
            }
            let path = line.split_whitespace().nth(1).unwrap_or("");
            let (status, ctype, body) = if line.starts_with("GET ") && path == "/metrics" {
                (
                    "200 OK",
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    render(&registry),
                )
            } else {
                ("404 Not Found", "text/plain", "GET /metrics\n".to_string())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_carries_the_metrics() {
        let m = Metrics::new();
        m.estimate(&Estimate {
            time_ns: 1,
            offset_ns: -250.0,
            mean_path_delay_ns: 1500.0,
            frequency_ppb: 3.5,
            hard_bound_ns: 2000.0,
            statistical_bound_ns: 90.0,
            drift_ppb: 200_000.0,
            causal_lower_ns: 0.0,
            causal_upper_ns: 1_000.0,
            samples_used: 8,
            baseline_offset_ns: 0.0,
        });
        m.status(Status::Holdover, 2, 1);
        let page = render(&m.registry());
        for want in [
            "ptpscope_offset_nanoseconds -250.0",
            "ptpscope_bound_nanoseconds{kind=\"hard\"} 2000.0",
            "ptpscope_path_delay_nanoseconds 1500.0",
            "ptpscope_frequency_ppb 3.5",
            "ptpscope_status 2",
            "ptpscope_disruptions 2",
            "ptpscope_grandmaster_changes 1",
            "ptpscope_estimates_total 1",
        ] {
            assert!(page.contains(want), "{want} not in\n{page}");
        }
    }

    #[test]
    fn only_loopback() {
        let r = Arc::new(Registry::default());
        assert!(serve("0.0.0.0:0".parse().unwrap(), r.clone()).is_err());
        let addr = serve("127.0.0.1:0".parse().unwrap(), r).unwrap();
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut s, &mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
        assert!(out.contains("# EOF"), "{out}");
    }
}
