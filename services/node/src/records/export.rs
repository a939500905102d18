//! A patient's whole record as one FHIR Bundle, shaped like the result of
//! `Patient/$everything`: the Patient first, then every resource in the
//! patient's compartment.
//!
//! Stored resources are already valid, compact FHIR JSON, so the bundle is
//! assembled as text without parsing them again.

use std::fmt::Write as _;

use super::Records;
use crate::NodeError;
use crate::tenant::TenantId;

/// An exported record.
#[derive(Debug, Clone)]
pub struct Export {
    pub bundle_json: String,
    pub resource_count: usize,
}

impl Records {
    pub async fn export_patient(
        &self,
        tenant: &TenantId,
        patient_id: &str,
    ) -> Result<Export, NodeError> {
        let tx = self.store.read(tenant).await?;
        let patient = tx
            .current("Patient", patient_id)
            .await?
            .ok_or_else(|| NodeError::NotFound(format!("Patient/{patient_id}")))?;
        let rows = tx.patient_resources(patient_id, &[], None, None).await?;
        let others: Vec<_> = rows
            .iter()
            .filter(|r| r.resource_type != "Patient")
            .collect();
        let total = others.len() + 1;

        let size =
            patient.content.len() + others.iter().map(|r| r.content.len() + 160).sum::<usize>();
        let mut json = String::with_capacity(size + 200);
        let base = format!("{}/fhir/{}", self.public_url.trim_end_matches('/'), tenant);
        let _ = write!(
            json,
            r#"{{"resourceType":"Bundle","type":"searchset","total":{total},"entry":["#
        );
        let entries =
            std::iter::once((&patient, "match")).chain(others.iter().map(|r| (*r, "include")));
        for (index, (row, mode)) in entries.enumerate() {
            if index > 0 {
                json.push(',');
            }
            let full_url =
                serde_json::to_string(&format!("{base}/{}/{}", row.resource_type, row.id))
                    .unwrap_or_default();
            let _ = write!(
                json,
                r#"{{"fullUrl":{full_url},"resource":{},"search":{{"mode":"{mode}"}}}}"#,
                row.content
            );
        }
        json.push_str("]}");
        Ok(Export {
            bundle_json: json,
            resource_count: total,
        })
    }
}
