//! The directory's storage on SQLite or PostgreSQL. Each method is one
//! transaction, so a change (a node with its tenants and token, a
//! revocation with its certificates) lands whole or not at all.
//!
//! Every change that must be accountable — a disclosure, a consent change,
//! a directory change, a patient-index link — is also appended to the
//! audit ledger (`continuum_ledger`, chain `locator`) in the same
//! transaction ([`DirectoryStore::write_audited`]): both commit or neither
//! does, and when the ledger cannot be written the change fails.

mod audit;
mod entities;
mod registry;
mod review;
mod sharing;

use std::collections::HashMap;
use std::str::FromStr;

use continuum_mesh::clock::Clock;
use continuum_mesh::credentials::verify_secret;
use continuum_mesh::tls::NodeId;
use continuum_migrations::{LocatorMigrator, MigratorTrait};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

use continuum_consent::LabelSet;
use continuum_ledger::{Chain, ChainLock, Ledger, Now};
use std::sync::Arc;

use crate::LocatorError;
use crate::directory::model::{
    CertificateRecord, Change, DirectoryEvent, NewOrganization, Node, NodeChanges, NodeStatus,
    Organization, OrganizationChanges, OrganizationStatus,
};
pub use audit::{BreakGlassItem, LedgerDisclosure, check_disclosure_records};
use entities::{certificates, directory_events, enrollment_tokens, nodes, organizations};
pub use registry::{Assignment, IncomingEvent, LinkEvent, Registration};
pub use review::{Resolution, ReviewCandidate, ReviewItem};
pub use sharing::{BreakGlassAccess, DisclosureRecord, SourceRecord, StoredDirective};

/// An enrollment token as stored: its secret only as a hash.
#[derive(Debug, Clone)]
pub struct StoredToken {
    pub id: String,
    pub secret_sha256: String,
    pub expires_at: String,
}

/// A certificate to record against a node.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
}

#[derive(Debug, Clone)]
pub struct DirectoryStore {
    db: DatabaseConnection,
    /// Where every write goes (see `continuum_migrations::database::Connections`).
    writer: DatabaseConnection,
    /// The audit ledger's `locator` chain. Entries are only ever appended
    /// inside this store's write transactions (never through the ledger's
    /// own writer task), so the lock order is always database, then chain.
    ledger: Ledger,
}

impl DirectoryStore {
    /// Connect, and bring the schema up to date; ledger entries are timed
    /// by `clock` (the locator's, like every other time it records).
    pub async fn open(url: &str, clock: Arc<dyn Clock>) -> Result<Self, LocatorError> {
        let connections = continuum_migrations::database::connect_split(url, 16).await?;
        LocatorMigrator::up(&connections.write, None).await?;
        let now: Now = Arc::new(move || clock.now());
        let ledger = Ledger::open(connections.write.clone(), Chain::Locator, now).await?;
        Ok(Self {
            db: connections.read,
            writer: connections.write,
            ledger,
        })
    }

    /// The locator's audit ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// A write transaction holding the ledger's chain: what it appends with
    /// the returned lock commits with the transaction. Drop the lock after
    /// the commit.
    async fn write_audited(&self) -> Result<(DatabaseTransaction, ChainLock), LocatorError> {
        let tx = self.write().await?;
        let chain = self.ledger.lock_in(&tx).await?;
        Ok((tx, chain))
    }

    async fn write(&self) -> Result<DatabaseTransaction, LocatorError> {
        // IMMEDIATE: checks and writes in one transaction must not race
        // another writer on SQLite (on PostgreSQL, unique keys and the row
        // locks below do that).
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok(self.writer.begin_with_options(options).await?)
    }

    // ----- organizations

