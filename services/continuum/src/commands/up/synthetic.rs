//! The local network's synthetic patients, written as FHIR transaction
//! bundles under `<data>/up/synthetic/<tenant>/`: each organization's own
//! patients, and in `shared/` a few people registered at several
//! organizations with the same demographics — the same synthetic person
//! (`continuum_synth::patient_bundle_at`) with each organization's own
//! chart — whom the patient index links. The first of them is the story's
//! patient: mental-health (PSY) care in the family clinic's chart, another
//! chart at Harbor Recovery, and a registration at the hospital that
//! received the referral. Everything is a pure function of the seed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use continuum_synth::{RecordSize, Sensitivity, SynthOptions, patient_bundle_at};
use serde_json::Value;

use super::nodes::{CLINIC, HARBOR, HOSPITAL, ORGANIZATIONS, Organization};

/// The dataset of the people registered at several organizations, apart
/// from every organization's own.
const SHARED_SEED: u64 = 0x7368_6172_6564; // "shared"

/// What an organization holds of a shared person.
#[derive(Debug, Clone, Copy)]
enum Holding {
    /// A whole chart of their care there.
    Chart,
    /// Only the Patient: registered on referral, no care recorded yet.
    Registration,
}

/// Where each shared person is registered: the story's patient first.
const SHARED: &[&[(&Organization, Holding)]] = &[
    &[
        (&CLINIC, Holding::Chart),
        (&HARBOR, Holding::Chart),
        (&HOSPITAL, Holding::Registration),
    ],
    &[
        (&CLINIC, Holding::Chart),
        (&HOSPITAL, Holding::Registration),
    ],
    &[(&HARBOR, Holding::Chart), (&HOSPITAL, Holding::Chart)],
];

/// Who the story's patient is: their first identifier as a patient search
/// (`system|value`), and their (synthetic) name.
#[derive(Debug, Clone)]
pub struct StoryPerson {
    pub identifier: String,
    pub name: String,
}

/// Write every organization's bundles: `<tenant>/` its own `patients`
/// (dataset `seed + n` for the n-th organization), `<tenant>/shared/` the
/// people it shares.
pub fn write(home: &Path, patients: usize, seed: u64) -> anyhow::Result<StoryPerson> {
    for (index, org) in ORGANIZATIONS.iter().enumerate() {
        let options = SynthOptions {
            patients,
            seed: seed.wrapping_add(index as u64),
            size: RecordSize::Typical,
        };
        let folder = own_folder(home, org);
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        for (n, bundle) in continuum_synth::bundles(&options).enumerate() {
            write_json(&folder.join(format!("patient-{n:06}.json")), &bundle)?;
        }
    }
    let story = story_index(seed)?;
    let people = std::iter::once(story).chain((0..).filter(|i| *i != story));
    let mut story_person = None;
    for (person, (index, holdings)) in people.zip(SHARED).enumerate() {
        for (org, holding) in holdings.iter() {
            let mut bundle =
                patient_bundle_at(shared_seed(seed), index, RecordSize::Typical, site(org));
            if let Holding::Registration = holding {
                bundle = registration_only(bundle);
            }
            let folder = shared_folder(home, org);
            std::fs::create_dir_all(&folder)
                .with_context(|| format!("creating {}", folder.display()))?;
            write_json(&folder.join(format!("person-{person}.json")), &bundle)?;
            if person == 0 && story_person.is_none() {
                story_person = Some(identity(&bundle)?);
            }
        }
    }
    story_person.context("no story patient")
}

/// Where an organization's own patients are.
pub fn own_folder(home: &Path, org: &Organization) -> PathBuf {
    home.join("synthetic").join(org.id)
}

/// Where the people an organization shares with others are.
pub fn shared_folder(home: &Path, org: &Organization) -> PathBuf {
    own_folder(home, org).join("shared")
}

/// The first person of the shared dataset whose clinic chart holds
/// mental-health care (so that a patient's refusal of PSY shows) and no
/// substance use (shielded anyway, it would blur the story).
fn story_index(seed: u64) -> anyhow::Result<usize> {
    (0..1000)
        .find(|&index| {
            let bundle =
                patient_bundle_at(shared_seed(seed), index, RecordSize::Typical, site(&CLINIC));
            let found = sensitivities(&bundle);
            found.contains(&Sensitivity::MentalHealth)
                && !found.contains(&Sensitivity::SubstanceUse)
        })
        .context("no synthetic person with mental-health care among the first 1000")
}

fn shared_seed(seed: u64) -> u64 {
    SHARED_SEED ^ seed
}

/// The organization's site for `patient_bundle_at`: its place in the network.
fn site(org: &Organization) -> u32 {
    ORGANIZATIONS
        .iter()
        .position(|o| o.id == org.id)
        .unwrap_or_default() as u32
}

/// Keep only the Patient and the organization and practitioner it names.
fn registration_only(mut bundle: Value) -> Value {
    if let Some(entries) = bundle["entry"].as_array_mut() {
        entries.retain(|entry| {
            entry["resource"]["resourceType"] == "Patient"
                || !entry["request"]["ifNoneExist"].is_null()
        });
    }
    bundle
}

fn resources(bundle: &Value) -> impl Iterator<Item = &Value> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["resource"])
}

/// The sensitivities of the bundle's Conditions' codes.
fn sensitivities(bundle: &Value) -> BTreeSet<Sensitivity> {
    resources(bundle)
        .filter(|r| r["resourceType"] == "Condition")
        .flat_map(|r| r["code"]["coding"].as_array().into_iter().flatten())
        .filter_map(|c| continuum_synth::sensitivity_of(c["system"].as_str()?, c["code"].as_str()?))
        .collect()
}

fn identity(bundle: &Value) -> anyhow::Result<StoryPerson> {
    let patient = resources(bundle)
        .find(|r| r["resourceType"] == "Patient")
        .context("a bundle without a Patient")?;
    let identifier = &patient["identifier"][0];
    let name = &patient["name"][0];
    Ok(StoryPerson {
        identifier: format!(
            "{}|{}",
            identifier["system"].as_str().unwrap_or_default(),
            identifier["value"].as_str().unwrap_or_default()
        ),
        name: format!(
            "{} {}",
            name["given"][0].as_str().unwrap_or_default(),
            name["family"].as_str().unwrap_or_default()
        ),
    })
}

fn write_json(path: &Path, value: &Value) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_vec(value)?)
        .with_context(|| format!("writing {}", path.display()))
}
