//! Storage of the record locator's registry: applying feed events exactly
//! once (the receipt, the registration and its history commit together).

use continuum_mesh::tls::NodeId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};

use super::entities::link_history;

use super::DirectoryStore;
use super::entities::{feed_receipts, persons, registrations};
use super::review::{ReviewCandidate, history, open_reviews};
use crate::LocatorError;

/// A feed event as a node sent it.
#[derive(Debug, Clone)]
pub struct IncomingEvent {
    pub seq: u64,
    pub tenant: String,
    pub local_id: String,
    /// `upserted`, `deactivated` or `merged`.
    pub event: String,
    pub demographics_json: String,
}

/// Which person a registration belongs to, and why.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub person: String,
    /// A new person, to be created.
    pub new_person: bool,
    /// The explanation kept in the link history (JSON or text).
    pub detail: String,
    /// Persons it may also be, for an operator to decide.
    pub review: Vec<ReviewCandidate>,
}

/// One entry of a registration's link history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEvent {
    pub at: String,
    pub action: String,
    pub person: String,
    pub actor: String,
    pub detail: String,
}

/// A registration as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub tenant: String,
    pub local_id: String,
    pub node: String,
    pub person: String,
    pub status: String,
    pub demographics_json: String,
}

impl DirectoryStore {
    /// Apply `events` from `node` in one transaction. An event whose
    /// (node, seq) was applied before is skipped. `assign` decides the person
    /// of each new or changed registration, given its current one.
    /// Returns the sequence numbers that are now applied.
    pub async fn apply_feed(
        &self,
        node: &NodeId,
        events: &[IncomingEvent],
        now: &str,
        mut assign: impl FnMut(&IncomingEvent, Option<&Registration>) -> Assignment,
    ) -> Result<Vec<u64>, LocatorError> {
        let tx = self.write().await?;
        let mut applied = Vec::with_capacity(events.len());
        for event in events {
            let seq = i64::try_from(event.seq).map_err(|_| {
                LocatorError::InvalidArgument(format!("seq {} too large", event.seq))
            })?;
            let seen = feed_receipts::Entity::find_by_id((node.to_string(), seq))
                .one(&tx)
                .await?;
            if seen.is_none() {
                let current = registrations::Entity::find_by_id((
                    event.tenant.clone(),
                    event.local_id.clone(),
                ))
                .one(&tx)
                .await?;
                let existing = current.as_ref().map(registration);
                let assignment = assign(event, existing.as_ref());
                if assignment.new_person {
                    persons::ActiveModel {
                        id: Set(assignment.person.clone()),
                        created_at: Set(now.to_owned()),
                    }
                    .insert(&tx)
                    .await?;
                }
                let status = match event.event.as_str() {
                    "deactivated" => "deactivated",
                    "merged" => "merged",
                    _ => "active",
                };
                let action = match (&current, status) {
                    (_, "deactivated") => "deactivated",
                    (_, "merged") => "merged",
                    (None, _) => "registered",
                    (Some(_), _) => "updated",
                };
                let row = registrations::ActiveModel {
                    tenant_id: Set(event.tenant.clone()),
                    local_id: Set(event.local_id.clone()),
                    node_id: Set(node.to_string()),
                    person_id: Set(assignment.person.clone()),
                    status: Set(status.to_owned()),
                    demographics: Set(event.demographics_json.clone()),
                    updated_at: Set(now.to_owned()),
                };
                match current {
                    Some(old) => {
                        let mut active = old.into_active_model();
                        active.node_id = row.node_id;
                        active.person_id = row.person_id;
                        active.status = row.status;
                        active.demographics = row.demographics;
                        active.updated_at = row.updated_at;
                        active.update(&tx).await?;
                    }
                    None => {
                        row.insert(&tx).await?;
                    }
                }
                history(
                    &tx,
                    now,
                    &event.tenant,
                    &event.local_id,
                    &assignment.person,
                    action,
                    &assignment.detail,
                    &format!("node/{node}"),
                )
                .await?;
                open_reviews(&tx, &event.tenant, &event.local_id, &assignment.review, now).await?;
                feed_receipts::ActiveModel {
                    node_id: Set(node.to_string()),
                    seq: Set(seq),
                    applied_at: Set(now.to_owned()),
                }
                .insert(&tx)
                .await?;
            }
            applied.push(event.seq);
        }
        tx.commit().await?;
        Ok(applied)
    }

    /// The registration of `local_id` at `tenant`.
    pub async fn registration(
        &self,
        tenant: &str,
        local_id: &str,
    ) -> Result<Option<Registration>, LocatorError> {
        Ok(
            registrations::Entity::find_by_id((tenant.to_owned(), local_id.to_owned()))
                .one(&self.db)
                .await?
                .as_ref()
                .map(registration),
        )
    }

    /// Every registration, in the order they were made (to load the
    /// patient index).
    pub async fn all_registrations(&self) -> Result<Vec<Registration>, LocatorError> {
        Ok(registrations::Entity::find()
            .order_by_asc(registrations::Column::UpdatedAt)
            .all(&self.db)
            .await?
            .iter()
            .map(registration)
            .collect())
    }

    /// Every registration of `person`, by tenant.
    pub async fn registrations_of(&self, person: &str) -> Result<Vec<Registration>, LocatorError> {
        Ok(registrations::Entity::find()
            .filter(registrations::Column::PersonId.eq(person))
            .order_by_asc(registrations::Column::TenantId)
            .all(&self.db)
            .await?
            .iter()
            .map(registration)
            .collect())
    }

    /// The link history of `local_id` at `tenant`, oldest first.
    pub async fn link_history(
        &self,
        tenant: &str,
        local_id: &str,
    ) -> Result<Vec<LinkEvent>, LocatorError> {
        Ok(link_history::Entity::find()
            .filter(link_history::Column::TenantId.eq(tenant))
            .filter(link_history::Column::LocalId.eq(local_id))
            .order_by_asc(link_history::Column::Seq)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| LinkEvent {
                at: row.at,
                action: row.action,
                person: row.person_id,
                actor: row.actor,
                detail: row.detail,
            })
            .collect())
    }

    /// How many feed events from `node` were applied.
    pub async fn receipts(&self, node: &NodeId) -> Result<u64, LocatorError> {
        use sea_orm::PaginatorTrait;
        Ok(feed_receipts::Entity::find()
            .filter(feed_receipts::Column::NodeId.eq(node.as_str()))
            .count(&self.db)
            .await?)
    }
}

fn registration(row: &registrations::Model) -> Registration {
    Registration {
        tenant: row.tenant_id.clone(),
        local_id: row.local_id.clone(),
        node: row.node_id.clone(),
        person: row.person_id.clone(),
        status: row.status.clone(),
        demographics_json: row.demographics.clone(),
    }
}
