//! `continuum credential`: service credentials for a node's configuration.

use std::io::Read;

use clap::Subcommand;
use rand::RngCore;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a new random credential: prints the secret (give it to the service)
    /// and its hash (put it in the node's configuration).
    New,
    /// Print the hash of a secret read from standard input.
    Hash,
}

pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::New => {
            let secret = new_secret();
            println!("secret: {secret}");
            println!(
                "secret_sha256: {}",
                continuum_mesh::credentials::hash_secret(&secret)
            );
        }
        Command::Hash => {
            let mut secret = String::new();
            std::io::stdin().read_to_string(&mut secret)?;
            println!(
                "{}",
                continuum_mesh::credentials::hash_secret(secret.trim())
            );
        }
    }
    Ok(())
}

/// 256 random bits, hex-encoded.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}
