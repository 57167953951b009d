//! The fuzz targets' seed corpora (`fuzz/corpus/*`), replayed as tests.

use std::path::Path;

use ptpscope::wire::fuzzing::{check_decode, check_round_trip};

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("corpus folder") {
        let data = std::fs::read(e.unwrap().path()).unwrap();
        check(&data);
        n += 1;
    }
    assert!(n > 0, "empty corpus {}", dir.display());
}

#[test]
fn decode_corpus() {
    replay("decode", check_decode);
}

#[test]
fn round_trip_corpus() {
    replay("round_trip", check_round_trip);
}
