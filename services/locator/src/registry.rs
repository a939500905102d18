//! The record locator's registry: where each network person has records.
//! Nodes feed it every patient change; each event is applied exactly once,
//! and only for tenants the node hosts.

use continuum_mesh::clock::IdSource;
use std::sync::Arc;

use crate::LocatorError;
use crate::directory::{AuthorizedNode, Directory};
use continuum_mpi::MatchConfig;

use crate::matching::PatientIndex;
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
}

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
        Ok(Located {
            locations: self.store.registrations_of(&registration.person).await?,
            history: self.store.link_history(tenant, local_id).await?,
            person: registration.person,
        })
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
    let demographics: serde_json::Value = serde_json::from_str(&event.demographics_json)
        .map_err(|e| invalid(&format!("demographics_json is not JSON: {e}")))?;
    if demographics["resourceType"] != "Patient" {
        return Err(invalid(
            "demographics_json must be the Patient's demographic elements",
        ));
    }
    Ok(())
}
