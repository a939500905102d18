//! The network directory: organizations, their nodes, enrollment, and the
//! certificates the network CA issues to nodes.
//!
//! Every change is recorded as a directory event (who, what, when) and an
//! audit-ledger entry in the change's own transaction, and is enforced on
//! open connections through the [`Roster`] within one refresh period.

pub mod model;
mod roster;

use std::sync::Arc;

use chrono::Duration;
use continuum_mesh::clock::Environment;
use continuum_mesh::credentials::hash_secret;
use continuum_mesh::tls::{
    CertificateIdentity, EnrollmentToken, IssuedCertificate, NetworkCa, NodeId, SpiffeId, Validity,
};

use crate::LocatorError;
use crate::store::{DirectoryStore, NewCertificate, StoredToken};
use model::{
    Actor, Change, DirectoryEvent, NewOrganization, Node, NodeChanges, NodeStatus, Organization,
    OrganizationChanges, OrganizationStatus, Subject, timestamp,
};
pub use roster::{AuthorizedNode, Roster};

/// How long what the directory hands out stays valid.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub certificate: Duration,
    pub enrollment_token: Duration,
}

/// An enrollment token as the operator receives it (shown once).
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: EnrollmentToken,
    pub expires_at: String,
}

#[derive(Debug, Clone)]
pub struct Directory {
    store: DirectoryStore,
    ca: Arc<NetworkCa>,
    roster: Arc<Roster>,
    env: Environment,
    lifetimes: Lifetimes,
}

impl Directory {
    pub async fn new(
        store: DirectoryStore,
        ca: Arc<NetworkCa>,
        env: Environment,
        lifetimes: Lifetimes,
    ) -> Result<Self, LocatorError> {
        let directory = Self {
            store,
            ca,
            roster: Arc::default(),
            env,
            lifetimes,
        };
        directory.refresh().await?;
        Ok(directory)
    }

    pub fn ca(&self) -> &NetworkCa {
        &self.ca
    }

    /// The current time as the directory records it.
    pub fn now(&self) -> String {
        timestamp(self.env.clock.now())
    }

    /// The locator's clock and id source.
    pub fn env(&self) -> &Environment {
        &self.env
    }

    /// Reload the roster that per-call checks use.
    pub async fn refresh(&self) -> Result<(), LocatorError> {
        self.roster.refresh(&self.store, &self.now()).await
    }

    /// A change made by an operator, for the record.
    fn by_operator(&self, action: &str, subject: Subject, detail: String) -> Change {
        self.change(Actor::Operator, action, subject, detail)
    }

    fn change(&self, actor: Actor, action: &str, subject: Subject, detail: String) -> Change {
        Change {
            at: self.now(),
            actor,
            action: action.to_owned(),
            subject,
            certificate_serial: None,
            detail,
        }
    }

    /// `change` has committed: say so, and make it effective.
    async fn made(&self, change: &Change) -> Result<(), LocatorError> {
        tracing::info!(actor = %change.actor, action = %change.action, subject = ?change.subject, "directory changed");
        self.refresh().await
    }

    /// Record a refusal, which changes nothing but the record.
    async fn refused(
        &self,
        actor: Actor,
        action: &str,
        subject: Subject,
        detail: String,
    ) -> Result<(), LocatorError> {
        let change = self.change(actor, action, subject, detail);
        tracing::warn!(actor = %change.actor, action = %change.action, subject = ?change.subject, "directory refused");
        self.store.record_event(&change).await
    }

    pub async fn events(&self, limit: u64) -> Result<Vec<DirectoryEvent>, LocatorError> {
        self.store.events(limit).await
    }

    // ----- organizations

    pub async fn create_organization(
        &self,
        org: NewOrganization,
    ) -> Result<Organization, LocatorError> {
        valid_id(&org.id, "organization id")?;
        if org.display_name.trim().is_empty() {
            return Err(LocatorError::InvalidArgument(
                "an organization needs a display name".into(),
            ));
        }
        let change = self.by_operator(
            "organization.create",
            Subject::Organization(org.id.clone()),
            format!("kind={}", org.kind),
        );
        let created = self.store.create_organization(&org, &change).await?;
        self.made(&change).await?;
        Ok(created)
    }

    pub async fn update_organization(
        &self,
        id: &str,
        changes: OrganizationChanges,
    ) -> Result<Organization, LocatorError> {
        let change = self.by_operator(
            "organization.update",
            Subject::Organization(id.to_owned()),
            String::new(),
        );
        let updated = self
            .store
            .update_organization(id, &changes, None, &change)
            .await?;
        self.made(&change).await?;
        Ok(updated)
    }

