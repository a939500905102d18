//! Sharing records: organizations' sensitivity labels, the network's consent
//! policy, patients' consent directives (every version), break-the-glass
//! accesses, and the record of every disclosure with the decision for each
//! source.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    /// Comma-separated v3 ActCode labels every record held there carries.
    Sensitivity,
}

#[derive(DeriveIden)]
enum ConsentPolicy {
    Table,
    /// Always 1: the network has one policy.
    Id,
    /// `opt-out` or `opt-in`.
    Mode,
    Shielded,
    BreakGlassRoles,
    BreakGlassMinutes,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ConsentDirectives {
    Table,
    /// `<tenant>/<Consent id>`.
    DirectiveId,
    Version,
    TenantId,
    LocalId,
    /// `active` or `inactive`.
    Status,
    ConsentJson,
    RecordedAt,
}

#[derive(DeriveIden)]
enum BreakGlassAccesses {
    Table,
    Id,
    PersonId,
    RequesterTenant,
    PractitionerId,
    Reason,
    OpenedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Disclosures {
    Table,
    Id,
    At,
    PersonId,
    RequesterTenant,
    PractitionerId,
    PractitionerName,
    PractitionerRole,
    Purpose,
    BreakGlass,
    BreakGlassReason,
}

#[derive(DeriveIden)]
enum DisclosureSources {
    Table,
    DisclosureId,
    TenantId,
    /// `permit`, `deny` or `break-glass`.
    Decision,
    /// JSON list of the rules and provisions that decided it.
    DecidedBy,
    /// `complete`, `timed_out`, `unavailable` or `not_asked`.
    Outcome,
    /// JSON list of `Type/id` released.
    Released,
    /// Comma-separated labels among what was released.
    Categories,
}

fn text<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).string().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(text(Organizations::Sensitivity).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConsentPolicy::Table)
                    .col(
                        ColumnDef::new(ConsentPolicy::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(text(ConsentPolicy::Mode))
                    .col(text(ConsentPolicy::Shielded))
                    .col(text(ConsentPolicy::BreakGlassRoles))
                    .col(
                        ColumnDef::new(ConsentPolicy::BreakGlassMinutes)
                            .integer()
                            .not_null(),
                    )
                    .col(text(ConsentPolicy::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConsentDirectives::Table)
                    .col(text(ConsentDirectives::DirectiveId))
                    .col(
                        ColumnDef::new(ConsentDirectives::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(ConsentDirectives::TenantId))
                    .col(text(ConsentDirectives::LocalId))
                    .col(text(ConsentDirectives::Status))
                    .col(
                        ColumnDef::new(ConsentDirectives::ConsentJson)
                            .text()
                            .not_null(),
                    )
                    .col(text(ConsentDirectives::RecordedAt))
                    .primary_key(
                        Index::create()
                            .col(ConsentDirectives::DirectiveId)
                            .col(ConsentDirectives::Version),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("consent_directives_by_patient")
                    .table(ConsentDirectives::Table)
                    .col(ConsentDirectives::TenantId)
                    .col(ConsentDirectives::LocalId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BreakGlassAccesses::Table)
                    .col(text(BreakGlassAccesses::Id).primary_key())
                    .col(text(BreakGlassAccesses::PersonId))
                    .col(text(BreakGlassAccesses::RequesterTenant))
                    .col(text(BreakGlassAccesses::PractitionerId))
                    .col(ColumnDef::new(BreakGlassAccesses::Reason).text().not_null())
                    .col(text(BreakGlassAccesses::OpenedAt))
                    .col(text(BreakGlassAccesses::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("break_glass_by_practitioner")
                    .table(BreakGlassAccesses::Table)
                    .col(BreakGlassAccesses::PersonId)
                    .col(BreakGlassAccesses::RequesterTenant)
                    .col(BreakGlassAccesses::PractitionerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Disclosures::Table)
                    .col(text(Disclosures::Id).primary_key())
                    .col(text(Disclosures::At))
                    .col(text(Disclosures::PersonId))
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
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("disclosures_by_person")
                    .table(Disclosures::Table)
                    .col(Disclosures::PersonId)
                    .col(Disclosures::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DisclosureSources::Table)
                    .col(text(DisclosureSources::DisclosureId))
                    .col(text(DisclosureSources::TenantId))
                    .col(text(DisclosureSources::Decision))
                    .col(
                        ColumnDef::new(DisclosureSources::DecidedBy)
                            .text()
                            .not_null(),
                    )
                    .col(text(DisclosureSources::Outcome))
                    .col(
                        ColumnDef::new(DisclosureSources::Released)
                            .text()
                            .not_null(),
                    )
                    .col(text(DisclosureSources::Categories))
                    .primary_key(
                        Index::create()
                            .col(DisclosureSources::DisclosureId)
                            .col(DisclosureSources::TenantId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DisclosureSources::Table.into_iden(),
            Disclosures::Table.into_iden(),
            BreakGlassAccesses::Table.into_iden(),
            ConsentDirectives::Table.into_iden(),
            ConsentPolicy::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(Organizations::Sensitivity)
                    .to_owned(),
            )
            .await
    }
}
