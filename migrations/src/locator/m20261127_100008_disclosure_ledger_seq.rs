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

// One pass over the chain's disclosure entries on both backends (not a
// subquery per disclosure). `::json` only checks syntax, unlike `::jsonb`,
// which refuses a `\u0000` that free text may hold.
const BACKFILL_SQLITE: &str = "UPDATE disclosures SET ledger_seq = m.seq \
     FROM (SELECT json_extract(body, '$.disclosure_id') AS disclosure_id, seq \
           FROM ledger_entries WHERE chain = 'locator' AND kind LIKE 'disclosure.%') m \
     WHERE m.disclosure_id = disclosures.id";

const BACKFILL_POSTGRES: &str = "UPDATE disclosures d SET ledger_seq = e.seq \
     FROM ledger_entries e \
     WHERE e.chain = 'locator' AND e.kind LIKE 'disclosure.%' \
     AND (e.body::json ->> 'disclosure_id') = d.id";

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
        // One disclosure per entry: a second row claiming an entry could
        // stand in for the disclosure it really records.
        manager
            .create_index(
                Index::create()
                    .name("disclosures_by_ledger_seq")
                    .table(Disclosures::Table)
                    .col(Disclosures::LedgerSeq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    /// The column, its backfill and its index land together or not at all
    /// (SQLite migrations run outside a transaction by default).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("disclosures_by_ledger_seq")
                    .table(Disclosures::Table)
                    .to_owned(),
            )
            .await?;
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
