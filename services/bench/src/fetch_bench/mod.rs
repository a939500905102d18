//! The brokered-fetch benchmark: how fast a requesting node gets one
//! patient's records from three other organizations through the locator,
//! end to end over the real processes and their mutual TLS.
//!
//! A `continuum locator` (SQLite, new CA) and four `continuum node`
//! processes — holding tenants `clinic-1..3` and the requesting `hospital`,
//! one tenant each — are started from the release binary, onboarded with
//! `continuum admin` and enrolled with `continuum node enroll`. One person
//! is registered at all four with the same demographics; each clinic holds
//! a chart of distinct resources for them (167 released per clinic with the
//! Patient, 501 per answer), and every node holds synthetic background
//! patients. Then, through the hospital's clinical API
//! (`FetchOutsideRecords`, purpose TREAT): sequential fetches for latency,
//! concurrent clients for throughput, and fetches while one clinic's node
//! is frozen with SIGSTOP, which must each come back by the deadline with
//! that source TIMED_OUT.

mod data;
mod network;
mod phases;
mod report;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use network::{Locator, Node, cpu_delta, cpu_snapshot};
use phases::{Expect, Fetcher};
use report::Report;

const HOLDING: [&str; 3] = ["clinic-1", "clinic-2", "clinic-3"];
const REQUESTER: &str = "hospital";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The `continuum` binary to benchmark (default: beside this one).
    #[arg(long)]
    pub continuum: Option<PathBuf>,
    /// Chart resources per holding tenant (each also releases the Patient).
    #[arg(long, default_value_t = 166)]
    pub chart: usize,
    /// Synthetic background patients (small records) per node.
    #[arg(long, default_value_t = 1000)]
    pub background: usize,
    /// Untimed fetches before the latency phase.
    #[arg(long, default_value_t = 50)]
    pub warmup: usize,
    /// Sequential fetches timed in the latency phase.
    #[arg(long, default_value_t = 1000)]
    pub fetches: usize,
    /// Concurrent clients of each throughput run.
    #[arg(long, value_delimiter = ',', default_value = "16,32")]
    pub clients: Vec<usize>,
    /// Length of each throughput run.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Sequential fetches while one holding node is stopped.
    #[arg(long, default_value_t = 20)]
    pub hung_fetches: usize,
    /// The locator's `fetch_deadline_millis`.
    #[arg(long, default_value_t = 1000)]
    pub deadline_ms: u64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.fetches > 0, "--fetches must be at least 1");
    anyhow::ensure!(
        args.clients.iter().all(|&c| c > 0),
        "--clients must each be at least 1"
    );
    let mut report = Report::new(&args);
    let binary = crate::stats::continuum_binary(args.continuum.as_deref())?;
    let dir = tempfile::tempdir()?;
    let idp = continuum_identity::dev_provider::DevProvider::start("127.0.0.1:0".parse()?).await?;
    let locator = Locator::start(&binary, dir.path(), args.deadline_ms, idp.issuer())?;
    let mut clinics = Vec::new();
    for tenant in HOLDING {
        clinics.push(locator.add_node(tenant, "clinic")?);
    }
    let hospital = locator.add_node(REQUESTER, "hospital")?;
    println!(
        "network up: locator pid {}, nodes {:?}",
        locator.process.pid(),
        pids(&clinics, &hospital)
    );

    let started = Instant::now();
    let patient = load(&args, &clinics, &hospital, &mut report).await?;
    report.linked = data::wait_linked(
        &locator,
        REQUESTER,
        &patient,
        &HOLDING,
        Duration::from_secs(300),
    )
    .await?;
    report.load_secs = started.elapsed().as_secs_f64();
    println!("data loaded and linked in {:.1} s", report.load_secs);

    let expect = Expect {
        holding: HOLDING.map(str::to_owned).to_vec(),
        per_source: u32::try_from(args.chart + 1)?,
        hung: None,
    };
    let cpu = || cpu_snapshot(&locator, &clinics, &hospital);

    // Latency: one client, one fetch at a time.
    let mut fetcher = Fetcher::connect(&hospital, &patient).await?;
    let warm = fetcher.sequential(&expect, args.warmup).await;
    report.warmup_errors = warm.errors;
    let before = cpu();
    report.latency = fetcher.sequential(&expect, args.fetches).await;
    report.latency_cpu = cpu_delta(&before, &cpu());
    println!("latency phase done");

    // Throughput: concurrent clients for a fixed time.
    for &clients in &args.clients {
        let before = cpu();
        let run = phases::concurrent(&hospital, &patient, &expect, clients, args.seconds).await?;
        let used = cpu_delta(&before, &cpu());
        println!("throughput with {clients} clients done");
        report.throughput.push((clients, run, used));
    }

    // A hung node: frozen, then thawed even when the phase fails.
    let hung = &clinics[0];
    let hung_expect = Expect {
        hung: Some(hung.tenant.clone()),
        ..expect.clone()
    };
    {
        let _frozen = Frozen::new(hung)?;
        report.hung = fetcher.sequential(&hung_expect, args.hung_fetches).await;
    }
    report.after_thaw = fetcher.fetch(&expect).await.err();
    println!("hung-node phase done");
    report.print();
    Ok(())
}

/// The person at every tenant, the clinics' charts and the background
/// patients; the person's id at the requesting tenant.
async fn load(
    args: &Args,
    clinics: &[Node],
    hospital: &Node,
    report: &mut Report,
) -> anyhow::Result<String> {
    for (site, clinic) in clinics.iter().enumerate() {
        let local = data::register(clinic, &format!("C{site}-1")).await?;
        data::chart(clinic, &local, site, args.chart).await?;
    }
    let patient = data::register(hospital, "H-1").await?;
    // Every node imports its background patients at the same time.
    let started = Instant::now();
    let mut imports = tokio::task::JoinSet::new();
    for (i, node) in clinics.iter().chain([hospital]).enumerate() {
        let client = node.client().await?;
        imports.spawn(data::background(client, 100 + i as u64, args.background));
    }
    while let Some(stored) = imports.join_next().await {
        report.background_resources += stored??;
    }
    report.background_secs = started.elapsed().as_secs_f64();
    Ok(patient)
}

fn pids(clinics: &[Node], hospital: &Node) -> Vec<(String, u32)> {
    clinics
        .iter()
        .chain([hospital])
        .map(|n| (n.tenant.clone(), n.process.pid()))
        .collect()
}

/// A node stopped with SIGSTOP until dropped (SIGCONT).
struct Frozen<'a>(&'a Node);

impl<'a> Frozen<'a> {
    fn new(node: &'a Node) -> anyhow::Result<Self> {
        node.process.signal("STOP")?;
        Ok(Frozen(node))
    }
}

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.process.signal("CONT") {
            eprintln!("could not resume the stopped node: {e}");
        }
    }
}
