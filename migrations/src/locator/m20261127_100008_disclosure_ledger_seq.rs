//! Where each disclosure is in the audit ledger (`ledger_seq`, the entry's
//! number in the `locator` chain), so that a person's access report reads
//! exactly their entries (by the `disclosures_by_person` index, then by
//! position) instead of searching every entry's body. Disclosures recorded
//! before are matched to their entries once, here, by disclosure id.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Disclosures {
    Table,
    LedgerSeq,
}

const BACKFILL_SQLITE: &str = "UPDATE disclosures SET ledger_seq = (\
     SELECT e.seq FROM ledger_entries e \
     WHERE e.chain = 'locator' AND e.kind LIKE 'disclosure.%' \
     AND json_extract(e.body, '$.disclosure_id') = disclosures.id)";

const BACKFILL_POSTGRES: &str = "UPDATE disclosures d SET ledger_seq = e.seq \
     FROM ledger_entries e \
     WHERE e.chain = 'locator' AND e.kind LIKE 'disclosure.%' \
     AND (e.body::jsonb ->> 'disclosure_id') = d.id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Disclosures::Table)
                    .add_column(ColumnDef::new(Disclosures::LedgerSeq).big_integer().null())
                    .to_owned(),
            )
            .await?;
        let backfill = match manager.get_database_backend() {
            DbBackend::Postgres => BACKFILL_POSTGRES,
            _ => BACKFILL_SQLITE,
        };
        manager
            .get_connection()
            .execute_unprepared(backfill)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Disclosures::Table)
                    .drop_column(Disclosures::LedgerSeq)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
