//! `continuum locator`: serve the locator until interrupted.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use continuum_locator::LocatorConfig;
use continuum_mesh::clock::Environment;
use serde::Serialize;

#[derive(Debug, clap::Args, Serialize)]
pub struct Args {
    /// TOML configuration file (settings can also come from CONTINUUM_* variables).
    #[arg(long, short)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address of the locator's APIs.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Folder of the embedded SQLite database (and of the CA, by default).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` to use PostgreSQL instead of SQLite.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let config: LocatorConfig = continuum_mesh::config::load(args.config.as_deref(), &args)?;
    let locator = continuum_locator::serve(&config, Environment::default())
        .await
        .context("starting the locator")?;
    println!("locator listening on {}", locator.addr);
    tokio::signal::ctrl_c().await?;
    tracing::info!("stopping");
    locator.stop().await?;
    Ok(())
}
