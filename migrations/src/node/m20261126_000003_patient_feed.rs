//! The patient feed's outbox: every patient create, update, merge and
//! deactivation is written here in the same transaction as the patient
//! itself, and the node's publisher delivers the rows to the locator in
//! `seq` order, deleting each once the locator acknowledged it. `seq` is the
//! node's feed sequence number, which the locator deduplicates on.
//!
//! On PostgreSQL the table is under row-level security like every tenant
//! table (its rows are demographics).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::{NODE_APP_ROLE, TENANT_SETTING};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PatientFeed {
    Table,
    Seq,
    TenantId,
    PatientId,
    /// `upserted`, `deactivated` or `merged`.
    Event,
    /// The Patient's demographic elements only (no clinical data), as JSON.
    Demographics,
    RecordedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PatientFeed::Table)
                    .col(
                        ColumnDef::new(PatientFeed::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(PatientFeed::TenantId).string().not_null())
                    .col(ColumnDef::new(PatientFeed::PatientId).string().not_null())
                    .col(ColumnDef::new(PatientFeed::Event).string().not_null())
                    .col(ColumnDef::new(PatientFeed::Demographics).text().not_null())
                    .col(ColumnDef::new(PatientFeed::RecordedAt).string().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("patient_feed_by_tenant")
                    .table(PatientFeed::Table)
                    .col(PatientFeed::TenantId)
                    .col(PatientFeed::Seq)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "GRANT SELECT, INSERT, DELETE ON patient_feed TO {NODE_APP_ROLE};
                     GRANT USAGE, SELECT ON SEQUENCE patient_feed_seq_seq TO {NODE_APP_ROLE};
                     ALTER TABLE patient_feed ENABLE ROW LEVEL SECURITY;
                     ALTER TABLE patient_feed FORCE ROW LEVEL SECURITY;
                     CREATE POLICY tenant_isolation ON patient_feed
                         USING (tenant_id = current_setting('{TENANT_SETTING}', true))
                         WITH CHECK (tenant_id = current_setting('{TENANT_SETTING}', true))"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PatientFeed::Table).to_owned())
            .await
    }
}
