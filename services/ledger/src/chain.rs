//! Which chain a ledger is, and where its rows live.

use std::fmt;

/// A hash chain: the locator's one ledger, or the release ledger of one
/// tenant at a node. Both have the same table shape; they live in tables of
/// different names because the locator and a node may share a PostgreSQL
/// database.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Chain {
    /// Every decision the locator audits: `ledger_entries`, chain `locator`.
    Locator,
    /// What one tenant released: `release_ledger`, chain = the tenant id,
    /// under row-level security on PostgreSQL.
    Node { tenant: String },
}

/// The tables of a chain.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tables {
    pub entries: &'static str,
    pub checkpoints: &'static str,
}

impl Chain {
    pub fn node(tenant: impl Into<String>) -> Chain {
        Chain::Node {
            tenant: tenant.into(),
        }
    }

    /// The chain's id as stored in the `chain` column and hashed into every
    /// entry and checkpoint.
    pub fn id(&self) -> &str {
        match self {
            Chain::Locator => "locator",
            Chain::Node { tenant } => tenant,
        }
    }

    pub(crate) fn tables(&self) -> Tables {
        match self {
            Chain::Locator => Tables {
                entries: "ledger_entries",
                checkpoints: "ledger_checkpoints",
            },
            Chain::Node { .. } => Tables {
                entries: "release_ledger",
                checkpoints: "release_ledger_checkpoints",
            },
        }
    }

    /// Whether the chain's rows are only reachable as its tenant.
    pub(crate) fn tenant(&self) -> Option<&str> {
        match self {
            Chain::Locator => None,
            Chain::Node { tenant } => Some(tenant),
        }
    }
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Chain::Locator => f.write_str("Chain(locator)"),
            Chain::Node { tenant } => write!(f, "Chain(node tenant {tenant})"),
        }
    }
}
