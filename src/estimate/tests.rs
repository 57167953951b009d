use proptest::prelude::*;

use super::*;
use crate::analysis::{DelayExchange, SyncExchange};
use crate::wire::Timestamp;

const S: i64 = 1_000_000_000;

fn ts(ns: i128) -> Timestamp {
    Timestamp {
        seconds: (ns / 1_000_000_000) as u64,
        nanoseconds: (ns % 1_000_000_000) as u32,
    }
}

/// An exchange at true time `t` with the point's clock `offset` ahead
/// of the master, one-way delays `d1` (master to point) and `d2`, and TC
/// residences `res1`, `res2` in the corrections. The Delay_Req leaves
/// 1 ms after the Sync arrives, when the offset is `offset2`.
#[allow(clippy::too_many_arguments)]
fn exchange(
    t: i64,
    offset: i64,
    offset2: i64,
    d1: i64,
    d2: i64,
    res1: i64,
    res2: i64,
) -> Measurement {
    let p = PortIdentity::default();
    let t1 = i128::from(100 * S + t);
    let true_arrival = t1 as i64 + d1 + res1;
    let t2 = true_arrival + offset;
    let t3 = t2 + 1_000_000;
    let t4 = i128::from(t3 - offset2 + d2 + res2);
    Measurement::E2e {
        sync: SyncExchange {
            point: 0,
            major_sdo_id: 0,
            domain: 0,
            master: p,
            sequence_id: 0,
            one_step: false,
            t1: ts(t1),
            t2_capture_ns: t2,
            sync_correction: Correction(0),
            follow_up_correction: Correction(res1 << 16),
            sync_frame: 1,
        },
        delay: DelayExchange {
            point: 0,
            major_sdo_id: 0,
            domain: 0,
            slave: p,
            master: p,
            sequence_id: 0,
            t3_origin: ts(0),
            t3_capture_ns: t3,
            t4: ts(t4),
            req_correction: Correction(0),
            resp_correction: Correction(res2 << 16),
            resp_capture_ns: t3 + 50_000,
        },
    }
}

fn names(_: PointId) -> &'static str {
    "p"
}

#[test]
fn symmetric_path_gives_the_true_offset_and_delay() {
    let s = e2e_sample(&exchange(0, 1234, 1234, 5000, 5000, 300, 700)).unwrap();
    assert_eq!(s.offset_ns, 1234.0);
    assert_eq!(s.delay_ns, 5000.0);
    assert_eq!((s.lo_ns, s.hi_ns), (1234.0 - 5000.0, 1234.0 + 5000.0));
}

#[test]
fn residence_the_delay_req_carried_at_the_point_is_not_on_its_path() {
    // A one-step TC downstream of the point put 700 ns into the
    // Delay_Req before the point saw it; the Delay_Resp carries it too.
    let mut m = exchange(0, 0, 0, 5000, 5000, 0, 700);
    if let Measurement::E2e { delay, .. } = &mut m {
        delay.req_correction = Correction(700 << 16);
    }
    let s = e2e_sample(&m).unwrap();
    assert_eq!(s.delay_ns, 5350.0);
}

#[test]
fn asymmetry_is_inside_the_hard_bound() {
    // 2 µs of asymmetry: offset off by 1 µs, within the 6 µs delay.
    let s = e2e_sample(&exchange(0, 0, 0, 7000, 5000, 0, 0)).unwrap();
    assert_eq!(s.offset_ns, 1000.0);
    assert_eq!(s.delay_ns, 6000.0);
    let mut t = Track::new(1.0, 200.0);
    let e = t.add(s);
    assert!(e.offset_ns.abs() <= e.hard_bound_ns);
}

