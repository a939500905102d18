//! `continuum-bench`: measures a real `continuum node` process through its
//! clinical gRPC API, the way an EMR integration would use it, a real
//! `continuum locator` through its patient feed and operator API, and what
//! the network's mutual TLS costs a federation call.
//!
//! ```sh
//! cargo build --release -p continuum -p continuum-bench
//! target/release/continuum-bench node --bundles 40 --fill 1000000
//! target/release/continuum-bench locator --registrations 100000 --locates 2000
//! target/release/continuum-bench mtls --seconds 5 --concurrency 1,16,64
//! target/release/continuum-bench consent --decisions 1000000
//! target/release/continuum-bench fetch --fetches 1000 --clients 16,32
//! target/release/continuum-bench token --verifications 20000
//! ```
//!
//! `node` reports bundle import throughput (resources/s), the latency of
//! exporting one patient's whole record, and the node's resident memory
//! once it holds `--fill` resources. `locator` reports registrations per
//! second with matching on, the latency of locating a patient, and the
//! locator's memory and database size. `mtls` reports mutual-TLS handshakes
//! per second and unary calls per second on one channel, each against
//! plaintext TCP, as markdown tables. `consent` reports the latency and
//! throughput of the consent decision on one core, in process. `fetch`
//! reports the latency, throughput and hung-node behaviour of the brokered
//! fetch of one patient's records from three nodes, against the issue's goals.
//! `token` reports what verifying an access token with cached keys costs.

#![forbid(unsafe_code)]

mod consent_bench;
mod fetch_bench;
mod locator_bench;
mod mtls_bench;
mod node_bench;
mod stats;
mod token_bench;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "continuum-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import, export and memory of one node.
    Node(node_bench::Args),
    /// Registrations with matching and locates through a real locator.
    Locator(locator_bench::Args),
    /// Mutual-TLS handshakes and unary call throughput, against plaintext.
    Mtls(mtls_bench::Args),
    /// Consent decisions and per-resource grant checks, in process.
    Consent(consent_bench::Args),
    /// Brokered fetches of one patient's records from three real nodes.
    Fetch(fetch_bench::Args),
    /// Access-token verification with cached provider keys, in process.
    Token(token_bench::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Node(args) => node_bench::run(args).await,
        Command::Locator(args) => locator_bench::run(args).await,
        Command::Mtls(args) => mtls_bench::run(args).await,
        Command::Consent(args) => consent_bench::run(args),
        Command::Fetch(args) => fetch_bench::run(args).await,
        Command::Token(args) => token_bench::run(args).await,
    }
}
