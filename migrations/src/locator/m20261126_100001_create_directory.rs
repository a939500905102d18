//! The directory: organizations, the nodes hosting them, the certificates
//! the CA issued to each node, one-time enrollment tokens, and an append-only
//! record of directory changes and refused calls.
//!
//! Times are RFC 3339 UTC strings with a fixed width, so they sort as text
//! on both backends.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    DisplayName,
    Kind,
    Contact,
    Status,
    /// The node hosting the organization; an organization is on one node.
    NodeId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Nodes {
    Table,
    Id,
    Endpoint,
    /// pending, active, suspended or revoked.
    Status,
    LastSeen,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Serial,
    NodeId,
    NotBefore,
    NotAfter,
    IssuedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum EnrollmentTokens {
    Table,
    Id,
    NodeId,
    /// SHA-256 of the secret part; the secret itself is never stored.
    SecretSha256,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DirectoryEvents {
    Table,
    Seq,
    At,
    /// `operator`, `node/<id>` or `locator`.
    Actor,
    Action,
    Subject,
    Detail,
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
                    .table(Nodes::Table)
                    .col(text(Nodes::Id).primary_key())
                    .col(text(Nodes::Endpoint))
                    .col(text(Nodes::Status))
                    .col(ColumnDef::new(Nodes::LastSeen).string().null())
                    .col(text(Nodes::CreatedAt))
                    .col(text(Nodes::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(text(Organizations::Id).primary_key())
                    .col(text(Organizations::DisplayName))
                    .col(text(Organizations::Kind))
                    .col(text(Organizations::Contact))
                    .col(text(Organizations::Status))
                    .col(ColumnDef::new(Organizations::NodeId).string().null())
                    .col(text(Organizations::CreatedAt))
                    .col(text(Organizations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Organizations::Table, Organizations::NodeId)
                            .to(Nodes::Table, Nodes::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("organizations_by_node")
                    .table(Organizations::Table)
                    .col(Organizations::NodeId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Certificates::Table)
                    .col(text(Certificates::Serial).primary_key())
                    .col(text(Certificates::NodeId))
                    .col(text(Certificates::NotBefore))
                    .col(text(Certificates::NotAfter))
                    .col(text(Certificates::IssuedAt))
                    .col(ColumnDef::new(Certificates::RevokedAt).string().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Certificates::Table, Certificates::NodeId)
                            .to(Nodes::Table, Nodes::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("certificates_by_node")
                    .table(Certificates::Table)
                    .col(Certificates::NodeId)
                    .col(Certificates::NotAfter)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EnrollmentTokens::Table)
                    .col(text(EnrollmentTokens::Id).primary_key())
                    .col(text(EnrollmentTokens::NodeId))
                    .col(text(EnrollmentTokens::SecretSha256))
                    .col(text(EnrollmentTokens::ExpiresAt))
                    .col(ColumnDef::new(EnrollmentTokens::UsedAt).string().null())
                    .col(text(EnrollmentTokens::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EnrollmentTokens::Table, EnrollmentTokens::NodeId)
                            .to(Nodes::Table, Nodes::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DirectoryEvents::Table)
                    .col(
                        ColumnDef::new(DirectoryEvents::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(text(DirectoryEvents::At))
                    .col(text(DirectoryEvents::Actor))
                    .col(text(DirectoryEvents::Action))
                    .col(text(DirectoryEvents::Subject))
                    .col(text(DirectoryEvents::Detail))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DirectoryEvents::Table.into_iden(),
            EnrollmentTokens::Table.into_iden(),
            Certificates::Table.into_iden(),
            Organizations::Table.into_iden(),
            Nodes::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
