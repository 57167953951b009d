//! Organization extension TLVs (IEEE 1588-2019 §14.3): ORGANIZATION_EXTENSION
//! and its ORGANIZATION_EXTENSION_PROPAGATE / _DO_NOT_PROPAGATE variants, an
//! `organizationId` (OUI), an `organizationSubType` and data the organization
//! defines.
//!
//! Typed data, for the organizations and sub-types this decoder knows:
//! - IEEE 802.1AS-2020 §11.4.4.3 Follow_Up information TLV (00-80-C2, 1);
//! - IEEE 802.1AS-2020 §10.6.4.3 message interval request TLV (00-80-C2, 2);
//! - IEEE C37.238-2011 power profile TLV (1C-12-9D, 1).
//!
//! Data of any other organization or sub-type, or too short for its type,
//! is kept raw.

use nom::number::complete::{be_i8, be_i32, be_u8, be_u16, be_u24, be_u32, be_u64};
use serde::Serialize;

use super::{TlvBody, ser_hex, take_all};
use crate::wire::{PResult, array, field};

/// Data of an organization extension TLV, typed for the organizations and
/// sub-types this decoder knows (IEEE 802.1AS, IEEE C37.238).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum OrganizationData<'a> {
    /// IEEE 802.1AS-2020 §11.4.4.3 Follow_Up information TLV
    /// (OUI 00-80-C2, sub-type 1).
    FollowUpInformation {
        /// (rateRatio - 1) x 2^41.
        cumulative_scaled_rate_offset: i32,
        gm_time_base_indicator: u16,
        /// `lastGmPhaseChange`, ScaledNs: 96-bit ns x 2^16 (high 32, low 64).
        last_gm_phase_change_high: u32,
        last_gm_phase_change_low: u64,
        scaled_last_gm_freq_change: i32,
    },
    /// IEEE 802.1AS-2020 §10.6.4.3 message interval request TLV
    /// (OUI 00-80-C2, sub-type 2).
    MessageIntervalRequest {
        link_delay_interval: i8,
        time_sync_interval: i8,
        announce_interval: i8,
        /// Bit 0 computeNeighborRateRatio, bit 1 computeMeanLinkDelay,
        /// bit 2 oneStepReceiveCapable.
        flags: u8,
        #[serde(skip)]
        reserved: [u8; 2],
    },
    /// IEEE C37.238-2011 power profile TLV (OUI 1C-12-9D, sub-type 1).
    PowerProfile {
        grandmaster_id: u16,
        grandmaster_time_inaccuracy: u32,
        network_time_inaccuracy: u32,
        #[serde(skip)]
        reserved: [u8; 2],
    },
    Raw {
        #[serde(serialize_with = "ser_hex")]
        data: &'a [u8],
    },
}

impl OrganizationData<'_> {
    pub const IEEE_802_1: [u8; 3] = [0x00, 0x80, 0xc2];
    pub const IEEE_C37_238: [u8; 3] = [0x1c, 0x12, 0x9d];

    pub fn buffer_len(&self) -> usize {
        match self {
            OrganizationData::FollowUpInformation { .. } => 22,
            OrganizationData::MessageIntervalRequest { .. } => 6,
            OrganizationData::PowerProfile { .. } => 12,
            OrganizationData::Raw { data } => data.len(),
        }
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        match *self {
            OrganizationData::FollowUpInformation {
                cumulative_scaled_rate_offset,
                gm_time_base_indicator,
                last_gm_phase_change_high,
                last_gm_phase_change_low,
                scaled_last_gm_freq_change,
            } => {
                out.extend_from_slice(&cumulative_scaled_rate_offset.to_be_bytes());
                out.extend_from_slice(&gm_time_base_indicator.to_be_bytes());
                out.extend_from_slice(&last_gm_phase_change_high.to_be_bytes());
                out.extend_from_slice(&last_gm_phase_change_low.to_be_bytes());
                out.extend_from_slice(&scaled_last_gm_freq_change.to_be_bytes());
            }
            OrganizationData::MessageIntervalRequest {
                link_delay_interval,
                time_sync_interval,
                announce_interval,
                flags,
                reserved,
            } => {
                out.push(link_delay_interval as u8);
                out.push(time_sync_interval as u8);
                out.push(announce_interval as u8);
                out.push(flags);
                out.extend_from_slice(&reserved);
            }
            OrganizationData::PowerProfile {
                grandmaster_id,
                grandmaster_time_inaccuracy,
                network_time_inaccuracy,
                reserved,
            } => {
                out.extend_from_slice(&grandmaster_id.to_be_bytes());
                out.extend_from_slice(&grandmaster_time_inaccuracy.to_be_bytes());
                out.extend_from_slice(&network_time_inaccuracy.to_be_bytes());
                out.extend_from_slice(&reserved);
            }
            OrganizationData::Raw { data } => out.extend_from_slice(data),
        }
    }
}

