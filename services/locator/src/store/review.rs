//! The review queue and operators' link changes. A network person id is
//! stable: linking moves a registration to an existing person, unlinking
//! gives it a new one; neither renames anybody, and every change is in the
//! link history with who made it and why.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

use super::DirectoryStore;
use super::entities::{link_history, persons, registrations, review_items};
use crate::LocatorError;
use continuum_ledger::payload::MpiLinkChange;
use sea_orm::ActiveValue;

/// A candidate match waiting for (or resolved by) an operator.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewItem {
    pub id: String,
    pub tenant: String,
    pub local_id: String,
    pub candidate_person: String,
    pub score: f64,
    pub explanation: String,
    /// `open`, `linked` or `rejected`.
    pub status: String,
    pub created_at: String,
    pub resolved_at: Option<String>,
    pub resolved_by: Option<String>,
    pub note: Option<String>,
}

/// A candidate the matcher was unsure about, to queue for review.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewCandidate {
    pub id: String,
    pub person: String,
    pub score: f64,
    pub explanation: String,
}

/// How an operator resolves a review item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The registration is the candidate person.
    Link,
    /// It is not; it keeps its own person.
    Reject,
}

impl DirectoryStore {
    pub async fn review_items(
        &self,
        status: Option<&str>,
    ) -> Result<Vec<ReviewItem>, LocatorError> {
        let mut query = review_items::Entity::find().order_by_asc(review_items::Column::CreatedAt);
        if let Some(status) = status {
            query = query.filter(review_items::Column::Status.eq(status));
        }
        Ok(query.all(&self.db).await?.into_iter().map(item).collect())
    }

    /// Resolve an open review item; linking moves the registration to the
    /// candidate person.
    pub async fn resolve_review(
        &self,
        id: &str,
        resolution: Resolution,
        actor: &str,
        note: &str,
        now: &str,
    ) -> Result<ReviewItem, LocatorError> {
        let (tx, mut chain) = self.write_audited().await?;
        let row = review_items::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .ok_or_else(|| LocatorError::NotFound(format!("review item `{id}`")))?;
        if row.status != "open" {
            return Err(LocatorError::FailedPrecondition(format!(
                "review item `{id}` was already resolved ({})",
                row.status
            )));
        }
        let (status, action) = match resolution {
            Resolution::Link => {
                move_registration(
                    &tx,
                    &row.tenant_id,
                    &row.local_id,
                    &row.candidate_person_id,
                    now,
                )
                .await?;
                ("linked", "linked")
            }
            Resolution::Reject => ("rejected", "review.rejected"),
        };
        let current = registration_person(&tx, &row.tenant_id, &row.local_id).await?;
        let history = history_row(
            now,
            &row.tenant_id,
            &row.local_id,
            &current,
            action,
            note,
            actor,
        );
        chain.record(&tx, &link_change(&history)).await?;
        history.insert(&tx).await?;
        let mut active = row.into_active_model();
        active.status = Set(status.to_owned());
        active.resolved_at = Set(Some(now.to_owned()));
        active.resolved_by = Set(Some(actor.to_owned()));
        active.note = Set(Some(note.to_owned()));
        let row = active.update(&tx).await?;
        tx.commit().await?;
        Ok(item(row))
    }

