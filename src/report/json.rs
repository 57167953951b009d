//! The JSON Lines writer for [`Fields`]: hand-rolled for the record's fixed
//! keys (written as pre-built literals, integers through `itoa`), with
//! serde_json for the nested, variable parts (body, TLVs, v1, error).
//!
//! With serde's derive, escaping the thirty-odd constant keys of every record
//! took a third of `decode --format json`; see the README's performance table.

use std::io::{self, Write};
use std::net::IpAddr;

use crate::wire::link::Mac;
use crate::wire::types::hex_into;
use crate::wire::{PortIdentity, Timestamp};

use super::{Fields, SourcePort, TypeName};

/// `,"key":` (or `{"key":` for the first key) as a byte literal.
macro_rules! key {
    ($k:literal) => {
        concat!(",\"", $k, "\":").as_bytes()
    };
}

struct Out<'w, W: Write> {
    w: &'w mut W,
}

impl<W: Write> Out<'_, W> {
    fn raw(&mut self, b: &[u8]) -> io::Result<()> {
        self.w.write_all(b)
    }

    fn int(&mut self, v: impl itoa::Integer) -> io::Result<()> {
        self.raw(itoa::Buffer::new().format(v).as_bytes())
    }

    fn opt_int(&mut self, v: Option<impl itoa::Integer>) -> io::Result<()> {
        match v {
            Some(v) => self.int(v),
            None => self.raw(b"null"),
        }
    }

    /// A string that needs no escaping (ASCII names, hex, addresses).
    fn plain(&mut self, s: &str) -> io::Result<()> {
        debug_assert!(!needs_escape(s));
        self.raw(b"\"")?;
        self.raw(s.as_bytes())?;
        self.raw(b"\"")
    }

    /// Any string, escaped as JSON requires.
    fn string(&mut self, s: &str) -> io::Result<()> {
        if needs_escape(s) {
            serde_json::to_writer(&mut *self.w, s).map_err(io::Error::from)
        } else {
            self.plain(s)
        }
    }

    fn opt_plain(&mut self, s: Option<&str>) -> io::Result<()> {
        match s {
            Some(s) => self.plain(s),
            None => self.raw(b"null"),
        }
    }

    /// A value whose `Display` needs no escaping, quoted.
    fn display(&mut self, v: &dyn std::fmt::Display) -> io::Result<()> {
        write!(self.w, "\"{v}\"")
    }

    fn mac(&mut self, m: Option<Mac>) -> io::Result<()> {
        match m {
            Some(m) => {
                let mut buf = [0; 32];
                self.plain(hex_into(&m.0, &[1, 2, 3, 4, 5], b':', &mut buf))
            }
            None => self.raw(b"null"),
        }
    }

    fn ip(&mut self, ip: Option<IpAddr>) -> io::Result<()> {
        match ip {
            Some(IpAddr::V4(ip)) => {
                let [a, b, c, d] = ip.octets();
                self.raw(b"\"")?;
                self.int(a)?;
                self.raw(b".")?;
                self.int(b)?;
                self.raw(b".")?;
                self.int(c)?;
                self.raw(b".")?;
                self.int(d)?;
                self.raw(b"\"")
            }
            Some(ip) => self.display(&ip),
            None => self.raw(b"null"),
        }
    }

    fn port_identity(&mut self, p: PortIdentity) -> io::Result<()> {
        let mut buf = [0; 32];
        self.raw(b"\"")?;
        self.raw(hex_into(&p.clock_identity.0, &[3, 5], b'.', &mut buf).as_bytes())?;
        self.raw(b"-")?;
        self.int(p.port_number)?;
        self.raw(b"\"")
    }

    fn timestamp(&mut self, t: Option<Timestamp>) -> io::Result<()> {
        match t {
            Some(t) => {
                self.raw(b"{\"seconds\":")?;
                self.int(t.seconds)?;
                self.raw(b",\"nanoseconds\":")?;
                self.int(t.nanoseconds)?;
                self.raw(b"}")
            }
            None => self.raw(b"null"),
        }
    }

    fn serde(&mut self, v: &impl serde::Serialize) -> io::Result<()> {
        serde_json::to_writer(&mut *self.w, v).map_err(io::Error::from)
    }
}

