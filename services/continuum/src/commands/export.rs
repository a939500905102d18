//! `continuum export`: a patient's whole record as a FHIR Bundle.

use std::path::PathBuf;

use anyhow::Context;
use continuum_proto::node::v1::ExportPatientRequest;

use crate::client::NodeTarget;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: NodeTarget,
    /// The patient's id on the node.
    #[arg(long)]
    pub patient: String,
    /// Write the bundle here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut client = args.target.connect().await?;
    let export = client
        .export_patient(ExportPatientRequest {
            patient_id: args.patient.clone(),
        })
        .await
        .map_err(|s| anyhow::anyhow!("{}", s.message()))?
        .into_inner();
    match args.out {
        Some(path) => {
            std::fs::write(&path, &export.bundle_json)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "exported {} resources to {}",
                export.resource_count,
                path.display()
            );
        }
        None => println!("{}", export.bundle_json),
    }
    Ok(())
}
