//! Each tenant's release ledger (`continuum-ledger`): a hash chain per
//! tenant (`chain` = the tenant id) of what it released, and its signed
//! checkpoints.
//!
//! The same shape as the locator's `ledger_entries` under other names, as
//! the locator and a node may share a PostgreSQL database. Rows are
//! append-only: triggers refuse updates and deletes (a guard against
//! mistakes; tampering past them is what the hash chain detects).
//!
//! On PostgreSQL both tables are under row-level security like every tenant
//! table, keyed by `chain`, and the node's role may only read and insert.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::{NODE_APP_ROLE, TENANT_SETTING};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReleaseLedger {
    Table,
    /// The tenant id.
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
enum ReleaseLedgerCheckpoints {
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

const TABLES: [&str; 2] = ["release_ledger", "release_ledger_checkpoints"];

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
                    .table(ReleaseLedger::Table)
                    .col(text(ReleaseLedger::Chain))
                    .col(int(ReleaseLedger::Seq))
                    .col(int(ReleaseLedger::RecordedAtMs))
                    .col(text(ReleaseLedger::Kind))
                    .col(ColumnDef::new(ReleaseLedger::Body).text().not_null())
                    .col(bytes(ReleaseLedger::PrevHash))
                    .col(bytes(ReleaseLedger::Hash))
                    .primary_key(
                        Index::create()
                            .col(ReleaseLedger::Chain)
                            .col(ReleaseLedger::Seq),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReleaseLedgerCheckpoints::Table)
                    .col(text(ReleaseLedgerCheckpoints::Chain))
                    .col(int(ReleaseLedgerCheckpoints::EntryCount))
                    .col(bytes(ReleaseLedgerCheckpoints::HeadHash))
                    .col(int(ReleaseLedgerCheckpoints::SignedAtMs))
                    .col(text(ReleaseLedgerCheckpoints::KeyId))
                    .col(bytes(ReleaseLedgerCheckpoints::Signature))
                    .primary_key(
                        Index::create()
                            .col(ReleaseLedgerCheckpoints::Chain)
                            .col(ReleaseLedgerCheckpoints::EntryCount),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "CREATE FUNCTION node_ledger_append_only() RETURNS trigger
                 LANGUAGE plpgsql AS $$
                 BEGIN
                     RAISE EXCEPTION 'the audit ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME;
                 END $$",
            )
            .await?;
            for table in TABLES {
                db.execute_unprepared(&format!(
                    "GRANT SELECT, INSERT ON {table} TO {NODE_APP_ROLE};
                     ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
                     ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
                     CREATE POLICY tenant_isolation ON {table}
                         USING (chain = current_setting('{TENANT_SETTING}', true))
                         WITH CHECK (chain = current_setting('{TENANT_SETTING}', true))"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {table}_append_only
                     BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
                     FOR EACH STATEMENT EXECUTE FUNCTION node_ledger_append_only()"
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
                .execute_unprepared("DROP FUNCTION node_ledger_append_only()")
                .await?;
        }
        Ok(())
    }
}
