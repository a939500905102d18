//! The referral story `continuum up` plays on the running network, through
//! the same clinical APIs an EMR uses, and prints in plain sentences:
//!
//! 1. a hospital specialist fetches a referred patient's outside records
//!    (purpose TREAT); the substance-use program that also holds records is
//!    shielded by the network policy and not named;
//! 2. the patient records a consent directive at the family clinic (deny
//!    mental-health records) and the specialist's next fetch shows it;
//! 3. an emergency physician breaks the glass (ETREAT with a reason): the
//!    shielded source appears, every resource from it labelled BTG;
//! 4. where each disclosure is recorded (see `audit`);
//! 5. the emergency access is reviewed, and the patient's access report is
//!    read from the audit ledger.
//!
//! What is printed is read from the answers, never assumed: when the network
//! does something else than the story expects, the story says so.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use continuum_fhir::Sensitivity;
use continuum_proto::node::v1::{ExportPatientRequest, FetchOutsideRecordsRequest};

use super::audit;
use super::consent::{CONSENT_ID, WITHHELD, put_consent};
use super::network::LocalLocator;
use super::nodes::{CLINIC, Credentials, EMR, HARBOR, HOSPITAL, LocalNode};
use super::patients::StoryPatient;
use super::people::{EMERGENCY, People, SPECIALIST};
use super::report::{Fetched, counts};

const EMERGENCY_REASON: &str = "unconscious patient, suspected overdose";

/// Everything the story acts with.
#[derive(Debug)]
pub struct Cast<'a> {
    pub home: &'a Path,
    pub locator: &'a LocalLocator,
    pub saas: &'a LocalNode,
    pub hospital: &'a LocalNode,
    pub credentials: &'a Credentials,
    pub people: &'a People,
    pub patient: &'a StoryPatient,
    pub person_id: &'a str,
}

pub async fn tell(cast: &Cast<'_>) -> anyhow::Result<()> {
    let name = &cast.patient.name;
    let marker = cast.home.join("story-consent-recorded");
    if marker.exists() {
        put_consent(cast, "inactive").await?;
        println!(
            "\n(The consent directive an earlier run recorded is revoked first, so that the story \
             starts again from the network's default policy.)"
        );
    }

    heading("1. The referral");
    print_chart(cast).await?;
    println!(
        "{name} is referred from {} to {}. Dr Ana Lee ({SPECIALIST}, signed in at the hospital's \
         identity provider, role clinician) asks the hospital's node for {name}'s records held elsewhere, purpose TREAT:",
        CLINIC.name, HOSPITAL.name
    );
    let referral = fetch(cast, SPECIALIST, "TREAT", "").await?;
    referral.print_sources();
    if referral.names(HARBOR.id) {
        println!(
            "Unexpected: {} is named in the answer, although the network policy shields \
             substance-use (ETH) records unless the patient permits them.",
            HARBOR.name
        );
    } else {
        println!(
            "{} holds records for this patient but the patient's consent does not cover them: \
             it is not named in the answer.",
            HARBOR.name
        );
    }

    heading("2. The patient's consent");
    std::fs::write(&marker, CONSENT_ID).with_context(|| format!("writing {}", marker.display()))?;
    let directive = put_consent(cast, "active").await?;
    println!(
        "At {}, {name} asks that their mental-health records ({WITHHELD}) not be shared. The \
         clinic records a FHIR Consent (patient-privacy, OPTIN, provision: deny {WITHHELD}) with \
         the network: directive {} version {}, {}.",
        CLINIC.name, directive.directive_id, directive.version, directive.status
    );
    println!("Dr Lee fetches again, purpose TREAT:");
    let after_consent = fetch(cast, SPECIALIST, "TREAT", "").await?;
    after_consent.print_sources();
    let changes = after_consent.changes_since(&referral);
    if changes.is_empty() {
        println!("Unexpected: nothing changed.");
    } else {
        println!("What changed: {}.", changes.join(", "));
    }

    heading("3. The emergency");
    println!(
        "Later {name} is brought to {}'s emergency department. The emergency physician \
         Dr Chidi Okafor ({EMERGENCY}, roles clinician and emergency-access) breaks the glass: purpose ETREAT, reason \"{EMERGENCY_REASON}\":",
        HOSPITAL.name
    );
    let emergency = fetch(cast, EMERGENCY, "ETREAT", EMERGENCY_REASON).await?;
    emergency.print_sources();
    print_break_glass(&emergency);

    heading("4. Where it is recorded");
    let disclosures =
        [&referral, &after_consent, &emergency].map(|f| f.response.disclosure_id.clone());
    audit::show(cast, &disclosures).await?;

    heading("5. The patient's access report");
    audit::access_report(cast, &disclosures).await
}

