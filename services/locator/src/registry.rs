//! The record locator's registry: where each network person has records.
//! Nodes feed it every patient change; each event is applied exactly once,
//! and only for tenants the node hosts.

use continuum_mesh::clock::IdSource;
use std::sync::Arc;

use crate::LocatorError;
use crate::directory::{AuthorizedNode, Directory};
use continuum_mpi::MatchConfig;

use crate::matching::{PatientIndex, SearchMatch, StoredDecision};
use crate::store::{
    DirectoryStore, IncomingEvent, LinkEvent, Registration, Resolution, ReviewItem,
};

/// Who operators' link changes are recorded as (until operators sign in
/// with OIDC through the console and are named).
const OPERATOR: &str = "operator";

/// Most events accepted in one call (the node's publisher sends fewer).
pub const MAX_BATCH: usize = 1000;

#[derive(Debug, Clone)]
pub struct Registry {
    store: DirectoryStore,
    directory: Directory,
    ids: Arc<dyn IdSource>,
    index: Arc<PatientIndex>,
    /// Feed batches are decided and written one at a time, first come first
    /// served: the index decides in commit order (so a reload after a failed
    /// write cannot drop another batch's decisions), and on SQLite callers
    /// queue here instead of polling the database's write lock, which
    /// starved some of them for seconds under load.
    feed_turn: Arc<tokio::sync::Mutex<()>>,
}

impl Registry {
    /// The registry over `store`, with its patient index loaded.
    pub async fn open(
        store: DirectoryStore,
        directory: Directory,
        ids: Arc<dyn IdSource>,
    ) -> Result<Self, LocatorError> {
        let index = Arc::new(PatientIndex::load(&store, MatchConfig::default()).await?);
        Ok(Self {
            store,
            directory,
            ids,
            index,
            feed_turn: Arc::default(),
        })
    }

    /// Apply feed events from `node`; the sequence numbers now applied.
    pub async fn register(
        &self,
        node: &AuthorizedNode,
        events: Vec<IncomingEvent>,
    ) -> Result<Vec<u64>, LocatorError> {
        if events.len() > MAX_BATCH {
            return Err(LocatorError::InvalidArgument(format!(
                "{} events in one call; send at most {MAX_BATCH}",
                events.len()
            )));
        }
        for event in &events {
            validate(event)?;
        }
        let mut tenants: Vec<String> = events.iter().map(|e| e.tenant.clone()).collect();
        tenants.sort();
        tenants.dedup();
        self.directory
            .check_tenants(node, &tenants, "node.register")
            .await?;
        let _turn = self.feed_turn.lock().await;
        let now = self.directory.now();
        let applied = self
            .store
            .apply_feed(&node.id, &events, &now, |event, existing| {
                self.index.decide(event, existing, || self.ids.new_id())
            })
            .await;
        if applied.is_err() {
            // The index decided for events the database did not keep.
            self.index.reload(&self.store).await?;
        }
        applied
    }
}

/// Where a patient's person has records.
#[derive(Debug, Clone)]
pub struct Located {
    pub person: String,
    pub locations: Vec<Registration>,
    pub history: Vec<LinkEvent>,
    /// The matcher's latest decision on the registration.
    pub decision: Option<StoredDecision>,
}

/// A node's view of one of its own patients: no other tenant appears.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnPatient {
    pub person: String,
    pub decision: Option<StoredDecision>,
    /// Registrations of the person at the same tenant (itself included).
    pub local_ids: Vec<String>,
}

/// A person that demographics match, with where it has records.
#[derive(Debug, Clone)]
pub struct Found {
    pub candidate: SearchMatch,
    pub locations: Vec<Registration>,
}

/// Most persons a demographic search returns.
pub const MAX_FOUND: usize = 50;

impl Registry {
    /// The person of `local_id` at `tenant`, all its registrations, and the
    /// history of this one. For operators; nodes will only ever see this
    /// through the consent-aware fetch.
    pub async fn locate(&self, tenant: &str, local_id: &str) -> Result<Located, LocatorError> {
        let registration = self
            .store
            .registration(tenant, local_id)
            .await?
            .ok_or_else(|| LocatorError::NotFound(format!("patient {local_id} at {tenant}")))?;
        let history = self.store.link_history(tenant, local_id).await?;
        Ok(Located {
            locations: self.store.registrations_of(&registration.person).await?,
            decision: history
                .iter()
                .rev()
                .filter(|event| event.actor.starts_with("node/"))
                .find_map(|event| StoredDecision::read(&event.detail)),
            history,
            person: registration.person,
        })
    }

