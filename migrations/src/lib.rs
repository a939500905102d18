//! The database schemas of Continuum's services as sea-orm migrations: one
//! immutable file per change, each running unchanged on SQLite (the embedded
//! default) and PostgreSQL (production).
//!
//! Each service has its own migrator and its own database; a migration file is
//! never edited after it lands, a change is a new file.

#![forbid(unsafe_code)]

pub mod database;
mod locator;
mod node;

pub use locator::LocatorMigrator;
pub use node::NodeMigrator;
pub use sea_orm_migration::MigratorTrait;

/// The PostgreSQL role the node's queries run as inside each transaction: it
/// has no `BYPASSRLS`, so row-level security applies to it even when the
/// connection itself logs in as a superuser or the tables' owner.
pub const NODE_APP_ROLE: &str = "continuum_node";

/// The transaction-local setting that names the tenant a PostgreSQL
/// transaction works for; row-level security policies compare every row's
/// `tenant_id` with it.
pub const TENANT_SETTING: &str = "continuum.tenant";
