//! What can go wrong in a node, in terms a caller can act on. The mapping to
//! gRPC status codes lives in one place: `api::status`.

use continuum_fhir::FhirError;
use thiserror::Error;

use crate::store::StoreError;

#[derive(Debug, Error)]
pub enum NodeError {
    #[error("unknown tenant `{0}`: this node does not host it")]
    UnknownTenant(String),
    #[error(transparent)]
    Fhir(#[from] FhirError),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{path}: `{reference}` does not exist in this organization's records")]
    DanglingReference { path: String, reference: String },
    #[error("{path}: `{reference}` matches no entry of the bundle")]
    UnresolvedPlaceholder { path: String, reference: String },
    #[error("`{query}` matches {matches} {resource_type} resources; exactly one is needed")]
    ConditionalMatch {
        resource_type: String,
        query: String,
        matches: usize,
    },
    #[error("{resource} is at version {current}, not {expected}")]
    VersionConflict {
        resource: String,
        expected: u64,
        current: u64,
    },
    #[error("bundle entry {index}: {source}")]
    InEntry {
        index: usize,
        #[source]
        source: Box<NodeError>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Records fetched from the network could not be recorded in the
    /// tenant's ledger, so they are not shown.
    #[error("the receipt could not be recorded in the tenant's ledger: {0}")]
    ReceiptNotRecorded(String),
    /// The call needs the network and this node has not joined one.
    #[error("this node is not part of a network (no `network` section in its configuration)")]
    NotInNetwork,
    /// The node could not start or keep serving (address in use, data
    /// folder not writable…).
    #[error("cannot serve: {0}")]
    Serve(String),
}

impl NodeError {
    /// The error itself, without the bundle entry it came from (for
    /// single-resource calls, where the entry number means nothing).
    pub fn without_entry(self) -> Self {
        match self {
            NodeError::InEntry { source, .. } => *source,
            other => other,
        }
    }

    /// Name the bundle entry this error came from.
    pub fn in_entry(self, index: usize) -> Self {
        match self {
            already @ NodeError::InEntry { .. } => already,
            source => NodeError::InEntry {
                index,
                source: Box::new(source),
            },
        }
    }
}
