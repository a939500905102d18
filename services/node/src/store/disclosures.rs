//! The tenant's record of what it released to other organizations: a row
//! of its `releases` table and an entry of its release ledger, written
//! together.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::disclosures;
use super::{StoreError, TenantTx};

/// One disclosure, as the holding tenant records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub disclosure_id: String,
    pub at: String,
    pub patient_ids: Vec<String>,
    pub requester_tenant: String,
    pub practitioner_id: String,
    pub practitioner_name: String,
    pub practitioner_role: String,
    /// E.g. the NPI; empty when the requester's provider gives none.
    pub practitioner_professional_id: String,
    pub purpose: String,
    pub break_glass: bool,
    pub break_glass_reason: String,
    /// `Type/id/_history/n` of every resource released.
    pub released: Vec<String>,
}

impl TenantTx {
    /// Record a release in this transaction ([`super::Store::audited`]): its
    /// ledger entry, with the sensitivity `categories` of what was released,
    /// and its row. Returns the entry's number in the tenant's chain.
    pub async fn record_disclosure(
        &mut self,
        d: &Disclosure,
        categories: &[String],
    ) -> Result<u64, StoreError> {
        let appended = self.append_release(d, categories).await?;
        disclosures::ActiveModel {
            tenant_id: Set(self.tenant.as_str().to_owned()),
            disclosure_id: Set(d.disclosure_id.clone()),
            at: Set(d.at.clone()),
            patient_ids: Set(serde_json::to_string(&d.patient_ids).unwrap_or_default()),
            requester_tenant: Set(d.requester_tenant.clone()),
            practitioner_id: Set(d.practitioner_id.clone()),
            practitioner_name: Set(d.practitioner_name.clone()),
            practitioner_role: Set(d.practitioner_role.clone()),
            practitioner_professional_id: Set(d.practitioner_professional_id.clone()),
            purpose: Set(d.purpose.clone()),
            break_glass: Set(d.break_glass),
            break_glass_reason: Set(d.break_glass_reason.clone()),
            released: Set(serde_json::to_string(&d.released).unwrap_or_default()),
        }
        .insert(&self.tx)
        .await?;
        Ok(appended.seq)
    }

    /// The tenant's disclosures, newest first; only those of `patient_id`
    /// when given.
    pub async fn disclosures(
        &self,
        patient_id: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Disclosure>, StoreError> {
        let mut query = disclosures::Entity::find()
            .filter(disclosures::Column::TenantId.eq(self.tenant.as_str()))
            .order_by_desc(disclosures::Column::At);
        if let Some(patient) = patient_id {
            // Ids are JSON strings in the list: match the quoted id.
            let quoted = serde_json::to_string(patient).unwrap_or_default();
            query = query.filter(disclosures::Column::PatientIds.contains(quoted.as_str()));
        }
        let rows = query.limit(limit).all(&self.tx).await?;
        Ok(rows
            .into_iter()
            .map(|row| Disclosure {
                disclosure_id: row.disclosure_id,
                at: row.at,
                patient_ids: serde_json::from_str(&row.patient_ids).unwrap_or_default(),
                requester_tenant: row.requester_tenant,
                practitioner_id: row.practitioner_id,
                practitioner_name: row.practitioner_name,
                practitioner_role: row.practitioner_role,
                practitioner_professional_id: row.practitioner_professional_id,
                purpose: row.purpose,
                break_glass: row.break_glass,
                break_glass_reason: row.break_glass_reason,
                released: serde_json::from_str(&row.released).unwrap_or_default(),
            })
            .collect())
    }
}
