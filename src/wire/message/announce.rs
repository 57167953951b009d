//! Announce message body (IEEE 1588-2019 §13.5): the grandmaster's dataset
//! for the best master clock algorithm.

use serde::Serialize;

use nom::number::complete::{be_i16, be_u8, be_u16};

use crate::wire::time::parse_timestamp;
use crate::wire::types::{parse_clock_identity, parse_clock_quality};
use crate::wire::{ClockIdentity, ClockQuality, PResult, Timestamp, field};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Announce {
    pub origin_timestamp: Timestamp,
    pub current_utc_offset: i16,
    #[serde(skip)]
    pub reserved: u8,
    pub grandmaster_priority1: u8,
    pub grandmaster_clock_quality: ClockQuality,
    pub grandmaster_priority2: u8,
    pub grandmaster_identity: ClockIdentity,
    pub steps_removed: u16,
    /// `timeSource` (§7.6.2.8, Table 6).
    pub time_source: u8,
}

impl Announce {
    pub const LEN: usize = 30;

    pub fn emit(&self, out: &mut Vec<u8>) {
        self.origin_timestamp.emit(out);
        out.extend_from_slice(&self.current_utc_offset.to_be_bytes());
        out.push(self.reserved);
        out.push(self.grandmaster_priority1);
        self.grandmaster_clock_quality.emit(out);
        out.push(self.grandmaster_priority2);
        out.extend_from_slice(&self.grandmaster_identity.0);
        out.extend_from_slice(&self.steps_removed.to_be_bytes());
        out.push(self.time_source);
    }
}

pub fn parse_announce(i: &[u8]) -> PResult<'_, Announce> {
    let (i, origin_timestamp) = parse_timestamp("originTimestamp")(i)?;
    let (i, current_utc_offset) = field("currentUtcOffset", be_i16)(i)?;
    let (i, reserved) = field("reserved", be_u8)(i)?;
    let (i, grandmaster_priority1) = field("grandmasterPriority1", be_u8)(i)?;
    let (i, grandmaster_clock_quality) = parse_clock_quality("grandmasterClockQuality")(i)?;
    let (i, grandmaster_priority2) = field("grandmasterPriority2", be_u8)(i)?;
    let (i, grandmaster_identity) = parse_clock_identity("grandmasterIdentity")(i)?;
    let (i, steps_removed) = field("stepsRemoved", be_u16)(i)?;
    let (i, time_source) = field("timeSource", be_u8)(i)?;
    Ok((
        i,
        Announce {
            origin_timestamp,
            current_utc_offset,
            reserved,
            grandmaster_priority1,
            grandmaster_clock_quality,
            grandmaster_priority2,
            grandmaster_identity,
            steps_removed,
            time_source,
        },
    ))
}

/// The standard's name of a `timeSource` value (Table 6).
pub fn time_source_name(v: u8) -> Option<&'static str> {
    Some(match v {
        0x10 => "ATOMIC_CLOCK",
        0x20 => "GNSS",
        0x30 => "TERRESTRIAL_RADIO",
        0x39 => "SERIAL_TIME_CODE",
        0x40 => "PTP",
        0x50 => "NTP",
        0x60 => "HAND_SET",
        0x90 => "OTHER",
        0xA0 => "INTERNAL_OSCILLATOR",
        _ => return None,
    })
}