    pub async fn create_organization(
        &self,
        org: &NewOrganization,
        change: &Change,
    ) -> Result<Organization, LocatorError> {
        let now = &change.at;
        let (tx, mut chain) = self.write_audited().await?;
        if organizations::Entity::find_by_id(&org.id)
            .one(&tx)
            .await?
            .is_some()
        {
            return Err(LocatorError::Conflict(format!(
                "organization `{}` already exists",
                org.id
            )));
        }
        let row = organizations::ActiveModel {
            id: Set(org.id.clone()),
            display_name: Set(org.display_name.clone()),
            kind: Set(org.kind.as_str().to_owned()),
            contact: Set(org.contact.clone()),
            status: Set(OrganizationStatus::Active.as_str().to_owned()),
            node_id: Set(None),
            created_at: Set(now.to_owned()),
            updated_at: Set(now.to_owned()),
            sensitivity: Set(org.sensitivity.to_string()),
        }
        .insert(&tx)
        .await?;
        append_change(&tx, &mut chain, change).await?;
        tx.commit().await?;
        organization(row)
    }

    pub async fn update_organization(
        &self,
        id: &str,
        changes: &OrganizationChanges,
        status: Option<OrganizationStatus>,
        change: &Change,
    ) -> Result<Organization, LocatorError> {
        let now = &change.at;
        let (tx, mut chain) = self.write_audited().await?;
        let mut row = find_organization(&tx, id).await?.into_active_model();
        if let Some(name) = &changes.display_name {
            row.display_name = Set(name.clone());
        }
        if let Some(kind) = changes.kind {
            row.kind = Set(kind.as_str().to_owned());
        }
        if let Some(contact) = &changes.contact {
            row.contact = Set(contact.clone());
        }
        if let Some(sensitivity) = changes.sensitivity {
            row.sensitivity = Set(sensitivity.to_string());
        }
        if let Some(status) = status {
            row.status = Set(status.as_str().to_owned());
        }
        row.updated_at = Set(now.to_owned());
        let row = row.update(&tx).await?;
        append_change(&tx, &mut chain, change).await?;
        tx.commit().await?;
        organization(row)
    }

