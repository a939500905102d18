//! Reading the audit ledger for people (the patient's access report) and
//! the review of break-the-glass accesses, whose outcome is itself a
//! ledger entry.

use continuum_ledger::payload::{self, BreakGlassReview};
use std::collections::HashMap;

use continuum_ledger::{Chain, Entry, read_entries, read_entries_at};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
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

/// The disclosure records and the ledger disagree.
fn disagreement(disclosure: &str, what: &str) -> LocatorError {
    LocatorError::Corrupt(format!(
        "disclosure {disclosure}: {what}; check the ledger with `continuum audit verify`"
    ))
}

/// A break-the-glass access with what was released under it and its review.
#[derive(Debug, Clone)]
pub struct BreakGlassItem {
    pub access: break_glass_accesses::Model,
    pub disclosure_ids: Vec<String>,
    pub released: usize,
}

impl DirectoryStore {
    /// Every disclosure of `person`'s records in the ledger, oldest first:
    /// found through the disclosure records' index by person, read from
    /// the ledger by position, and checked to be the entry of that
    /// disclosure and person (the two are written in one transaction, so a
    /// mismatch means one of them was altered).
    pub async fn ledger_disclosures_of(
        &self,
        person: &str,
    ) -> Result<Vec<LedgerDisclosure>, LocatorError> {
        if person.trim().is_empty() {
            return Err(LocatorError::InvalidArgument("name the person".into()));
        }
        let rows = disclosures::Entity::find()
            .filter(disclosures::Column::PersonId.eq(person))
            .all(&self.db)
            .await?;
        let mut expected = HashMap::with_capacity(rows.len());
        let mut before_the_ledger = 0;
        for row in rows {
            let Some(seq) = row.ledger_seq else {
                // Recorded before the ledger existed (issue 7): in the
                // disclosure records only, not in the ledger's report.
                before_the_ledger += 1;
                continue;
            };
            let seq = u64::try_from(seq)
                .map_err(|_| disagreement(&row.id, &format!("ledger position {seq}")))?;
            if let Some(other) = expected.insert(seq, row.id.clone()) {
                return Err(disagreement(
                    &row.id,
                    &format!("disclosure {other} claims the same ledger entry {seq}"),
                ));
            }
        }
        if before_the_ledger > 0 {
            tracing::warn!(
                disclosures = before_the_ledger,
                "disclosures recorded before the audit ledger are not in the access report"
            );
        }
        let positions: Vec<u64> = expected.keys().copied().collect();
        let mut report = Vec::with_capacity(positions.len());
        for entry in read_entries_at(&self.db, &Chain::Locator, &positions).await? {
            let id = expected.remove(&entry.seq).unwrap_or_default();
            let disclosure = disclosure_in(&entry)?
                .filter(|d| d.disclosure_id == id && d.person_id == person)
                .ok_or_else(|| {
                    disagreement(
                        &id,
                        &format!("ledger entry {} records another event", entry.seq),
                    )
                })?;
            report.push(LedgerDisclosure {
                seq: entry.seq,
                hash: entry.hash.to_string(),
                recorded_at_ms: entry.recorded_at_ms,
                disclosure,
            });
        }
        if let Some((seq, id)) = expected.into_iter().min() {
            return Err(disagreement(&id, &format!("ledger entry {seq} is missing")));
        }
        Ok(report)
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

/// How many ledger entries a cross-check reads at a time.
const CHECK_PAGE: u64 = 5_000;

/// Check the disclosure records against the ledger, which the access
/// report relies on: every `disclosure.*` entry of the `locator` chain has
/// exactly one disclosure record, for the same disclosure and person, that
/// names its position, and no record names a position that is not such an
/// entry. (The records are ordinary rows; the ledger is what is
/// tamper-evident.) Read-only; the number of disclosures checked, or the
/// first disagreement.
pub async fn check_disclosure_records(db: &DatabaseConnection) -> Result<u64, LocatorError> {
    let mut checked = 0;
    let mut from = 1;
    loop {
        let entries = read_entries(db, &Chain::Locator, from, CHECK_PAGE).await?;
        let Some(last) = entries.last().map(|e| e.seq) else {
            break;
        };
        let mut in_ledger = HashMap::new();
        for entry in &entries {
            if let Some(d) = disclosure_in(entry)? {
                in_ledger.insert(entry.seq, (d.disclosure_id, d.person_id));
            }
        }
        let rows = disclosures::Entity::find()
            .filter(disclosures::Column::LedgerSeq.between(to_db(from)?, to_db(last)?))
            .all(db)
            .await?;
        for row in rows {
            let seq = row
                .ledger_seq
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or(0);
            match in_ledger.remove(&seq) {
                Some((id, person)) if id == row.id && person == row.person_id => checked += 1,
                Some((id, _)) => {
                    return Err(disagreement(
                        &row.id,
                        &format!(
                            "ledger entry {seq} records disclosure {id} of another person or id"
                        ),
                    ));
                }
                None => {
                    return Err(disagreement(
                        &row.id,
                        &format!("ledger entry {seq} is not a disclosure"),
                    ));
                }
            }
        }
        if let Some((seq, (id, _))) = in_ledger.into_iter().min_by_key(|(seq, _)| *seq) {
            return Err(disagreement(
                &id,
                &format!("ledger entry {seq} has no disclosure record (deleted or moved?)"),
            ));
        }
        from = last + 1;
    }
    let beyond = disclosures::Entity::find()
        .filter(disclosures::Column::LedgerSeq.gte(to_db(from)?))
        .one(db)
        .await?;
    if let Some(row) = beyond {
        return Err(disagreement(
            &row.id,
            &format!(
                "it names ledger entry {:?}, past the ledger's end",
                row.ledger_seq
            ),
        ));
    }
    Ok(checked)
}

/// The disclosure an entry records, if it records one.
fn disclosure_in(entry: &Entry) -> Result<Option<payload::Disclosure>, LocatorError> {
    if !entry.kind.starts_with("disclosure.") {
        return Ok(None);
    }
    serde_json::from_str(&entry.body)
        .map(Some)
        .map_err(|e| LocatorError::Corrupt(format!("ledger entry {}: {e}", entry.seq)))
}

/// A ledger position as the database stores it.
pub(super) fn to_db(seq: u64) -> Result<i64, LocatorError> {
    i64::try_from(seq).map_err(|_| LocatorError::Corrupt(format!("ledger seq {seq} out of range")))
}