#[test]
fn frequency_and_offset_from_a_drifting_clock_with_queueing() {
    // The point's clock runs 50 ppm fast from offset 10 µs; every fifth
    // Sync is queued 200 µs.
    let mut est = Estimator::new(Config {
        enabled: true,
        ..Config::default()
    });
    let mut last = None;
    for i in 0..200i64 {
        let time = i * S / 8;
        let offset = 10_000 + time * 50_000 / 1_000_000_000;
        let offset2 = offset + 50;
        let q = if i % 5 == 0 { 200_000 } else { 0 };
        let m = exchange(time, offset, offset2, 20_000 + q, 20_000, 0, 0);
        last = Some((est.observe(&m, &names).unwrap(), offset));
    }
    let (e, truth) = last.unwrap();
    assert!(
        (e.frequency_ppb - 50_000.0).abs() < 50.0,
        "{}",
        e.frequency_ppb
    );
    assert!(
        (e.offset_ns - truth as f64).abs() < 30.0,
        "{} vs {truth}",
        e.offset_ns
    );
    assert!((e.offset_ns - truth as f64).abs() <= e.hard_bound_ns);
    assert!((e.delay_ns - 20_000.0).abs() < 30.0);
    let t = &est.tracks[0].1;
    assert_eq!(t.samples, 200);
    assert_eq!(t.series.as_slice().len(), 200);
}

#[test]
fn a_step_restarts_the_causal_intersection() {
    let mut t = Track::new(1.0, 200.0);
    for i in 0..40i64 {
        let offset = if i < 20 { 0 } else { 500_000 };
        let s = e2e_sample(&exchange(i * S / 8, offset, offset, 1000, 1000, 0, 0)).unwrap();
        let e = t.add(s);
        assert!(
            (e.offset_ns - offset as f64).abs() <= e.hard_bound_ns,
            "sample {i}: {} vs {offset} ± {}",
            e.offset_ns,
            e.hard_bound_ns
        );
    }
    assert!(t.conflicts >= 1);
}

