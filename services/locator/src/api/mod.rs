//! The locator's gRPC surfaces: the directory for operators, enrollment for
//! nodes without a certificate yet, and the network API for enrolled nodes.

mod access_report;
mod admin;
mod auth;
mod network;
mod registry;
mod sharing;

pub use admin::AdminApi;
pub use auth::{NodeAuth, OperatorAuth};
pub use network::NetworkApi;
pub use registry::RegistryApi;
pub use sharing::SharingApi;
