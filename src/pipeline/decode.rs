//! One frame from link layer to PTP message: [`decode_frame`] peels the
//! link headers (`wire::link`), decodes the PTP message (`wire::decode`,
//! IEEE 1588-2019 §13) and counts what it saw in a [`DecodeSummary`].
//! Shared by `decode` (which prints each record) and the analysis pipeline.

use crate::capture::Frame;
use crate::wire::link::{self, LinkError, Peeled, PtpFrame, PtpPorts};
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
    pub fragments: u64,
    pub not_ptp: u64,
}

impl DecodeSummary {
    /// The one-line summary printed on stderr.
    pub fn line(&self) -> String {
        format!(
            "{} frames: {} PTP messages ({} v2, {} v1), {} malformed PTP, {} fragments skipped, {} frames with malformed headers, {} not PTP",
            self.frames,
            self.ptp_v2 + self.ptp_v1 + self.malformed_ptp,
            self.ptp_v2,
            self.ptp_v1,
            self.malformed_ptp,
            self.fragments,
            self.malformed_headers,
            self.not_ptp
        )
    }
}

/// Decodes one frame and hands its record (if it carries PTP) to `out`:
/// the link record (`None` when the link headers themselves were bad) and
/// the content.
pub fn decode_frame<'a>(
    frame: &Frame<'a>,
    ports: &'a PtpPorts,
    summary: &mut DecodeSummary,
    out: impl FnOnce(Option<&PtpFrame<'a>>, Content<'a>),
) {
    summary.frames += 1;
    match link::peel(frame.link, frame.data, ports) {
        Ok(Peeled::Ptp(p)) => {
            let content = match wire::decode(p.payload) {
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
            };
            out(Some(&p), content)
        }
        Ok(Peeled::Fragment) => summary.fragments += 1,
        Ok(Peeled::NotPtp) => summary.not_ptp += 1,
        Err(e) if e.ptp_bound => {
            summary.malformed_ptp += 1;
            out(None, Content::LinkMalformed(e))
        }
        Err(_) => summary.malformed_headers += 1,
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
        let ports = PtpPorts::with_extra(&[]);
        let mut s = DecodeSummary::default();
        let mut seen = Vec::new();
        decode_frame(&frame(&L2_SYNC), &ports, &mut s, |link, c| {
            seen.push((link.is_some(), matches!(c, Content::Ptp(Ptp::V2(_)))))
        });
        // The same frame cut inside the common header: malformed PTP.
        decode_frame(&frame(&L2_SYNC[..30]), &ports, &mut s, |link, c| {
            seen.push((link.is_some(), matches!(c, Content::Malformed(..))))
        });
        // Another ethertype: not PTP, nothing handed out.
        let mut arp = L2_SYNC;
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        decode_frame(&frame(&arp), &ports, &mut s, |_, _| panic!("not PTP"));
        assert_eq!(seen, [(true, true), (true, true)]);
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
