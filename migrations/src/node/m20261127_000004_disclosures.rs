//! What each tenant released to other organizations through the locator:
//! one row per disclosure, written in the same transaction as the read of
//! what is released, so nothing leaves without its record.
//!
//! On PostgreSQL the table is under row-level security like every tenant
//! table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::{NODE_APP_ROLE, TENANT_SETTING};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Disclosures {
    Table,
    /// The locator's disclosure id.
    DisclosureId,
    /// The holding tenant.
    TenantId,
    At,
    /// JSON list of the patient's local ids.
    PatientIds,
    RequesterTenant,
    PractitionerId,
    PractitionerName,
    PractitionerRole,
    Purpose,
    BreakGlass,
    BreakGlassReason,
    /// JSON list of `Type/id/_history/n` released.
    Released,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let text = |col: Disclosures| ColumnDef::new(col).string().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Disclosures::Table)
                    .col(text(Disclosures::DisclosureId))
                    .col(text(Disclosures::TenantId))
                    .col(text(Disclosures::At))
                    .col(ColumnDef::new(Disclosures::PatientIds).text().not_null())
                    .col(text(Disclosures::RequesterTenant))
                    .col(text(Disclosures::PractitionerId))
                    .col(text(Disclosures::PractitionerName))
                    .col(text(Disclosures::PractitionerRole))
                    .col(text(Disclosures::Purpose))
                    .col(ColumnDef::new(Disclosures::BreakGlass).boolean().not_null())
                    .col(
                        ColumnDef::new(Disclosures::BreakGlassReason)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Disclosures::Released).text().not_null())
                    .primary_key(
                        Index::create()
                            .col(Disclosures::TenantId)
                            .col(Disclosures::DisclosureId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("disclosures_by_time")
                    .table(Disclosures::Table)
                    .col(Disclosures::TenantId)
                    .col(Disclosures::At)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "GRANT SELECT, INSERT ON disclosures TO {NODE_APP_ROLE};
                     ALTER TABLE disclosures ENABLE ROW LEVEL SECURITY;
                     ALTER TABLE disclosures FORCE ROW LEVEL SECURITY;
                     CREATE POLICY tenant_isolation ON disclosures
                         USING (tenant_id = current_setting('{TENANT_SETTING}', true))
                         WITH CHECK (tenant_id = current_setting('{TENANT_SETTING}', true))"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Disclosures::Table).to_owned())
            .await
    }
}
