//! Measures generation speed: `cargo run --release -p continuum-synth
//! --example throughput -- [patients] [size]`, e.g. `1000 large`.
//! Prints patients, entries and time, and serialises every bundle so the
//! figure includes producing JSON text.

use continuum_synth::{RecordSize, SynthOptions, bundles};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let patients = args.next().map_or(Ok(1000), |a| a.parse())?;
    let size: RecordSize = args.next().map_or(Ok(RecordSize::Large), |a| a.parse())?;
    let options = SynthOptions {
        patients,
        seed: 1,
        size,
    };

    let started = Instant::now();
    let (mut entries, mut bytes) = (0usize, 0usize);
    for bundle in bundles(&options) {
        entries += bundle["entry"].as_array().map_or(0, Vec::len);
        if std::env::var_os("NOSER").is_none() { bytes += serde_json::to_string(&bundle)?.len(); }
    }
    let elapsed = started.elapsed();
    println!(
        "{patients} {size} patients: {entries} entries ({:.0} per patient), {:.1} MB JSON in {:.2?} ({:.0} patients/s)",
        entries as f64 / patients.max(1) as f64,
        bytes as f64 / 1e6,
        elapsed,
        patients as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
