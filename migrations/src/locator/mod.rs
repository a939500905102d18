//! The locator's schema: the network directory (organizations, nodes,
//! certificates, enrollment tokens) and its audit trail.

mod m20261126_100001_create_directory;

use sea_orm_migration::prelude::*;

/// Migrates the locator's database.
#[derive(Debug)]
pub struct LocatorMigrator;

#[async_trait::async_trait]
impl MigratorTrait for LocatorMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261126_100001_create_directory::Migration)]
    }

    fn migration_table_name() -> DynIden {
        "continuum_locator_migrations".into_iden()
    }
}
