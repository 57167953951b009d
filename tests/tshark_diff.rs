//! Differential test against Wireshark: for every capture in `captures/` and
//! `../shared/captures/`, every PTPv2 message's type, domain, sequenceId,
//! correctionField, sourcePortIdentity, principal timestamp and
//! requestingPortIdentity equal what `tshark -T fields` reports.
//! Skipped, with a note, when tshark is not installed.

mod common;

use std::collections::HashMap;

use serde_json::Value;

const FIELDS: &[&str] = &[
    "frame.number",
    "ptp.v2.messagetype",
    "ptp.v2.domainnumber",
    "ptp.v2.sequenceid",
    "ptp.v2.correction.ns",
    "ptp.v2.correction.subns",
    "ptp.v2.clockidentity",
    "ptp.v2.sourceportid",
    "ptp.v2.sdr.origintimestamp.seconds",
    "ptp.v2.sdr.origintimestamp.nanoseconds",
    "ptp.v2.fu.preciseorigintimestamp.seconds",
    "ptp.v2.fu.preciseorigintimestamp.nanoseconds",
    "ptp.v2.dr.receivetimestamp.seconds",
    "ptp.v2.dr.receivetimestamp.nanoseconds",
    "ptp.v2.pdrq.origintimestamp.seconds",
    "ptp.v2.pdrq.origintimestamp.nanoseconds",
    "ptp.v2.pdrs.requestreceipttimestamp.seconds",
    "ptp.v2.pdrs.requestreceipttimestamp.nanoseconds",
    "ptp.v2.pdfu.responseorigintimestamp.seconds",
    "ptp.v2.pdfu.responseorigintimestamp.nanoseconds",
    "ptp.v2.an.origintimestamp.seconds",
    "ptp.v2.an.origintimestamp.nanoseconds",
    "ptp.v2.dr.requestingsourceportidentity",
    "ptp.v2.dr.requestingsourceportid",
    "ptp.v2.pdrs.requestingportidentity",
    "ptp.v2.pdrs.requestingsourceportid",
    "ptp.v2.pdfu.requestingportidentity",
    "ptp.v2.pdfu.requestingsourceportid",
];

fn num(s: &str) -> u64 {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap_or_else(|_| panic!("hex {s}")),
        // tshark shows FT_INT32 fields (nanoseconds) signed.
        None => match s.parse::<u64>() {
            Ok(v) => v,
            Err(_) => s.parse::<i64>().unwrap_or_else(|_| panic!("number {s}")) as u64,
        },
    }
}

/// "001b19.fffe.000001-1" -> (clock identity as u64, port number).
fn port(s: &str) -> (u64, u64) {
    let (c, p) = s.rsplit_once('-').unwrap();
    (
        u64::from_str_radix(&c.replace('.', ""), 16).unwrap(),
        p.parse().unwrap(),
    )
}

