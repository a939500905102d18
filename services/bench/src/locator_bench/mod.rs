//! The locator benchmark: how fast the record locator registers patients
//! with matching on, how fast it locates one, and its memory, all through
//! its real gRPC APIs over TLS.
//!
//! A `continuum locator` process gets a new CA; a node is onboarded with the
//! operator's command line and enrolled from this process, and with that
//! node's certificate the benchmark feeds `Registry.Register` generated
//! registrations (`continuum_mpi::testset`: persons registered at several
//! organizations, typed with typos, nicknames, moves and the look-alikes
//! matching must keep apart) as FHIR Patient demographics, in batches, a
//! few calls in flight. Then the operator API (`Directory.LocatePatient`)
//! locates random registered patients, one call at a time.

mod feed;
mod process;
mod report;
mod timed;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use continuum_locator::registry::MAX_BATCH;
use continuum_mesh::tls::{
    ServerIdentityVerifier, Workload, WorkloadFiles, channel, client_config,
};
use continuum_proto::CallCredentials;
use continuum_proto::locator::v1::directory_client::DirectoryClient;
use continuum_proto::locator::v1::registry_client::RegistryClient;

use feed::Feed;
use process::{LocatorProcess, command_line};
use report::Report;
use timed::{load, locate};

const NETWORK: &str = "bench.local";
const NODE: &str = "bench-node";
/// Two organizations on the one node; a generated organization's records go
/// to one of them by the parity of its number.
const TENANTS: [&str; 2] = ["clinic-a", "clinic-b"];
const OPERATOR_SECRET: &str = "bench-operator-secret-0123456789abcdef0123";
/// Goals of the record locator's issue.
const REGISTRATIONS_GOAL: f64 = 2000.0;
const LOCATE_P99_GOAL_MS: f64 = 10.0;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The `continuum` binary to benchmark (default: beside this one).
    #[arg(long)]
    pub continuum: Option<PathBuf>,
    /// `postgres://…` to run the locator on PostgreSQL instead of SQLite.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Registrations sent in the timed load (one feed event each).
    #[arg(long, default_value_t = 100_000)]
    pub registrations: usize,
    /// Events per Register call (at most 1,000; each call is one
    /// transaction at the locator).
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Register calls in flight.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Locates timed after the load, one at a time.
    #[arg(long, default_value_t = 2000)]
    pub locates: usize,
    /// Seed of the generated persons, of the order they are sent in and of
    /// the patients located.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=MAX_BATCH).contains(&args.batch),
        "--batch must be 1 to {MAX_BATCH} (the locator refuses larger calls)"
    );
    anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    anyhow::ensure!(args.registrations > 0, "--registrations must be at least 1");
    let command = command_line();
    let started = Instant::now();
    let feed = Feed::generate(&args);
    println!(
        "generated {} registrations of {} persons in {:.1} s",
        feed.keys.len(),
        feed.persons,
        started.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir()?;
    let mut locator = LocatorProcess::start(&args, dir.path())?;
    let token = locator.onboard()?;
    let files = WorkloadFiles::new(dir.path().join("node-tls"));
    continuum_node::network::enroll(&locator.url, &token, &files).await?;
    let (credentials, bundle) = files.load()?;
    let verifier = || ServerIdentityVerifier::new(&bundle, Workload::Locator);
    let registry = RegistryClient::new(channel(
        &locator.url,
        client_config(verifier(), Some(Arc::new(credentials)))?,
    )?);
    let directory = DirectoryClient::with_interceptor(
        channel(&locator.url, client_config(verifier(), None)?)?,
        CallCredentials::bearer(OPERATOR_SECRET)?,
    );
    let idle = locator.usage()?;
    println!(
        "locator (pid {}) at {} on {}, RSS {} MiB before loading",
        locator.child.id(),
        locator.url,
        locator.database,
        idle.rss_kib / 1024
    );

    let keys = feed.keys;
    let load = load(registry, feed.batches, args.concurrency, keys.len()).await?;
    let loaded = locator.usage()?;
    let located = locate(directory, &keys, &feed.true_sizes, args.locates, args.seed).await?;
    let after = locator.usage()?;
    let database_bytes = locator.database_bytes();
    locator.stop();

    Report {
        command,
        registrations: keys.len(),
        persons: feed.persons,
        args: &args,
        database: locator.database.clone(),
        load,
        idle,
        loaded,
        located,
        after,
        database_bytes,
    }
    .print();
    Ok(())
}
