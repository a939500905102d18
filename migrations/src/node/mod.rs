//! The node's schema: a tenant-scoped FHIR store, its patient feed outbox
//! and the record of what each tenant disclosed.

mod m20261126_000001_create_resources;
mod m20261126_000002_row_level_security;
mod m20261126_000003_patient_feed;
mod m20261127_000004_releases;
mod m20261127_000005_practitioner_professional_id;
mod m20261127_000006_ledger;

use sea_orm_migration::prelude::*;

/// Migrates a node's database.
#[derive(Debug)]
pub struct NodeMigrator;

#[async_trait::async_trait]
impl MigratorTrait for NodeMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_resources::Migration),
            Box::new(m20261126_000002_row_level_security::Migration),
            Box::new(m20261126_000003_patient_feed::Migration),
            Box::new(m20261127_000004_releases::Migration),
            Box::new(m20261127_000005_practitioner_professional_id::Migration),
            Box::new(m20261127_000006_ledger::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "continuum_node_migrations".into_iden()
    }
}
