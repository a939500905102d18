//! Reading the audit ledger for people (the patient's access report) and
//! the review of break-the-glass accesses, whose outcome is itself a
//! ledger entry.

use continuum_ledger::payload::{self, BreakGlassReview};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
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
        // Person ids are UUIDs; anything else could carry LIKE wildcards.
        if person.is_empty()
            || !person
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(LocatorError::InvalidArgument(format!(
                "`{person}` is not a person id"
            )));
        }
        // Bodies are canonical JSON (sorted keys, no spaces), so the person
        // appears exactly like this in every entry about them.
        let pattern = format!("%\"person_id\":\"{person}\"%");
        let query = Query::select()
            .columns(["seq", "recorded_at_ms", "body", "hash"].map(Alias::new))
            .from(Alias::new("ledger_entries"))
            .and_where(Expr::col(Alias::new("chain")).eq("locator"))
            .and_where(Expr::col(Alias::new("kind")).like("disclosure.%"))
            .and_where(Expr::col(Alias::new("body")).like(pattern))
            .order_by(Alias::new("seq"), Order::Asc)
            .to_owned();
        let backend = self.db.get_database_backend();
        let rows = self.db.query_all_raw(backend.build(&query)).await?;
        let corrupt =
            |e: &dyn std::fmt::Display| LocatorError::Corrupt(format!("ledger entry: {e}"));
        rows.into_iter()
            .map(|row| {
                let seq: i64 = row.try_get("", "seq").map_err(|e| corrupt(&e))?;
                let body: String = row.try_get("", "body").map_err(|e| corrupt(&e))?;
                let hash: Vec<u8> = row.try_get("", "hash").map_err(|e| corrupt(&e))?;
                let disclosure: payload::Disclosure =
                    serde_json::from_str(&body).map_err(|e| corrupt(&e))?;
                Ok(LedgerDisclosure {
                    seq: u64::try_from(seq).unwrap_or_default(),
                    hash: hex::encode(hash),
                    recorded_at_ms: row.try_get("", "recorded_at_ms").map_err(|e| corrupt(&e))?,
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
            let under = disclosures::Entity::find()
                .filter(disclosures::Column::PersonId.eq(&access.person_id))
                .filter(disclosures::Column::RequesterTenant.eq(&access.requester_tenant))
                .filter(disclosures::Column::PractitionerId.eq(&access.practitioner_id))
                .filter(disclosures::Column::BreakGlass.eq(true))
                .filter(disclosures::Column::At.gte(&access.opened_at))
                .filter(disclosures::Column::At.lte(&access.expires_at))
                .order_by_asc(disclosures::Column::At)
                .all(&self.db)
                .await?;
            let ids: Vec<String> = under.into_iter().map(|d| d.id).collect();
            let mut released = 0;
            for source in disclosure_sources::Entity::find()
                .filter(disclosure_sources::Column::DisclosureId.is_in(ids.clone()))
                .all(&self.db)
                .await?
            {
                released += serde_json::from_str::<Vec<String>>(&source.released)
                    .map(|r| r.len())
                    .unwrap_or_default();
            }
            items.push(BreakGlassItem {
                access,
                disclosure_ids: ids,
                released,
            });
        }
        Ok(items)
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
    ) -> Result<break_glass_accesses::Model, LocatorError> {
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
        Ok(access)
    }
}
