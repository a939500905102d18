//! Releasing a patient's records to the network: what the locator's grant
//! allows, checked here again resource by resource (the node does not rely
//! on the locator alone), recorded in the same transaction as the read, in
//! the tenant's releases and in its release ledger.

use continuum_consent::{Grant, LabelSet};
use continuum_fhir::labels::add_sensitivity;
use serde_json::Value;

use super::Records;
use crate::NodeError;
use crate::store::Disclosure;
use crate::tenant::TenantId;

impl Records {
    /// The resources of `disclosure.patient_ids` at `tenant` that `grant`
    /// allows (of `resource_types`, or all), each carrying the tenant's
    /// labels, once the disclosure (with what it releases) is recorded. If
    /// it cannot be recorded in the tenant's release ledger, nothing is
    /// released.
    pub async fn disclose(
        &self,
        tenant: &TenantId,
        mut disclosure: Disclosure,
        resource_types: &[String],
        grant: &Grant,
    ) -> Result<Vec<Value>, NodeError> {
        let mut tx = self.store.audited(tenant).await?;
        let tenant_labels = grant.tenant_labels.iter().collect();
        let mut released = Vec::new();
        let mut categories = LabelSet::EMPTY;
        for patient in &disclosure.patient_ids {
            for row in tx
                .patient_resources(patient, resource_types, None, None)
                .await?
            {
                let mut resource: Value = serde_json::from_str(&row.content).map_err(|e| {
                    NodeError::Corrupt(format!("{}/{}: {e}", row.resource_type, row.id))
                })?;
                if !grant.allows_resource(&resource) {
                    continue;
                }
                add_sensitivity(&mut resource, &tenant_labels);
                categories = categories.union(LabelSet::of_resource(&resource));
                disclosure.released.push(format!(
                    "{}/{}/_history/{}",
                    row.resource_type, row.id, row.version_id
                ));
                released.push(resource);
            }
        }
        disclosure.at = self
            .env
            .clock
            .now()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        let ledger_seq = tx
            .record_disclosure(&disclosure, &categories.codes())
            .await?;
        tx.commit().await?;
        tracing::info!(
            tenant = %tenant,
            disclosure = %disclosure.disclosure_id,
            ledger_seq,
            requester = %disclosure.requester_tenant,
            released = released.len(),
            break_glass = disclosure.break_glass,
            "records released to the network"
        );
        Ok(released)
    }

    /// The tenant's disclosures, newest first.
    pub async fn disclosures(
        &self,
        tenant: &TenantId,
        patient_id: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Disclosure>, NodeError> {
        let tx = self.store.read(tenant).await?;
        Ok(tx.disclosures(patient_id, limit).await?)
    }
}
