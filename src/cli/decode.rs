//! `ptpscope decode`: every PTP message of the inputs, in capture order,
//! in the chosen record format.

use std::io::{self, Write};

use crate::capture::{self, Points};
use crate::report::{Format, Record, Seen};

use super::{DecodeArgs, inputs};

pub fn run(args: &DecodeArgs) -> anyhow::Result<i32> {
    let inputs = inputs(&args.files, &args.point).map_err(anyhow::Error::msg)?;
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
        let mut decoder = args.decoding.decoder();
        let mut io_error: Option<io::Error> = None;
        let r = capture::read_file(
            &input.path,
            input.name.as_deref(),
            &mut points,
            |frame, points| {
                if io_error.is_some() {
                    return;
                }
                decoder.frame(frame, points, |t, points, link, content| {
                    let record = Record {
                        seen: Seen {
                            point: points.name(t.point),
                            frame: frame.number,
                            time_ns: t.time_ns,
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
        decoder.finish();
        // A file that could not be read at all gets its error alone.
        if r.is_ok() || decoder.summary.frames > 0 {
            eprintln!(
                "ptpscope: {}: {}",
                input.path.display(),
                decoder.summary.line()
            );
        }
        if let Err(e) = r {
            eprintln!("ptpscope: error: {e}");
            status = 1;
        }
    }
    Ok(status)
}
