//! `continuum up`: a local Continuum on embedded defaults — a locator with a
//! new network CA, a node hosting a family clinic and a hospital (two
//! tenants, SQLite) enrolled in it over mutual TLS, filled with synthetic
//! patients through the real clinical API — then it keeps serving.
//!
//! Development only: credentials are generated afresh on every start and
//! written beside the data, readable by the current user only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use continuum_fhir::Sensitivity;
use continuum_mesh::clock::Environment;
use continuum_mesh::credentials::hash_secret;
use continuum_node::NodeConfig;
use continuum_node::config::{CredentialConfig, NetworkConfig, TenantConfig};
use continuum_proto::node::v1::{ExportPatientRequest, SearchPatientsRequest};
use continuum_synth::{RecordSize, SynthOptions};
use indicatif::ProgressBar;

mod network;

use super::credential::new_secret;
use super::import::{bundle_files, import_files};
use crate::client::NodeTarget;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the network keeps its data.
    #[arg(long, default_value = "continuum-data")]
    pub data_dir: PathBuf,
    /// Address of the node's clinical API.
    #[arg(long, default_value = "127.0.0.1:7400")]
    pub listen: SocketAddr,
    /// Address of the locator.
    #[arg(long, default_value = "127.0.0.1:7300")]
    pub locator_listen: SocketAddr,
    /// Address of the node's federation API (mutual TLS, the locator only).
    #[arg(long, default_value = "127.0.0.1:7401")]
    pub federation_listen: SocketAddr,
    /// Synthetic patients per organization.
    #[arg(long, default_value_t = 10)]
    pub patients: usize,
    /// Seed of the synthetic patients.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop after loading and showing the data instead of serving until Ctrl-C.
    #[arg(long)]
    pub no_wait: bool,
}

/// The organizations of the local network.
const ORGANIZATIONS: &[(&str, &str)] = &[
    ("riverside-clinic", "Riverside Family Clinic"),
    ("lakeside-hospital", "Lakeside General Hospital"),
];

pub async fn run(args: Args) -> anyhow::Result<()> {
    let home = args.data_dir.join("up");
    std::fs::create_dir_all(&home).with_context(|| format!("creating {}", home.display()))?;
    let secrets: Vec<String> = ORGANIZATIONS.iter().map(|_| new_secret()).collect();
    let operator_secret = new_secret();
    let locator = network::start_locator(&home, args.locator_listen, &operator_secret).await?;
    println!(
        "Continuum locator serving on {} (network `{}`, CA in {})",
        locator.target.locator,
        network::NETWORK,
        locator.target.ca.display()
    );
    let tls_dir = network::tls_dir(&home);
    if let Some(enrolled) =
        network::onboard_and_enroll(&locator, ORGANIZATIONS, args.federation_listen, &tls_dir)
            .await?
    {
        println!("{enrolled}");
    }
    let config = NodeConfig {
        listen: args.listen,
        data_dir: home.join("node"),
        tenants: ORGANIZATIONS
            .iter()
            .zip(&secrets)
            .map(|((id, name), secret)| TenantConfig {
                id: (*id).into(),
                name: (*name).into(),
                credentials: vec![CredentialConfig {
                    name: "continuum-up".into(),
                    secret_sha256: hash_secret(secret),
                }],
            })
            .collect(),
        network: Some(NetworkConfig {
            locator: locator.target.locator.clone(),
            federation_listen: args.federation_listen,
            tls_dir: Some(tls_dir),
            heartbeat_secs: 10,
        }),
        ..NodeConfig::default()
    };
    write_private(&home.join("node.toml"), &toml::to_string_pretty(&config)?)?;
    let credentials: String = ORGANIZATIONS
        .iter()
        .zip(&secrets)
        .map(|((id, _), secret)| format!("{id} = \"{secret}\"\n"))
        .chain([format!("operator = \"{operator_secret}\"\n")])
        .collect();
    write_private(&home.join("credentials.toml"), &credentials)?;

    let node = continuum_node::serve(&config, Environment::default()).await?;
    let endpoint = format!("http://{}", node.addr);
    println!(
        "Continuum node serving on {endpoint} (data in {})",
        home.display()
    );
    let federation = node
        .federation_addr
        .context("the node did not join the network")?;
    println!("{}", network::probe(&locator, federation).await?);

    for (index, ((tenant, name), secret)) in ORGANIZATIONS.iter().zip(&secrets).enumerate() {
        let folder = home.join("synthetic").join(tenant);
        let seed = args.seed.wrapping_add(index as u64);
        write_patients(&folder, args.patients, seed)?;
        let target = NodeTarget {
            node: endpoint.clone(),
            tenant: (*tenant).into(),
            token: secret.clone(),
        };
        let files = bundle_files(std::slice::from_ref(&folder))?;
        let progress = ProgressBar::new(files.len() as u64);
        let totals = import_files(&target, files, &progress).await?;
        progress.finish_and_clear();
        println!(
            "{name} ({tenant}): {} patients imported — {} resources created, {} updated, {} unchanged",
            totals.bundles, totals.created, totals.updated, totals.unchanged
        );
    }
    let shown = show_a_record(&endpoint, ORGANIZATIONS[0].0, &secrets[0]).await?;

    let me = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "continuum".into());
    println!(
        "\nTry it (credentials are in {}):",
        home.join("credentials.toml").display()
    );
    println!(
        "  {me} export --node {endpoint} --tenant {} --token {} --patient {}",
        ORGANIZATIONS[0].0,
        secrets[0],
        shown.as_deref().unwrap_or("<id>")
    );
    println!(
        "  {me} admin --locator {} --ca {} --operator-token {operator_secret} node list",
        locator.target.locator,
        locator.target.ca.display()
    );
    if !args.no_wait {
        println!("Press Ctrl-C to stop.");
        tokio::signal::ctrl_c().await?;
    }
    node.stop().await?;
    locator.running.stop().await?;
    Ok(())
}

