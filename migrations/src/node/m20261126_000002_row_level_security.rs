//! PostgreSQL row-level security: the second lock behind the store's tenant
//! scoping. Each transaction runs as a role without `BYPASSRLS` and names its
//! tenant in a transaction-local setting; a row of another tenant is then
//! invisible and unwritable even if a query forgot its tenant filter.
//!
//! SQLite has no row-level security: there the store's scoping is the lock.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::{NODE_APP_ROLE, TENANT_SETTING};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TENANT_TABLES: &[&str] = &["resources", "resource_history", "search_tokens"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        // Roles are cluster-wide: another database of the same cluster may
        // have created it already, possibly at this very moment.
        db.execute_unprepared(&format!(
            "DO $$ BEGIN
                CREATE ROLE {NODE_APP_ROLE} NOLOGIN NOBYPASSRLS;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
             END $$"
        ))
        .await?;
        // The node's login must be able to `SET ROLE` to the app role in
        // every transaction; a superuser can anyway, anyone else needs it granted.
        db.execute_unprepared(&format!(
            "GRANT USAGE ON SCHEMA public TO {NODE_APP_ROLE};
             GRANT SELECT ON tenants TO {NODE_APP_ROLE};
             GRANT {NODE_APP_ROLE} TO CURRENT_USER"
        ))
        .await?;
        for table in TENANT_TABLES {
            db.execute_unprepared(&format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {NODE_APP_ROLE};
                 ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
                 ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
                 CREATE POLICY tenant_isolation ON {table}
                     USING (tenant_id = current_setting('{TENANT_SETTING}', true))
                     WITH CHECK (tenant_id = current_setting('{TENANT_SETTING}', true))"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in TENANT_TABLES {
            db.execute_unprepared(&format!(
                "DROP POLICY IF EXISTS tenant_isolation ON {table};
                 ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
                 ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
                 REVOKE ALL ON {table} FROM {NODE_APP_ROLE}"
            ))
            .await?;
        }
        db.execute_unprepared(&format!("REVOKE ALL ON tenants FROM {NODE_APP_ROLE}"))
            .await?;
        Ok(())
    }
}
