//! A patient's whole record as one FHIR Bundle, shaped like the result of
//! `Patient/$everything`: the Patient first, then every resource in the
//! patient's compartment, then the resources those refer to (practitioners,
//! organizations…), so that every local reference resolves inside the Bundle.
//!
//! Stored resources are already valid, compact FHIR JSON, so the bundle is
//! assembled as text without parsing them again.

use std::fmt::Write as _;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use continuum_fhir::references::{self, Target};

use super::Records;
use crate::NodeError;
use crate::store::{StoredRow, TenantTx};
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
        let mut others: Vec<&StoredRow> = rows
            .iter()
            .filter(|r| r.resource_type != "Patient")
            .collect();
        let referenced = referenced_outside(&tx, &patient, &others).await?;
        others.extend(referenced.iter());
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

/// The resources the record refers to that are not in the patient's
/// compartment (practitioners, organizations, locations, medications…), so
/// that the exported Bundle has no dangling references.
async fn referenced_outside(
    tx: &TenantTx,
    patient: &StoredRow,
    record: &[&StoredRow],
) -> Result<Vec<StoredRow>, NodeError> {
    let exported: HashSet<(&str, &str)> = std::iter::once(patient)
        .chain(record.iter().copied())
        .map(|row| (row.resource_type.as_str(), row.id.as_str()))
        .collect();
    let mut wanted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for row in std::iter::once(patient).chain(record.iter().copied()) {
        for reference in references::in_compact_json(&row.content) {
            if let Target::Local { resource_type, id } = Target::parse(reference)
                && !exported.contains(&(resource_type, id))
            {
                wanted.entry(resource_type).or_default().insert(id);
            }
        }
    }
    let mut found = Vec::new();
    for (resource_type, ids) in wanted {
        let ids: Vec<&str> = ids.into_iter().collect();
        let mut rows: Vec<StoredRow> = tx
            .currents(resource_type, &ids)
            .await?
            .into_values()
            .collect();
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        found.extend(rows);
    }
    Ok(found)
}
