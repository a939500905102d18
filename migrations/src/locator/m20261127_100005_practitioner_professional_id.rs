//! The practitioner's professional identifier (e.g. the NPI) in each
//! disclosure, as the requesting organization's identity provider vouched for
//! it; empty when the provider gives none.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Disclosures {
    Table,
    PractitionerProfessionalId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Disclosures::Table)
                    .add_column(
                        ColumnDef::new(Disclosures::PractitionerProfessionalId)
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
                    .table(Disclosures::Table)
                    .drop_column(Disclosures::PractitionerProfessionalId)
                    .to_owned(),
            )
            .await
    }
}
