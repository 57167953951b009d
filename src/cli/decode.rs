//! `ptpscope decode`: every PTP message of the inputs, in capture order.

use std::io::{self, Write};

use crate::capture::{self, Frame, Points};
use crate::report::{Content, Format, Record, Seen};
use crate::wire::link::{self, Peeled, PtpPorts};
use crate::wire::message::decode_header;
use crate::wire::{self, Ptp};

use super::{DecodeArgs, inputs};

/// Counts kept while decoding, reported on stderr at the end.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub frames: u64,
    pub ptp_v2: u64,
    pub ptp_v1: u64,
    pub malformed_ptp: u64,
    pub malformed_headers: u64,
    pub fragments: u64,
    pub not_ptp: u64,
}

impl Summary {
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

/// Decodes one frame and hands its record (if it carries PTP) to `out`.
pub fn decode_frame<'a>(
    frame: &Frame<'a>,
    ports: &'a PtpPorts,
    summary: &mut Summary,
    out: impl FnOnce(Option<&link::PtpFrame<'a>>, Content<'a>),
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
                Err(e) => {
                    summary.malformed_ptp += 1;
                    let h = if p.payload.get(1).is_some_and(|b| b & 0x0f == 2) {
                        decode_header(p.payload).ok()
                    } else {
                        None
                    };
                    Content::Malformed(e, h)
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

pub fn run(args: &DecodeArgs) -> anyhow::Result<i32> {
    let inputs = inputs(&args.files, &args.point).map_err(anyhow::Error::msg)?;
    let ports = PtpPorts::with_extra(&args.udp_port);
    let stdout = io::stdout();
    let mut stdout = stdout.lock();
    // Records are built in `out` and handed to stdout in large writes.
    let mut out: Vec<u8> = Vec::with_capacity(1 << 17);
    if args.format == Format::Csv {
        out.write_all(Record::CSV_HEADER.as_bytes())?;
    }
    let mut points = Points::default();
    let mut status = 0;
    for input in &inputs {
        let mut summary = Summary::default();
        let mut io_error: Option<io::Error> = None;
        let r = capture::read_file(
            &input.path,
            input.name.as_deref(),
            &mut points,
            |frame, points| {
                if io_error.is_some() {
                    return;
                }
                decode_frame(frame, &ports, &mut summary, |link, content| {
                    let record = Record {
                        seen: Seen {
                            point: points.name(frame.point),
                            frame: frame.number,
                            time_ns: frame.time_ns,
                        },
                        link,
                        content,
                    };
                    let r = match args.format {
                        Format::Text => record.write_text(&mut out),
                        Format::Json => record.write_json(&mut out),
                        Format::Csv => record.write_csv(&mut out),
                        Format::Count => Ok(()),
                    };
                    let r = r.and_then(|()| {
                        if out.len() >= 1 << 16 {
                            stdout.write_all(&out)?;
                            out.clear();
                        }
                        Ok(())
                    });
                    if let Err(e) = r {
                        io_error = Some(e);
                    }
                });
            },
        );
        if let Some(e) = io_error {
            return Err(e.into());
        }
        stdout.write_all(&out)?;
        out.clear();
        stdout.flush()?;
        eprintln!("ptpscope: {}: {}", input.path.display(), summary.line());
        if let Err(e) = r {
            eprintln!("ptpscope: error: {e}");
            status = 1;
        }
    }
    Ok(status)
}