fn heading(title: &str) {
    println!("\n── {title} ──");
}

/// The story patient's chart at the family clinic, and the sensitivity
/// labels the node derived from its codes.
async fn print_chart(cast: &Cast<'_>) -> anyhow::Result<()> {
    let mut client = cast
        .saas
        .target(cast.credentials, CLINIC.id, EMR)?
        .connect()
        .await?;
    let export = client
        .export_patient(ExportPatientRequest {
            patient_id: cast.patient.at_clinic.clone(),
        })
        .await
        .context("exporting the story patient's chart at the clinic")?
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
    println!(
        "{}'s chart at {} (Patient/{}) holds {} resources; sensitivity labels the node derived \
         from their codes: {}.",
        cast.patient.name,
        CLINIC.name,
        cast.patient.at_clinic,
        export.resource_count,
        if labels.is_empty() {
            "none".into()
        } else {
            counts(&labels)
        }
    );
    Ok(())
}

/// What the emergency fetch opened, and whether it is flagged.
fn print_break_glass(emergency: &Fetched) {
    let from_harbor = emergency.by_source.get(HARBOR.id).copied().unwrap_or(0);
    let labelled = emergency.btg_by_source.get(HARBOR.id).copied().unwrap_or(0);
    if from_harbor == 0 {
        println!("Unexpected: {} is still not in the answer.", HARBOR.name);
    } else if labelled == from_harbor {
        println!(
            "{} now appears: every one of its {from_harbor} resources carries the break-the-glass \
             security label (BTG).",
            HARBOR.name
        );
    } else {
        println!(
            "{} now appears, but only {labelled} of its {from_harbor} resources carry the \
             break-the-glass security label (BTG).",
            HARBOR.name
        );
    }
    let response = &emergency.response;
    if response.break_glass {
        println!(
            "The answer is flagged as break-the-glass and recorded as such; the emergency access \
             stays open until {}.",
            if response.break_glass_until.is_empty() {
                "(not given)"
            } else {
                &response.break_glass_until
            }
        );
    } else {
        println!("Unexpected: the answer is not flagged as break-the-glass.");
    }
    let withheld = emergency.labels.get(WITHHELD).copied().unwrap_or(0);
    if withheld == 0 {
        println!(
            "The patient's own refusal still stands: no {WITHHELD}-labelled resource was released \
             (labels received: {}).",
            if emergency.labels.is_empty() {
                "none".into()
            } else {
                counts(&emergency.labels)
            }
        );
    } else {
        println!(
            "Unexpected: {withheld} {WITHHELD}-labelled resources were released despite the \
             patient's refusal."
        );
    }
}

/// Fetch the story patient's outside records at the hospital as `user`.
async fn fetch(
    cast: &Cast<'_>,
    user: &str,
    purpose: &str,
    break_glass_reason: &str,
) -> anyhow::Result<Fetched> {
    let mut client = cast
        .people
        .target(cast.hospital, HOSPITAL.id, user)
        .await?
        .connect()
        .await?;
    let started = Instant::now();
    let response = client
        .fetch_outside_records(FetchOutsideRecordsRequest {
            patient_id: cast.patient.at_hospital.clone(),
            purpose: purpose.into(),
            break_glass_reason: break_glass_reason.into(),
            resource_types: Vec::new(),
        })
        .await
        .with_context(|| format!("{user} fetching outside records ({purpose})"))?
        .into_inner();
    Fetched::new(response, started.elapsed())
}