    /// Move a registration to `person` (an existing person): an operator's
    /// link or relink.
    pub async fn link(
        &self,
        tenant: &str,
        local_id: &str,
        person: &str,
        actor: &str,
        note: &str,
        now: &str,
    ) -> Result<(), LocatorError> {
        let (tx, mut chain) = self.write_audited().await?;
        persons::Entity::find_by_id(person)
            .one(&tx)
            .await?
            .ok_or_else(|| LocatorError::NotFound(format!("person `{person}`")))?;
        move_registration(&tx, tenant, local_id, person, now).await?;
        let history = history_row(now, tenant, local_id, person, "linked", note, actor);
        chain.record(&tx, &link_change(&history)).await?;
        history.insert(&tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Give a registration a new person of its own: an operator's unlink.
    pub async fn unlink(
        &self,
        tenant: &str,
        local_id: &str,
        new_person: &str,
        actor: &str,
        note: &str,
        now: &str,
    ) -> Result<(), LocatorError> {
        let (tx, mut chain) = self.write_audited().await?;
        persons::ActiveModel {
            id: Set(new_person.to_owned()),
            created_at: Set(now.to_owned()),
        }
        .insert(&tx)
        .await?;
        move_registration(&tx, tenant, local_id, new_person, now).await?;
        let history = history_row(now, tenant, local_id, new_person, "unlinked", note, actor);
        chain.record(&tx, &link_change(&history)).await?;
        history.insert(&tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Review items for `candidates` of the registration of `local_id` at
/// `tenant`.
pub(super) fn review_rows(
    tenant: &str,
    local_id: &str,
    candidates: &[ReviewCandidate],
    now: &str,
) -> impl Iterator<Item = review_items::ActiveModel> {
    candidates
        .iter()
        .map(move |candidate| review_items::ActiveModel {
            id: Set(candidate.id.clone()),
            tenant_id: Set(tenant.to_owned()),
            local_id: Set(local_id.to_owned()),
            candidate_person_id: Set(candidate.person.clone()),
            score: Set(candidate.score),
            explanation: Set(candidate.explanation.clone()),
            status: Set("open".to_owned()),
            created_at: Set(now.to_owned()),
            resolved_at: Set(None),
            resolved_by: Set(None),
            note: Set(None),
        })
}

async fn move_registration(
    tx: &DatabaseTransaction,
    tenant: &str,
    local_id: &str,
    person: &str,
    now: &str,
) -> Result<(), LocatorError> {
    let row = registrations::Entity::find_by_id((tenant.to_owned(), local_id.to_owned()))
        .one(tx)
        .await?
        .ok_or_else(|| LocatorError::NotFound(format!("patient {local_id} at {tenant}")))?;
    let mut active = row.into_active_model();
    active.person_id = Set(person.to_owned());
    active.updated_at = Set(now.to_owned());
    active.update(tx).await?;
    Ok(())
}

async fn registration_person(
    tx: &DatabaseTransaction,
    tenant: &str,
    local_id: &str,
) -> Result<String, LocatorError> {
    registrations::Entity::find_by_id((tenant.to_owned(), local_id.to_owned()))
        .one(tx)
        .await?
        .map(|r| r.person_id)
        .ok_or_else(|| LocatorError::NotFound(format!("patient {local_id} at {tenant}")))
}

/// An entry of a registration's link history.
pub(super) fn history_row(
    now: &str,
    tenant: &str,
    local_id: &str,
    person: &str,
    action: &str,
    detail: &str,
    actor: &str,
) -> link_history::ActiveModel {
    link_history::ActiveModel {
        at: Set(now.to_owned()),
        tenant_id: Set(tenant.to_owned()),
        local_id: Set(local_id.to_owned()),
        person_id: Set(person.to_owned()),
        action: Set(action.to_owned()),
        detail: Set(detail.to_owned()),
        actor: Set(actor.to_owned()),
        ..Default::default()
    }
}

/// What the audit ledger keeps of a link-history entry: who was linked to
/// whom and by whom, not the match explanation (it quotes demographics).
pub(super) fn link_change(row: &link_history::ActiveModel) -> MpiLinkChange {
    let text = |value: &ActiveValue<String>| value.try_as_ref().cloned().unwrap_or_default();
    let actor = text(&row.actor);
    MpiLinkChange {
        action: text(&row.action),
        person_id: text(&row.person_id),
        tenant: text(&row.tenant_id),
        local_id: text(&row.local_id),
        method: if actor.starts_with("operator") {
            "operator".into()
        } else {
            "matcher".into()
        },
        score_milli: None,
        actor: Some(actor),
    }
}

fn item(row: review_items::Model) -> ReviewItem {
    ReviewItem {
        id: row.id,
        tenant: row.tenant_id,
        local_id: row.local_id,
        candidate_person: row.candidate_person_id,
        score: row.score,
        explanation: row.explanation,
        status: row.status,
        created_at: row.created_at,
        resolved_at: row.resolved_at,
        resolved_by: row.resolved_by,
        note: row.note,
    }
}
