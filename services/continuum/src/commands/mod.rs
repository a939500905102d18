//! One module per subcommand.

pub mod admin;
pub mod audit;
pub mod audit_admin;
pub mod ca;
pub mod consent_admin;
pub mod credential;
pub mod export;
pub mod import;
pub mod locator;
pub mod node;
pub mod synth;
pub mod up;
