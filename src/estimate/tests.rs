use proptest::prelude::*;

use super::baseline::MovingMedian;
use super::*;
use crate::analysis::{DelayExchange, Measurement, PdelayExchange, SyncExchange};
use crate::wire::{Correction, Duration, PortIdentity, Timestamp};

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
            t2_resolution_ns: 1,
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
            t3_resolution_ns: 1,
            t4: ts(t4),
            req_correction: Correction(0),
            resp_correction: Correction(res2 << 16),
            resp_capture_ns: t3 + 50_000,
        },
    }
}

#[test]
fn symmetric_path_gives_the_true_offset_and_delay() {
    let s = e2e_sample(&exchange(0, 1234, 1234, 5000, 5000, 300, 700)).unwrap();
    assert_eq!(s.offset_ns, 1234.0);
    assert_eq!(s.mean_path_delay_ns, 5000.0);
    assert_eq!((s.lower_ns, s.upper_ns), (1234.0 - 5000.0, 1234.0 + 5000.0));
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
    assert_eq!(s.mean_path_delay_ns, 5350.0);
}

#[test]
fn asymmetry_is_inside_the_hard_bound() {
    // 2 µs of asymmetry: offset off by 1 µs, within the 6 µs delay.
    let s = e2e_sample(&exchange(0, 0, 0, 7000, 5000, 0, 0)).unwrap();
    assert_eq!(s.offset_ns, 1000.0);
    assert_eq!(s.mean_path_delay_ns, 6000.0);
    let mut t = Track::new(DelayMechanism::E2e, 1.0, 200.0);
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
        last = Some((est.observe(&m).unwrap(), offset));
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
    assert!((e.mean_path_delay_ns - 20_000.0).abs() < 30.0);
    let t = &est.tracks[0].1;
    assert_eq!(t.samples(), 200);
    assert_eq!(t.statistics().series.as_slice().len(), 200);
}

#[test]
fn a_step_restarts_the_causal_intersection() {
    let mut t = Track::new(DelayMechanism::E2e, 1.0, 200.0);
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
    assert!(t.conflicts() >= 1);
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
    let want = PeerDelay {
        mean_link_delay: Duration::from_ns(5000),
        round_trip: Duration::from_ns(10_000),
    };
    assert_eq!(peer_delay(&x), want);
    x.t3 = None;
    x.follow_up_correction = None;
    x.resp_correction = Correction(30_000 << 16);
    assert_eq!(peer_delay(&x), want);
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
            if let Some(e) = est.observe(&m) {
                let err = (e.offset_ns - offset as f64).abs();
                prop_assert!(err <= e.hard_bound_ns + 1e-6,
                    "sample {i}: error {err} > hard {}", e.hard_bound_ns);
                prop_assert!(e.statistical_bound_ns <= e.hard_bound_ns + 1e-9);
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

/// The median's standard error: 0 for fewer than two values, else
/// sqrt(π/2) s / sqrt(n) of the last ten; and, over many draws of ten
/// normal values, about the spread the median really has.
#[test]
fn moving_median_standard_error() {
    let mut m = MovingMedian::default();
    assert_eq!(m.standard_error(), 0.0);
    m.push(3.0);
    assert_eq!(m.standard_error(), 0.0);
    m.push(5.0);
    // s = sqrt(2), n = 2.
    assert!((m.standard_error() - (std::f64::consts::FRAC_PI_2).sqrt()).abs() < 1e-12);
    // A deterministic normal sequence (Box-Muller on a fixed LCG).
    let mut state = 12345u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let (mut medians, mut ses) = (Vec::new(), Vec::new());
    for _ in 0..4000 {
        let mut m = MovingMedian::default();
        for _ in 0..10 {
            let (u, v) = (uniform(), uniform());
            m.push(100.0 + 10.0 * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos());
        }
        medians.push(m.median());
        ses.push(m.standard_error());
    }
    let mean = medians.iter().sum::<f64>() / medians.len() as f64;
    let spread =
        (medians.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / medians.len() as f64).sqrt();
    let stated = ses.iter().sum::<f64>() / ses.len() as f64;
    // The spread of a median of ten normal values is about 1.18 σ/√10
    // (3.7 here); the stated error leans a little above it.
    assert!(spread > 3.3 && spread < 4.1, "spread {spread}");
    assert!(
        stated >= 0.95 * spread && stated < 1.25 * spread,
        "{stated} against {spread}"
    );
}

#[test]
fn the_estimator_and_the_baseline_are_interchangeable_filters() {
    // A constant offset; every third exchange queued 40 µs both ways, the
    // last one not: both filters find the offset at it, and only the
    // estimator states a frequency and a bound.
    let mut filters: Vec<(Box<dyn Filter>, bool)> = vec![
        (Box::new(LineFit::new(DelayMechanism::E2e)), true),
        (Box::new(Baseline::new(DelayMechanism::E2e)), false),
    ];
    for (filter, bounded) in &mut filters {
        let mut last = None;
        for i in 0..64i64 {
            let q = if i % 3 == 1 { 40_000 } else { 0 };
            let m = exchange(i * S / 8, 700, 700, 10_000 + q, 10_000 + q, 0, 0);
            last = Some(filter.sample(&e2e_sample(&m).unwrap()));
        }
        let u = last.unwrap();
        assert!((u.offset_ns - 700.0).abs() < 1.0, "{u:?}");
        assert_eq!(u.frequency_ppb.is_some(), *bounded);
        assert_eq!(u.statistical_bound_ns.is_some(), *bounded);
        filter.restart();
    }
}

#[test]
fn delay_asymmetry_by_point_over_the_one_of_every_point() {
    let mut est = Estimator::new(Config {
        enabled: true,
        delay_asymmetry_ns: 100.0,
        ..Config::default()
    });
    est.set_delay_asymmetry(1, -40.0);
    let at = |point| {
        let mut m = exchange(0, 0, 0, 5000, 5000, 0, 0);
        if let Measurement::E2e { sync, delay } = &mut m {
            sync.point = point;
            delay.point = point;
        }
        m
    };
    assert_eq!(est.observe(&at(0)).unwrap().offset_ns, -100.0);
    assert_eq!(est.observe(&at(1)).unwrap().offset_ns, 40.0);
    let asymmetry = |point| {
        est.tracks
            .iter()
            .find(|(k, _)| k.point == point)
            .map(|(_, t)| t.delay_asymmetry_ns)
    };
    assert_eq!((asymmetry(0), asymmetry(1)), (Some(100.0), Some(-40.0)));
}
