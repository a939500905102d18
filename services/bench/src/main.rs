//! `continuum-bench`: measures a real `continuum node` process through its
//! clinical gRPC API, the way an EMR integration would use it.
//!
//! ```sh
//! cargo build --release -p continuum -p continuum-bench
//! target/release/continuum-bench node --bundles 40 --fill 1000000
//! ```
//!
//! It reports bundle import throughput (resources/s), the latency of
//! exporting one patient's whole record, and the node's resident memory
//! once it holds `--fill` resources.

#![forbid(unsafe_code)]

mod node_bench;

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Node(args) => node_bench::run(args).await,
    }
}
