//! The Continuum locator: the network's hub. This first part holds the
//! directory of organizations and nodes, the network certificate authority
//! that enrolls nodes and renews their short-lived certificates, and the
//! per-call check that a node is who its certificate says, is still in good
//! standing, and acts only for the tenants it hosts.
//!
//! It never takes an identity from a request field: nodes are known by their
//! verified client certificate, operators by their credential.

#![forbid(unsafe_code)]

pub mod api;
pub mod audit;
pub mod broker;
pub mod config;
pub mod consent;
pub mod directory;
mod error;
pub mod federation;
pub mod matching;
pub mod registry;
pub mod server;
mod store;

pub use config::LocatorConfig;
pub use error::LocatorError;
pub use server::{RunningLocator, serve};
