//! The security tracker's alerts as findings: kind names, severities,
//! clauses and sentences (the README's "Finding kinds" documents each).

use super::super::summary::{Summary, fmt_ns};
use super::{Finding, Severity, times};
use crate::analysis::security::{Alert, Detail, Kind, MIN_SPOOFED};

/// The stable name of an attack kind.
pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::SpoofedMessages => "spoofed_messages",
        Kind::RogueAnnounce => "rogue_announce",
        Kind::GrandmasterFlapping => "grandmaster_flapping",
        Kind::MessageFlood => "message_flood",
        Kind::ReplayedMessages => "replayed_messages",
        Kind::InvalidField => "invalid_field",
        Kind::AsymmetryChange => "asymmetry_change",
        Kind::TimeStep => "time_step",
        Kind::ReservedDatasetValue => "reserved_dataset_value",
        Kind::TimestampStep => "timestamp_step",
    }
}

/// Every attack kind's name: what no clean capture may raise.
pub const ATTACK_KINDS: [&str; 8] = [
    "spoofed_messages",
    "rogue_announce",
    "grandmaster_flapping",
    "message_flood",
    "replayed_messages",
    "invalid_field",
    "asymmetry_change",
    "time_step",
];

fn severity(k: Kind) -> Severity {
    match k {
        Kind::SpoofedMessages
        | Kind::RogueAnnounce
        | Kind::ReplayedMessages
        | Kind::InvalidField => Severity::Error,
        Kind::GrandmasterFlapping
        | Kind::MessageFlood
        | Kind::AsymmetryChange
        | Kind::TimeStep
        | Kind::ReservedDatasetValue => Severity::Warning,
        Kind::TimestampStep => Severity::Notice,
    }
}

fn clause(d: &Detail) -> &'static str {
    match d {
        Detail::Sequence { .. } | Detail::Timestamp { .. } | Detail::Source { .. } => {
            "IEEE 1588-2019 Annex P (P.1, spoofing); §7.5.2.1 (portIdentity), §7.3.7 (sequenceId)"
        }
        Detail::Altered { .. } => {
            "IEEE 1588-2019 Annex P (P.1, spoofing and replay); §7.3.7 (sequenceId)"
        }
        Detail::Repeat { .. } | Detail::Backwards { .. } => {
            "IEEE 1588-2019 Annex P (P.1, replay); §7.3.7 (sequenceId)"
        }
        Detail::NewcomerWins { .. } | Detail::ConflictingDataset { .. } => {
            "IEEE 1588-2019 §9.3 (best master clock algorithm), Annex P (P.1, rogue master)"
        }
        Detail::Flapping { .. } => {
            "IEEE 1588-2019 §9.3 (best master clock algorithm), Annex P (P.1, rogue master)"
        }
        Detail::Flood { .. } => {
            "IEEE 1588-2019 §7.7.2 (logMessageInterval), Annex P (P.1, denial of service)"
        }
        Detail::Nanoseconds { .. } => "IEEE 1588-2019 §5.3.3 (Timestamp: nanoseconds < 10^9)",
        Detail::ReservedMessageType { .. } => "IEEE 1588-2019 §13.3.2.2, Table 36 (messageType)",
        Detail::ReservedMinorVersion { .. } => "IEEE 1588-2019 §13.3.2.4 (minorVersionPTP)",
        Detail::VersionMismatch { .. } => "IEEE 1588-2019 §13.3.2 (versionPTP)",
        Detail::LengthMismatch { .. } => "IEEE 1588-2019 §13.3.2 (messageLength)",
        Detail::ReservedClockClass { .. } => "IEEE 1588-2019 §7.6.2.5, Table 4 (clockClass)",
        Detail::ReservedClockAccuracy { .. } => "IEEE 1588-2019 §7.6.2.6, Table 5 (clockAccuracy)",
        Detail::ReservedTimeSource { .. } => "IEEE 1588-2019 §7.6.2.8, Table 6 (timeSource)",
        Detail::PathStep { .. } => {
            "IEEE 1588-2019 §7.4.2 (delayAsymmetry), §11.3; Annex P (P.1, delay attack)"
        }
        Detail::ClockStep { .. } | Detail::StreamStep { .. } => {
            "IEEE 1588-2019 §11.2 (offsetFromMaster); Annex P (P.1)"
        }
    }
}