    pub async fn set_organization_status(
        &self,
        id: &str,
        status: OrganizationStatus,
        reason: &str,
    ) -> Result<Organization, LocatorError> {
        let change = self.by_operator(
            &format!("organization.{status}"),
            Subject::Organization(id.to_owned()),
            reason.to_owned(),
        );
        let updated = self
            .store
            .update_organization(id, &OrganizationChanges::default(), Some(status), &change)
            .await?;
        self.made(&change).await?;
        Ok(updated)
    }

    pub async fn organizations(&self) -> Result<Vec<Organization>, LocatorError> {
        self.store.organizations().await
    }

    // ----- nodes

    pub async fn create_node(
        &self,
        id: &str,
        endpoint: &str,
        tenants: &[String],
        token_ttl: Option<Duration>,
    ) -> Result<(Node, IssuedToken), LocatorError> {
        let id = node_id(id)?;
        valid_endpoint(endpoint)?;
        let (token, stored) = self.new_token(token_ttl);
        let change = self.by_operator(
            "node.create",
            Subject::Node {
                id: id.clone(),
                tenants: tenants.to_vec(),
            },
            format!("endpoint={endpoint} tenants={}", tenants.join(",")),
        );
        let node = self
            .store
            .create_node(&id, endpoint, tenants, &stored, &change)
            .await?;
        self.made(&change).await?;
        Ok((node, token))
    }

    pub async fn update_node(&self, id: &str, changes: NodeChanges) -> Result<Node, LocatorError> {
        let id = node_id(id)?;
        if let Some(endpoint) = &changes.endpoint {
            valid_endpoint(endpoint)?;
        }
        let mut detail = Vec::new();
        if let Some(endpoint) = &changes.endpoint {
            detail.push(format!("endpoint={endpoint}"));
        }
        if let Some(tenants) = &changes.tenants {
            detail.push(format!("tenants={}", tenants.join(",")));
        }
        let change = self.by_operator(
            "node.update",
            Subject::Node {
                id: id.clone(),
                tenants: changes.tenants.clone().unwrap_or_default(),
            },
            detail.join(" "),
        );
        let node = self.store.update_node(&id, &changes, &change).await?;
        self.made(&change).await?;
        Ok(node)
    }

    pub async fn issue_token(
        &self,
        id: &str,
        token_ttl: Option<Duration>,
    ) -> Result<IssuedToken, LocatorError> {
        let id = node_id(id)?;
        let (token, stored) = self.new_token(token_ttl);
        let change = self.by_operator(
            "node.token",
            Subject::node(&id),
            format!("token={}", token.token.id),
        );
        self.store.replace_token(&id, &stored, &change).await?;
        self.made(&change).await?;
        Ok(token)
    }

    pub async fn set_node_status(
        &self,
        id: &str,
        status: NodeStatus,
        reason: &str,
    ) -> Result<Node, LocatorError> {
        let id = node_id(id)?;
        if status == NodeStatus::Pending {
            return Err(LocatorError::InvalidArgument(
                "a node's status can be set to active, suspended or revoked".into(),
            ));
        }
        let change = self.by_operator(
            &format!("node.{status}"),
            Subject::node(&id),
            reason.to_owned(),
        );
        let node = self.store.set_node_status(&id, status, &change).await?;
        self.made(&change).await?;
        Ok(node)
    }

    pub async fn node(&self, id: &str) -> Result<Node, LocatorError> {
        self.store.node(&node_id(id)?, &self.now()).await
    }

    pub async fn nodes(&self) -> Result<Vec<Node>, LocatorError> {
        self.store.nodes(&self.now()).await
    }

    fn new_token(&self, ttl: Option<Duration>) -> (IssuedToken, StoredToken) {
        let token = EnrollmentToken::generate(&self.ca.fingerprint());
        let expires_at =
            timestamp(self.env.clock.now() + ttl.unwrap_or(self.lifetimes.enrollment_token));
        let stored = StoredToken {
            id: token.id.clone(),
            secret_sha256: hash_secret(&token.secret),
            expires_at: expires_at.clone(),
        };
        (IssuedToken { token, expires_at }, stored)
    }

    // ----- certificates

