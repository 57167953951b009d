//! One frame from link layer to PTP message: [`Decoder::frame`] peels the
//! link headers and encapsulations (`wire::link`, `wire::tunnel`),
//! reassembles IP fragments ([`super::reassembly`]), decodes the PTP
//! message (`wire::decode`, IEEE 1588-2019 §13) and counts what it saw in a
//! [`DecodeSummary`]. Shared by `decode` (which prints each record) and the
//! analysis pipeline.

use super::reassembly::{FragmentCounts, Limits, Reassembler};
use crate::analysis::PointId;
use crate::capture::{Frame, Points};
use crate::wire::link::{self, Found, LinkError, PtpFrame, PtpPorts, Transport};
use crate::wire::tunnel::Encapsulation;
use crate::wire::{self, Malformed, Ptp};

/// What a frame's payload turned out to be.
#[derive(Debug, Clone)]
pub enum Content<'a> {
    Ptp(Ptp<'a>),
    /// The PTP message failed to decode: the error, and what decoded before
    /// it (the header, the body, the TLVs before the faulty one).
    Malformed(Malformed<'a>),
    /// The frame's headers failed on the way to a PTP payload.
    LinkMalformed(LinkError),
}

/// Frames counted by what they turned out to be.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DecodeSummary {
    pub frames: u64,
    pub ptp_v2: u64,
    pub ptp_v1: u64,
    pub malformed_ptp: u64,
    pub malformed_headers: u64,
    /// IP fragments and the datagrams made of them.
    pub fragments: FragmentCounts,
    /// PTP messages that came through an encapsulation (GRE, ERSPAN,
    /// VXLAN, Geneve, MPLS), by its name.
    pub encapsulated: Vec<(&'static str, u64)>,
    /// With `--time-source erspan`: PTP frames without an ERSPAN type III
    /// timestamp, left without a capture time.
    pub without_erspan_time: u64,
    pub not_ptp: u64,
}

impl DecodeSummary {
    /// The one-line summary printed on stderr.
    pub fn line(&self) -> String {
        let f = &self.fragments;
        let mut s = format!(
            "{} frames: {} PTP messages ({} v2, {} v1), {} malformed PTP, {} frames with malformed headers, {} not PTP",
            self.frames,
            self.ptp_v2 + self.ptp_v1 + self.malformed_ptp,
            self.ptp_v2,
            self.ptp_v1,
            self.malformed_ptp,
            self.malformed_headers,
            self.not_ptp
        );
        if f.fragments > 0 {
            s += &format!(
                "; {} IP fragments: {} datagrams reassembled, {} not",
                f.fragments,
                f.reassembled,
                f.failed()
            );
            let reasons: Vec<String> = f.reasons().map(|(r, n)| format!("{n} {r}")).collect();
            if !reasons.is_empty() {
                s += &format!(" ({})", reasons.join(", "));
            }
            if f.late_fragments > 0 {
                s += &format!(
                    ", {} fragments of datagrams already ended ignored",
                    f.late_fragments
                );
            }
        }
        for (name, n) in &self.encapsulated {
            s += &format!("; {n} in {name}");
        }
        if self.without_erspan_time > 0 {
            s += &format!(
                "; {} without an ERSPAN type III timestamp (no capture time)",
                self.without_erspan_time
            );
        }
        s
    }

    fn encapsulated(&mut self, link: &PtpFrame<'_>) {
        for e in link.encapsulations.iter() {
            match self.encapsulated.iter_mut().find(|(n, _)| *n == e.name()) {
                Some((_, n)) => *n += 1,
                None => self.encapsulated.push((e.name(), 1)),
            }
        }
    }
}

/// Which clock gives each frame its capture time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeSource {
    /// The capture file's (or live interface's) timestamps.
    #[default]
    Capture,
    /// The mirroring switch's, from the ERSPAN type III header; frames
    /// without one get no time.
    Erspan,
}

/// Where and when a frame was seen, from the decoder's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timed {
    pub point: PointId,
    /// Capture time, ns since the epoch, from the time source chosen.
    pub time_ns: Option<i64>,
    pub resolution_ns: u32,
}

/// How frames are decoded: the options, and the state that outlives a
/// frame (IP reassembly, the points of mirror sessions).
#[derive(Debug)]
pub struct Decoder {
    pub ports: PtpPorts,
    pub time_source: TimeSource,
    /// Each mirror session or overlay network (ERSPAN session ID, VXLAN or
    /// Geneve VNI, GRE key) becomes a capture point of its own, named
    /// `POINT/erspan2-7`.
    pub point_per_session: bool,
    pub summary: DecodeSummary,
    reassembly: Reassembler,
    /// (capture point, session) → its point.
    sessions: Vec<(PointId, Encapsulation, PointId)>,
}

impl Decoder {
    pub fn new(ports: PtpPorts, time_source: TimeSource, point_per_session: bool) -> Self {
        Decoder {
            ports,
            time_source,
            point_per_session,
            summary: DecodeSummary::default(),
            reassembly: Reassembler::new(Limits::default()),
            sessions: Vec::new(),
        }
    }

