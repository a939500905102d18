//! A Continuum node: one organization's EMR, or several hosted organizations
//! (tenants) with strict isolation between them.
//!
//! The node stores FHIR R4 resources with full version history, labels each
//! with its sensitivity, and serves them over the clinical gRPC API to the
//! organization's own authenticated systems. Every read and write is scoped to
//! one tenant by construction: the store offers no query without a tenant,
//! and on PostgreSQL row-level security is a second lock behind that.
//!
//! What a tenant releases to the network is recorded in its release ledger
//! (`continuum-ledger`) in the transaction that reads it; a release that
//! cannot be recorded does not happen.
//!
//! It must never return one tenant's data to another, store a resource that
//! is not valid FHIR R4, or log PHI.

#![forbid(unsafe_code)]

pub mod api;
pub mod config;
mod error;
pub mod network;
pub mod records;
mod server;
pub mod store;
pub mod tenant;

pub use config::NodeConfig;
pub use error::NodeError;
pub use server::{CONNECTION_WINDOW_BYTES, RunningNode, STREAM_WINDOW_BYTES, serve};
