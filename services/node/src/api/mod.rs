//! The node's gRPC surface: the clinical API and what guards it.

pub mod auth;
mod clinical;
mod sharing;
mod status;

pub use auth::{AuthLayer, Authenticator, Caller, TENANT_HEADER};
pub use clinical::ClinicalApi;
pub use sharing::SharingCalls;
