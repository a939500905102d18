//! The organization's records: creating, versioning, finding, importing and
//! exporting FHIR resources for one tenant. This is the node's domain layer;
//! the gRPC API only translates to and from it.
//!
//! Every write goes through [`entries::write_entries`], so a single created
//! patient and a 500-entry transaction bundle follow exactly the same rules:
//! validation, identifier matching, reference resolution, labelling,
//! versioning.

mod disclose;
mod entries;
mod export;
mod import;
mod receive;
mod references;
mod version;

use continuum_mesh::clock::Environment;

use crate::NodeError;
use crate::store::{PatientCriteria, Store, StoredRow};
use crate::tenant::TenantId;
pub use entries::{Entry, Method, OnIdentifierMatch, Outcome, WriteOutcome};
pub use export::Export;
pub use import::{BundleKind, ImportSummary, PreparedBundle};
pub use receive::{Asked, receipt};

/// Largest search page.
pub const MAX_SEARCH_RESULTS: u64 = 1000;

/// The records of every tenant the node hosts.
#[derive(Debug, Clone)]
pub struct Records {
    store: Store,
    env: Environment,
    public_url: String,
}

impl Records {
    pub fn new(store: Store, env: Environment, public_url: String) -> Self {
        Self {
            store,
            env,
            public_url,
        }
    }

    /// Store a new resource of `expected_type` (any type when `None`).
    /// `on_match` says what to do when a stored resource has one of its identifiers.
    pub async fn create(
        &self,
        tenant: &TenantId,
        text: &str,
        expected_type: Option<&str>,
        on_match: OnIdentifierMatch,
    ) -> Result<Outcome, NodeError> {
        let (resource, resource_type) = continuum_fhir::parse_resource(text)?;
        expect_type(&resource_type, expected_type)?;
        let entry = Entry::new(resource, resource_type, None, Method::Create);
        self.write_one(tenant, entry, on_match).await
    }

    /// Store a new version of `resource_type/id`.
    pub async fn update(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
        text: &str,
        if_match_version: Option<u64>,
    ) -> Result<Outcome, NodeError> {
        let (resource, found_type) = continuum_fhir::parse_resource(text)?;
        expect_type(&found_type, Some(resource_type))?;
        if let Some(body_id) = resource.get("id").and_then(|v| v.as_str())
            && body_id != id
        {
            return Err(NodeError::InvalidRequest(format!(
                "the resource's id `{body_id}` does not match the id `{id}` being updated"
            )));
        }
        let method = Method::Update {
            id: id.to_owned(),
            if_match_version,
            must_exist: true,
        };
        let entry = Entry::new(resource, found_type, None, method);
        self.write_one(tenant, entry, OnIdentifierMatch::Refuse)
            .await
    }

    /// Write one entry in its own transaction.
    async fn write_one(
        &self,
        tenant: &TenantId,
        entry: Entry,
        on_match: OnIdentifierMatch,
    ) -> Result<Outcome, NodeError> {
        let tx = self.store.write(tenant).await?;
        let mut outcomes = entries::write_entries(&tx, &self.env, vec![entry], on_match)
            .await
            .map_err(NodeError::without_entry)?;
        tx.commit().await?;
        // One entry in, one outcome out: write_entries returns one per entry.
        outcomes
            .pop()
            .ok_or_else(|| NodeError::Serve("a write returned no outcome".into()))
    }

    /// A resource's current version, or a given past one.
    pub async fn get(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
        version: Option<u64>,
    ) -> Result<StoredRow, NodeError> {
        let tx = self.store.read(tenant).await?;
        let row = match version {
            None => tx.current(resource_type, id).await?,
            Some(v) => tx.version(resource_type, id, v).await?,
        };
        row.ok_or_else(|| NodeError::NotFound(resource_name(resource_type, id, version)))
    }

    /// Every version of a resource, newest first.
    pub async fn history(
        &self,
        tenant: &TenantId,
        resource_type: &str,
        id: &str,
    ) -> Result<Vec<StoredRow>, NodeError> {
        let tx = self.store.read(tenant).await?;
        let versions = tx.history(resource_type, id).await?;
        if versions.is_empty() {
            return Err(NodeError::NotFound(resource_name(resource_type, id, None)));
        }
        Ok(versions)
    }

    pub async fn search_patients(
        &self,
        tenant: &TenantId,
        mut criteria: PatientCriteria,
    ) -> Result<Vec<StoredRow>, NodeError> {
        if criteria.identifier.is_none() && criteria.name.is_none() && criteria.birth_date.is_none()
        {
            return Err(NodeError::InvalidRequest(
                "give at least one of identifier, name or birth_date".into(),
            ));
        }
        if let Some(name) = &criteria.name
            && continuum_fhir::search::fold(name).is_empty()
        {
            return Err(NodeError::InvalidRequest(format!(
                "name `{name}` has no letters or digits to search by"
            )));
        }
        if let Some(date) = &criteria.birth_date
            && !is_date(date)
        {
            return Err(NodeError::InvalidRequest(format!(
                "birth_date `{date}` is not a date (YYYY-MM-DD)"
            )));
        }
        criteria.limit = match criteria.limit {
            0 => 50,
            n => n.min(MAX_SEARCH_RESULTS),
        };
        let tx = self.store.read(tenant).await?;
        Ok(tx.search_patients(&criteria).await?)
    }

    /// A patient's resources by type and clinical date window.
    pub async fn patient_resources(
        &self,
        tenant: &TenantId,
        patient_id: &str,
        resource_types: &[String],
        from_date: Option<&str>,
        to_date: Option<&str>,
    ) -> Result<Vec<StoredRow>, NodeError> {
        for date in from_date.iter().chain(to_date.iter()) {
            if !is_date(date) {
                return Err(NodeError::InvalidRequest(format!(
                    "`{date}` is not a date (YYYY-MM-DD)"
                )));
            }
        }
        for resource_type in resource_types {
            if !continuum_fhir::is_resource_type(resource_type) {
                return Err(continuum_fhir::FhirError::UnknownResourceType(
                    resource_type.clone(),
                ))?;
            }
        }
        let tx = self.store.read(tenant).await?;
        if tx.current("Patient", patient_id).await?.is_none() {
            return Err(NodeError::NotFound(format!("Patient/{patient_id}")));
        }
        Ok(tx
            .patient_resources(patient_id, resource_types, from_date, to_date)
            .await?)
    }
}

fn expect_type(found: &str, expected: Option<&str>) -> Result<(), NodeError> {
    match expected {
        Some(expected) if expected != found => Err(NodeError::InvalidRequest(format!(
            "expected a {expected} resource, got a {found}"
        ))),
        _ => Ok(()),
    }
}

fn resource_name(resource_type: &str, id: &str, version: Option<u64>) -> String {
    match version {
        Some(v) => format!("{resource_type}/{id}/_history/{v}"),
        None => format!("{resource_type}/{id}"),
    }
}

fn is_date(text: &str) -> bool {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}