    pub async fn organizations(&self) -> Result<Vec<Organization>, LocatorError> {
        organizations::Entity::find()
            .order_by_asc(organizations::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(organization)
            .collect()
    }

    // ----- nodes

    /// Create a node hosting `tenants` (organizations not hosted elsewhere),
    /// with its first enrollment token.
    pub async fn create_node(
        &self,
        id: &NodeId,
        endpoint: &str,
        tenants: &[String],
        token: &StoredToken,
        change: &Change,
    ) -> Result<Node, LocatorError> {
        let now = &change.at;
        let (tx, mut chain) = self.write_audited().await?;
        if nodes::Entity::find_by_id(id.as_str())
            .one(&tx)
            .await?
            .is_some()
        {
            return Err(LocatorError::Conflict(format!(
                "node `{id}` already exists"
            )));
        }
        nodes::ActiveModel {
            id: Set(id.to_string()),
            endpoint: Set(endpoint.to_owned()),
            status: Set(NodeStatus::Pending.as_str().to_owned()),
            last_seen: Set(None),
            created_at: Set(now.to_owned()),
            updated_at: Set(now.to_owned()),
        }
        .insert(&tx)
        .await?;
        host(&tx, id, tenants, now).await?;
        insert_token(&tx, id, token, now).await?;
        append_change(&tx, &mut chain, change).await?;
        tx.commit().await?;
        self.node(id, now).await
    }

    pub async fn update_node(
        &self,
        id: &NodeId,
        changes: &NodeChanges,
        change: &Change,
    ) -> Result<Node, LocatorError> {
        let now = &change.at;
        let (tx, mut chain) = self.write_audited().await?;
        let mut row = find_node(&tx, id).await?.into_active_model();
        if let Some(endpoint) = &changes.endpoint {
            row.endpoint = Set(endpoint.clone());
        }
        row.updated_at = Set(now.to_owned());
        row.update(&tx).await?;
        if let Some(tenants) = &changes.tenants {
            organizations::Entity::update_many()
                .col_expr(organizations::Column::NodeId, Expr::value(None::<String>))
                .filter(organizations::Column::NodeId.eq(id.as_str()))
                .exec(&tx)
                .await?;
            host(&tx, id, tenants, now).await?;
        }
        append_change(&tx, &mut chain, change).await?;
        tx.commit().await?;
        self.node(id, now).await
    }

    /// Replace the node's unused enrollment tokens with `token`.
    pub async fn replace_token(
        &self,
        id: &NodeId,
        token: &StoredToken,
        change: &Change,
    ) -> Result<(), LocatorError> {
        let now = &change.at;
        let (tx, mut chain) = self.write_audited().await?;
        let node = find_node(&tx, id).await?;
        if node.status == NodeStatus::Revoked.as_str() {
            return Err(LocatorError::FailedPrecondition(format!(
                "node `{id}` is revoked; create a new node instead"
            )));
        }
        enrollment_tokens::Entity::delete_many()
            .filter(enrollment_tokens::Column::NodeId.eq(id.as_str()))
            .filter(enrollment_tokens::Column::UsedAt.is_null())
            .exec(&tx)
            .await?;
        insert_token(&tx, id, token, now).await?;
        append_change(&tx, &mut chain, change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Change a node's status; revoking also revokes its certificates.
    pub async fn set_node_status(
        &self,
        id: &NodeId,
        status: NodeStatus,
        change: &Change,
    ) -> Result<Node, LocatorError> {
        let now = &change.at;
        let (tx, mut chain) = self.write_audited().await?;
        let row = find_node(&tx, id).await?;
        let current: NodeStatus = row.status.parse()?;
        let allowed = match (current, status) {
            (NodeStatus::Revoked, _) => false,
            (_, NodeStatus::Revoked | NodeStatus::Suspended) => true,
            (NodeStatus::Suspended, NodeStatus::Active) => true,
            (from, to) => from == to,
        };
        if !allowed {
            return Err(LocatorError::FailedPrecondition(format!(
                "node `{id}` is {current}; it cannot become {status}"
            )));
        }
        let mut row = row.into_active_model();
        row.status = Set(status.as_str().to_owned());
        row.updated_at = Set(now.to_owned());
        row.update(&tx).await?;
        if status == NodeStatus::Revoked {
            certificates::Entity::update_many()
                .col_expr(certificates::Column::RevokedAt, Expr::value(now))
                .filter(certificates::Column::NodeId.eq(id.as_str()))
                .filter(certificates::Column::RevokedAt.is_null())
                .exec(&tx)
                .await?;
            enrollment_tokens::Entity::delete_many()
                .filter(enrollment_tokens::Column::NodeId.eq(id.as_str()))
                .filter(enrollment_tokens::Column::UsedAt.is_null())
                .exec(&tx)
                .await?;
        }
        append_change(&tx, &mut chain, change).await?;
        tx.commit().await?;
        self.node(id, now).await
    }

    /// A node, with its tenants and the certificates not expired at `now`.
    pub async fn node(&self, id: &NodeId, now: &str) -> Result<Node, LocatorError> {
        let row = find_node(&self.db, id).await?;
        let mut nodes = self.assemble(vec![row], now).await?;
        nodes
            .pop()
            .ok_or_else(|| LocatorError::NotFound(format!("node `{id}`")))
    }

    /// Every node, with its tenants and the certificates not expired at `now`.
    pub async fn nodes(&self, now: &str) -> Result<Vec<Node>, LocatorError> {
        let rows = nodes::Entity::find()
            .order_by_asc(nodes::Column::Id)
            .all(&self.db)
            .await?;
        self.assemble(rows, now).await
    }

    async fn assemble(
        &self,
        rows: Vec<nodes::Model>,
        now: &str,
    ) -> Result<Vec<Node>, LocatorError> {
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let mut tenants: HashMap<String, Vec<String>> = HashMap::new();
        for org in organizations::Entity::find()
            .filter(organizations::Column::NodeId.is_in(ids.clone()))
            .order_by_asc(organizations::Column::Id)
            .all(&self.db)
            .await?
        {
            if let Some(node) = org.node_id {
                tenants.entry(node).or_default().push(org.id);
            }
        }
        let certs_query = certificates::Entity::find()
            .filter(certificates::Column::NodeId.is_in(ids))
            .filter(certificates::Column::NotAfter.gt(now))
            .order_by_desc(certificates::Column::NotAfter);
        let mut certs: HashMap<String, Vec<CertificateRecord>> = HashMap::new();
        for cert in certs_query.all(&self.db).await? {
            certs
                .entry(cert.node_id)
                .or_default()
                .push(CertificateRecord {
                    serial: cert.serial,
                    not_before: cert.not_before,
                    not_after: cert.not_after,
                    revoked_at: cert.revoked_at,
                });
        }
        rows.into_iter()
            .map(|row| {
                Ok(Node {
                    id: NodeId::new(&row.id).map_err(|e| LocatorError::Corrupt(e.to_string()))?,
                    endpoint: row.endpoint,
                    tenants: tenants.remove(&row.id).unwrap_or_default(),
                    status: row.status.parse()?,
                    certificates: certs.remove(&row.id).unwrap_or_default(),
                    last_seen: row.last_seen,
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                })
            })
            .collect()
    }

    // ----- enrollment and certificates

    /// Redeem an enrollment token and record the certificate `issue` makes
    /// for its node, with the change `issue` describes, in one transaction:
    /// a token is used exactly once, and a certificate is handed out only if
    /// its record was committed.
    pub async fn enroll<T>(
        &self,
        token_id: &str,
        secret: &str,
        now: &str,
        issue: impl FnOnce(&NodeId) -> Result<(NewCertificate, Change, T), LocatorError>,
    ) -> Result<(Node, T), LocatorError> {
        let (tx, mut chain) = self.write_audited().await?;
        let invalid = || LocatorError::Unauthenticated("the enrollment token is not valid".into());
        let token = enrollment_tokens::Entity::find_by_id(token_id)
            .one(&tx)
            .await?
            .ok_or_else(invalid)?;
        if !verify_secret(secret, &token.secret_sha256) {
            return Err(invalid());
        }
        if let Some(used) = &token.used_at {
            return Err(LocatorError::Unauthenticated(format!(
                "the enrollment token was already used at {used}; ask the operator for a new one"
            )));
        }
        if token.expires_at.as_str() <= now {
            return Err(LocatorError::Unauthenticated(format!(
                "the enrollment token expired at {}; ask the operator for a new one",
                token.expires_at
            )));
        }
        let node_id =
            NodeId::new(&token.node_id).map_err(|e| LocatorError::Corrupt(e.to_string()))?;
        let node = find_node(&tx, &node_id).await?;
        let status: NodeStatus = node.status.parse()?;
        if matches!(status, NodeStatus::Suspended | NodeStatus::Revoked) {
            return Err(LocatorError::PermissionDenied(format!(
                "node `{node_id}` is {status}"
            )));
        }
        let (cert, change, issued) = issue(&node_id)?;
        insert_certificate(&tx, &node_id, &cert, now).await?;
        append_change(&tx, &mut chain, &change).await?;
        let mut token = token.into_active_model();
        token.used_at = Set(Some(now.to_owned()));
        token.update(&tx).await?;
        let mut node = node.into_active_model();
        node.status = Set(NodeStatus::Active.as_str().to_owned());
        node.updated_at = Set(now.to_owned());
        node.update(&tx).await?;
        tx.commit().await?;
        Ok((self.node(&node_id, now).await?, issued))
    }

    /// Record a renewed certificate for an active node.
    pub async fn record_certificate(
        &self,
        node: &NodeId,
        cert: &NewCertificate,
        change: &Change,
    ) -> Result<(), LocatorError> {
        let (tx, mut chain) = self.write_audited().await?;
        insert_certificate(&tx, node, cert, &change.at).await?;
        append_change(&tx, &mut chain, change).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn heartbeat(&self, node: &NodeId, now: &str) -> Result<(), LocatorError> {
        nodes::Entity::update_many()
            .col_expr(nodes::Column::LastSeen, Expr::value(now))
            .filter(nodes::Column::Id.eq(node.as_str()))
            .exec(&self.writer)
            .await?;
        Ok(())
    }

    // ----- the record of changes and refusals

    /// Record a refusal (or anything else that changed nothing) in the
    /// directory's event log and in the audit ledger.
    pub async fn record_event(&self, change: &Change) -> Result<(), LocatorError> {
        let (tx, mut chain) = self.write_audited().await?;
        append_change(&tx, &mut chain, change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The most recent `limit` events, newest first.
    pub async fn events(&self, limit: u64) -> Result<Vec<DirectoryEvent>, LocatorError> {
        use sea_orm::QuerySelect;
        Ok(directory_events::Entity::find()
            .order_by_desc(directory_events::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| DirectoryEvent {
                at: e.at,
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                detail: e.detail,
            })
            .collect())
    }
}

/// Write `change` to the event log and the ledger, in `tx`.
async fn append_change(
    tx: &DatabaseTransaction,
    chain: &mut ChainLock,
    change: &Change,
) -> Result<(), LocatorError> {
    chain.record(tx, &change.ledger_entry()).await?;
    let event = change.event();
    directory_events::ActiveModel {
        at: Set(event.at),
        actor: Set(event.actor),
        action: Set(event.action),
        subject: Set(event.subject),
        detail: Set(event.detail),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(())
}

async fn find_organization(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<organizations::Model, LocatorError> {
    organizations::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| LocatorError::NotFound(format!("organization `{id}`")))
}

async fn find_node(db: &impl ConnectionTrait, id: &NodeId) -> Result<nodes::Model, LocatorError> {
    nodes::Entity::find_by_id(id.as_str())
        .one(db)
        .await?
        .ok_or_else(|| LocatorError::NotFound(format!("node `{id}`")))
}

/// Place `tenants` on node `id`; each must exist and not be on another node.
async fn host(
    tx: &DatabaseTransaction,
    id: &NodeId,
    tenants: &[String],
    now: &str,
) -> Result<(), LocatorError> {
    for tenant in tenants {
        let org = find_organization(tx, tenant).await?;
        if let Some(other) = org.node_id.as_deref().filter(|n| *n != id.as_str()) {
            return Err(LocatorError::FailedPrecondition(format!(
                "organization `{tenant}` is already hosted by node `{other}`"
            )));
        }
        let mut org = org.into_active_model();
        org.node_id = Set(Some(id.to_string()));
        org.updated_at = Set(now.to_owned());
        org.update(tx).await?;
    }
    Ok(())
}

async fn insert_token(
    tx: &DatabaseTransaction,
    node: &NodeId,
    token: &StoredToken,
    now: &str,
) -> Result<(), LocatorError> {
    enrollment_tokens::ActiveModel {
        id: Set(token.id.clone()),
        node_id: Set(node.to_string()),
        secret_sha256: Set(token.secret_sha256.clone()),
        expires_at: Set(token.expires_at.clone()),
        used_at: Set(None),
        created_at: Set(now.to_owned()),
    }
    .insert(tx)
    .await?;
    Ok(())
}

async fn insert_certificate(
    tx: &DatabaseTransaction,
    node: &NodeId,
    cert: &NewCertificate,
    now: &str,
) -> Result<(), LocatorError> {
    certificates::ActiveModel {
        serial: Set(cert.serial.clone()),
        node_id: Set(node.to_string()),
        not_before: Set(cert.not_before.clone()),
        not_after: Set(cert.not_after.clone()),
        issued_at: Set(now.to_owned()),
        revoked_at: Set(None),
    }
    .insert(tx)
    .await?;
    Ok(())
}

fn organization(row: organizations::Model) -> Result<Organization, LocatorError> {
    let sensitivity = LabelSet::from_str(&row.sensitivity)
        .map_err(|e| LocatorError::Corrupt(format!("organization `{}`: {e}", row.id)))?;
    Ok(Organization {
        kind: row.kind.parse()?,
        status: row.status.parse()?,
        id: row.id,
        display_name: row.display_name,
        contact: row.contact,
        node_id: row.node_id,
        created_at: row.created_at,
        updated_at: row.updated_at,
        sensitivity,
    })
}