#[test]
fn p2p_link_delay_from_one_and_two_step_responders() {
    let p = PortIdentity::default();
    let mut x = PdelayExchange {
        point: 0,
        major_sdo_id: 0,
        domain: 0,
        requester: p,
        responder: p,
        sequence_id: 0,
        t1_origin: ts(0),
        t1_capture_ns: 1_000_000,
        t2: ts(5_000_000),
        t3: Some(ts(5_030_000)),
        t4_capture_ns: 1_040_000,
        req_correction: Correction(0),
        resp_correction: Correction(0),
        follow_up_correction: Some(Correction(0)),
    };
    assert_eq!(link_delay(&x), Some((5000 << 16, 10_000 << 16)));
    x.t3 = None;
    x.follow_up_correction = None;
    x.resp_correction = Correction(30_000 << 16);
    assert_eq!(link_delay(&x), Some((5000 << 16, 10_000 << 16)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the (causal, non-negative) delays and a drift within the
    /// bound, every estimate's hard bound contains the true offset.
    #[test]
    fn the_hard_bound_always_contains_the_truth(
        offset0 in -1_000_000i64..1_000_000,
        drift_ppb in -150_000i64..150_000,
        delays in prop::collection::vec((0i64..2_000_000, 0i64..2_000_000, 0i64..100_000, 0i64..100_000), 1..120),
        step in 1i64..1000,
    ) {
        let mut est = Estimator::new(Config { enabled: true, ..Config::default() });
        for (i, &(d1, d2, r1, r2)) in delays.iter().enumerate() {
            let time = i as i64 * S / 16 * step / 100;
            let offset = offset0 + time * drift_ppb / 1_000_000_000;
            let offset2 = offset + 1_000_000 * drift_ppb / 1_000_000_000;
            let m = exchange(time, offset, offset2, d1, d2, r1, r2);
            if let Some(e) = est.observe(&m, &names) {
                let err = (e.offset_ns - offset as f64).abs();
                prop_assert!(err <= e.hard_bound_ns + 1e-6,
                    "sample {i}: error {err} > hard {}", e.hard_bound_ns);
                prop_assert!(e.stat_bound_ns <= e.hard_bound_ns + 1e-9);
            }
        }
    }
}

#[test]
fn moving_median_of_the_last_ten() {
    let mut m = MovingMedian::default();
    assert!(m.median().is_nan());
    m.push(5.0);
    assert_eq!(m.median(), 5.0);
    m.push(1.0);
    assert_eq!(m.median(), 3.0);
    // 0..20 in a scrambled order: the median of each last ten, as a sort
    // would give it.
    let seq: Vec<f64> = (0..20).map(|i| ((i * 7) % 20) as f64).collect();
    let mut all = vec![5.0, 1.0];
    for &v in &seq {
        m.push(v);
        all.push(v);
        let mut last: Vec<f64> = all.iter().rev().take(10).copied().collect();
        last.sort_by(f64::total_cmp);
        let want = if last.len() % 2 == 1 {
            last[last.len() / 2]
        } else {
            (last[last.len() / 2 - 1] + last[last.len() / 2]) / 2.0
        };
        assert_eq!(m.median(), want);
    }
}

/// The measurements of a simulated scenario, as `analyze` makes them.
fn simulated(name: &str, secs: f64) -> Vec<Measurement> {
    use crate::analysis::{Analyzer, Observation};
    use crate::simulate::{self, Captured, Scenario};
    use crate::wire::link::{LinkType, Peeled, PtpPorts, peel};
    use crate::wire::{Ptp, decode};
    let mut s = Scenario::load(name).expect("named scenario");
    s.duration_s = secs;
    let mut frames = Vec::new();
    simulate::run(&s, &mut |f: Captured<'_>| {
        frames.push((f.point, f.time_ns, f.data.to_vec()))
    });
    let mut a = Analyzer::new(crate::analysis::Config::default());
    a.set_point_count(8);
    let mut out = Vec::new();
    let ports = PtpPorts::default();
    for (i, (point, t, data)) in frames.iter().enumerate() {
        let Ok(Peeled::Ptp(link)) = peel(LinkType::Ethernet, data, &ports) else {
            continue;
        };
        let Ok(Ptp::V2(message)) = decode(link.payload) else {
            continue;
        };
        let len = usize::from(message.header.message_length).min(link.payload.len());
        a.frame(*point, Some(*t));
        out.extend(a.observe(&Observation {
            point: *point,
            frame: i as u64 + 1,
            time_ns: *t,
            link: &link,
            message: &message,
            bytes: &link.payload[..len],
        }));
    }
    out
}

#[test]
fn only_irrelevant_measurements_are_filtered_out() {
    for scenario in ["p2p-tc", "tc-chain"] {
        let ms = simulated(scenario, 60.0);
        let mut relevant = Relevant::default();
        let kept: Vec<_> = ms.iter().filter(|m| relevant.keep(m)).collect();
        let syncs = |v: &mut dyn Iterator<Item = &Measurement>| {
            v.filter(|m| matches!(m, Measurement::Sync(_))).count()
        };
        let (all_syncs, kept_syncs) = (syncs(&mut ms.iter()), syncs(&mut kept.iter().copied()));
        let config = || Config {
            enabled: true,
            ..Config::default()
        };
        let (mut a, mut b) = (Estimator::new(config()), Estimator::new(config()));
        for m in &ms {
            a.observe(m, &names);
        }
        for m in &kept {
            b.observe(m, &names);
        }
        let point = |p: PointId| p.to_string();
        let json = |e: &Estimator| serde_json::to_string(&e.json(&point)).unwrap();
        assert!(!a.tracks.is_empty(), "{scenario}: no estimates");
        assert_eq!(json(&a), json(&b), "{scenario}");
        if scenario == "p2p-tc" {
            // Syncs before the first Pdelay exchange at a point, and at
            // points that see none, are all that goes.
            assert!(
                kept_syncs > 0 && kept_syncs < all_syncs,
                "{kept_syncs} of {all_syncs}"
            );
        } else {
            assert_eq!(kept_syncs, 0, "E2E: no Sync is of use");
            assert!(all_syncs > 0);
        }
    }
}
