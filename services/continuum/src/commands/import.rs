//! `continuum import`: stream bundles to a node, with progress.

use std::path::{Path, PathBuf};

use anyhow::Context;
use continuum_proto::node::v1::ImportBundleRequest;
use indicatif::{ProgressBar, ProgressStyle};
use tokio_stream::StreamExt;

use crate::client::NodeTarget;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: NodeTarget,
    /// Bundle files, or folders holding `.json` bundles.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// Totals of an import.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    pub bundles: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed_entries: u64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let files = bundle_files(&args.paths)?;
    let progress = ProgressBar::new(files.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} bundles  {per_sec}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let totals = import_files(&args.target, files, &progress).await?;
    progress.finish_and_clear();
    println!(
        "imported {} bundles: {} created, {} updated, {} unchanged, {} failed entries",
        totals.bundles, totals.created, totals.updated, totals.unchanged, totals.failed_entries
    );
    Ok(())
}

/// Import every file through one stream, reading files as the node asks for more.
pub async fn import_files(
    target: &NodeTarget,
    files: Vec<PathBuf>,
    progress: &ProgressBar,
) -> anyhow::Result<Totals> {
    let mut client = target.connect().await?;
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    let reader = tokio::spawn(async move {
        for path in files {
            let text = tokio::fs::read_to_string(&path)
                .await
                .with_context(|| format!("reading {}", path.display()))?;
            let label = path.display().to_string();
            if sender
                .send(ImportBundleRequest {
                    bundle_json: text,
                    label,
                })
                .await
                .is_err()
            {
                break;
            }
        }
        anyhow::Ok(())
    });
    let mut results = client
        .import_bundles(tokio_stream::wrappers::ReceiverStream::new(receiver))
        .await
        .map_err(|s| anyhow::anyhow!("{}", s.message()))?
        .into_inner();
    let mut totals = Totals::default();
    while let Some(result) = results.next().await {
        let result = result.map_err(|s| anyhow::anyhow!("{}", s.message()))?;
        totals.bundles += 1;
        totals.created += u64::from(result.created);
        totals.updated += u64::from(result.updated);
        totals.unchanged += u64::from(result.unchanged);
        totals.failed_entries += result.failed.len() as u64;
        for failure in &result.failed {
            progress.println(format!(
                "{}: entry {}: {}",
                result.label, failure.entry, failure.message
            ));
        }
        progress.set_message(format!(
            "{} resources stored",
            totals.created + totals.updated
        ));
        progress.inc(1);
    }
    reader.await??;
    Ok(totals)
}

/// The bundle files named by `paths`, folders expanded to their `.json` files, sorted.
pub fn bundle_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| is_json(p))
                .collect();
            found.sort();
            files.extend(found);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            anyhow::bail!("{} does not exist", path.display());
        }
    }
    Ok(files)
}

fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}
