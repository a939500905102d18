//! The per-call check of a node's identity against the directory.
//!
//! Every replica keeps an in-memory view of which nodes are active, which
//! tenants each may act for, and which certificates were issued to it. The
//! view is rebuilt from the database after each of this replica's own
//! changes and every refresh period otherwise, so a suspension or revocation
//! made anywhere is enforced on every open connection within that period.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use continuum_mesh::tls::{CertificateIdentity, NodeId, Workload};

use super::model::{Node, NodeStatus, OrganizationStatus};
use crate::LocatorError;
use crate::store::DirectoryStore;

#[derive(Debug, Default)]
struct View {
    nodes: HashMap<NodeId, Entry>,
}

#[derive(Debug)]
struct Entry {
    status: NodeStatus,
    tenants: Arc<HashSet<String>>,
    /// Serial → revoked.
    certificates: HashMap<String, bool>,
}

/// A node whose certificate and directory entry were checked for this call.
#[derive(Debug, Clone)]
pub struct AuthorizedNode {
    pub id: NodeId,
    /// The active organizations the directory places on this node.
    pub tenants: Arc<HashSet<String>>,
}

#[derive(Debug, Default)]
pub struct Roster {
    view: RwLock<Arc<View>>,
}

impl Roster {
    /// Rebuild the view from the directory.
    pub async fn refresh(&self, store: &DirectoryStore, now: &str) -> Result<(), LocatorError> {
        let active: HashSet<String> = store
            .organizations()
            .await?
            .into_iter()
            .filter(|o| o.status == OrganizationStatus::Active)
            .map(|o| o.id)
            .collect();
        let nodes = store.nodes(now).await?;
        let view = View {
            nodes: nodes
                .into_iter()
                .map(|node: Node| {
                    let tenants = node
                        .tenants
                        .into_iter()
                        .filter(|t| active.contains(t))
                        .collect();
                    let certificates = node
                        .certificates
                        .into_iter()
                        .map(|c| (c.serial, c.revoked_at.is_some()))
                        .collect();
                    let entry = Entry {
                        status: node.status,
                        tenants: Arc::new(tenants),
                        certificates,
                    };
                    (node.id, entry)
                })
                .collect(),
        };
        *self.view.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(view);
        Ok(())
    }

    /// Whether the holder of `cert` is a node the directory lets in now.
    pub fn authorize(&self, cert: &CertificateIdentity) -> Result<AuthorizedNode, LocatorError> {
        let Workload::Node(id) = &cert.id.workload else {
            return Err(LocatorError::PermissionDenied(format!(
                "{} is not a node certificate",
                cert.id
            )));
        };
        let view = self.view.read().unwrap_or_else(|e| e.into_inner()).clone();
        let entry = view.nodes.get(id).ok_or_else(|| {
            LocatorError::PermissionDenied(format!("node `{id}` is not in the directory"))
        })?;
        match entry.status {
            NodeStatus::Active => {}
            NodeStatus::Revoked => {
                return Err(LocatorError::PermissionDenied(format!(
                    "node `{id}` has been revoked by the network operator"
                )));
            }
            other => {
                return Err(LocatorError::PermissionDenied(format!(
                    "node `{id}` is {other}; the network operator must reinstate it"
                )));
            }
        }
        match entry.certificates.get(&cert.serial) {
            Some(false) => Ok(AuthorizedNode {
                id: id.clone(),
                tenants: entry.tenants.clone(),
            }),
            Some(true) => Err(LocatorError::PermissionDenied(format!(
                "certificate {} of node `{id}` has been revoked",
                cert.serial
            ))),
            None => Err(LocatorError::PermissionDenied(format!(
                "certificate {} was not issued to node `{id}` by this network",
                cert.serial
            ))),
        }
    }
}