/// Whether `s` holds a character JSON must escape.
fn needs_escape(s: &str) -> bool {
    s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Writes one record as a JSON object (no newline).
pub(super) fn write(j: &Fields<'_, '_>, w: &mut impl Write) -> io::Result<()> {
    let mut o = Out { w };
    o.raw(b"{\"point\":")?;
    o.string(j.point)?;
    o.raw(key!("frame"))?;
    o.int(j.frame)?;
    o.raw(key!("time_ns"))?;
    o.opt_int(j.time_ns)?;
    o.raw(key!("src_mac"))?;
    o.mac(j.src_mac)?;
    o.raw(key!("dst_mac"))?;
    o.mac(j.dst_mac)?;
    o.raw(key!("vlan"))?;
    o.raw(b"[")?;
    for (i, v) in j.vlan.iter().enumerate() {
        if i > 0 {
            o.raw(b",")?;
        }
        o.int(*v)?;
    }
    o.raw(b"]")?;
    o.raw(key!("transport"))?;
    o.opt_plain(j.transport)?;
    o.raw(key!("encapsulation"))?;
    o.raw(b"[")?;
    for (i, e) in j.encapsulation.iter().flat_map(|e| e.iter()).enumerate() {
        if i > 0 {
            o.raw(b",")?;
        }
        o.display(&e)?;
    }
    o.raw(b"]")?;
    o.raw(key!("src_ip"))?;
    o.ip(j.src_ip)?;
    o.raw(key!("dst_ip"))?;
    o.ip(j.dst_ip)?;
    o.raw(key!("src_port"))?;
    o.opt_int(j.src_port)?;
    o.raw(key!("dst_port"))?;
    o.opt_int(j.dst_port)?;
    o.raw(key!("message_type"))?;
    match j.message_type {
        Some(TypeName::V2(t)) => match t.name() {
            Some(n) => o.plain(n)?,
            None => o.display(&t)?,
        },
        Some(TypeName::V1(n)) => o.plain(n)?,
        None => o.raw(b"null")?,
    }
    o.raw(key!("version"))?;
    o.opt_plain(j.version)?;
    o.raw(key!("major_sdo_id"))?;
    o.opt_int(j.major_sdo_id)?;
    o.raw(key!("minor_sdo_id"))?;
    o.opt_int(j.minor_sdo_id)?;
    o.raw(key!("message_length"))?;
    o.opt_int(j.message_length)?;
    o.raw(key!("domain"))?;
    o.opt_int(j.domain)?;
    o.raw(key!("sequence_id"))?;
    o.opt_int(j.sequence_id)?;
    o.raw(key!("source_port"))?;
    match j.source_port {
        Some(SourcePort::V2(p)) => o.port_identity(p)?,
        Some(p @ SourcePort::V1(_)) => o.display(&p)?,
        None => o.raw(b"null")?,
    }
    o.raw(key!("flags"))?;
    match j.flags {
        Some(h) => {
            o.raw(b"[")?;
            for (i, n) in h.flags.names().enumerate() {
                if i > 0 {
                    o.raw(b",")?;
                }
                match n {
                    crate::wire::header::FlagName::Named(s) => o.plain(s)?,
                    n => o.display(&n)?,
                }
            }
            o.raw(b"]")?;
        }
        None => o.raw(b"null")?,
    }
    o.raw(key!("correction_scaled"))?;
    o.opt_int(j.correction_scaled)?;
    o.raw(key!("correction_ns"))?;
    o.serde(&j.correction_ns)?;
    o.raw(key!("control_field"))?;
    o.opt_int(j.control_field)?;
    o.raw(key!("log_message_interval"))?;
    o.opt_int(j.log_message_interval)?;
    o.raw(key!("timestamp"))?;
    o.timestamp(j.timestamp)?;
    o.raw(key!("requesting_port"))?;
    match j.requesting_port {
        Some(p) => o.port_identity(p)?,
        None => o.raw(b"null")?,
    }
    o.raw(key!("body"))?;
    o.serde(&j.body)?;
    o.raw(key!("tlvs"))?;
    o.serde(&j.tlvs)?;
    o.raw(key!("trailing_bytes"))?;
    o.int(j.trailing_bytes)?;
    if let Some(v1) = &j.v1 {
        o.raw(key!("v1"))?;
        o.serde(v1)?;
    }
    if let Some(e) = &j.error {
        o.raw(key!("error"))?;
        o.serde(e)?;
    }
    o.raw(b"}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_is_detected() {
        assert!(!needs_escape("lab-l2 e2e/π"));
        assert!(needs_escape("a\"b"));
        assert!(needs_escape("a\\b"));
        assert!(needs_escape("tab\there"));
    }

    #[test]
    fn point_names_are_escaped() {
        let mut v = vec![];
        Out { w: &mut v }.string("a\"b\n").unwrap();
        assert_eq!(v, br#""a\"b\n""#);
    }
}
