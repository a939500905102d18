//! The review of each break-the-glass access: a privacy officer marks it
//! justified or not, with a note (`open` until then).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BreakGlassAccesses {
    Table,
    ReviewStatus,
    ReviewedBy,
    ReviewedAt,
    ReviewNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for (column, default) in [
            (BreakGlassAccesses::ReviewStatus, "open"),
            (BreakGlassAccesses::ReviewedBy, ""),
            (BreakGlassAccesses::ReviewedAt, ""),
            (BreakGlassAccesses::ReviewNote, ""),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(BreakGlassAccesses::Table)
                        .add_column(ColumnDef::new(column).text().not_null().default(default))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            BreakGlassAccesses::ReviewNote,
            BreakGlassAccesses::ReviewedAt,
            BreakGlassAccesses::ReviewedBy,
            BreakGlassAccesses::ReviewStatus,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(BreakGlassAccesses::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
