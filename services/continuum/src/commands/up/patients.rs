//! Loading the local network's synthetic patients through the real
//! clinical API (each organization's own, then the people it shares), and
//! waiting until the patient feed has reached the locator and the patient
//! index has linked the story's patient across the three organizations.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use continuum_proto::locator::v1::LocatePatientRequest;
use continuum_proto::node::v1::SearchPatientsRequest;
use indicatif::ProgressBar;

use super::network::LocalLocator;
use super::nodes::{CLINIC, HARBOR, HOSPITAL, ORGANIZATIONS, Organization};
use super::synthetic::{StoryPerson, own_folder, shared_folder};
use crate::client::NodeTarget;
use crate::commands::import::{Totals, bundle_files, import_files};

/// How long the patient feed may take to reach the locator and link.
const LINK_TIMEOUT: Duration = Duration::from_secs(30);

/// The person the story follows, as each organization knows them.
#[derive(Debug, Clone)]
pub struct StoryPatient {
    /// The synthetic person's name (never a real person's).
    pub name: String,
    pub at_clinic: String,
    pub at_harbor: String,
    pub at_hospital: String,
}

/// Import every organization's bundles through its node's clinical API.
pub async fn import(
    home: &Path,
    target_of: impl Fn(&Organization) -> anyhow::Result<NodeTarget>,
) -> anyhow::Result<()> {
    for org in ORGANIZATIONS {
        let target = target_of(org)?;
        let own = import_folder(&target, &own_folder(home, org)).await?;
        println!(
            "{} ({}): {} patients imported — {} resources created, {} updated, {} unchanged",
            org.name, org.id, own.bundles, own.created, own.updated, own.unchanged
        );
        let shared = import_folder(&target, &shared_folder(home, org)).await?;
        println!(
            "  and {} people also registered elsewhere — {} resources created, {} updated, {} unchanged",
            shared.bundles, shared.created, shared.updated, shared.unchanged
        );
    }
    Ok(())
}

/// The story patient's local id at each organization.
pub async fn find_story_patient(
    person: StoryPerson,
    target_of: impl Fn(&Organization) -> anyhow::Result<NodeTarget>,
) -> anyhow::Result<StoryPatient> {
    let mut ids = Vec::new();
    for org in [&CLINIC, &HARBOR, &HOSPITAL] {
        let mut client = target_of(org)?.connect().await?;
        let found = client
            .search_patients(SearchPatientsRequest {
                identifier: person.identifier.clone(),
                limit: 2,
                ..Default::default()
            })
            .await
            .with_context(|| format!("searching {}'s patients", org.id))?
            .into_inner();
        let patient = found
            .patients
            .first()
            .with_context(|| format!("the story's patient is not registered at {}", org.id))?;
        ids.push(patient.id.clone());
    }
    let [at_clinic, at_harbor, at_hospital] = <[String; 3]>::try_from(ids)
        .map_err(|_| anyhow::anyhow!("expected three registrations"))?;
    Ok(StoryPatient {
        name: person.name,
        at_clinic,
        at_harbor,
        at_hospital,
    })
}

/// Wait until the patient feed has reached the locator and the patient
/// index links the hospital's registration to the clinic's and Harbor
/// Recovery's. Returns the network person id and how long it took.
pub async fn wait_for_link(
    locator: &LocalLocator,
    patient: &StoryPatient,
) -> anyhow::Result<(String, Duration)> {
    let mut admin = locator.target.connect()?;
    let wanted: BTreeSet<&str> = [CLINIC.id, HARBOR.id, HOSPITAL.id].into();
    let started = Instant::now();
    let mut seen = BTreeSet::new();
    loop {
        let located = admin
            .locate_patient(LocatePatientRequest {
                tenant: HOSPITAL.id.into(),
                local_id: patient.at_hospital.clone(),
            })
            .await;
        match located {
            Ok(reply) => {
                let reply = reply.into_inner();
                seen = reply
                    .locations
                    .iter()
                    .filter(|l| l.status == "active")
                    .map(|l| l.tenant.clone())
                    .collect();
                if wanted.iter().all(|t| seen.contains(*t)) {
                    return Ok((reply.person_id, started.elapsed()));
                }
            }
            Err(status) if status.code() == tonic::Code::NotFound => {}
            Err(status) => return Err(status).context("locating the story's patient"),
        }
        if started.elapsed() > LINK_TIMEOUT {
            anyhow::bail!(
                "the patient index did not link the story's patient at {} within {} s \
                 (linked at: {}); check the nodes' feed and the review queue \
                 (`continuum admin locate --tenant {} --patient {}`)",
                wanted.into_iter().collect::<Vec<_>>().join(", "),
                LINK_TIMEOUT.as_secs(),
                if seen.is_empty() {
                    "nowhere yet".into()
                } else {
                    seen.into_iter().collect::<Vec<_>>().join(", ")
                },
                HOSPITAL.id,
                patient.at_hospital,
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn import_folder(target: &NodeTarget, folder: &Path) -> anyhow::Result<Totals> {
    let files = bundle_files(&[folder.to_path_buf()])?;
    let progress = ProgressBar::new(files.len() as u64);
    let totals = import_files(target, files, &progress)
        .await
        .with_context(|| format!("importing {} into {}", folder.display(), target.tenant))?;
    progress.finish_and_clear();
    Ok(totals)
}