#[test]
fn every_ptp_message_matches_tshark() {
    if !common::have("tshark") {
        return;
    }
    let files = common::capture_files();
    assert!(!files.is_empty(), "no captures found");
    let mut compared = 0;
    for file in &files {
        let tshark = common::tshark_ptp_fields(file, FIELDS);

        let ours: HashMap<u64, Value> = common::decode_json(file)
            .into_iter()
            .filter(|r| r["version"].as_str().is_some_and(|v| v.starts_with('2')))
            .map(|r| (r["frame"].as_u64().unwrap(), r))
            .collect();
        let mut lines = 0;
        for line in tshark.lines() {
            lines += 1;
            let f: HashMap<&str, &str> = FIELDS.iter().copied().zip(line.split('\t')).collect();
            let frame = num(f["frame.number"]);
            let num = |s: &str| {
                if s.is_empty() {
                    panic!("{}: empty field in {line:?}", file.display())
                } else {
                    num(s)
                }
            };
            let ctx = format!("{} frame {frame}", file.display());
            let r = ours
                .get(&frame)
                .unwrap_or_else(|| panic!("{ctx}: tshark sees PTP, we do not"));
            assert!(r.get("error").is_none(), "{ctx}: we report {}", r["error"]);
            let name = common::ptp_type_name(f["ptp.v2.messagetype"]).unwrap_or("?");
            assert_eq!(r["message_type"], name, "{ctx}: messageType");
            assert_eq!(
                r["domain"].as_u64(),
                Some(num(f["ptp.v2.domainnumber"])),
                "{ctx}: domain"
            );
            assert_eq!(
                r["sequence_id"].as_u64(),
                Some(num(f["ptp.v2.sequenceid"])),
                "{ctx}: sequenceId"
            );
            let corr = r["correction_scaled"].as_i64().unwrap();
            assert_eq!(
                (corr >> 16) as u64,
                num(f["ptp.v2.correction.ns"]),
                "{ctx}: correction ns"
            );
            let subns: f64 = f["ptp.v2.correction.subns"].parse().unwrap();
            let ours_subns = (corr & 0xffff) as f64 / 65536.0;
            assert!(
                (subns - ours_subns).abs() < 1e-6,
                "{ctx}: correction subns {subns} vs {ours_subns}"
            );
            let (ci, pn) = port(r["source_port"].as_str().unwrap());
            assert_eq!(ci, num(f["ptp.v2.clockidentity"]), "{ctx}: clockIdentity");
            assert_eq!(pn, num(f["ptp.v2.sourceportid"]), "{ctx}: portNumber");

            let prefix = match name {
                "Sync" | "Delay_Req" => Some("ptp.v2.sdr.origintimestamp"),
                "Follow_Up" => Some("ptp.v2.fu.preciseorigintimestamp"),
                "Delay_Resp" => Some("ptp.v2.dr.receivetimestamp"),
                "Pdelay_Req" => Some("ptp.v2.pdrq.origintimestamp"),
                "Pdelay_Resp" => Some("ptp.v2.pdrs.requestreceipttimestamp"),
                "Pdelay_Resp_Follow_Up" => Some("ptp.v2.pdfu.responseorigintimestamp"),
                "Announce" => Some("ptp.v2.an.origintimestamp"),
                _ => None,
            };
            // IEEE 802.1AS (majorSdoId 1) declares the Sync and Pdelay_Req
            // timestamps reserved; Wireshark then shows no timestamp, we show
            // the octets read as IEEE 1588 says.
            let gptp_reserved = r["major_sdo_id"] == 1
                && prefix.is_some_and(|p| f[format!("{p}.seconds").as_str()].is_empty());
            match prefix {
                Some(_) if gptp_reserved => {}
                Some(p) => {
                    let ts = &r["timestamp"];
                    assert_eq!(
                        ts["seconds"].as_u64(),
                        Some(num(f[format!("{p}.seconds").as_str()])),
                        "{ctx}: {p}"
                    );
                    assert_eq!(
                        ts["nanoseconds"].as_u64().map(|v| v as u32),
                        Some(num(f[format!("{p}.nanoseconds").as_str()]) as u32),
                        "{ctx}: {p}"
                    );
                }
                None => assert!(r["timestamp"].is_null(), "{ctx}: timestamp"),
            }
            let req = match name {
                "Delay_Resp" => Some((
                    "ptp.v2.dr.requestingsourceportidentity",
                    "ptp.v2.dr.requestingsourceportid",
                )),
                "Pdelay_Resp" => Some((
                    "ptp.v2.pdrs.requestingportidentity",
                    "ptp.v2.pdrs.requestingsourceportid",
                )),
                "Pdelay_Resp_Follow_Up" => Some((
                    "ptp.v2.pdfu.requestingportidentity",
                    "ptp.v2.pdfu.requestingsourceportid",
                )),
                _ => None,
            };
            match req {
                Some((c, p)) => {
                    let (ci, pn) = port(r["requesting_port"].as_str().unwrap());
                    assert_eq!(ci, num(f[c]), "{ctx}: requesting clockIdentity");
                    assert_eq!(pn, num(f[p]), "{ctx}: requesting portNumber");
                }
                None => assert!(r["requesting_port"].is_null(), "{ctx}: requesting port"),
            }
            compared += 1;
        }
        assert_eq!(
            lines,
            ours.len(),
            "{}: tshark and ptpscope count different PTPv2 messages",
            file.display()
        );
    }
    eprintln!(
        "compared {compared} PTP messages in {} captures with tshark",
        files.len()
    );
    assert!(compared > 0);
}
