//! Outputs: the one layer that names capture points, words findings and
//! owns the schemas. Of decoded messages: one record per PTP message, as
//! concise text, JSON Lines or CSV (the record schema is documented in the
//! README, "JSON record"; [`Record`] is its single source). Of an analysis:
//! the [`Summary`] (JSON schema and text) built from the trackers' plain
//! results, the [`Analysis`] with its findings, and the report folder
//! ([`folder`]).

pub mod estimates;
pub(crate) mod findings;
pub mod folder;
mod json;
pub mod summary;
mod text;

pub use findings::profile::PROFILE_KINDS;
pub use findings::security::ATTACK_KINDS;
pub use findings::{Analysis, Evidence, Finding, Severity, findings};
pub use summary::{Summary, fmt_ns};

use std::io::{self, Write};
use std::net::IpAddr;

use serde::Serialize;

use crate::wire::link::{Mac, PtpFrame};
use crate::wire::message::v1::V1Message;
use crate::wire::tunnel::Encapsulations;
use crate::wire::{Body, Header, Message, MessageType, PortIdentity, Ptp, Timestamp, Tlv};

/// Output formats of `ptpscope decode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One concise line per message, like `tshark`.
    Text,
    /// JSON Lines: one object per message.
    Json,
    /// CSV with a header row.
    Csv,
    /// Decode everything, print only the summary (for timing the decoder).
    Count,
}

/// Where a message was seen.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub point: &'a str,
    pub frame: u64,
    pub time_ns: Option<i64>,
}

pub use crate::pipeline::Content;

/// One output record.
pub struct Record<'a> {
    pub seen: Seen<'a>,
    pub link: Option<&'a PtpFrame<'a>>,
    pub content: &'a Content<'a>,
}

/// A message type name: the v2 type, or a v1 control name.
#[derive(Clone, Copy)]
enum TypeName {
    V2(MessageType),
    V1(&'static str),
}

impl std::fmt::Display for TypeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeName::V2(t) => t.fmt(f),
            TypeName::V1(n) => f.write_str(n),
        }
    }
}

/// A source port: v2 PortIdentity or v1 uuid-port.
#[derive(Clone, Copy)]
enum SourcePort<'a> {
    V2(PortIdentity),
    V1(&'a V1Message<'a>),
}

impl std::fmt::Display for SourcePort<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourcePort::V2(p) => p.fmt(f),
            SourcePort::V1(m) => m.fmt(f),
        }
    }
}

#[derive(Serialize)]
struct ErrorJson {
    field: &'static str,
    offset: usize,
    message: String,
}

/// The values of one record, shared by the JSON and CSV writers.
struct Fields<'r, 'a> {
    point: &'a str,
    frame: u64,
    time_ns: Option<i64>,
    src_mac: Option<Mac>,
    dst_mac: Option<Mac>,
    vlan: &'r [u16],
    transport: Option<&'static str>,
    /// The encapsulations the frame came through, outermost first.
    encapsulation: Option<Encapsulations>,
    src_ip: Option<IpAddr>,
    dst_ip: Option<IpAddr>,
    src_port: Option<u16>,
    dst_port: Option<u16>,
    message_type: Option<TypeName>,
    version: Option<&'static str>,
    major_sdo_id: Option<u8>,
    minor_sdo_id: Option<u8>,
    message_length: Option<u16>,
    domain: Option<u8>,
    sequence_id: Option<u16>,
    source_port: Option<SourcePort<'a>>,
    flags: Option<Header>,
    correction_scaled: Option<i64>,
    correction_ns: Option<f64>,
    control_field: Option<u8>,
    log_message_interval: Option<i8>,
    timestamp: Option<Timestamp>,
    requesting_port: Option<PortIdentity>,
    body: Option<&'r Body<'a>>,
    tlvs: Vec<Tlv<'a>>,
    trailing_bytes: usize,
    v1: Option<V1Json>,
    error: Option<ErrorJson>,
}

#[derive(Serialize)]
struct V1Json {
    subdomain: String,
    control: u8,
    flags: u16,
}

fn version_str(h: &Header) -> &'static str {
    match (h.version_ptp, h.minor_version_ptp) {
        (2, 0) => "2.0",
        (2, 1) => "2.1",
        _ => "2.x",
    }
}

impl<'a> Record<'a> {
    fn header(&self) -> Option<Header> {
        match self.content {
            Content::Ptp(Ptp::V2(m)) => Some(m.header),
            Content::Malformed(m) => m.partial.as_ref().map(|p| p.header),
            _ => None,
        }
    }