fn write_patients(folder: &Path, patients: usize, seed: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(folder)?;
    let options = SynthOptions {
        patients,
        seed,
        size: RecordSize::Typical,
    };
    for (index, bundle) in continuum_synth::bundles(&options).enumerate() {
        std::fs::write(
            folder.join(format!("patient-{index:06}.json")),
            serde_json::to_vec(&bundle)?,
        )?;
    }
    Ok(())
}

/// Show the record of one of the clinic's patients whose chart holds
/// sensitive data, and how the node labelled it.
async fn show_a_record(
    endpoint: &str,
    tenant: &str,
    secret: &str,
) -> anyhow::Result<Option<String>> {
    let target = NodeTarget {
        node: endpoint.into(),
        tenant: tenant.into(),
        token: secret.into(),
    };
    let mut client = target.connect().await?;
    let found = client
        .search_patients(SearchPatientsRequest {
            name: "a".into(),
            limit: 50,
            ..Default::default()
        })
        .await?
        .into_inner();
    for patient in &found.patients {
        let export = client
            .export_patient(ExportPatientRequest {
                patient_id: patient.id.clone(),
            })
            .await?
            .into_inner();
        let bundle: serde_json::Value = serde_json::from_str(&export.bundle_json)?;
        let mut labels = std::collections::BTreeMap::<String, usize>::new();
        for entry in bundle["entry"].as_array().into_iter().flatten() {
            let security = entry["resource"]["meta"]["security"].as_array();
            for coding in security.into_iter().flatten() {
                if coding["system"] == Sensitivity::SYSTEM {
                    let code = coding["code"].as_str().unwrap_or("?").to_owned();
                    *labels.entry(code).or_default() += 1;
                }
            }
        }
        if labels.is_empty() {
            continue;
        }
        println!(
            "\nPatient/{} at {tenant}: {} resources; sensitivity labels the node derived \
             from their codes: {}",
            patient.id,
            export.resource_count,
            labels
                .iter()
                .map(|(code, n)| format!("{code} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(Some(patient.id.clone()));
    }
    Ok(found.patients.first().map(|p| p.id.clone()))
}

/// Write a file only the current user can read (it holds secrets).
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}
