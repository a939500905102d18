//! The registrations the benchmark sends: generated persons as the FHIR
//! Patient demographics a node's feed carries, batched into Register calls.

use std::collections::HashMap;

use continuum_mpi::testset;
use continuum_mpi::{Demographics, Sex};
use continuum_proto::locator::v1::{PatientEvent, RegisterRequest};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use super::{Args, TENANTS};

/// The registrations to send, made before any clock starts.
pub(super) struct Feed {
    /// True (generated) persons behind the registrations.
    pub(super) persons: usize,
    pub(super) batches: Vec<RegisterRequest>,
    /// (tenant, local id) of every registration.
    pub(super) keys: Vec<(String, String)>,
    /// How many registrations the true person of each has.
    pub(super) true_sizes: Vec<usize>,
}

impl Feed {
    pub(super) fn generate(args: &Args) -> Feed {
        // The generator registers a person at 1.9 organizations on average.
        let mut persons = args.registrations * 100 / 185 + 8;
        let mut set = testset::generate(persons, args.seed);
        while set.records.len() < args.registrations {
            persons = persons * 11 / 10 + 8;
            set = testset::generate(persons, args.seed);
        }
        // Records come person by person: keep whole persons, then send them
        // in random order, as registrations arrive from many desks.
        let mut records = set.records;
        records.truncate(args.registrations);
        records.shuffle(&mut ChaCha8Rng::seed_from_u64(args.seed));
        let mut sizes: HashMap<u32, usize> = HashMap::new();
        for record in &records {
            *sizes.entry(record.truth).or_default() += 1;
        }
        let persons = sizes.len();
        let true_sizes = records.iter().map(|r| sizes[&r.truth]).collect();

        let mut keys = Vec::with_capacity(records.len());
        let mut events = Vec::with_capacity(records.len());
        for (seq, record) in (1..).zip(records) {
            let tenant = tenant_of(&record.key.tenant).to_owned();
            keys.push((tenant.clone(), record.key.local_id.clone()));
            events.push(PatientEvent {
                seq,
                tenant,
                local_id: record.key.local_id,
                event: "upserted".to_owned(),
                demographics_json: fhir_patient(&record.demographics).to_string(),
            });
        }
        let mut events = events.into_iter();
        let mut batches = Vec::new();
        loop {
            let batch: Vec<PatientEvent> = events.by_ref().take(args.batch).collect();
            if batch.is_empty() {
                break;
            }
            batches.push(RegisterRequest { events: batch });
        }
        Feed {
            persons,
            batches,
            keys,
            true_sizes,
        }
    }
}

/// `org-<n>` of the generator → one of the node's two tenants.
fn tenant_of(organization: &str) -> &'static str {
    let number: usize = organization
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    TENANTS[number % TENANTS.len()]
}

/// The Patient elements a node's feed carries, from generated demographics.
fn fhir_patient(d: &Demographics) -> Value {
    let mut patient = json!({ "resourceType": "Patient" });
    let mut name = json!({ "use": "official" });
    if let Some(family) = &d.family {
        name["family"] = json!(family);
    }
    if !d.given.is_empty() {
        name["given"] = json!(d.given);
    }
    if !d.suffix.is_empty() {
        name["suffix"] = json!(d.suffix);
    }
    patient["name"] = json!([name]);
    if let Some(birth_date) = &d.birth_date {
        patient["birthDate"] = json!(birth_date);
    }
    if let Some(sex) = d.sex {
        patient["gender"] = json!(match sex {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        });
    }
    if let Some(address) = &d.address {
        let mut fhir = json!({ "line": address.lines });
        for (field, value) in [
            ("city", &address.city),
            ("postalCode", &address.postal_code),
            ("country", &address.country),
        ] {
            if let Some(value) = value {
                fhir[field] = json!(value);
            }
        }
        patient["address"] = json!([fhir]);
    }
    if !d.phones.is_empty() {
        let telecom: Vec<Value> = d
            .phones
            .iter()
            .map(|phone| json!({ "system": "phone", "value": phone }))
            .collect();
        patient["telecom"] = json!(telecom);
    }
    if !d.identifiers.is_empty() {
        let identifiers: Vec<Value> = d
            .identifiers
            .iter()
            .map(|i| json!({ "system": i.system, "value": i.value }))
            .collect();
        patient["identifier"] = json!(identifiers);
    }
    patient
}
