//! Who is calling a node: people sign in at their own organization's OpenID
//! Connect provider and present its access tokens; systems present tokens
//! they obtained with client credentials. Each tenant names its provider
//! ([`ProviderConfig`]); [`TokenVerifier`] turns a bearer token into a
//! verified [`Identity`] with Continuum [`Role`]s, and [`Identity::require`]
//! says whether it may do something ([`Permission`]).
//!
//! [`dev_provider`] is a small provider for `continuum up` only: it
//! announces itself as development-only, and a verifier not in
//! [`Mode::Development`] refuses it.

pub mod config;
pub mod dev_provider;
pub mod error;
pub mod identity;
mod keys;
pub mod ring_crypto;
pub mod roles;
mod seen;
pub mod verifier;

pub use config::{ClaimMapping, ProviderConfig, ProviderConfigError};
pub use error::TokenError;
pub use identity::{Identity, PrincipalKind, Refusal};
pub use roles::{Permission, Role, RoleSet};
pub use verifier::{Mode, TokenVerifier};
