//! The record locator's registry: network persons, each node patient
//! registered to one of them (where a person has records), the feed
//! receipts that make delivery exactly-once, and the history of every link.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Persons {
    Table,
    Id,
    CreatedAt,
}

/// A patient at a tenant, and the network person it belongs to.
#[derive(DeriveIden)]
enum Registrations {
    Table,
    TenantId,
    LocalId,
    NodeId,
    PersonId,
    /// `active`, `deactivated` or `merged`.
    Status,
    /// Demographic elements of the Patient as the node sent them (JSON).
    Demographics,
    UpdatedAt,
}

/// Which feed events (node, seq) were applied: a redelivered event is
/// acknowledged without being applied again.
#[derive(DeriveIden)]
enum FeedReceipts {
    Table,
    NodeId,
    Seq,
    AppliedAt,
}

#[derive(DeriveIden)]
enum LinkHistory {
    Table,
    Seq,
    At,
    TenantId,
    LocalId,
    PersonId,
    /// `registered`, `updated`, `deactivated`, `merged`, later `linked`,
    /// `unlinked` … by operators.
    Action,
    /// Why, as the matcher explained it (JSON), or the operator's note.
    Detail,
    Actor,
}

fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).string().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Persons::Table)
                    .col(text(Persons::Id).primary_key())
                    .col(text(Persons::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Registrations::Table)
                    .col(text(Registrations::TenantId))
                    .col(text(Registrations::LocalId))
                    .col(text(Registrations::NodeId))
                    .col(text(Registrations::PersonId))
                    .col(text(Registrations::Status))
                    .col(
                        ColumnDef::new(Registrations::Demographics)
                            .text()
                            .not_null(),
                    )
                    .col(text(Registrations::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(Registrations::TenantId)
                            .col(Registrations::LocalId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Registrations::Table, Registrations::PersonId)
                            .to(Persons::Table, Persons::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("registrations_by_person")
                    .table(Registrations::Table)
                    .col(Registrations::PersonId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FeedReceipts::Table)
                    .col(text(FeedReceipts::NodeId))
                    .col(ColumnDef::new(FeedReceipts::Seq).big_integer().not_null())
                    .col(text(FeedReceipts::AppliedAt))
                    .primary_key(
                        Index::create()
                            .col(FeedReceipts::NodeId)
                            .col(FeedReceipts::Seq),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LinkHistory::Table)
                    .col(
                        ColumnDef::new(LinkHistory::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(text(LinkHistory::At))
                    .col(text(LinkHistory::TenantId))
                    .col(text(LinkHistory::LocalId))
                    .col(text(LinkHistory::PersonId))
                    .col(text(LinkHistory::Action))
                    .col(ColumnDef::new(LinkHistory::Detail).text().not_null())
                    .col(text(LinkHistory::Actor))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("link_history_by_registration")
                    .table(LinkHistory::Table)
                    .col(LinkHistory::TenantId)
                    .col(LinkHistory::LocalId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LinkHistory::Table.into_iden(),
            FeedReceipts::Table.into_iden(),
            Registrations::Table.into_iden(),
            Persons::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
