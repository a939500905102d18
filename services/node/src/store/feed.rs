//! The patient feed's outbox, written in the same transaction as every
//! patient write and drained by the publisher once the locator acknowledged
//! each event. What it holds is a patient's demographic elements only.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Map, Value};

use super::StoreError;
use super::entities::patient_feed;
use super::tenant_tx::{NewVersion, TenantTx};

/// The elements of a FHIR Patient the locator may learn: identity and
/// demographics. Everything else (extensions, contacts, general
/// practitioner, text) stays on the node.
const DEMOGRAPHIC_ELEMENTS: &[&str] = &[
    "identifier",
    "active",
    "name",
    "telecom",
    "gender",
    "birthDate",
    "address",
    "link",
];

/// A feed event awaiting delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    pub seq: u64,
    pub patient_id: String,
    /// `upserted`, `deactivated` or `merged`.
    pub event: String,
    /// The demographic elements of the Patient, as JSON.
    pub demographics: String,
}

impl TenantTx {
    /// Record a feed event for every Patient among `versions`.
    pub(super) async fn enqueue_patient_events(
        &self,
        versions: &[&NewVersion],
        now: &str,
    ) -> Result<(), StoreError> {
        for version in versions.iter().filter(|v| v.resource_type == "Patient") {
            let patient: Value = serde_json::from_str(&version.content)
                .map_err(|e| StoreError::Corrupt(format!("Patient/{}: {e}", version.id)))?;
            patient_feed::ActiveModel {
                tenant_id: Set(self.tenant.as_str().to_owned()),
                patient_id: Set(version.id.clone()),
                event: Set(event_of(&patient).to_owned()),
                demographics: Set(demographics_of(&patient).to_string()),
                recorded_at: Set(now.to_owned()),
                ..Default::default()
            }
            .insert(&self.tx)
            .await?;
        }
        Ok(())
    }

    /// The oldest `limit` undelivered events of this tenant, in order.
    pub async fn pending_feed(&self, limit: u64) -> Result<Vec<FeedEvent>, StoreError> {
        patient_feed::Entity::find()
            .filter(patient_feed::Column::TenantId.eq(self.tenant.as_str()))
            .order_by_asc(patient_feed::Column::Seq)
            .limit(limit)
            .all(&self.tx)
            .await?
            .into_iter()
            .map(|row| {
                Ok(FeedEvent {
                    seq: u64::try_from(row.seq)
                        .map_err(|_| StoreError::Corrupt(format!("feed seq {}", row.seq)))?,
                    patient_id: row.patient_id,
                    event: row.event,
                    demographics: row.demographics,
                })
            })
            .collect()
    }

    /// Forget events the locator acknowledged.
    pub async fn acknowledge_feed(&self, seqs: &[u64]) -> Result<(), StoreError> {
        let seqs: Vec<i64> = seqs.iter().filter_map(|s| i64::try_from(*s).ok()).collect();
        patient_feed::Entity::delete_many()
            .filter(patient_feed::Column::TenantId.eq(self.tenant.as_str()))
            .filter(patient_feed::Column::Seq.is_in(seqs))
            .exec(&self.tx)
            .await?;
        Ok(())
    }
}

fn event_of(patient: &Value) -> &'static str {
    let replaced = patient["link"]
        .as_array()
        .is_some_and(|links| links.iter().any(|l| l["type"] == "replaced-by"));
    if replaced {
        "merged"
    } else if patient["active"] == Value::Bool(false) {
        "deactivated"
    } else {
        "upserted"
    }
}

fn demographics_of(patient: &Value) -> Value {
    let mut kept = Map::new();
    for element in DEMOGRAPHIC_ELEMENTS {
        if let Some(value) = patient.get(*element) {
            kept.insert((*element).to_owned(), value.clone());
        }
    }
    kept.insert("resourceType".into(), "Patient".into());
    Value::Object(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_demographics_leave_the_node() {
        let patient = serde_json::json!({
            "resourceType": "Patient",
            "id": "p1",
            "name": [{"family": "Ng", "given": ["Ann"]}],
            "birthDate": "1980-02-03",
            "extension": [{"url": "http://example.org/religion", "valueString": "x"}],
            "text": {"status": "generated", "div": "<div>Ann Ng, HIV clinic</div>"},
            "generalPractitioner": [{"reference": "Practitioner/9"}]
        });
        let kept = demographics_of(&patient);
        assert_eq!(kept["name"][0]["family"], "Ng");
        assert_eq!(kept["birthDate"], "1980-02-03");
        for dropped in ["extension", "text", "generalPractitioner", "id"] {
            assert!(kept.get(dropped).is_none(), "{dropped} left the node");
        }
        assert_eq!(event_of(&patient), "upserted");
        let inactive = serde_json::json!({"active": false});
        assert_eq!(event_of(&inactive), "deactivated");
        let merged = serde_json::json!({"link": [{"type": "replaced-by", "other": {"reference": "Patient/2"}}]});
        assert_eq!(event_of(&merged), "merged");
    }
}
