//! `continuum-bench`: measures a real `continuum node` process through its
//! clinical gRPC API, the way an EMR integration would use it, and what the
//! network's mutual TLS costs a federation call.
//!
//! ```sh
//! cargo build --release -p continuum -p continuum-bench
//! target/release/continuum-bench node --bundles 40 --fill 1000000
//! target/release/continuum-bench mtls --seconds 5 --concurrency 1,16,64
//! ```
//!
//! `node` reports bundle import throughput (resources/s), the latency of
//! exporting one patient's whole record, and the node's resident memory
//! once it holds `--fill` resources. `mtls` reports mutual-TLS handshakes
//! per second and unary calls per second on one channel, each against
//! plaintext TCP, as markdown tables.

#![forbid(unsafe_code)]

mod mtls_bench;
mod node_bench;
mod stats;

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
    /// Mutual-TLS handshakes and unary call throughput, against plaintext.
    Mtls(mtls_bench::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Node(args) => node_bench::run(args).await,
        Command::Mtls(args) => mtls_bench::run(args).await,
    }
}
