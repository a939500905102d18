//! The locator's schema: the network directory (organizations, nodes,
//! certificates, enrollment tokens) and its audit trail; the patient
//! registry of the record locator; consent and the record of disclosures.

mod m20261126_100001_create_directory;
mod m20261126_100002_patient_registry;
mod m20261126_100003_review_queue;
mod m20261127_100004_sharing;
mod m20261127_100005_practitioner_professional_id;
mod m20261127_100006_ledger;
mod m20261127_100007_break_glass_review;
mod m20261127_100008_disclosure_ledger_seq;

use sea_orm_migration::prelude::*;

/// Migrates the locator's database.
#[derive(Debug)]
pub struct LocatorMigrator;

#[async_trait::async_trait]
impl MigratorTrait for LocatorMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_100001_create_directory::Migration),
            Box::new(m20261126_100002_patient_registry::Migration),
            Box::new(m20261126_100003_review_queue::Migration),
            Box::new(m20261127_100004_sharing::Migration),
            Box::new(m20261127_100005_practitioner_professional_id::Migration),
            Box::new(m20261127_100006_ledger::Migration),
            Box::new(m20261127_100007_break_glass_review::Migration),
            Box::new(m20261127_100008_disclosure_ledger_seq::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "continuum_locator_migrations".into_iden()
    }
}