/// Octets of an organization extension value; 0 for the variants of other
/// families, which [`TlvBody::buffer_len`] does not send here.
pub(super) fn buffer_len(body: &TlvBody<'_>) -> usize {
    match body {
        TlvBody::OrganizationExtension { data, .. } => 6 + data.buffer_len(),
        _ => 0,
    }
}

/// Emits an organization extension value; nothing for the variants of other
/// families, which [`TlvBody::emit`] does not send here.
pub(super) fn emit(body: &TlvBody<'_>, out: &mut Vec<u8>) {
    if let TlvBody::OrganizationExtension {
        organization_id,
        organization_sub_type,
        data,
    } = *body
    {
        out.extend_from_slice(&organization_id);
        out.extend_from_slice(&organization_sub_type.to_be_bytes()[1..]);
        data.emit(out);
    }
}

/// The value of any of the three organization extension TLV types.
pub(super) fn parse_organization_extension(i: &[u8]) -> PResult<'_, TlvBody<'_>> {
    let (i, organization_id) = field("organizationId", array::<3>)(i)?;
    let (i, organization_sub_type) = field("organizationSubType", be_u24)(i)?;
    let (i, data) = parse_organization_data(organization_id, organization_sub_type, i)?;
    Ok((
        i,
        TlvBody::OrganizationExtension {
            organization_id,
            organization_sub_type,
            data,
        },
    ))
}

