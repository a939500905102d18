//! Storage of the record locator's registry: applying feed events exactly
//! once (the receipt, the registration and its history commit together).

use continuum_mesh::tls::NodeId;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::DirectoryStore;
use super::entities::{feed_receipts, link_history, persons, registrations, review_items};
use super::review::{ReviewCandidate, history_row, link_change, review_rows};
use crate::LocatorError;
use continuum_ledger::ChainLock;

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
    ///
    /// The batch costs a fixed handful of statements (one lookup of
    /// receipts, one of registrations per tenant, chunked multi-row writes),
    /// not several per event: at a million registrations the per-statement
    /// overhead, not matching, was what limited the feed.
    pub async fn apply_feed(
        &self,
        node: &NodeId,
        events: &[IncomingEvent],
        now: &str,
        mut assign: impl FnMut(&IncomingEvent, Option<&Registration>) -> Assignment,
    ) -> Result<Vec<u64>, LocatorError> {
        let seqs = events
            .iter()
            .map(|event| {
                i64::try_from(event.seq).map_err(|_| {
                    LocatorError::InvalidArgument(format!("seq {} too large", event.seq))
                })
            })
            .collect::<Result<Vec<i64>, _>>()?;
        let (tx, mut chain) = self.write_audited().await?;
        let mut seen = applied_seqs(&tx, node, &seqs).await?;
        let mut current = current_registrations(&tx, events).await?;
        let mut changes = FeedChanges::default();
        for (event, seq) in events.iter().zip(seqs) {
            // A sequence number repeated within the batch is applied once.
            if !seen.insert(seq) {
                continue;
            }
            let key = (event.tenant.clone(), event.local_id.clone());
            let previous = current.get(&key);
            let assignment = assign(event, previous);
            let status = match event.event.as_str() {
                "deactivated" => "deactivated",
                "merged" => "merged",
                _ => "active",
            };
            let action = match (previous, status) {
                (_, "deactivated") => "deactivated",
                (_, "merged") => "merged",
                (None, _) => "registered",
                (Some(_), _) => "updated",
            };
            if assignment.new_person {
                changes.persons.push(persons::ActiveModel {
                    id: Set(assignment.person.clone()),
                    created_at: Set(now.to_owned()),
                });
            }
            changes.history.push(history_row(
                now,
                &event.tenant,
                &event.local_id,
                &assignment.person,
                action,
                &assignment.detail,
                &format!("node/{node}"),
            ));
            changes.reviews.extend(review_rows(
                &event.tenant,
                &event.local_id,
                &assignment.review,
                now,
            ));
            changes.receipts.push(feed_receipts::ActiveModel {
                node_id: Set(node.to_string()),
                seq: Set(seq),
                applied_at: Set(now.to_owned()),
            });
            changes.touched.push(key.clone());
            // A later event of the batch for the same patient sees this one.
            current.insert(
                key,
                Registration {
                    tenant: event.tenant.clone(),
                    local_id: event.local_id.clone(),
                    node: node.to_string(),
                    person: assignment.person,
                    status: status.to_owned(),
                    demographics_json: event.demographics_json.clone(),
                },
            );
        }
        changes.write(&tx, &mut chain, &current, now).await?;
        tx.commit().await?;
        Ok(events.iter().map(|event| event.seq).collect())
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

/// Which of `seqs` from `node` were applied before.
async fn applied_seqs(
    tx: &DatabaseTransaction,
    node: &NodeId,
    seqs: &[i64],
) -> Result<HashSet<i64>, LocatorError> {
    Ok(feed_receipts::Entity::find()
        .filter(feed_receipts::Column::NodeId.eq(node.as_str()))
        .filter(feed_receipts::Column::Seq.is_in(seqs.iter().copied()))
        .all(tx)
        .await?
        .into_iter()
        .map(|receipt| receipt.seq)
        .collect())
}

type RegistrationKey = (String, String);

/// The stored registrations of the patients `events` name, one query per
/// tenant.
async fn current_registrations(
    tx: &DatabaseTransaction,
    events: &[IncomingEvent],
) -> Result<HashMap<RegistrationKey, Registration>, LocatorError> {
    let mut by_tenant: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for event in events {
        by_tenant
            .entry(&event.tenant)
            .or_default()
            .insert(&event.local_id);
    }
    let mut found = HashMap::new();
    for (tenant, local_ids) in by_tenant {
        let rows = registrations::Entity::find()
            .filter(registrations::Column::TenantId.eq(tenant))
            .filter(registrations::Column::LocalId.is_in(local_ids))
            .all(tx)
            .await?;
        found.extend(rows.iter().map(|row| {
            (
                (row.tenant_id.clone(), row.local_id.clone()),
                registration(row),
            )
        }));
    }
    Ok(found)
}

/// Everything a feed batch writes, gathered so that each table takes a few
/// multi-row statements.
#[derive(Default)]
struct FeedChanges {
    persons: Vec<persons::ActiveModel>,
    /// Registrations changed, in order (possibly repeated).
    touched: Vec<RegistrationKey>,
    history: Vec<link_history::ActiveModel>,
    reviews: Vec<review_items::ActiveModel>,
    receipts: Vec<feed_receipts::ActiveModel>,
}

/// Rows per multi-row insert: the widest table has 10 columns, which keeps a
/// statement far below SQLite's and PostgreSQL's bound-parameter limits.
const INSERT_CHUNK: usize = 256;

impl FeedChanges {
    async fn write(
        self,
        tx: &DatabaseTransaction,
        chain: &mut ChainLock,
        registrations: &HashMap<RegistrationKey, Registration>,
        now: &str,
    ) -> Result<(), LocatorError> {
        // Persons first: registrations refer to them.
        insert_all(tx, self.persons).await?;
        let mut written = HashSet::new();
        let rows = self
            .touched
            .iter()
            .filter(|key| written.insert(*key))
            .filter_map(|key| registrations.get(key))
            .map(|r| registrations::ActiveModel {
                tenant_id: Set(r.tenant.clone()),
                local_id: Set(r.local_id.clone()),
                node_id: Set(r.node.clone()),
                person_id: Set(r.person.clone()),
                status: Set(r.status.clone()),
                demographics: Set(r.demographics_json.clone()),
                updated_at: Set(now.to_owned()),
            })
            .collect::<Vec<_>>();
        let upsert = OnConflict::columns([
            registrations::Column::TenantId,
            registrations::Column::LocalId,
        ])
        .update_columns([
            registrations::Column::NodeId,
            registrations::Column::PersonId,
            registrations::Column::Status,
            registrations::Column::Demographics,
            registrations::Column::UpdatedAt,
        ])
        .to_owned();
        for chunk in rows.chunks(INSERT_CHUNK) {
            registrations::Entity::insert_many(chunk.to_vec())
                .on_conflict(upsert.clone())
                .exec_without_returning(tx)
                .await?;
        }
        let changes: Vec<_> = self.history.iter().map(link_change).collect();
        chain.record_all(tx, &changes).await?;
        insert_all(tx, self.history).await?;
        insert_all(tx, self.reviews).await?;
        insert_all(tx, self.receipts).await?;
        Ok(())
    }
}

/// Insert `rows` in chunks of [`INSERT_CHUNK`].
async fn insert_all<A>(tx: &DatabaseTransaction, rows: Vec<A>) -> Result<(), LocatorError>
where
    A: ActiveModelTrait + Clone + Send,
{
    for chunk in rows.chunks(INSERT_CHUNK) {
        A::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(tx)
            .await?;
    }
    Ok(())
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
