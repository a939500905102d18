//! Receiving a patient's records from the network: what the tenant was
//! given is recorded in its ledger before anyone at the tenant sees it (the
//! recipient's side of the disclosure; the sources and the locator record
//! theirs).

use continuum_consent::LabelSet;
use continuum_ledger::payload::{Receipt, Requester};
use continuum_proto::locator::v1::FetchRecordsResponse;
use serde_json::Value;

use super::Records;
use crate::NodeError;
use crate::store::StoreError;
use crate::tenant::TenantId;

impl Records {
    /// Append `receipt` to `tenant`'s ledger, durably; its position there.
    pub async fn record_receipt(
        &self,
        tenant: &TenantId,
        receipt: &Receipt,
    ) -> Result<u64, NodeError> {
        let not_recorded = |error: StoreError| match error {
            StoreError::Ledger(cause) => NodeError::ReceiptNotRecorded(cause),
            other => other.into(),
        };
        let mut tx = self.store.audited(tenant).await.map_err(not_recorded)?;
        let appended = tx.append(receipt).await.map_err(not_recorded)?;
        tx.commit().await.map_err(not_recorded)?;
        tracing::info!(
            tenant = %tenant,
            disclosure = %receipt.disclosure_id,
            ledger_seq = appended.seq,
            received = receipt.received.len(),
            break_glass = receipt.break_glass,
            "records received from the network"
        );
        Ok(appended.seq)
    }
}

/// What the tenant asked the network for.
#[derive(Debug, Clone)]
pub struct Asked {
    /// The patient's id at the tenant.
    pub patient_id: String,
    /// The tenant's practitioner, as its identity provider vouched for them.
    pub requester: Requester,
    pub purpose: String,
}

/// The receipt of `fetched`: `Type/id` of each resource, the organizations
/// that sent any, and the sensitivity categories among what came.
pub fn receipt(asked: Asked, fetched: &FetchRecordsResponse) -> Receipt {
    let mut received = Vec::with_capacity(fetched.resources.len());
    let mut categories = LabelSet::EMPTY;
    for outside in &fetched.resources {
        let resource = serde_json::from_str::<Value>(&outside.resource_json).unwrap_or_default();
        categories = categories.union(LabelSet::of_resource(&resource));
        let kind = resource["resourceType"].as_str().unwrap_or("unreadable");
        let id = resource["id"].as_str().unwrap_or_default();
        received.push(format!("{kind}/{id}"));
    }
    Receipt {
        disclosure_id: fetched.disclosure_id.clone(),
        patient_id: asked.patient_id,
        requester: asked.requester,
        purpose: asked.purpose,
        break_glass: fetched.break_glass,
        // The open access's reason, also when this request stated none.
        break_glass_reason: Some(fetched.break_glass_reason.clone())
            .filter(|reason| fetched.break_glass && !reason.trim().is_empty()),
        sources: fetched
            .sources
            .iter()
            .filter(|s| s.resources > 0)
            .map(|s| s.tenant.clone())
            .collect(),
        received,
        categories: categories.codes(),
    }
}
