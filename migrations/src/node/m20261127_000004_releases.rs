//! What each tenant released to other organizations through the locator
//! (`releases`: the node's side of each disclosure; the locator keeps its
//! own `disclosures`): one row per disclosure, written in the same transaction as the read of
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
enum Releases {
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
        let text = |col: Releases| ColumnDef::new(col).string().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Releases::Table)
                    .col(text(Releases::DisclosureId))
                    .col(text(Releases::TenantId))
                    .col(text(Releases::At))
                    .col(ColumnDef::new(Releases::PatientIds).text().not_null())
                    .col(text(Releases::RequesterTenant))
                    .col(text(Releases::PractitionerId))
                    .col(text(Releases::PractitionerName))
                    .col(text(Releases::PractitionerRole))
                    .col(text(Releases::Purpose))
                    .col(ColumnDef::new(Releases::BreakGlass).boolean().not_null())
                    .col(ColumnDef::new(Releases::BreakGlassReason).text().not_null())
                    .col(ColumnDef::new(Releases::Released).text().not_null())
                    .primary_key(
                        Index::create()
                            .col(Releases::TenantId)
                            .col(Releases::DisclosureId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("releases_by_time")
                    .table(Releases::Table)
                    .col(Releases::TenantId)
                    .col(Releases::At)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "GRANT SELECT, INSERT ON releases TO {NODE_APP_ROLE};
                     ALTER TABLE releases ENABLE ROW LEVEL SECURITY;
                     ALTER TABLE releases FORCE ROW LEVEL SECURITY;
                     CREATE POLICY tenant_isolation ON releases
                         USING (tenant_id = current_setting('{TENANT_SETTING}', true))
                         WITH CHECK (tenant_id = current_setting('{TENANT_SETTING}', true))"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Releases::Table).to_owned())
            .await
    }
}