    /// For `node`: the person of one of its own patients, and that person's
    /// other registrations at the same tenant. Other tenants, even ones the
    /// node also hosts, stay out of it (tenant isolation).
    pub async fn locate_own(
        &self,
        node: &AuthorizedNode,
        tenant: &str,
        local_id: &str,
    ) -> Result<OwnPatient, LocatorError> {
        self.directory
            .check_tenants(node, &[tenant.to_owned()], "node.locate")
            .await?;
        let located = self.locate(tenant, local_id).await?;
        Ok(OwnPatient {
            person: located.person,
            decision: located.decision,
            local_ids: located
                .locations
                .into_iter()
                .filter(|r| r.tenant == tenant)
                .map(|r| r.local_id)
                .collect(),
        })
    }

    /// The persons a FHIR Patient's demographics match, best first, for
    /// operators. Nothing is registered.
    pub async fn find(
        &self,
        demographics_json: &str,
        limit: usize,
    ) -> Result<Vec<Found>, LocatorError> {
        let patient = patient_json(demographics_json).map_err(LocatorError::InvalidArgument)?;
        let mut found = Vec::new();
        for candidate in self.index.search(&patient, limit.clamp(1, MAX_FOUND)) {
            found.push(Found {
                locations: self.store.registrations_of(&candidate.person).await?,
                candidate,
            });
        }
        Ok(found)
    }

    /// Review items with `status` (`None`: all).
    pub async fn review_items(
        &self,
        status: Option<&str>,
    ) -> Result<Vec<ReviewItem>, LocatorError> {
        self.store.review_items(status).await
    }

    pub async fn resolve_review(
        &self,
        id: &str,
        resolution: Resolution,
        note: &str,
    ) -> Result<ReviewItem, LocatorError> {
        let now = self.directory.now();
        let item = self
            .store
            .resolve_review(id, resolution, OPERATOR, note, &now)
            .await?;
        if resolution == Resolution::Link {
            self.index
                .link(&item.tenant, &item.local_id, &item.candidate_person);
        }
        Ok(item)
    }

    /// Link (or relink) a registration to an existing person.
    pub async fn link(
        &self,
        tenant: &str,
        local_id: &str,
        person: &str,
        note: &str,
    ) -> Result<Located, LocatorError> {
        let now = self.directory.now();
        self.store
            .link(tenant, local_id, person, OPERATOR, note, &now)
            .await?;
        self.index.link(tenant, local_id, person);
        self.locate(tenant, local_id).await
    }

    /// Give a registration a new person of its own.
    pub async fn unlink(
        &self,
        tenant: &str,
        local_id: &str,
        note: &str,
    ) -> Result<Located, LocatorError> {
        let now = self.directory.now();
        let person = self.ids.new_id();
        self.store
            .unlink(tenant, local_id, &person, OPERATOR, note, &now)
            .await?;
        self.index.unlink(tenant, local_id, &person);
        self.locate(tenant, local_id).await
    }

    /// How many feed events from `node` were applied.
    pub async fn events_applied(&self, node: &str) -> Result<u64, LocatorError> {
        let node = continuum_mesh::tls::NodeId::new(node)
            .map_err(|e| LocatorError::InvalidArgument(e.to_string()))?;
        self.store.receipts(&node).await
    }
}

/// Refuse an event that is not what the feed carries, naming it.
fn validate(event: &IncomingEvent) -> Result<(), LocatorError> {
    let invalid = |why: &str| {
        LocatorError::InvalidArgument(format!(
            "feed event {} ({}/{}): {why}",
            event.seq, event.tenant, event.local_id
        ))
    };
    if event.local_id.is_empty() || event.tenant.is_empty() {
        return Err(invalid("tenant and local_id are required"));
    }
    if !matches!(event.event.as_str(), "upserted" | "deactivated" | "merged") {
        return Err(invalid("event must be upserted, deactivated or merged"));
    }
    patient_json(&event.demographics_json).map_err(|why| invalid(&why))?;
    Ok(())
}

/// A FHIR Patient as JSON, or why it is not one.
fn patient_json(json: &str) -> Result<serde_json::Value, String> {
    let patient: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("demographics_json is not JSON: {e}"))?;
    if patient["resourceType"] != "Patient" {
        return Err("demographics_json must be the Patient's demographic elements".to_owned());
    }
    Ok(patient)
}
