//! `continuum node`: serve a node until interrupted, or enroll it in a network.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use continuum_mesh::clock::Environment;
use continuum_mesh::tls::WorkloadFiles;
use continuum_node::NodeConfig;
use serde::Serialize;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Command {
    #[command(subcommand)]
    action: Option<Action>,
    #[command(flatten)]
    serve: Args,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Join a network: make this node's key, and get its certificate from the
    /// locator with the one-time token the operator gave you.
    Enroll(EnrollArgs),
}

#[derive(Debug, clap::Args, Serialize)]
pub struct Args {
    /// TOML configuration file (settings can also come from CONTINUUM_* variables).
    #[arg(long, short)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address of the clinical API.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Folder of the embedded SQLite database.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` to use PostgreSQL instead of SQLite.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

#[derive(Debug, clap::Args)]
struct EnrollArgs {
    /// The enrollment token (`continuum admin node create` printed it).
    #[arg(long, env = "CONTINUUM_ENROLLMENT_TOKEN", hide_env_values = true)]
    token: String,
    /// The node's configuration: its `[network]` names the locator and where
    /// the key and certificate go.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// The locator (`https://host:port`), if not in the configuration.
    #[arg(long)]
    locator: Option<String>,
    /// Where to keep the key and certificates, if not in the configuration.
    #[arg(long)]
    tls_dir: Option<PathBuf>,
}

pub async fn run(command: Command) -> anyhow::Result<()> {
    match command.action {
        Some(Action::Enroll(args)) => enroll(args).await,
        None => serve(command.serve).await,
    }
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let config: NodeConfig = continuum_mesh::config::load(args.config.as_deref(), &args)?;
    let node = continuum_node::serve(&config, Environment::default())
        .await
        .context("starting the node")?;
    println!("node listening on {}", node.addr);
    if let Some(federation) = node.federation_addr {
        println!("federation API (mutual TLS, locator only) on {federation}");
    }
    tokio::signal::ctrl_c().await?;
    tracing::info!("stopping");
    node.stop().await?;
    Ok(())
}

async fn enroll(args: EnrollArgs) -> anyhow::Result<()> {
    let config: Option<NodeConfig> = args
        .config
        .as_deref()
        .map(|path| continuum_mesh::config::load(Some(path), &serde_json::json!({})))
        .transpose()?;
    let network = config.as_ref().and_then(|c| c.network.as_ref());
    let locator = args
        .locator
        .or_else(|| network.map(|n| n.locator.clone()))
        .context("name the locator with --locator or in the configuration's [network]")?;
    let tls_dir = args
        .tls_dir
        .or_else(|| config.as_ref().map(NodeConfig::tls_dir))
        .unwrap_or_else(|| NodeConfig::default().tls_dir());
    let files = WorkloadFiles::new(&tls_dir);
    if files.exists() {
        anyhow::bail!(
            "{} already holds this node's identity; a node enrolls once (its certificate then renews itself)",
            tls_dir.display()
        );
    }
    let enrolled = continuum_node::network::enroll(&locator, &args.token, &files)
        .await
        .context("enrolling with the locator")?;
    println!("enrolled as {}", enrolled.identity);
    println!(
        "certificate {} valid until {}",
        enrolled.serial, enrolled.not_after
    );
    println!("hosting: {}", enrolled.tenants.join(", "));
    println!("key and certificates in {}", tls_dir.display());
    Ok(())
}
