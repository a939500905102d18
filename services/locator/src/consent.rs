//! Patients' consent directives and the network policy, as the locator
//! keeps them. Directives arrive from nodes as FHIR R4 Consents, are read
//! by `continuum-consent` (which alone decides what they mean), and every
//! version is kept; the current version of each is what the next fetch
//! uses.

use continuum_consent::fhir::read_consent;
use continuum_consent::{Directive, NetworkPolicy};

use crate::LocatorError;
use crate::directory::model::timestamp;
use crate::directory::{AuthorizedNode, Directory};
use crate::store::{DirectoryStore, Registration, StoredDirective};

/// Largest Consent accepted, in bytes.
const MAX_CONSENT_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct Consents {
    store: DirectoryStore,
    directory: Directory,
}

/// A directive version as recorded, with its person.
#[derive(Debug, Clone)]
pub struct RecordedDirective {
    pub stored: StoredDirective,
    pub person: String,
}

impl Consents {
    pub fn new(store: DirectoryStore, directory: Directory) -> Self {
        Self { store, directory }
    }

    /// Record a Consent that `node` sends for one of its tenants' patients.
    pub async fn put(
        &self,
        node: &AuthorizedNode,
        tenant: &str,
        consent_json: &str,
    ) -> Result<RecordedDirective, LocatorError> {
        self.directory
            .check_tenants(node, &[tenant.to_owned()], "consent.put")
            .await?;
        if consent_json.len() > MAX_CONSENT_BYTES {
            return Err(LocatorError::InvalidArgument(format!(
                "the Consent is {} bytes; at most {MAX_CONSENT_BYTES} are accepted",
                consent_json.len()
            )));
        }
        let value = continuum_fhir::validate_text(consent_json)
            .map_err(|e| LocatorError::InvalidArgument(format!("invalid FHIR R4 Consent: {e}")))?;
        let read = read_consent(&value, 0)?;
        let registration = self.registration(tenant, &read.patient_local_id).await?;
        let mut stored = StoredDirective {
            directive_id: format!("{tenant}/{}", read.consent_id),
            version: 0,
            tenant: tenant.to_owned(),
            local_id: read.patient_local_id,
            status: if read.active { "active" } else { "inactive" }.to_owned(),
            consent_json: serde_json::to_string(&value).unwrap_or_default(),
            recorded_at: self.directory.now(),
        };
        stored.version = self.store.put_directive(&stored).await?;
        tracing::info!(
            tenant,
            directive = %stored.directive_id,
            version = stored.version,
            status = %stored.status,
            "consent directive recorded"
        );
        Ok(RecordedDirective {
            stored,
            person: registration.person,
        })
    }

    /// The current directives of the person of one of `node`'s patients.
    pub async fn list(
        &self,
        node: &AuthorizedNode,
        tenant: &str,
        local_id: &str,
    ) -> Result<Vec<RecordedDirective>, LocatorError> {
        self.directory
            .check_tenants(node, &[tenant.to_owned()], "consent.list")
            .await?;
        let person = self.registration(tenant, local_id).await?.person;
        let registrations = self.store.registrations_of(&person).await?;
        Ok(self
            .store
            .current_directives(&keys(&registrations))
            .await?
            .into_iter()
            .map(|stored| RecordedDirective {
                stored,
                person: person.clone(),
            })
            .collect())
    }

    /// Every current directive of a person with these registrations, read
    /// for the decision. A stored Consent that no longer reads (it was
    /// valid when recorded) fails the fetch rather than being skipped: a
    /// skipped deny would release what the patient withheld.
    pub async fn directives_of(
        &self,
        registrations: &[Registration],
    ) -> Result<Vec<Directive>, LocatorError> {
        self.store
            .current_directives(&keys(registrations))
            .await?
            .into_iter()
            .map(|stored| {
                let value: serde_json::Value = serde_json::from_str(&stored.consent_json)
                    .map_err(|e| LocatorError::Corrupt(format!("{}: {e}", stored.directive_id)))?;
                let read = read_consent(&value, stored.version)
                    .map_err(|e| LocatorError::Corrupt(format!("{}: {e}", stored.directive_id)))?;
                let mut directive = read.directive;
                directive.id = stored.directive_id;
                Ok(directive)
            })
            .collect()
    }

    pub async fn policy(&self) -> Result<NetworkPolicy, LocatorError> {
        self.store.consent_policy().await
    }

    /// Replace the network policy; returns when it was set.
    pub async fn set_policy(&self, policy: &NetworkPolicy) -> Result<String, LocatorError> {
        if policy.break_glass_minutes == 0 || policy.break_glass_minutes > 24 * 60 {
            return Err(LocatorError::InvalidArgument(
                "break_glass_minutes must be between 1 and 1440".into(),
            ));
        }
        let now = timestamp(self.directory.env().clock.now());
        self.store.set_consent_policy(policy, &now).await?;
        tracing::info!(?policy, "consent policy set");
        Ok(now)
    }

    async fn registration(
        &self,
        tenant: &str,
        local_id: &str,
    ) -> Result<Registration, LocatorError> {
        self.store
            .registration(tenant, local_id)
            .await?
            .ok_or_else(|| {
                LocatorError::NotFound(format!(
                    "patient `{local_id}` at `{tenant}` in the network's patient index"
                ))
            })
    }
}

fn keys(registrations: &[Registration]) -> Vec<(String, String)> {
    registrations
        .iter()
        .map(|r| (r.tenant.clone(), r.local_id.clone()))
        .collect()
}