/// One alert in words.
fn finding(a: &Alert, point: Option<&str>) -> Finding {
    let port = a.port.map(|p| p.to_string());
    let stream = a.message_type.map(|t| t.to_string());
    let what = stream.as_deref().unwrap_or("PTP");
    let from = port
        .as_deref()
        .map_or(String::new(), |p| format!(" from {p}"));
    let n = a.count;
    let largest = fmt_ns(a.largest as f64);
    let kept_out = if a.set_aside > 0 {
        format!("; {} kept out of the estimates", a.set_aside)
    } else {
        String::new()
    };
    let mut figures: Vec<(&'static str, f64)> = Vec::new();
    let text = match a.detail {
        Detail::Sequence {
            expected_after,
            got,
        } => {
            figures.push(("first_sequence_id", f64::from(got)));
            figures.push(("stream_sequence_id", f64::from(expected_after)));
            format!(
                "{n} {what} messages{from} carry sequenceIds outside the stream's progression while it continues (first {got} after {expected_after}): a second sender uses this identity{kept_out}"
            )
        }
        Detail::Timestamp { deviation_ns } => {
            figures.push(("first_deviation_ns", deviation_ns as f64));
            figures.push(("largest_deviation_ns", a.largest as f64));
            format!(
                "{n} {what} messages{from} carry timestamps off the stream's own progression against the capture clock (by up to {largest}) while the genuine ones continue: a second sender uses this identity{kept_out}"
            )
        }
        Detail::Source {
            first_mac,
            other_mac,
            first_ip,
            other_ip,
        } => {
            let addr = |m: Option<crate::wire::link::Mac>, ip: Option<std::net::IpAddr>| {
                let mut s = m.map_or("no MAC".to_string(), |m| m.to_string());
                if let Some(ip) = ip {
                    s.push_str(&format!(" {ip}"));
                }
                s
            };
            format!(
                "{n} {what} messages{from} come from a second source ({}) while the first ({}) keeps sending: two senders share one identity{kept_out}",
                addr(other_mac, other_ip),
                addr(first_mac, first_ip)
            )
        }
        Detail::Altered { deviation_ns } => {
            figures.push(("first_deviation_ns", deviation_ns as f64));
            figures.push(("largest_deviation_ns", a.largest as f64));
            format!(
                "{n} {what} messages{from} carry the sequenceId of an earlier message with another timestamp (up to {largest} from it): altered copies, not the master's{kept_out}"
            )
        }
        Detail::Repeat { .. } => {
            figures.push(("largest_age_ns", a.largest as f64));
            format!(
                "{n} {what} messages{from} repeat earlier ones (same sequenceId and timestamp) more than 1 s later, up to {largest}: replayed{kept_out}"
            )
        }
        Detail::Backwards { .. } => {
            figures.push(("largest_behind_ns", a.largest as f64));
            format!(
                "{n} {what} messages{from} carry old sequenceIds with timestamps from the stream's past (up to {largest} behind its latest): the master's timestamps go backwards, replayed or delayed copies{kept_out}"
            )
        }
        Detail::NewcomerWins {
            master,
            grandmaster,
        } => format!(
            "{} announces grandmaster {grandmaster}, better than what the master {master} announces, and keeps on while that master does ({n} Announce messages past the announce receipt timeout): a source that was not the master wins the best-master comparison",
            port.as_deref().unwrap_or("a port")
        ),
        Detail::ConflictingDataset { other, grandmaster } => format!(
            "{} announces grandmaster {grandmaster} with another dataset (priorities, clock quality or time source) than {other} announces it with ({n} Announce messages): it claims an identity that is not its own to give",
            port.as_deref().unwrap_or("a port")
        ),
        Detail::Flapping { .. } => {
            figures.push(("largest_changes_in_60_s", a.largest as f64));
            format!(
                "{n} grandmaster changes in bursts of 3 or more within 60 s (up to {} in one): the grandmaster is flapping, an unstable grandmaster or a rogue one winning the best-master comparison by turns",
                a.largest
            )
        }
        Detail::Flood {
            expected_interval_ns,
            ..
        } => {
            let expected = 1e9 / expected_interval_ns.max(1) as f64;
            figures.push(("largest_per_s", a.largest as f64));
            figures.push(("expected_per_s", expected));
            format!(
                "{what}{from} at up to {} per second where {expected:.3} per second is advertised or asked for (4 times or more over a whole second): a flood of {n} messages",
                a.largest
            )
        }
        Detail::Nanoseconds { value } => {
            figures.push(("first_value", f64::from(value)));
            format!(
                "{n} {what} messages{from} with a nanoseconds field of 10^9 or more (first {value})"
            )
        }
        Detail::ReservedMessageType { value } => {
            format!("{n} messages{from} of the reserved messageType 0x{value:x}")
        }
        Detail::ReservedMinorVersion { value } => {
            format!(
                "{n} {what} messages{from} with minorVersionPTP {value}, which no edition defines"
            )
        }
        Detail::VersionMismatch { value } => {
            figures.push(("first_value", f64::from(value)));
            format!(
                "{n} messages{from} with versionPTP {value}, neither PTPv1 nor PTPv2 (not decoded)"
            )
        }
        Detail::LengthMismatch { declared, actual } => {
            figures.push(("first_message_length", f64::from(declared)));
            figures.push(("first_actual_length", f64::from(actual)));
            format!(
                "{n} messages{from} whose messageLength contradicts the message (first {declared} where the message type's body or the frame captured whole gives {actual}; not decoded)"
            )
        }
        Detail::ReservedClockClass { value } => format!(
            "{n} Announce messages{from} with clockClass {value}, a value IEEE 1588-2019 reserves"
        ),
        Detail::ReservedClockAccuracy { value } => format!(
            "{n} Announce messages{from} with clockAccuracy 0x{value:02x}, a value IEEE 1588-2019 reserves"
        ),
        Detail::ReservedTimeSource { value } => format!(
            "{n} Announce messages{from} with timeSource 0x{value:02x}, a value IEEE 1588-2019 reserves"
        ),
        Detail::PathStep {
            sync_path_ns,
            delay_path_ns,
        } => {
            figures.push(("sync_path_step_ns", sync_path_ns as f64));
            figures.push(("delay_path_step_ns", delay_path_ns as f64));
            let (moved, by, still) = if sync_path_ns != 0 {
                (
                    "master-to-slave delay (t2 − t1)",
                    sync_path_ns,
                    "slave-to-master one (t4 − t3)",
                )
            } else {
                (
                    "slave-to-master delay (t4 − t3)",
                    delay_path_ns,
                    "master-to-slave one (t2 − t1)",
                )
            };
            format!(
                "the {moved} stepped by {} while the {still} did not ({}, largest {largest}): the path's asymmetry changed, a delay attack or a route change; the offset is off by half the step",
                fmt_ns(by as f64),
                times(n)
            )
        }
        Detail::ClockStep { step_ns } => {
            figures.push(("first_step_ns", step_ns as f64));
            format!(
                "the grandmaster's time stepped by {} against the capture clock: t2 − t1 and t4 − t3 moved by the same amount in opposite directions ({}, largest {largest})",
                fmt_ns(step_ns as f64),
                times(n)
            )
        }
        Detail::StreamStep { step_ns } => {
            figures.push(("first_step_ns", step_ns as f64));
            format!(
                "the master's timestamps stepped by {} against the capture clock and stayed ({}, largest {largest}); no Delay exchange was seen to tell a time step from a path change",
                fmt_ns(step_ns as f64),
                times(n)
            )
        }
    };
    let subject = match (point, &port, &stream) {
        (Some(p), Some(port), Some(t)) => format!("{p} {port} {t}"),
        (Some(p), Some(port), None) => format!("{p} {port}"),
        _ => format!("domain {} (majorSdoId {})", a.domain, a.major_sdo_id),
    };
    let mut f = Finding::new(kind_name(a.kind), severity(a.kind), subject, text)
        .count(n)
        .clause(clause(&a.detail))
        .at(point, port.as_deref(), stream.as_deref())
        .span(Some(a.first_ns), Some(a.last_ns), Some(a.first_frame))
        .figure("domain", f64::from(a.domain));
    if a.set_aside > 0 {
        f = f.figure("set_aside", a.set_aside as f64);
    }
    for (k, v) in figures {
        f = f.figure(k, v);
    }
    f
}

/// The findings of a summary's alerts. Spoofed messages make a finding
/// from [`MIN_SPOOFED`] on: one message off a stream may be a capture
/// clock's step; they are kept out of the estimates either way.
pub fn findings(s: &Summary) -> Vec<Finding> {
    s.alerts
        .iter()
        .filter(|(a, _)| a.kind != Kind::SpoofedMessages || a.count >= MIN_SPOOFED)
        .map(|(a, p)| finding(a, p.as_deref()))
        .collect()
}
