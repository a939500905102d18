//! The locator's audit ledger (`continuum-ledger`): hash-chained entries of
//! every disclosure decision, consent, directory and patient-index change,
//! and the signed checkpoints of the chain.
//!
//! One table shape for every chain (`chain` names it; the locator's is
//! `locator`); the nodes' release ledgers have the same shape under other
//! names, as the locator and a node may share a PostgreSQL database.
//! Rows are append-only: triggers refuse updates and deletes (a guard
//! against mistakes; tampering past them is what the hash chain detects).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Chain,
    /// 1, 2, 3, … without gaps within a chain.
    Seq,
    /// Milliseconds since the Unix epoch, UTC (hashed as is).
    RecordedAtMs,
    /// `disclosure.permit`, `consent.change`, … (`EntryKind` codes).
    Kind,
    /// Canonical JSON of the payload, hashed byte for byte.
    Body,
    /// 32 bytes: the previous entry's hash (zeros for seq 1).
    PrevHash,
    /// 32 bytes: SHA-256 of the entry (format `continuum.ledger.entry.v1`).
    Hash,
}

#[derive(DeriveIden)]
enum LedgerCheckpoints {
    Table,
    Chain,
    EntryCount,
    HeadHash,
    SignedAtMs,
    /// Hex of the first 8 bytes of SHA-256 of the Ed25519 public key.
    KeyId,
    /// 64 bytes, Ed25519 (format `continuum.ledger.checkpoint.v1`).
    Signature,
}

const TABLES: [&str; 2] = ["ledger_entries", "ledger_checkpoints"];

fn text<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).string().not_null().to_owned()
}

fn int<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

fn bytes<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).blob().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LedgerEntries::Table)
                    .col(text(LedgerEntries::Chain))
                    .col(int(LedgerEntries::Seq))
                    .col(int(LedgerEntries::RecordedAtMs))
                    .col(text(LedgerEntries::Kind))
                    .col(ColumnDef::new(LedgerEntries::Body).text().not_null())
                    .col(bytes(LedgerEntries::PrevHash))
                    .col(bytes(LedgerEntries::Hash))
                    .primary_key(
                        Index::create()
                            .col(LedgerEntries::Chain)
                            .col(LedgerEntries::Seq),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LedgerCheckpoints::Table)
                    .col(text(LedgerCheckpoints::Chain))
                    .col(int(LedgerCheckpoints::EntryCount))
                    .col(bytes(LedgerCheckpoints::HeadHash))
                    .col(int(LedgerCheckpoints::SignedAtMs))
                    .col(text(LedgerCheckpoints::KeyId))
                    .col(bytes(LedgerCheckpoints::Signature))
                    .primary_key(
                        Index::create()
                            .col(LedgerCheckpoints::Chain)
                            .col(LedgerCheckpoints::EntryCount),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "CREATE FUNCTION locator_ledger_append_only() RETURNS trigger
                 LANGUAGE plpgsql AS $$
                 BEGIN
                     RAISE EXCEPTION 'the audit ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME;
                 END $$",
            )
            .await?;
            for table in TABLES {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {table}_append_only
                     BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
                     FOR EACH STATEMENT EXECUTE FUNCTION locator_ledger_append_only()"
                ))
                .await?;
            }
        } else {
            for table in TABLES {
                for op in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_append_only_{op} BEFORE {op} ON {table}
                         BEGIN SELECT RAISE(ABORT, 'the audit ledger is append-only'); END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION locator_ledger_append_only()")
                .await?;
        }
        Ok(())
    }
}
