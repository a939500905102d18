//! `continuum ca`: the network certificate authority.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use continuum_mesh::tls::{NetworkCa, TrustDomain};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the network CA (once): a private key (mode 0600) and the CA
    /// certificate every workload will trust.
    Init {
        /// Where to create `ca.key` and `ca.pem` (the locator's `ca_dir`).
        #[arg(long, default_value = "continuum-data/locator/ca")]
        dir: PathBuf,
        /// The network's name, the trust domain of every identity in it.
        #[arg(long, default_value = "continuum.local")]
        network: String,
    },
}

pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Init { dir, network } => {
            let network = TrustDomain::new(&network)?;
            let ca = NetworkCa::init(&dir, &network, chrono::Utc::now())
                .with_context(|| format!("creating the network CA in {}", dir.display()))?;
            println!(
                "network CA for `{}` created in {}",
                ca.network(),
                dir.display()
            );
            println!("  ca.key  private key (mode 0600): keep it on the locator only");
            println!("  ca.pem  CA certificate: what operators' tools pass as --ca");
            println!("fingerprint (SHA-256): {}", ca.fingerprint());
            Ok(())
        }
    }
}
