#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ptpscope::wire::fuzzing::check_round_trip(data));
