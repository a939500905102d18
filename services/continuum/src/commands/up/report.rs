//! Reading the answer of a brokered fetch for a person: what came from
//! which organization, how each source did, which resource types and
//! sensitivity labels arrived, which resources carry the break-the-glass
//! label, and what changed from one fetch to the next.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Context;
use continuum_fhir::Sensitivity;
use continuum_proto::locator::v1::{FetchRecordsResponse, SourceOutcome};
use serde_json::Value;

/// The security label of resources opened by emergency access.
pub const BTG_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
pub const BTG: &str = "BTG";

/// One fetch's answer, counted.
#[derive(Debug)]
pub struct Fetched {
    pub response: FetchRecordsResponse,
    /// The round trip as the requesting client saw it.
    pub elapsed: Duration,
    /// Resource type → count, over the merged answer.
    pub types: BTreeMap<String, usize>,
    /// Sensitivity code (`PSY`, `ETH`, …) → resources carrying it.
    pub labels: BTreeMap<String, usize>,
    /// Source tenant → resources naming it.
    pub by_source: BTreeMap<String, usize>,
    /// Source tenant → of those, resources labelled BTG.
    pub btg_by_source: BTreeMap<String, usize>,
}

impl Fetched {
    pub fn new(response: FetchRecordsResponse, elapsed: Duration) -> anyhow::Result<Fetched> {
        let mut fetched = Fetched {
            elapsed,
            types: BTreeMap::new(),
            labels: BTreeMap::new(),
            by_source: BTreeMap::new(),
            btg_by_source: BTreeMap::new(),
            response: FetchRecordsResponse::default(),
        };
        for resource in &response.resources {
            let json: Value = serde_json::from_str(&resource.resource_json)
                .context("the locator returned a resource that is not JSON")?;
            let kind = json["resourceType"].as_str().unwrap_or("?").to_owned();
            *fetched.types.entry(kind).or_default() += 1;
            let security = json["meta"]["security"].as_array();
            let codes = |system: &str| -> BTreeSet<String> {
                security
                    .into_iter()
                    .flatten()
                    .filter(|c| c["system"] == system)
                    .filter_map(|c| c["code"].as_str().map(str::to_owned))
                    .collect()
            };
            for label in codes(Sensitivity::SYSTEM) {
                *fetched.labels.entry(label).or_default() += 1;
            }
            let btg = codes(BTG_SYSTEM).contains(BTG);
            for source in &resource.sources {
                *fetched.by_source.entry(source.clone()).or_default() += 1;
                if btg {
                    *fetched.btg_by_source.entry(source.clone()).or_default() += 1;
                }
            }
        }
        fetched.response = response;
        Ok(fetched)
    }

    pub fn total(&self) -> usize {
        self.response.resources.len()
    }

    /// Whether the answer names `tenant` anywhere: as a source asked, or on
    /// a resource.
    pub fn names(&self, tenant: &str) -> bool {
        self.response.sources.iter().any(|s| s.tenant == tenant)
            || self.by_source.contains_key(tenant)
    }

    /// One line per source asked: organization, outcome, count, time.
    pub fn print_sources(&self) {
        if self.response.sources.is_empty() {
            println!("  No organization was asked.");
        }
        for source in &self.response.sources {
            let outcome = match SourceOutcome::try_from(source.outcome) {
                Ok(SourceOutcome::Complete) => "complete",
                Ok(SourceOutcome::TimedOut) => "timed out",
                Ok(SourceOutcome::Unavailable) => "unavailable",
                _ => "unknown outcome",
            };
            let name = if source.display_name.is_empty() {
                &source.tenant
            } else {
                &source.display_name
            };
            let detail = if source.detail.is_empty() {
                String::new()
            } else {
                format!(" — {}", source.detail)
            };
            println!(
                "  from {name:<26} {outcome:<12} {:>4} resources  {:>4} ms{detail}",
                source.resources, source.elapsed_ms
            );
        }
        println!(
            "  {} resources after de-duplication, in {} ms: {}",
            self.total(),
            self.elapsed.as_millis(),
            counts(&self.types)
        );
        if !self.labels.is_empty() {
            println!("  sensitivity labels among them: {}", counts(&self.labels));
        }
    }

    /// What differs from an earlier answer: totals, types and labels.
    pub fn changes_since(&self, before: &Fetched) -> Vec<String> {
        let mut changes = Vec::new();
        if self.total() != before.total() {
            changes.push(format!("{} → {} resources", before.total(), self.total()));
        }
        for (what, now, then) in [
            ("", &self.types, &before.types),
            ("labelled ", &self.labels, &before.labels),
        ] {
            let keys: BTreeSet<&String> = now.keys().chain(then.keys()).collect();
            for key in keys {
                let (a, b) = (
                    then.get(key).copied().unwrap_or(0),
                    now.get(key).copied().unwrap_or(0),
                );
                if a != b {
                    changes.push(format!("{what}{key} {a} → {b}"));
                }
            }
        }
        changes
    }
}

/// `Observation 52, Encounter 40, …`, largest first.
pub fn counts(map: &BTreeMap<String, usize>) -> String {
    let mut pairs: Vec<(&String, &usize)> = map.iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
