//! The review queue: registrations the matcher could not decide with
//! confidence, each with the candidate person, the score and the matcher's
//! explanation, until an operator links or rejects them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReviewItems {
    Table,
    Id,
    TenantId,
    LocalId,
    /// The person the registration may belong to.
    CandidatePersonId,
    Score,
    /// Which fields agreed and how much each weighed (JSON).
    Explanation,
    /// `open`, `linked` or `rejected`.
    Status,
    CreatedAt,
    ResolvedAt,
    ResolvedBy,
    Note,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let text = |col: ReviewItems| ColumnDef::new(col).string().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(ReviewItems::Table)
                    .col(text(ReviewItems::Id).primary_key())
                    .col(text(ReviewItems::TenantId))
                    .col(text(ReviewItems::LocalId))
                    .col(text(ReviewItems::CandidatePersonId))
                    .col(ColumnDef::new(ReviewItems::Score).double().not_null())
                    .col(ColumnDef::new(ReviewItems::Explanation).text().not_null())
                    .col(text(ReviewItems::Status))
                    .col(text(ReviewItems::CreatedAt))
                    .col(ColumnDef::new(ReviewItems::ResolvedAt).string().null())
                    .col(ColumnDef::new(ReviewItems::ResolvedBy).string().null())
                    .col(ColumnDef::new(ReviewItems::Note).string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("review_items_by_status")
                    .table(ReviewItems::Table)
                    .col(ReviewItems::Status)
                    .col(ReviewItems::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReviewItems::Table).to_owned())
            .await
    }
}
