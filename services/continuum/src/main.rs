//! `continuum`: every Continuum service and operator tool as a subcommand.
//! Parsing arguments and calling into the service libraries is all it does.

#![forbid(unsafe_code)]

mod client;
mod commands;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "continuum",
    version,
    about = "A federated, consent-aware health-record network"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a local network on embedded defaults, with synthetic patients.
    Up(commands::up::Args),
    /// Serve a node: an organization's EMR and its clinical API (or `node enroll`).
    Node(commands::node::Command),
    /// Serve the locator: the network's directory and certificate authority.
    Locator(commands::locator::Args),
    /// The network certificate authority.
    #[command(subcommand)]
    Ca(commands::ca::Command),
    /// Network operators' tools: organizations, nodes, enrollment, revocation.
    Admin(commands::admin::Command),
    /// Import FHIR Bundles (files or folders of .json) into a node.
    Import(commands::import::Args),
    /// Export a patient's whole record from a node as a FHIR Bundle.
    Export(commands::export::Args),
    /// Write synthetic patients as FHIR R4 transaction bundles.
    Synth(commands::synth::Args),
    /// Check an audit ledger: hashes, chain, sequence and signed checkpoints.
    #[command(subcommand)]
    Audit(commands::audit::Command),
    /// Make and hash service credentials for a node's configuration.
    #[command(subcommand)]
    Credential(commands::credential::Command),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The local story is for reading: the services' logs only when asked.
    let default_level = match cli.command {
        Command::Up(_) => "warn",
        _ => "info",
    };
    continuum_mesh::telemetry::init_with_default(default_level);
    match cli.command {
        Command::Up(args) => commands::up::run(args).await,
        Command::Node(command) => commands::node::run(command).await,
        Command::Locator(args) => commands::locator::run(args).await,
        Command::Ca(command) => commands::ca::run(command),
        Command::Admin(command) => commands::admin::run(command).await,
        Command::Import(args) => commands::import::run(args).await,
        Command::Export(args) => commands::export::run(args).await,
        Command::Synth(args) => commands::synth::run(args),
        Command::Credential(command) => commands::credential::run(command),
        Command::Audit(command) => commands::audit::run(command).await,
    }
}
