//! What the directory knows: organizations, nodes and their certificates.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use continuum_consent::LabelSet;
use continuum_ledger::payload::DirectoryChange;
use continuum_mesh::tls::NodeId;

use crate::LocatorError;

/// Times as the directory stores them: RFC 3339 UTC with milliseconds, a
/// fixed width that sorts as text.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

macro_rules! text_enum {
    ($name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = LocatorError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(LocatorError::Corrupt(format!(
                        "unknown {} `{other}`", $what
                    ))),
                }
            }
        }
    };
}

text_enum!(OrganizationKind, "organization kind" {
    Clinic => "clinic",
    Hospital => "hospital",
    Lab => "lab",
    Pharmacy => "pharmacy",
    Imaging => "imaging",
    Other => "other",
});

text_enum!(OrganizationStatus, "organization status" {
    Active => "active",
    Suspended => "suspended",
});

text_enum!(NodeStatus, "node status" {
    Pending => "pending",
    Active => "active",
    Suspended => "suspended",
    Revoked => "revoked",
});

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub display_name: String,
    pub kind: OrganizationKind,
    pub contact: String,
    pub status: OrganizationStatus,
    pub node_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Labels every record held here carries (its kind of care).
    pub sensitivity: LabelSet,
}

/// A new organization, as an operator describes it.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub id: String,
    pub display_name: String,
    pub kind: OrganizationKind,
    pub contact: String,
    pub sensitivity: LabelSet,
}

/// Changes to an organization; `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct OrganizationChanges {
    pub display_name: Option<String>,
    pub kind: Option<OrganizationKind>,
    pub contact: Option<String>,
    pub sensitivity: Option<LabelSet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRecord {
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: NodeId,
    pub endpoint: String,
    pub tenants: Vec<String>,
    pub status: NodeStatus,
    pub certificates: Vec<CertificateRecord>,
    pub last_seen: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Changes to a node; `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct NodeChanges {
    pub endpoint: Option<String>,
    pub tenants: Option<Vec<String>>,
}

/// Who changed the directory or was refused by it, for the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Operator,
    Node(NodeId),
    /// Someone presenting an enrollment token (not yet a node).
    Enrollee,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Operator => f.write_str("operator"),
            Actor::Node(id) => write!(f, "node/{id}"),
            Actor::Enrollee => f.write_str("enrollee"),
        }
    }
}

/// One line of the directory's record of changes and refusals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEvent {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// What a directory change or refusal is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Organization(String),
    /// A node, with every organization it hosts after the change when the
    /// change sets them (`node.create`, `node.update` with tenants); empty
    /// when it leaves them alone.
    Node {
        id: NodeId,
        tenants: Vec<String>,
    },
    /// An enrollment token presented by someone not yet known as a node.
    Token(String),
}

impl Subject {
    pub fn node(id: &NodeId) -> Self {
        Subject::Node {
            id: id.clone(),
            tenants: Vec::new(),
        }
    }

    fn id(&self) -> &str {
        match self {
            Subject::Organization(id) | Subject::Token(id) => id,
            Subject::Node { id, .. } => id.as_str(),
        }
    }
}

/// A directory change or refusal as it is recorded: a line of the
/// directory's event log and an audit-ledger entry, both written in the
/// transaction of the change itself, so that neither exists without the
/// other or without the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub at: String,
    pub actor: Actor,
    /// `organization.create`, `node.revoked`, `node.enroll.refused`, …
    pub action: String,
    pub subject: Subject,
    /// The certificate the change issued, in hex.
    pub certificate_serial: Option<String>,
    /// Free text for the event log (never in the ledger: it may hold an
    /// operator's reason, which is not the ledger's to keep).
    pub detail: String,
}

impl Change {
    pub fn event(&self) -> DirectoryEvent {
        DirectoryEvent {
            at: self.at.clone(),
            actor: self.actor.to_string(),
            action: self.action.clone(),
            subject: self.subject.id().to_owned(),
            detail: self.detail.clone(),
        }
    }

    pub fn ledger_entry(&self) -> DirectoryChange {
        let (organization, node, tenants) = match &self.subject {
            Subject::Organization(id) => (id.clone(), None, Vec::new()),
            Subject::Node { id, tenants } => (String::new(), Some(id.to_string()), tenants.clone()),
            Subject::Token(_) => (String::new(), None, Vec::new()),
        };
        DirectoryChange {
            action: self.action.clone(),
            organization,
            node,
            tenants,
            certificate_serial: self.certificate_serial.clone(),
            actor: self.actor.to_string(),
        }
    }
}