fn parse_organization_data(
    oui: [u8; 3],
    sub_type: u32,
    i: &[u8],
) -> PResult<'_, OrganizationData<'_>> {
    match (oui, sub_type) {
        (OrganizationData::IEEE_802_1, 1) if i.len() >= 22 => {
            let (i, cumulative_scaled_rate_offset) = be_i32(i)?;
            let (i, gm_time_base_indicator) = be_u16(i)?;
            let (i, last_gm_phase_change_high) = be_u32(i)?;
            let (i, last_gm_phase_change_low) = be_u64(i)?;
            let (i, scaled_last_gm_freq_change) = be_i32(i)?;
            Ok((
                i,
                OrganizationData::FollowUpInformation {
                    cumulative_scaled_rate_offset,
                    gm_time_base_indicator,
                    last_gm_phase_change_high,
                    last_gm_phase_change_low,
                    scaled_last_gm_freq_change,
                },
            ))
        }
        (OrganizationData::IEEE_802_1, 2) if i.len() >= 6 => {
            let (i, link_delay_interval) = be_i8(i)?;
            let (i, time_sync_interval) = be_i8(i)?;
            let (i, announce_interval) = be_i8(i)?;
            let (i, flags) = be_u8(i)?;
            let (i, reserved) = array::<2>(i)?;
            Ok((
                i,
                OrganizationData::MessageIntervalRequest {
                    link_delay_interval,
                    time_sync_interval,
                    announce_interval,
                    flags,
                    reserved,
                },
            ))
        }
        (OrganizationData::IEEE_C37_238, 1) if i.len() >= 12 => {
            let (i, grandmaster_id) = be_u16(i)?;
            let (i, grandmaster_time_inaccuracy) = be_u32(i)?;
            let (i, network_time_inaccuracy) = be_u32(i)?;
            let (i, reserved) = array::<2>(i)?;
            Ok((
                i,
                OrganizationData::PowerProfile {
                    grandmaster_id,
                    grandmaster_time_inaccuracy,
                    network_time_inaccuracy,
                    reserved,
                },
            ))
        }
        _ => Ok(take_all(i, |data| OrganizationData::Raw { data })),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{check_cuts, check_table, parse_tlv, round_trip};
    use super::*;

    fn extension(oui: [u8; 3], sub_type: u32, data: OrganizationData<'_>) -> TlvBody<'_> {
        TlvBody::OrganizationExtension {
            organization_id: oui,
            organization_sub_type: sub_type,
            data,
        }
    }

    /// Organization extensions as captured: 802.1AS Follow_Up information
    /// from linuxptp's gPTP (lab-gptp.pcap; scapy-gptp's ptp_example.pcapng
    /// carries the same octets), an 802.1AS message interval request
    /// (field/gptp-signaling-tlv-length-28.pcap) and a C37.238 power profile
    /// TLV from an Announce (ebu_pi-list__PTP_at_clock.pcap).
    #[test]
    fn captured_organization_tlvs() {
        check_table(&[
            (
                "lab-gptp.pcap frame 56: Follow_Up information",
                &[
                    0x00, 0x03, 0x00, 0x1c, 0x00, 0x80, 0xc2, 0x00, 0x00, 0x01, // 802.1AS, 1
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                ],
                extension(
                    OrganizationData::IEEE_802_1,
                    1,
                    OrganizationData::FollowUpInformation {
                        cumulative_scaled_rate_offset: 0,
                        gm_time_base_indicator: 0,
                        last_gm_phase_change_high: 0,
                        last_gm_phase_change_low: 0,
                        scaled_last_gm_freq_change: 0,
                    },
                ),
                &[],
            ),
            (
                "gptp-signaling-tlv-length-28.pcap frame 2: message interval request",
                &[
                    0x00, 0x03, 0x00, 0x0c, 0x00, 0x80, 0xc2, 0x00, 0x00, 0x02, // 802.1AS, 2
                    0x7f, 0xfd, 0x00, 0x03, 0x00, 0x00,
                ],
                extension(
                    OrganizationData::IEEE_802_1,
                    2,
                    OrganizationData::MessageIntervalRequest {
                        link_delay_interval: 127,
                        time_sync_interval: -3,
                        announce_interval: 0,
                        flags: 0x03,
                        reserved: [0; 2],
                    },
                ),
                &[],
            ),
            (
                "ebu_pi-list__PTP_at_clock.pcap frame 2: power profile",
                &[
                    0x00, 0x03, 0x00, 0x12, 0x1c, 0x12, 0x9d, 0x00, 0x00, 0x01, // C37.238, 1
                    0x00, 0x03, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                ],
                extension(
                    OrganizationData::IEEE_C37_238,
                    1,
                    OrganizationData::PowerProfile {
                        grandmaster_id: 3,
                        grandmaster_time_inaccuracy: 100,
                        network_time_inaccuracy: 0,
                        reserved: [0; 2],
                    },
                ),
                &[],
            ),
        ]);
    }

    /// Built from §14.3 (no capture holds them): the PROPAGATE and
    /// DO_NOT_PROPAGATE types decode as ORGANIZATION_EXTENSION does; an
    /// unknown OUI, and a Follow_Up information too short for its fields,
    /// keep their data raw.
    #[test]
    fn variants_and_raw_table() {
        check_table(&[
            (
                "built: ORGANIZATION_EXTENSION_PROPAGATE",
                &[
                    0x40, 0x00, 0x00, 0x0c, 0x00, 0x80, 0xc2, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                    0x00, 0x00, 0x00,
                ],
                extension(
                    OrganizationData::IEEE_802_1,
                    2,
                    OrganizationData::MessageIntervalRequest {
                        link_delay_interval: 0,
                        time_sync_interval: 0,
                        announce_interval: 0,
                        flags: 0,
                        reserved: [0; 2],
                    },
                ),
                &[],
            ),
            (
                "built: ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE, unknown OUI",
                &[
                    0x80, 0x00, 0x00, 0x08, 0x00, 0x1b, 0x19, 0x00, 0x00, 0x07, 0xab, 0xcd,
                ],
                extension(
                    [0x00, 0x1b, 0x19],
                    7,
                    OrganizationData::Raw {
                        data: &[0xab, 0xcd],
                    },
                ),
                &[],
            ),
            (
                "built: Follow_Up information too short",
                &[
                    0x00, 0x03, 0x00, 0x0a, 0x00, 0x80, 0xc2, 0x00, 0x00, 0x01, 1, 2, 3, 4,
                ],
                extension(
                    OrganizationData::IEEE_802_1,
                    1,
                    OrganizationData::Raw {
                        data: &[1, 2, 3, 4],
                    },
                ),
                &[],
            ),
        ]);
    }

    #[test]
    fn follow_up_information() {
        let mut b = vec![0x00, 0x03, 0x00, 0x1c, 0x00, 0x80, 0xc2, 0x00, 0x00, 0x01];
        b.extend_from_slice(&[0; 22]);
        let t = round_trip(&b);
        assert!(matches!(
            t.body,
            TlvBody::OrganizationExtension {
                data: OrganizationData::FollowUpInformation { .. },
                ..
            }
        ));
        let j = serde_json::to_value(t).unwrap();
        assert_eq!(j["organization_id"], "00-80-c2");
    }

    #[test]
    fn short_sub_type_names_its_field() {
        let e = parse_tlv(&[0x00, 0x03, 0x00, 0x05, 0x00, 0x80, 0xc2, 0x00, 0x00], 34).unwrap_err();
        assert_eq!((e.field, e.offset), ("organizationSubType", 41));
    }

    /// organizationId and organizationSubType are read for every
    /// organization; a cut in them names them. (Data too short for the
    /// typed forms is kept raw.)
    #[test]
    fn cut_values_name_the_field_where_it_starts() {
        let interval_request: &[u8] = &[
            0x00, 0x03, 0x00, 0x0c, 0x00, 0x80, 0xc2, 0x00, 0x00, 0x02, 0x7f, 0xfd, 0x00, 0x03,
            0x00, 0x00,
        ];
        check_cuts(
            interval_request,
            &[("organizationId", 3), ("organizationSubType", 3)],
            &[],
        );
    }
}
