//! `continuum synth`: write synthetic patients as transaction bundles.

use std::path::PathBuf;

use anyhow::Context;
use continuum_synth::{RecordSize, SynthOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many patients.
    #[arg(long, default_value_t = 10)]
    pub patients: usize,
    /// The same seed always gives the same patients.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Record size: small, typical or large (~500 resources, Synthea-sized).
    #[arg(long, default_value = "typical")]
    pub size: RecordSize,
    /// Folder to write `patient-NNNNNN.json` files into.
    #[arg(long, default_value = "synthetic")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let options = SynthOptions {
        patients: args.patients,
        seed: args.seed,
        size: args.size,
    };
    let mut resources = 0;
    for (index, bundle) in continuum_synth::bundles(&options).enumerate() {
        resources += bundle["entry"].as_array().map_or(0, Vec::len);
        let path = args.out.join(format!("patient-{index:06}.json"));
        std::fs::write(&path, serde_json::to_vec(&bundle)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "wrote {} patients ({resources} resources) to {}",
        args.patients,
        args.out.display()
    );
    Ok(())
}