    /// Redeem an enrollment token: sign the node's key, activate the node.
    pub async fn enroll(
        &self,
        token: &str,
        csr_pem: &str,
    ) -> Result<(Node, IssuedCertificate), LocatorError> {
        let token: EnrollmentToken =
            token
                .parse()
                .map_err(|e: continuum_mesh::tls::MalformedToken| {
                    LocatorError::Unauthenticated(e.to_string())
                })?;
        let outcome = self
            .store
            .enroll(&token.id, &token.secret, &self.now(), |node| {
                let issued = self.sign(node, csr_pem)?;
                let change = Change {
                    certificate_serial: Some(issued.serial.clone()),
                    ..self.change(
                        Actor::Node(node.clone()),
                        "node.enroll",
                        Subject::node(node),
                        format!("serial={} token={}", issued.serial, token.id),
                    )
                };
                Ok((record_of(&issued), change, issued))
            })
            .await;
        match outcome {
            Ok((node, issued)) => {
                tracing::info!(node = %node.id, serial = %issued.serial, "node enrolled");
                self.refresh().await?;
                Ok((node, issued))
            }
            Err(e) => {
                self.refused(
                    Actor::Enrollee,
                    "node.enroll.refused",
                    Subject::Token(token.id.clone()),
                    e.to_string(),
                )
                .await?;
                Err(e)
            }
        }
    }

    /// A new certificate for an authorized node's new key.
    pub async fn renew(
        &self,
        node: &AuthorizedNode,
        csr_pem: &str,
    ) -> Result<IssuedCertificate, LocatorError> {
        let issued = self.sign(&node.id, csr_pem)?;
        let change = Change {
            certificate_serial: Some(issued.serial.clone()),
            ..self.change(
                Actor::Node(node.id.clone()),
                "node.renew",
                Subject::node(&node.id),
                format!("serial={}", issued.serial),
            )
        };
        self.store
            .record_certificate(&node.id, &record_of(&issued), &change)
            .await?;
        // The new certificate must be known before the node's next call.
        self.made(&change).await?;
        Ok(issued)
    }

    fn sign(&self, node: &NodeId, csr_pem: &str) -> Result<IssuedCertificate, LocatorError> {
        let id = SpiffeId::node(self.ca.network(), node);
        let validity = Validity::starting(self.env.clock.now(), self.lifetimes.certificate);
        Ok(self.ca.sign_request(csr_pem, &id, validity)?)
    }

    /// The locator's own certificate, for a key it generated.
    pub fn issue_own(&self, csr_pem: &str) -> Result<IssuedCertificate, LocatorError> {
        let id = SpiffeId::locator(self.ca.network());
        let validity = Validity::starting(self.env.clock.now(), self.lifetimes.certificate);
        Ok(self.ca.sign_request(csr_pem, &id, validity)?)
    }

    pub async fn heartbeat(&self, node: &AuthorizedNode) -> Result<(), LocatorError> {
        self.store.heartbeat(&node.id, &self.now()).await
    }

    /// Per-call check of a caller's certificate against the directory.
    pub fn authorize(&self, cert: &CertificateIdentity) -> Result<AuthorizedNode, LocatorError> {
        self.roster.authorize(cert)
    }

    /// Refuse (and record) a node acting for a tenant it does not host.
    pub async fn check_tenants(
        &self,
        node: &AuthorizedNode,
        tenants: &[String],
        action: &str,
    ) -> Result<(), LocatorError> {
        let foreign: Vec<&str> = tenants
            .iter()
            .filter(|t| !node.tenants.contains(*t))
            .map(String::as_str)
            .collect();
        if foreign.is_empty() {
            return Ok(());
        }
        let detail = format!("tenants={}", foreign.join(","));
        self.refused(
            Actor::Node(node.id.clone()),
            &format!("{action}.refused"),
            Subject::node(&node.id),
            detail,
        )
        .await?;
        Err(LocatorError::PermissionDenied(format!(
            "node `{}` does not host {} in the directory",
            node.id,
            foreign
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }
}

fn record_of(issued: &IssuedCertificate) -> NewCertificate {
    NewCertificate {
        serial: issued.serial.clone(),
        not_before: timestamp(issued.validity.not_before),
        not_after: timestamp(issued.validity.not_after),
    }
}

fn node_id(id: &str) -> Result<NodeId, LocatorError> {
    NodeId::new(id).map_err(|e| LocatorError::InvalidArgument(e.to_string()))
}

fn valid_id(id: &str, what: &'static str) -> Result<(), LocatorError> {
    NodeId::new(id)
        .map(drop)
        .map_err(|_| {
            LocatorError::InvalidArgument(format!(
                "`{id}` is not a valid {what} (lowercase letters, digits and hyphens, 1 to 63 characters)"
            ))
        })
}

fn valid_endpoint(endpoint: &str) -> Result<(), LocatorError> {
    let ok = endpoint
        .strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
    if ok {
        Ok(())
    } else {
        Err(LocatorError::InvalidArgument(format!(
            "endpoint `{endpoint}` must be https://host:port (the node's federation API)"
        )))
    }
}
