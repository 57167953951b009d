//! The pipeline as a library, over a simulated capture long enough to fill
//! many batches: one file on its two threads gives what the same frames
//! give fed one at a time on one thread.

mod common;

use common::{ptpscope, tmp};
use ptpscope::capture::{Input, Points, read_file};
use ptpscope::pipeline::{self, Config, Pipeline};

#[test]
fn one_file_on_threads_equals_frame_by_frame() {
    let dir = tmp("placeholder", b"");
    let pcap = dir.parent().unwrap().join("pipeline-p2p.pcapng");
    let out = ptpscope(&[
        "simulate",
        "-s",
        "p2p-tc",
        "--duration",
        "300",
        "-o",
        pcap.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut config = Config::default();
    config.estimate.enabled = true;
    let input = Input {
        path: pcap.clone(),
        name: None,
    };
    let mut progress = Vec::new();
    let run = pipeline::run_files(&config, std::slice::from_ref(&input), &mut |at| {
        progress.push(at)
    })
    .unwrap();
    assert!(run.errors.is_empty());
    let mut p = Pipeline::new(&config);
    let mut points = Points::default();
    read_file(&pcap, None, &mut points, |f, pts| {
        p.frame(f, pts);
    })
    .unwrap();
    p.decoder.finish();
    p.analyzer.finish();
    let threaded = &run.pipeline;
    // Many batches of 1,024 frames, and of up to 2,048 messages' health
    // inputs and measurements, went through.
    assert!(
        threaded.decoder.summary.frames > 20_000,
        "{:?}",
        threaded.decoder.summary
    );
    assert!(!progress.is_empty() && progress.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(threaded.decoder.summary, p.decoder.summary);
    assert_eq!(run.points.names(), points.names());
    let frames = |p: &Pipeline| {
        p.analyzer
            .points
            .iter()
            .map(|s| s.frames)
            .collect::<Vec<_>>()
    };
    assert_eq!(frames(threaded), frames(&p));
    // The other trackers (the profiles too) ran on the analysis's thread,
    // from the batches the reading thread decoded: each saw every message
    // once, in order.
    let profiles = p.analyzer.profiles.domains();
    assert!(!profiles.is_empty());
    assert_eq!(threaded.analyzer.profiles.domains(), profiles);
    assert_eq!(threaded.analyzer.messages, p.analyzer.messages);
    // The health tracker ran on the reading thread, from what the
    // analysis handed back: every stream the same, to the last statistic.
    let health = |p: &Pipeline| {
        let streams = p.analyzer.health.streams.iter();
        streams
            .map(|(k, s)| format!("{k:?} {s:?}"))
            .collect::<Vec<_>>()
    };
    assert!(!p.analyzer.health.streams.is_empty());
    assert_eq!(health(threaded), health(&p));
    // Each health stream's correctionField, kept on the analysis's
    // thread: the same streams as the health tracker's, the same
    // statistics as frame by frame, and the transparent clocks' residence
    // times in them.
    let corrections = |p: &Pipeline| {
        let c = p.analyzer.corrections.iter();
        c.map(|(k, c)| format!("{k:?} {c:?}")).collect::<Vec<_>>()
    };
    let keys = |p: &Pipeline| {
        let mut k: Vec<_> = p.analyzer.corrections.iter().map(|(k, _)| *k).collect();
        k.sort();
        k
    };
    let mut health_keys: Vec<_> = p.analyzer.health.streams.iter().map(|(k, _)| *k).collect();
    health_keys.sort();
    assert_eq!(keys(&p), health_keys);
    assert_eq!(keys(threaded), health_keys);
    assert!(p.analyzer.corrections.values().any(|c| c.nonzero > 0));
    assert_eq!(corrections(threaded), corrections(&p));
    assert!(!p.estimator.tracks.is_empty());
    assert_eq!(threaded.estimator.tracks.len(), p.estimator.tracks.len());
    for ((ka, a), (kb, b)) in threaded.estimator.tracks.iter().zip(&p.estimator.tracks) {
        assert_eq!(ka, kb);
        assert!(a.samples() > 100);
        assert_eq!(a.samples(), b.samples());
        assert_eq!(
            a.statistics().offset_rms_ns(),
            b.statistics().offset_rms_ns()
        );
    }
}

#[test]
fn a_file_cut_short_keeps_what_each_thread_tallied() {
    // The health tracker runs on the reading thread (without estimates,
    // on the analysis's), the other trackers on the analysis's, and all
    // are the analyzer's again when it ends, an error included.
    let whole = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/lab-udp4-e2e.pcap"),
    )
    .unwrap();
    let cut = tmp("pipeline-cut.pcap", &whole[..whole.len() - 7]);
    for estimating in [true, false] {
        let input = Input {
            path: cut.clone(),
            name: None,
        };
        let mut config = Config::default();
        config.estimate.enabled = estimating;
        let run = pipeline::run_files(&config, &[input], &mut |_| {}).unwrap();
        assert_eq!(run.errors.len(), 1, "{:?}", run.errors);
        let domains = run.pipeline.analyzer.profiles.domains();
        let messages: u64 = run.pipeline.analyzer.messages.iter().sum();
        assert!(messages > 50, "{messages}");
        let tallied: u64 = domains
            .values()
            .filter_map(|f| f.get(&ptpscope::analysis::profile::Fact::Message))
            .map(|t| t.count)
            .sum();
        assert_eq!(tallied, messages);
        // Every message counted in its stream.
        let health = &run.pipeline.analyzer.health;
        let seen: u64 = health.streams.iter().map(|(_, s)| s.count).sum();
        assert_eq!(seen, messages, "estimating: {estimating}");
    }
}
