//! The node benchmark: import throughput, export latency, memory at scale.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::Context;
use continuum_proto::CallCredentials;
use continuum_proto::node::v1::AuthorizedClinicalClient;
use continuum_proto::node::v1::clinical_client::ClinicalClient;
use continuum_proto::node::v1::{ExportPatientRequest, ImportBundleRequest};
use continuum_synth::{RecordSize, patient_bundle};
use tokio_stream::StreamExt;
use tonic::transport::Channel;

use crate::stats::{cores, ms, percentile};

const TENANT: &str = "bench-clinic";
const SECRET: &str = "bench-secret-0123456789abcdef0123456789";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The `continuum` binary to benchmark (default: beside this one).
    #[arg(long)]
    pub continuum: Option<PathBuf>,
    /// `postgres://…` to measure PostgreSQL instead of SQLite.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Synthea-sized bundles (~500 resources) in the timed import.
    #[arg(long, default_value_t = 40)]
    pub bundles: usize,
    /// Exports timed.
    #[arg(long, default_value_t = 1000)]
    pub exports: usize,
    /// Then fill the node up to this many resources and report its memory (0: skip).
    #[arg(long, default_value_t = 0)]
    pub fill: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut node = NodeProcess::start(&args, dir.path())?;
    let mut client = node.client().await?;
    println!("machine: {} cores; node: {}", cores(), node.describe);

    // Import: bundles are made before the clock starts.
    let bundles: Vec<String> = (0..args.bundles)
        .map(|i| patient_bundle(1, i, RecordSize::Large).to_string())
        .collect();
    let resources: usize = bundles
        .iter()
        .map(|b| b.matches("\"fullUrl\"").count())
        .sum();
    let started = Instant::now();
    let patients = import(&mut client, bundles).await?;
    let elapsed = started.elapsed();
    println!(
        "import: {} bundles, {resources} resources in {:.2} s = {:.0} resources/s",
        args.bundles,
        elapsed.as_secs_f64(),
        resources as f64 / elapsed.as_secs_f64()
    );

    time_exports(&mut client, &patients, args.exports, "export").await?;

    if args.fill > resources {
        let mut stored = resources;
        let mut index = args.bundles;
        let fill_started = Instant::now();
        while stored < args.fill {
            let batch: Vec<String> = (index..index + 100)
                .map(|i| patient_bundle(1, i, RecordSize::Large).to_string())
                .collect();
            stored += batch
                .iter()
                .map(|b| b.matches("\"fullUrl\"").count())
                .sum::<usize>();
            index += 100;
            import(&mut client, batch).await?;
        }
        println!(
            "fill: {stored} resources stored ({:.0} s)",
            fill_started.elapsed().as_secs_f64()
        );
        time_exports(&mut client, &patients, args.exports, "export at scale").await?;
        let (rss, peak) = node.memory()?;
        println!("memory while serving {stored} resources: RSS {rss} MiB (peak {peak} MiB)");
    }
    node.stop();
    Ok(())
}

type Client = AuthorizedClinicalClient;

/// Export whole records, round-robin over `patients`, and print the latencies.
async fn time_exports(
    client: &mut Client,
    patients: &[String],
    exports: usize,
    label: &str,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        !patients.is_empty(),
        "no patient was imported: nothing to export"
    );
    let mut latencies = Vec::with_capacity(exports);
    let mut exported = 0;
    for i in 0..exports {
        let patient_id = patients[i % patients.len()].clone();
        let started = Instant::now();
        let export = client
            .export_patient(ExportPatientRequest { patient_id })
            .await?
            .into_inner();
        latencies.push(started.elapsed());
        exported += export.resource_count as usize;
    }
    latencies.sort();
    println!(
        "{label}: {exports} records, {:.0} resources each: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        exported as f64 / exports.max(1) as f64,
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
    Ok(())
}

/// Import bundles through one stream; returns the patient id of each.
async fn import(client: &mut Client, bundles: Vec<String>) -> anyhow::Result<Vec<String>> {
    let requests = bundles.into_iter().map(|bundle_json| ImportBundleRequest {
        bundle_json,
        label: String::new(),
    });
    let mut results = client
        .import_bundles(tokio_stream::iter(requests))
        .await?
        .into_inner();
    let mut patients = Vec::new();
    while let Some(result) = results.next().await {
        let result = result?;
        let patient = result.locations.iter().find(|l| l.starts_with("Patient/"));
        if let Some(id) = patient.and_then(|l| l.split('/').nth(1)) {
            patients.push(id.to_owned());
        }
    }
    Ok(patients)
}

/// A `continuum node` child process.
struct NodeProcess {
    child: Child,
    endpoint: String,
    describe: String,
}

impl NodeProcess {
    fn start(args: &Args, dir: &std::path::Path) -> anyhow::Result<NodeProcess> {
        let binary = crate::stats::continuum_binary(args.continuum.as_deref())?;
        let mut config = format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n\n[[tenants]]\nid = \"{TENANT}\"\n\
             name = \"Bench Clinic\"\n[[tenants.credentials]]\nname = \"bench\"\nsecret_sha256 = \"{}\"\n",
            dir.join("data").display(),
            continuum_mesh::credentials::hash_secret(SECRET)
        );
        if let Some(url) = &args.database_url {
            config = format!("database_url = \"{url}\"\n{config}");
        }
        let config_path = dir.join("node.toml");
        std::fs::write(&config_path, config)?;
        let mut child = Command::new(&binary)
            .args(["node", "--config"])
            .arg(&config_path)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("node listening on ")
            .context("node did not start")?;
        let describe = match &args.database_url {
            Some(_) => "PostgreSQL".to_owned(),
            None => "SQLite (WAL)".to_owned(),
        };
        Ok(NodeProcess {
            child,
            endpoint: format!("http://{addr}"),
            describe,
        })
    }

    async fn client(&self) -> anyhow::Result<Client> {
        let channel = Channel::from_shared(self.endpoint.clone())?
            .tcp_nodelay(true)
            .initial_stream_window_size(4 << 20)
            .initial_connection_window_size(16 << 20)
            .connect()
            .await?;
        let credentials = CallCredentials::new(TENANT, SECRET)?;
        Ok(ClinicalClient::with_interceptor(channel, credentials)
            .max_decoding_message_size(256 << 20)
            .max_encoding_message_size(256 << 20))
    }

    /// (current RSS, peak RSS) in MiB, from /proc.
    fn memory(&self) -> anyhow::Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
                .map_or(0, |kb| kb / 1024)
        };
        Ok((field("VmRSS:"), field("VmHWM:")))
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