    /// Decodes one frame and hands its record (if it carries PTP) to `out`:
    /// its capture point and time, the points' names, the link record
    /// (`None` when the link headers themselves were bad) and the content.
    /// A fragment that completes a UDP datagram hands out the datagram's
    /// message, with this frame's addresses. Returns the frame's point and
    /// time, record or not.
    pub fn frame<'a>(
        &mut self,
        frame: &Frame<'a>,
        points: &mut Points,
        out: impl for<'b> FnOnce(&Timed, &Points, Option<&PtpFrame<'b>>, &Content<'b>),
    ) -> Timed {
        let Decoder {
            ports,
            time_source,
            point_per_session,
            summary,
            reassembly,
            sessions,
        } = self;
        summary.frames += 1;
        let mut stamp = |link: Option<&PtpFrame<'_>>, summary: &mut DecodeSummary| {
            let (time_ns, resolution_ns) = match (*time_source, link) {
                (TimeSource::Capture, _) => (frame.time_ns, frame.resolution_ns),
                (TimeSource::Erspan, None) => (None, frame.resolution_ns),
                (TimeSource::Erspan, Some(l)) => {
                    match l.erspan_timestamp.and_then(|t| t.to_ns(frame.time_ns)) {
                        Some((t, r)) => (Some(t), r),
                        None => {
                            summary.without_erspan_time += 1;
                            (None, frame.resolution_ns)
                        }
                    }
                }
            };
            let point = match link.and_then(|l| l.encapsulations.session()) {
                Some(session) if *point_per_session => {
                    session_point(sessions, points, frame.point, session)
                }
                _ => frame.point,
            };
            Timed {
                point,
                time_ns,
                resolution_ns,
            }
        };
        // The frame's headers are written into `p` in place; a fragment
        // that completes its datagram gives the datagram.
        let mut p = PtpFrame::bare(Transport::L2);
        let mut found = link::peel_into(frame.link, frame.data, ports, &mut p);
        if let Ok(Found::Fragment(part)) = found {
            let complete = reassembly.add(frame.point, frame.time_ns, &part.with(p));
            summary.fragments = reassembly.counts;
            if !complete {
                return stamp(None, summary);
            }
            found = link::peel_datagram_into(reassembly.datagram(), ports, &mut p);
        }
        match found {
            Ok(Found::Ptp) => {
                let content = content(summary, &p);
                let t = stamp(Some(&p), summary);
                out(&t, points, Some(&p), &content);
                t
            }
            Ok(Found::NotPtp | Found::Fragment(_)) => {
                summary.not_ptp += 1;
                stamp(None, summary)
            }
            Err(e) if e.ptp_bound => {
                summary.malformed_ptp += 1;
                let t = stamp(None, summary);
                out(&t, points, None, &Content::LinkMalformed(e));
                t
            }
            Err(_) => {
                summary.malformed_headers += 1;
                stamp(None, summary)
            }
        }
    }

    /// At the end of the input: fragments still pending are counted.
    pub fn finish(&mut self) {
        self.reassembly.finish();
        self.summary.fragments = self.reassembly.counts;
    }
}

/// The point of a mirror session seen at capture point `point`, named
/// `POINT/erspan2-7`, added to `points` when first seen.
fn session_point(
    sessions: &mut Vec<(PointId, Encapsulation, PointId)>,
    points: &mut Points,
    point: PointId,
    session: Encapsulation,
) -> PointId {
    if let Some(&(_, _, p)) = sessions
        .iter()
        .find(|&&(p, s, _)| p == point && s == session)
    {
        return p;
    }
    let name = format!("{}/{session}", points.name(point));
    let p = points.intern(&name);
    sessions.push((point, session, p));
    p
}

/// Decodes the PTP payload of `p`, counting it.
fn content<'b>(summary: &mut DecodeSummary, p: &PtpFrame<'b>) -> Content<'b> {
    summary.encapsulated(p);
    match wire::decode(p.payload) {
        Ok(m) => {
            match m {
                Ptp::V2(_) => summary.ptp_v2 += 1,
                Ptp::V1(_) => summary.ptp_v1 += 1,
            }
            Content::Ptp(m)
        }
        Err(m) => {
            summary.malformed_ptp += 1;
            Content::Malformed(m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::link::LinkType;

    fn frame(data: &[u8]) -> Frame<'_> {
        Frame {
            point: 0,
            number: 1,
            time_ns: Some(0),
            resolution_ns: 1,
            link: LinkType::Ethernet,
            data,
            orig_len: data.len() as u32,
            file_offset: 0,
        }
    }

    /// An L2 two-step Sync (ethertype 0x88F7), lab-l2-e2e.pcap frame 2.
    const L2_SYNC: [u8; 58] = [
        0x01, 0x1b, 0x19, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0xf7, 0x00,
        0x02, 0x00, 0x2c, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
        0x00, 0x00, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn counts_each_kind_of_frame() {
        let mut d = Decoder::new(PtpPorts::default(), TimeSource::Capture, false);
        let mut seen = Vec::new();
        let mut points = Points::default();
        d.frame(&frame(&L2_SYNC), &mut points, |_, _, link, c| {
            seen.push((link.is_some(), matches!(c, Content::Ptp(Ptp::V2(_)))))
        });
        // The same frame cut inside the common header: malformed PTP.
        d.frame(&frame(&L2_SYNC[..30]), &mut points, |_, _, link, c| {
            seen.push((link.is_some(), matches!(c, Content::Malformed(..))))
        });
        // Another ethertype: not PTP, nothing handed out.
        let mut arp = L2_SYNC;
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        d.frame(&frame(&arp), &mut points, |_, _, _, _| panic!("not PTP"));
        assert_eq!(seen, [(true, true), (true, true)]);
        let s = d.summary;
        assert_eq!(
            s,
            DecodeSummary {
                frames: 3,
                ptp_v2: 1,
                malformed_ptp: 1,
                not_ptp: 1,
                ..Default::default()
            }
        );
        assert!(
            s.line()
                .starts_with("3 frames: 2 PTP messages (1 v2, 0 v1), 1 malformed PTP")
        );
    }
}
