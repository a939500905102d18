//! Reading the audit ledger for people (the patient's access report) and
//! the review of break-the-glass accesses, whose outcome is itself a
//! ledger entry.

use continuum_ledger::payload::{self, BreakGlassReview};
use continuum_ledger::{Chain, find_entries};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};

use super::DirectoryStore;
use super::entities::{break_glass_accesses, disclosure_sources, disclosures};
use crate::LocatorError;

/// A disclosure as the ledger holds it, with where it is in the chain.
#[derive(Debug, Clone)]
pub struct LedgerDisclosure {
    pub seq: u64,
    pub hash: String,
    pub recorded_at_ms: i64,
    pub disclosure: payload::Disclosure,
}

/// A break-the-glass access with what was released under it and its review.
#[derive(Debug, Clone)]
pub struct BreakGlassItem {
    pub access: break_glass_accesses::Model,
    pub disclosure_ids: Vec<String>,
    pub released: usize,
}

impl DirectoryStore {
    /// Every disclosure of `person`'s records in the ledger, oldest first.
    pub async fn ledger_disclosures_of(
        &self,
        person: &str,
    ) -> Result<Vec<LedgerDisclosure>, LocatorError> {
        if person.trim().is_empty() {
            return Err(LocatorError::InvalidArgument("name the person".into()));
        }
        // Bodies are canonical JSON (sorted keys, no spaces), so the person
        // appears exactly like this in every entry about them.
        let fragment = format!("\"person_id\":{}", serde_json::Value::from(person));
        let entries = find_entries(&self.db, &Chain::Locator, "disclosure.", &fragment).await?;
        entries
            .into_iter()
            .map(|entry| {
                let disclosure: payload::Disclosure =
                    serde_json::from_str(&entry.body).map_err(|e| {
                        LocatorError::Corrupt(format!("ledger entry {}: {e}", entry.seq))
                    })?;
                Ok(LedgerDisclosure {
                    seq: entry.seq,
                    hash: entry.hash.to_string(),
                    recorded_at_ms: entry.recorded_at_ms,
                    disclosure,
                })
            })
            .collect()
    }

    /// Break-the-glass accesses, newest first, with the disclosures made
    /// under each.
    pub async fn break_glass_items(
        &self,
        open_only: bool,
        person: Option<&str>,
    ) -> Result<Vec<BreakGlassItem>, LocatorError> {
        let mut find = break_glass_accesses::Entity::find()
            .order_by_desc(break_glass_accesses::Column::OpenedAt);
        if open_only {
            find = find.filter(break_glass_accesses::Column::ReviewStatus.eq("open"));
        }
        if let Some(person) = person {
            find = find.filter(break_glass_accesses::Column::PersonId.eq(person));
        }
        let mut items = Vec::new();
        for access in find.all(&self.db).await? {
            items.push(self.break_glass_item(access).await?);
        }
        Ok(items)
    }

    /// An access with the disclosures made under it: the practitioner's
    /// break-the-glass disclosures of that person within its window.
    async fn break_glass_item(
        &self,
        access: break_glass_accesses::Model,
    ) -> Result<BreakGlassItem, LocatorError> {
        let ids: Vec<String> = disclosures::Entity::find()
            .filter(disclosures::Column::PersonId.eq(&access.person_id))
            .filter(disclosures::Column::RequesterTenant.eq(&access.requester_tenant))
            .filter(disclosures::Column::PractitionerId.eq(&access.practitioner_id))
            .filter(disclosures::Column::BreakGlass.eq(true))
            .filter(disclosures::Column::At.gte(&access.opened_at))
            .filter(disclosures::Column::At.lte(&access.expires_at))
            .order_by_asc(disclosures::Column::At)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        let released = disclosure_sources::Entity::find()
            .filter(disclosure_sources::Column::DisclosureId.is_in(ids.clone()))
            .all(&self.db)
            .await?
            .iter()
            .map(|source| {
                serde_json::from_str::<Vec<String>>(&source.released).map_or(0, |r| r.len())
            })
            .sum();
        Ok(BreakGlassItem {
            access,
            disclosure_ids: ids,
            released,
        })
    }

    /// Record a privacy officer's review of a break-the-glass access, in
    /// the access and in the ledger.
    pub async fn review_break_glass(
        &self,
        access_id: &str,
        justified: bool,
        note: &str,
        reviewer: &str,
        now: &str,
    ) -> Result<BreakGlassItem, LocatorError> {
        let (tx, mut chain) = self.write_audited().await?;
        let access = break_glass_accesses::Entity::find_by_id(access_id)
            .one(&tx)
            .await?
            .ok_or_else(|| {
                LocatorError::NotFound(format!("break-the-glass access `{access_id}`"))
            })?;
        if access.review_status != "open" {
            return Err(LocatorError::FailedPrecondition(format!(
                "break-the-glass access `{access_id}` was already reviewed ({}) by {} at {}",
                access.review_status, access.reviewed_by, access.reviewed_at
            )));
        }
        let outcome = if justified {
            "justified"
        } else {
            "unjustified"
        };
        chain
            .record(
                &tx,
                &BreakGlassReview {
                    access_id: access_id.to_owned(),
                    reviewer: reviewer.to_owned(),
                    outcome: outcome.to_owned(),
                },
            )
            .await?;
        let mut active = access.into_active_model();
        active.review_status = Set(outcome.to_owned());
        active.reviewed_by = Set(reviewer.to_owned());
        active.reviewed_at = Set(now.to_owned());
        active.review_note = Set(note.to_owned());
        let access = active.update(&tx).await?;
        tx.commit().await?;
        self.break_glass_item(access).await
    }
}
