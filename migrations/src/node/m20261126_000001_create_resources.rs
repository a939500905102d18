//! Tenants, current resources, their past versions, and the search index.
//!
//! Every table carries `tenant_id` as the first column of its primary key, so
//! every lookup the store makes is an index prefix scan within one tenant.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Name,
}

/// The current version of every resource.
#[derive(DeriveIden)]
enum Resources {
    Table,
    TenantId,
    ResourceType,
    Id,
    VersionId,
    LastUpdated,
    /// The patient whose compartment holds the resource (the patient's own id
    /// for a Patient).
    PatientId,
    /// The resource's clinical date (YYYY-MM-DD) for date-window listing.
    ClinicalDate,
    /// DS4P sensitivity codes, comma-separated, for consent filtering.
    Labels,
    Content,
}

/// Every version that has been superseded; nothing is overwritten.
#[derive(DeriveIden)]
enum ResourceHistory {
    Table,
    TenantId,
    ResourceType,
    Id,
    VersionId,
    LastUpdated,
    Content,
}

/// Searchable values of resources: identifiers, name tokens, birth dates.
#[derive(DeriveIden)]
enum SearchTokens {
    Table,
    TenantId,
    ResourceType,
    Param,
    Value,
    ResourceId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(
                        ColumnDef::new(Tenants::Id)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Tenants::Name).string().not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Resources::Table)
                    .col(ColumnDef::new(Resources::TenantId).string().not_null())
                    .col(ColumnDef::new(Resources::ResourceType).string().not_null())
                    .col(ColumnDef::new(Resources::Id).string().not_null())
                    .col(
                        ColumnDef::new(Resources::VersionId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Resources::LastUpdated).string().not_null())
                    .col(ColumnDef::new(Resources::PatientId).string().null())
                    .col(ColumnDef::new(Resources::ClinicalDate).string().null())
                    .col(ColumnDef::new(Resources::Labels).string().not_null())
                    .col(ColumnDef::new(Resources::Content).text().not_null())
                    .primary_key(
                        Index::create()
                            .col(Resources::TenantId)
                            .col(Resources::ResourceType)
                            .col(Resources::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("resources_by_patient")
                    .table(Resources::Table)
                    .col(Resources::TenantId)
                    .col(Resources::PatientId)
                    .col(Resources::ResourceType)
                    .col(Resources::ClinicalDate)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ResourceHistory::Table)
                    .col(
                        ColumnDef::new(ResourceHistory::TenantId)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResourceHistory::ResourceType)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ResourceHistory::Id).string().not_null())
                    .col(
                        ColumnDef::new(ResourceHistory::VersionId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ResourceHistory::LastUpdated)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ResourceHistory::Content).text().not_null())
                    .primary_key(
                        Index::create()
                            .col(ResourceHistory::TenantId)
                            .col(ResourceHistory::ResourceType)
                            .col(ResourceHistory::Id)
                            .col(ResourceHistory::VersionId),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SearchTokens::Table)
                    .col(ColumnDef::new(SearchTokens::TenantId).string().not_null())
                    .col(
                        ColumnDef::new(SearchTokens::ResourceType)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(SearchTokens::Param).string().not_null())
                    .col(ColumnDef::new(SearchTokens::Value).string().not_null())
                    .col(ColumnDef::new(SearchTokens::ResourceId).string().not_null())
                    // Lookups are by (tenant, param, value): an identifier is
                    // looked up before it is known which type holds it.
                    .primary_key(
                        Index::create()
                            .col(SearchTokens::TenantId)
                            .col(SearchTokens::Param)
                            .col(SearchTokens::Value)
                            .col(SearchTokens::ResourceType)
                            .col(SearchTokens::ResourceId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("search_tokens_by_resource")
                    .table(SearchTokens::Table)
                    .col(SearchTokens::TenantId)
                    .col(SearchTokens::ResourceType)
                    .col(SearchTokens::ResourceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SearchTokens::Table.into_iden(),
            ResourceHistory::Table.into_iden(),
            Resources::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
