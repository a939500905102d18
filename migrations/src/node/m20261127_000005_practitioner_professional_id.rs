//! The practitioner's professional identifier (e.g. the NPI) in each
//! release, as the requesting organization's identity provider vouched for
//! it; empty when the provider gives none.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Releases {
    Table,
    PractitionerProfessionalId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .add_column(
                        ColumnDef::new(Releases::PractitionerProfessionalId)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .drop_column(Releases::PractitionerProfessionalId)
                    .to_owned(),
            )
            .await
    }
}