    fn fields<'r>(&'r self, body: &'r Option<Body<'a>>) -> Fields<'r, 'r> {
        let l = self.link;
        let h = self.header();
        let mut j = Fields {
            point: self.seen.point,
            frame: self.seen.frame,
            time_ns: self.seen.time_ns,
            src_mac: l.and_then(|l| l.src_mac),
            dst_mac: l.and_then(|l| l.dst_mac),
            vlan: l.map_or(&[][..], |l| l.vlans.as_slice()),
            transport: l.map(|l| l.transport.as_str()),
            encapsulation: l.map(|l| l.encapsulations),
            src_ip: l.and_then(|l| l.src_ip),
            dst_ip: l.and_then(|l| l.dst_ip),
            src_port: l.and_then(|l| l.src_port),
            dst_port: l.and_then(|l| l.dst_port),
            message_type: h.map(|h| TypeName::V2(h.message_type)),
            version: h.as_ref().map(version_str),
            major_sdo_id: h.map(|h| h.major_sdo_id),
            minor_sdo_id: h.map(|h| h.minor_sdo_id),
            message_length: h.map(|h| h.message_length),
            domain: h.map(|h| h.domain_number),
            sequence_id: h.map(|h| h.sequence_id),
            source_port: h.map(|h| SourcePort::V2(h.source_port_identity)),
            flags: h,
            correction_scaled: h.map(|h| h.correction_field.0),
            correction_ns: h.map(|h| h.correction_field.nanos_f64()),
            control_field: h.map(|h| h.control_field),
            log_message_interval: h.map(|h| h.log_message_interval),
            timestamp: None,
            requesting_port: None,
            body: body.as_ref(),
            tlvs: Vec::new(),
            trailing_bytes: 0,
            v1: None,
            error: None,
        };
        match self.content {
            Content::Ptp(Ptp::V2(m)) => {
                j.timestamp = m.body.timestamp();
                j.requesting_port = m.body.requesting_port_identity();
                j.tlvs = m.tlvs().filter_map(Result::ok).collect();
                j.trailing_bytes = m.trailer.len();
            }
            Content::Ptp(Ptp::V1(m)) => {
                j.message_type = Some(TypeName::V1(m.message_name().unwrap_or("Reserved")));
                j.version = Some("1");
                j.sequence_id = Some(m.sequence_id);
                j.source_port = Some(SourcePort::V1(m));
                j.timestamp = m.timestamp().map(|t| Timestamp {
                    seconds: u64::from(t.seconds),
                    nanoseconds: t.nanoseconds.max(0) as u32,
                });
                j.v1 = Some(V1Json {
                    subdomain: m.subdomain_name(),
                    control: m.control,
                    flags: m.flags,
                });
            }
            Content::Malformed(m) => {
                // What decoded before the fault, then the fault.
                if let Some(p) = &m.partial {
                    j.timestamp = p.body.and_then(|b| b.timestamp());
                    j.requesting_port = p.body.and_then(|b| b.requesting_port_identity());
                    j.tlvs = p.tlvs().filter_map(Result::ok).collect();
                    j.trailing_bytes = p.trailer.len();
                }
                let e = m.error;
                j.error = Some(ErrorJson {
                    field: e.field,
                    offset: e.offset,
                    message: e.to_string(),
                })
            }
            Content::LinkMalformed(e) => {
                j.error = Some(ErrorJson {
                    field: e.field,
                    offset: e.offset,
                    message: e.to_string(),
                })
            }
        }
        j
    }

    fn body(&self) -> Option<Body<'a>> {
        let body = match self.content {
            Content::Ptp(Ptp::V2(Message { body, .. })) => *body,
            Content::Malformed(m) => m.partial.as_ref()?.body?,
            _ => return None,
        };
        (!matches!(body, Body::Reserved(_))).then_some(body)
    }

    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        let body = self.body();
        json::write(&self.fields(&body), out)?;
        out.write_all(b"\n")
    }

    /// One tshark-like line.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        let s = &self.seen;
        write!(out, "{:>6} ", s.frame)?;
        match s.time_ns {
            Some(t) => write!(
                out,
                "{}.{:09} ",
                t.div_euclid(1_000_000_000),
                t.rem_euclid(1_000_000_000)
            )?,
            None => write!(out, "-.--------- ")?,
        }
        write!(out, "{} ", s.point)?;
        if let Some(l) = self.link {
            match (l.src_ip, l.dst_ip, l.src_mac, l.dst_mac) {
                (Some(a), Some(b), _, _) => write!(out, "{a} → {b} ")?,
                (_, _, Some(a), Some(b)) => write!(out, "{a} → {b} ")?,
                (_, _, Some(a), None) => write!(out, "{a} → ? ")?,
                _ => {}
            }
            for e in l.encapsulations.iter() {
                write!(out, "via {e} ")?;
            }
            let v = l.vlans.as_slice();
            if !v.is_empty() {
                write!(out, "vlan ")?;
                for (i, id) in v.iter().enumerate() {
                    write!(out, "{}{id}", if i > 0 { "." } else { "" })?;
                }
                write!(out, " ")?;
            }
        }
        match self.content {
            Content::Ptp(Ptp::V2(m)) => {
                let h = &m.header;
                write!(
                    out,
                    "PTPv{} {} dom {} seq {} src {}",
                    version_str(h),
                    h.message_type,
                    h.domain_number,
                    h.sequence_id,
                    h.source_port_identity
                )?;
                if h.correction_field.0 != 0 {
                    write!(out, " corr {} ns", h.correction_field)?;
                }
                if let Some(t) = m.body.timestamp() {
                    write!(out, " ts {t}")?;
                }
                if let Some(p) = m.body.requesting_port_identity() {
                    write!(out, " req {p}")?;
                }
                if h.flags.contains(crate::wire::Flags::TWO_STEP) {
                    write!(out, " two-step")?;
                }
                if h.flags.contains(crate::wire::Flags::UNICAST) {
                    write!(out, " unicast")?;
                }
                for t in m.tlvs().flatten() {
                    write!(out, " [{}]", t.tlv_type)?;
                }
                writeln!(out)
            }
            Content::Ptp(Ptp::V1(m)) => {
                write!(
                    out,
                    "PTPv1 {} subdomain {} seq {} src {}",
                    m.message_name().unwrap_or("Reserved"),
                    m.subdomain_name(),
                    m.sequence_id,
                    m
                )?;
                if let Some(t) = m.timestamp() {
                    write!(out, " ts {}.{:09}", t.seconds, t.nanoseconds)?;
                }
                writeln!(out)
            }
            Content::Malformed(m) => {
                write!(out, "** MALFORMED PTP")?;
                if let Some(p) = &m.partial {
                    let h = &p.header;
                    write!(out, " {} seq {}", h.message_type, h.sequence_id)?;
                    // The TLVs that decoded before the faulty one.
                    for t in p.tlvs().flatten() {
                        write!(out, " [{}]", t.tlv_type)?;
                    }
                }
                writeln!(out, ": {}", m.error)
            }
            Content::LinkMalformed(e) => writeln!(out, "** MALFORMED frame: {e}"),
        }
    }

    pub const CSV_HEADER: &'static str = "point,frame,time_ns,src_mac,dst_mac,vlan,transport,src_ip,dst_ip,message_type,version,domain,sequence_id,source_port,flags,correction_scaled,log_message_interval,timestamp_seconds,timestamp_nanoseconds,requesting_port,tlv_types,error,encapsulation\n";

    /// One CSV row; list fields are joined with `|`.
    pub fn write_csv(&self, out: &mut impl Write) -> io::Result<()> {
        let body = self.body();
        let j = self.fields(&body);
        let opt = |v: Option<String>| v.unwrap_or_default();
        let join = |it: &mut dyn Iterator<Item = String>| it.collect::<Vec<_>>().join("|");
        let fields = [
            j.point.to_owned(),
            j.frame.to_string(),
            opt(j.time_ns.map(|v| v.to_string())),
            opt(j.src_mac.map(|m| m.to_string())),
            opt(j.dst_mac.map(|m| m.to_string())),
            join(&mut j.vlan.iter().map(u16::to_string)),
            opt(j.transport.map(str::to_owned)),
            opt(j.src_ip.map(|v| v.to_string())),
            opt(j.dst_ip.map(|v| v.to_string())),
            opt(j.message_type.map(|t| t.to_string())),
            opt(j.version.map(str::to_owned)),
            opt(j.domain.map(|v| v.to_string())),
            opt(j.sequence_id.map(|v| v.to_string())),
            opt(j.source_port.map(|p| p.to_string())),
            opt(j
                .flags
                .map(|h| join(&mut h.flags.names().map(|n| n.to_string())))),
            opt(j.correction_scaled.map(|v| v.to_string())),
            opt(j.log_message_interval.map(|v| v.to_string())),
            opt(j.timestamp.map(|t| t.seconds.to_string())),
            opt(j.timestamp.map(|t| t.nanoseconds.to_string())),
            opt(j.requesting_port.map(|p| p.to_string())),
            join(&mut j.tlvs.iter().map(|t| t.tlv_type.to_string())),
            opt(j.error.as_ref().map(|e| e.message.clone())),
            join(
                &mut j
                    .encapsulation
                    .iter()
                    .flat_map(|e| e.iter().map(|e| e.to_string())),
            ),
        ];
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write_csv_field(out, f)?;
        }
        out.write_all(b"\n")
    }
}

/// RFC 4180 quoting: fields with a comma, quote or line break are quoted.
fn write_csv_field(out: &mut impl Write, f: &str) -> io::Result<()> {
    if f.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\"", f.replace('"', "\"\""))
    } else {
        out.write_all(f.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        let mut v = vec![];
        write_csv_field(&mut v, "a,b").unwrap();
        write_csv_field(&mut v, "x\"y").unwrap();
        write_csv_field(&mut v, "plain").unwrap();
        assert_eq!(String::from_utf8(v).unwrap(), "\"a,b\"\"x\"\"y\"plain");
    }
}
