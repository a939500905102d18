//! `continuum up`: a complete local Continuum network on embedded defaults,
//! in one process — a locator with a new network CA; a SaaS node hosting a
//! family clinic and a behavioural-health clinic, and a hospital's node,
//! each on SQLite and enrolled over mutual TLS; synthetic patients imported
//! through the real clinical API, some registered at several organizations
//! — then it plays the referral story (`story`) and keeps serving.
//!
//! Development only: credentials are generated afresh on every start and
//! written beside the data, readable by the current user only; people sign
//! in at a development identity provider that asks no password (`people`),
//! which the nodes trust only because they run in development mode.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

mod audit;
mod consent;
mod network;
mod nodes;
mod patients;
mod people;
mod report;
mod story;
mod synthetic;

use nodes::{CLINIC, Credentials, EMR, LocalNode, NodePlan, ORGANIZATIONS, Organization};

use super::credential::new_secret;
use crate::client::NodeTarget;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the network keeps its data.
    #[arg(long, default_value = "continuum-data")]
    pub data_dir: PathBuf,
    /// Address of the locator.
    #[arg(long, default_value = "127.0.0.1:7300")]
    pub locator_listen: SocketAddr,
    /// Address of the SaaS node's clinical API (the family clinic and Harbor Recovery).
    #[arg(long, alias = "listen", default_value = "127.0.0.1:7400")]
    pub saas_listen: SocketAddr,
    /// Address of the SaaS node's federation API (mutual TLS, the locator only).
    #[arg(long, alias = "federation-listen", default_value = "127.0.0.1:7401")]
    pub saas_federation_listen: SocketAddr,
    /// Address of the hospital node's clinical API.
    #[arg(long, default_value = "127.0.0.1:7410")]
    pub hospital_listen: SocketAddr,
    /// Address of the hospital node's federation API.
    #[arg(long, default_value = "127.0.0.1:7411")]
    pub hospital_federation_listen: SocketAddr,
    /// Address of the development identity provider (no passwords: development only).
    #[arg(long, default_value = "127.0.0.1:7490")]
    pub idp_listen: SocketAddr,
    /// Synthetic patients each organization has of its own (besides the people they share).
    #[arg(long, default_value_t = 10)]
    pub patients: usize,
    /// Seed of the synthetic patients.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop after the story instead of serving until Ctrl-C.
    #[arg(long)]
    pub no_wait: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let home = args.data_dir.join("up");
    std::fs::create_dir_all(&home).with_context(|| format!("creating {}", home.display()))?;
    let credentials = Credentials::generate();
    let operator_secret = new_secret();
    let locator = network::start_locator(&home, args.locator_listen, &operator_secret).await?;
    println!(
        "Continuum locator serving on {} (network `{}`, CA in {})",
        locator.target.locator,
        network::NETWORK,
        locator.target.ca.display()
    );
    network::onboard(&locator, &ORGANIZATIONS).await?;
    let people = people::People::start(args.idp_listen).await?;
    println!(
        "Development identity provider (no passwords; nodes trust it only in development mode) on {}",
        people.issuer()
    );
    let credentials_file = home.join("credentials.toml");
    nodes::write_private(&credentials_file, &credentials.to_toml(&operator_secret))?;

    let plans = [
        NodePlan::saas(args.saas_listen, args.saas_federation_listen),
        NodePlan::hospital(args.hospital_listen, args.hospital_federation_listen),
    ];
    let mut running = Vec::new();
    for plan in &plans {
        if let Some(enrolled) = network::enroll(&locator, plan, &plan.tls_dir(&home)).await? {
            println!("{enrolled}");
        }
        let node = nodes::start(plan, &home, &locator, &credentials, &people).await?;
        println!(
            "Continuum {} serving {} on {} (data in {})",
            plan.id,
            names(plan.tenants),
            node.endpoint,
            plan.data_dir(&home).display()
        );
        println!(
            "{}",
            network::probe(&locator, plan.id, node.federation()?).await?
        );
        running.push(node);
    }
    let [saas, hospital] =
        <[LocalNode; 2]>::try_from(running).map_err(|_| anyhow::anyhow!("expected two nodes"))?;

    let target_of = |org: &Organization| -> anyhow::Result<NodeTarget> {
        let node = if saas.plan.tenants.iter().any(|t| t.id == org.id) {
            &saas
        } else {
            &hospital
        };
        node.target(&credentials, org.id, EMR)
    };
    let person = synthetic::write(&home, args.patients, args.seed)?;
    patients::import(&home, &target_of).await?;
    let patient = patients::find_story_patient(person, &target_of).await?;
    let (person_id, waited) = patients::wait_for_link(&locator, &patient).await?;
    println!(
        "The patient index linked {}'s registrations at all three organizations to one person \
         ({person_id}) {} ms after the import.",
        patient.name,
        waited.as_millis()
    );

    story::tell(&story::Cast {
        home: &home,
        locator: &locator,
        saas: &saas,
        hospital: &hospital,
        credentials: &credentials,
        people: &people,
        patient: &patient,
        person_id: &person_id,
    })
    .await?;

    println!("\nEndpoints:");
    println!(
        "  locator      {} (operators; CA {})",
        locator.target.locator,
        locator.target.ca.display()
    );
    for node in [&saas, &hospital] {
        println!(
            "  {:<12} clinical {}, federation https://{} — {}",
            node.plan.id,
            node.endpoint,
            node.federation()?,
            names(node.plan.tenants)
        );
    }
    println!("Credentials are in {}. Try:", credentials_file.display());
    let me = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "continuum".into());
    println!(
        "  {me} export --node {} --tenant {} --token {} --patient {}",
        saas.endpoint,
        CLINIC.id,
        credentials.secret(CLINIC.id, EMR)?,
        patient.at_clinic
    );
    println!(
        "  curl -s -d grant_type=password -d username={} -d resource={} {}/token   # a clinician's access token",
        people::SPECIALIST,
        people::audience(nodes::HOSPITAL.id),
        people.issuer()
    );
    println!(
        "  {me} admin --locator {} --ca {} --operator-token {operator_secret} node list",
        locator.target.locator,
        locator.target.ca.display()
    );
    println!("Ready in {:.1} s.", started.elapsed().as_secs_f64());
    if !args.no_wait {
        println!("Press Ctrl-C to stop.");
        tokio::signal::ctrl_c().await?;
    }
    saas.running.stop().await?;
    hospital.running.stop().await?;
    locator.running.stop().await?;
    Ok(())
}

/// `Riverside Family Clinic (riverside-clinic), …`
fn names(organizations: &[&Organization]) -> String {
    organizations
        .iter()
        .map(|org| format!("{} ({})", org.name, org.id))
        .collect::<Vec<_>>()
        .join(", ")
}
