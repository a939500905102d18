//! Measures generation speed on one thread:
//! `cargo run --release -p continuum-synth --example throughput -- [patients] [size]`,
//! e.g. `-- 1000 large` (the defaults). It times two passes: building the
//! bundles alone, then building and serialising them to JSON text.

use continuum_synth::{RecordSize, SynthOptions, bundles};
use std::time::{Duration, Instant};

fn timed(label: &str, patients: usize, pass: impl FnOnce() -> Result<String, serde_json::Error>) {
    let started = Instant::now();
    let outcome = pass();
    let elapsed: Duration = started.elapsed();
    match outcome {
        Ok(detail) => println!(
            "{label}: {detail} in {elapsed:.2?} ({:.0} patients/s)",
            patients as f64 / elapsed.as_secs_f64()
        ),
        Err(e) => println!("{label}: failed: {e}"),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let patients = args.next().map_or(Ok(1000), |a| a.parse())?;
    let size: RecordSize = args.next().map_or(Ok(RecordSize::Large), |a| a.parse())?;
    let options = SynthOptions {
        patients,
        seed: 1,
        size,
    };

    timed("generate", patients, || {
        let entries: usize = bundles(&options)
            .map(|b| b["entry"].as_array().map_or(0, Vec::len))
            .sum();
        Ok(format!("{patients} {size} patients, {entries} entries"))
    });
    timed("generate + serialise", patients, || {
        let mut bytes = 0;
        for bundle in bundles(&options) {
            bytes += serde_json::to_string(&bundle)?.len();
        }
        Ok(format!("{:.1} MB of JSON", bytes as f64 / 1e6))
    });
    Ok(())
}
