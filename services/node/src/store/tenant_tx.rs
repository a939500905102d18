//! A transaction bound to one tenant: the only way to read or write the
//! node's tables.

use std::collections::{HashMap, HashSet};

use continuum_fhir::search;
use continuum_ledger::ChainLock;
use continuum_migrations::{NODE_APP_ROLE, TENANT_SETTING};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
};
use tokio::sync::OwnedMutexGuard;

use super::StoreError;
use super::entities::{resource_history, resources, search_tokens};
use crate::tenant::TenantId;

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's limits on
/// bound parameters, large enough to amortize each statement.
const INSERT_CHUNK: usize = 64;
/// Values per `IN (…)` list.
const IN_CHUNK: usize = 500;

/// One stored version of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    pub resource_type: String,
    pub id: String,
    pub version_id: u64,
    pub last_updated: String,
    /// The resource's FHIR JSON, with its `meta` (security labels included).
    pub content: String,
}

/// A version about to be written: a new resource, or the successor of `supersedes`.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub resource_type: String,
    pub id: String,
    pub version_id: u64,
    pub last_updated: String,
    pub patient_id: Option<String>,
    pub clinical_date: Option<String>,
    pub labels: String,
    pub content: String,
    /// What the resource can be searched by.
    pub tokens: Vec<(&'static str, String)>,
    /// The current version this one replaces; it moves to the history.
    pub supersedes: Option<StoredRow>,
}

impl NewVersion {
    /// The version as it reads back once written.
    pub fn into_row(self) -> StoredRow {
        StoredRow {
            resource_type: self.resource_type,
            id: self.id,
            version_id: self.version_id,
            last_updated: self.last_updated,
            content: self.content,
        }
    }
}

/// What to search patients by; every given criterion must match.
#[derive(Debug, Clone, Default)]
pub struct PatientCriteria {
    /// `system|value`, or a bare value matching any system.
    pub identifier: Option<String>,
    /// Start of any name part (folded).
    pub name: Option<String>,
    pub birth_date: Option<String>,
    pub limit: u64,
}

/// A transaction that can only see and change one tenant's rows. Dropping it
/// without [`TenantTx::commit`] rolls everything back.
#[derive(Debug)]
pub struct TenantTx {
    pub(super) tx: DatabaseTransaction,
    pub(super) tenant: TenantId,
    /// The tenant's release ledger, when the transaction appends to it
    /// ([`super::Store::audited`]). Declared after `tx`, so that it is
    /// dropped after it: on commit, once the commit has returned.
    pub(super) ledger: Option<ChainLock>,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl TenantTx {
    pub(super) async fn begin(
        tx: DatabaseTransaction,
        tenant: TenantId,
        writer: Option<OwnedMutexGuard<()>>,
    ) -> Result<TenantTx, StoreError> {
        if tx.get_database_backend() == DbBackend::Postgres {
            tx.execute_unprepared(&format!("SET LOCAL ROLE {NODE_APP_ROLE}"))
                .await?;
            tx.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT set_config($1, $2, true)",
                [TENANT_SETTING.into(), tenant.as_str().into()],
            ))
            .await?;
            if writer.is_some() {
                // Writers of one tenant on other node replicas wait here too.
                tx.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_advisory_xact_lock(hashtext($1))",
                    [tenant.as_str().into()],
                ))
                .await?;
            }
        }
        Ok(TenantTx {
            tx,
            tenant,
            ledger: None,
            _writer: writer,
        })
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(StoreError::from)
    }

    fn resources(&self) -> sea_orm::Select<resources::Entity> {
        resources::Entity::find().filter(resources::Column::TenantId.eq(self.tenant.as_str()))
    }

    fn tokens(&self) -> sea_orm::Select<search_tokens::Entity> {
        search_tokens::Entity::find()
            .filter(search_tokens::Column::TenantId.eq(self.tenant.as_str()))
    }

    /// The current version of a resource.
    pub async fn current(
        &self,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<StoredRow>, StoreError> {
        let row = self
            .resources()
            .filter(resources::Column::ResourceType.eq(resource_type))
            .filter(resources::Column::Id.eq(id))
            .one(&self.tx)
            .await?;
        row.map(StoredRow::try_from).transpose()
    }

    /// The current versions of many resources of one type, by id.
    pub async fn currents(
        &self,
        resource_type: &str,
        ids: &[&str],
    ) -> Result<HashMap<String, StoredRow>, StoreError> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IN_CHUNK) {
            let rows = self
                .resources()
                .filter(resources::Column::ResourceType.eq(resource_type))
                .filter(resources::Column::Id.is_in(chunk.iter().copied()))
                .all(&self.tx)
                .await?;
            for row in rows {
                let row = StoredRow::try_from(row)?;
                out.insert(row.id.clone(), row);
            }
        }
        Ok(out)
    }

    /// Which of `ids` exist as resources of `resource_type`.
    pub async fn existing(
        &self,
        resource_type: &str,
        ids: &[&str],
    ) -> Result<HashSet<String>, StoreError> {
        let mut out = HashSet::with_capacity(ids.len());
        for chunk in ids.chunks(IN_CHUNK) {
            let found: Vec<String> = self
                .resources()
                .select_only()
                .column(resources::Column::Id)
                .filter(resources::Column::ResourceType.eq(resource_type))
                .filter(resources::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.tx)
                .await?;
            out.extend(found);
        }
        Ok(out)
    }

    /// A given version of a resource, current or past.
    pub async fn version(
        &self,
        resource_type: &str,
        id: &str,
        version: u64,
    ) -> Result<Option<StoredRow>, StoreError> {
        if let Some(current) = self.current(resource_type, id).await?
            && current.version_id == version
        {
            return Ok(Some(current));
        }
        let row = resource_history::Entity::find()
            .filter(resource_history::Column::TenantId.eq(self.tenant.as_str()))
            .filter(resource_history::Column::ResourceType.eq(resource_type))
            .filter(resource_history::Column::Id.eq(id))
            .filter(resource_history::Column::VersionId.eq(to_db(version)?))
            .one(&self.tx)
            .await?;
        row.map(StoredRow::try_from).transpose()
    }

    /// Every version of a resource, newest first (empty if it does not exist).
    pub async fn history(
        &self,
        resource_type: &str,
        id: &str,
    ) -> Result<Vec<StoredRow>, StoreError> {
        let Some(current) = self.current(resource_type, id).await? else {
            return Ok(Vec::new());
        };
        let past = resource_history::Entity::find()
            .filter(resource_history::Column::TenantId.eq(self.tenant.as_str()))
            .filter(resource_history::Column::ResourceType.eq(resource_type))
            .filter(resource_history::Column::Id.eq(id))
            .order_by_desc(resource_history::Column::VersionId)
            .all(&self.tx)
            .await?;
        let mut out = vec![current];
        for row in past {
            out.push(StoredRow::try_from(row)?);
        }
        Ok(out)
    }

    /// Resources indexed under `param` with any of `values`:
    /// (resource type, value, resource id).
    pub async fn find_tokens(
        &self,
        param: &str,
        values: &[&str],
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut out = Vec::new();
        for chunk in values.chunks(IN_CHUNK) {
            let found: Vec<(String, String, String)> = self
                .tokens()
                .select_only()
                .columns([
                    search_tokens::Column::ResourceType,
                    search_tokens::Column::Value,
                    search_tokens::Column::ResourceId,
                ])
                .filter(search_tokens::Column::Param.eq(param))
                .filter(search_tokens::Column::Value.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.tx)
                .await?;
            out.extend(found);
        }
        Ok(out)
    }

    /// Patients matching every given criterion, by id, at most `limit`.
    pub async fn search_patients(
        &self,
        criteria: &PatientCriteria,
    ) -> Result<Vec<StoredRow>, StoreError> {
        let patients = || {
            self.tokens()
                .select_only()
                .column(search_tokens::Column::ResourceId)
                .filter(search_tokens::Column::ResourceType.eq("Patient"))
        };
        let mut matching: Option<HashSet<String>> = None;
        let mut narrow = |found: Vec<String>| {
            let found: HashSet<String> = found.into_iter().collect();
            matching = Some(match matching.take() {
                Some(before) => before.intersection(&found).cloned().collect(),
                None => found,
            });
        };
        if let Some(identifier) = &criteria.identifier {
            let param = if identifier.contains('|') {
                search::IDENTIFIER
            } else {
                search::IDENTIFIER_VALUE
            };
            narrow(
                patients()
                    .filter(search_tokens::Column::Param.eq(param))
                    .filter(search_tokens::Column::Value.eq(identifier.as_str()))
                    .into_tuple()
                    .all(&self.tx)
                    .await?,
            );
        }
        if let Some(name) = &criteria.name {
            let folded = search::fold(name);
            let mut query = patients()
                .filter(search_tokens::Column::Param.eq(search::NAME))
                .filter(search_tokens::Column::Value.gte(folded.as_str()));
            if let Some(upper) = search::prefix_upper_bound(&folded) {
                query = query.filter(search_tokens::Column::Value.lt(upper));
            }
            narrow(query.distinct().into_tuple().all(&self.tx).await?);
        }
        if let Some(birth_date) = &criteria.birth_date {
            narrow(
                patients()
                    .filter(search_tokens::Column::Param.eq(search::BIRTH_DATE))
                    .filter(search_tokens::Column::Value.eq(birth_date.as_str()))
                    .into_tuple()
                    .all(&self.tx)
                    .await?,
            );
        }
        let Some(matching) = matching else {
            return Ok(Vec::new());
        };
        let mut ids: Vec<&str> = matching.iter().map(String::as_str).collect();
        ids.sort_unstable();
        ids.truncate(usize::try_from(criteria.limit).unwrap_or(usize::MAX));
        let mut found = self.currents("Patient", &ids).await?;
        Ok(ids.iter().filter_map(|id| found.remove(*id)).collect())
    }

    /// A patient's resources, optionally of some types and within a date window.
    pub async fn patient_resources(
        &self,
        patient_id: &str,
        resource_types: &[String],
        from_date: Option<&str>,
        to_date: Option<&str>,
    ) -> Result<Vec<StoredRow>, StoreError> {
        let mut query = self
            .resources()
            .filter(resources::Column::PatientId.eq(patient_id));
        if !resource_types.is_empty() {
            query = query.filter(resources::Column::ResourceType.is_in(resource_types));
        }
        if let Some(from) = from_date {
            query = query.filter(resources::Column::ClinicalDate.gte(from));
        }
        if let Some(to) = to_date {
            query = query.filter(resources::Column::ClinicalDate.lte(to));
        }
        let rows = query
            .order_by_asc(resources::Column::ResourceType)
            .order_by_asc(resources::Column::ClinicalDate)
            .order_by_asc(resources::Column::Id)
            .all(&self.tx)
            .await?;
        rows.into_iter().map(StoredRow::try_from).collect()
    }

    /// Write new versions: superseded ones move to the history, search tokens
    /// are replaced, and every patient change joins the feed to the locator
    /// in the same transaction.
    pub async fn write(&self, versions: &[&NewVersion]) -> Result<(), StoreError> {
        if let Some(first) = versions.first() {
            self.enqueue_patient_events(versions, &first.last_updated)
                .await?;
        }
        let tenant = self.tenant.as_str();
        let superseded: Vec<&StoredRow> = versions
            .iter()
            .filter_map(|v| v.supersedes.as_ref())
            .collect();
        for chunk in superseded.chunks(INSERT_CHUNK) {
            let rows = chunk.iter().map(|old| {
                Ok(resource_history::ActiveModel {
                    tenant_id: Set(tenant.to_owned()),
                    resource_type: Set(old.resource_type.clone()),
                    id: Set(old.id.clone()),
                    version_id: Set(to_db(old.version_id)?),
                    last_updated: Set(old.last_updated.clone()),
                    content: Set(old.content.clone()),
                })
            });
            let rows = rows.collect::<Result<Vec<_>, StoreError>>()?;
            resource_history::Entity::insert_many(rows)
                .exec_without_returning(&self.tx)
                .await?;
        }
        for old in &superseded {
            search_tokens::Entity::delete_many()
                .filter(search_tokens::Column::TenantId.eq(tenant))
                .filter(search_tokens::Column::ResourceType.eq(old.resource_type.as_str()))
                .filter(search_tokens::Column::ResourceId.eq(old.id.as_str()))
                .exec(&self.tx)
                .await?;
        }
        for version in versions.iter().filter(|v| v.supersedes.is_some()) {
            let previous = version
                .supersedes
                .as_ref()
                .map(|s| s.version_id)
                .unwrap_or_default();
            let updated = resources::Entity::update_many()
                .col_expr(
                    resources::Column::VersionId,
                    Expr::value(to_db(version.version_id)?),
                )
                .col_expr(
                    resources::Column::LastUpdated,
                    Expr::value(&version.last_updated),
                )
                .col_expr(
                    resources::Column::PatientId,
                    Expr::value(version.patient_id.clone()),
                )
                .col_expr(
                    resources::Column::ClinicalDate,
                    Expr::value(version.clinical_date.clone()),
                )
                .col_expr(resources::Column::Labels, Expr::value(&version.labels))
                .col_expr(resources::Column::Content, Expr::value(&version.content))
                .filter(resources::Column::TenantId.eq(tenant))
                .filter(resources::Column::ResourceType.eq(version.resource_type.as_str()))
                .filter(resources::Column::Id.eq(version.id.as_str()))
                .filter(resources::Column::VersionId.eq(to_db(previous)?))
                .exec(&self.tx)
                .await?;
            if updated.rows_affected != 1 {
                return Err(StoreError::Database(format!(
                    "{}/{} changed during the write",
                    version.resource_type, version.id
                )));
            }
        }
        let created: Vec<&NewVersion> = versions
            .iter()
            .filter(|v| v.supersedes.is_none())
            .copied()
            .collect();
        for chunk in created.chunks(INSERT_CHUNK) {
            let rows = chunk.iter().map(|v| {
                Ok(resources::ActiveModel {
                    tenant_id: Set(tenant.to_owned()),
                    resource_type: Set(v.resource_type.clone()),
                    id: Set(v.id.clone()),
                    version_id: Set(to_db(v.version_id)?),
                    last_updated: Set(v.last_updated.clone()),
                    patient_id: Set(v.patient_id.clone()),
                    clinical_date: Set(v.clinical_date.clone()),
                    labels: Set(v.labels.clone()),
                    content: Set(v.content.clone()),
                })
            });
            let rows = rows.collect::<Result<Vec<_>, StoreError>>()?;
            resources::Entity::insert_many(rows)
                .exec_without_returning(&self.tx)
                .await?;
        }
        let tokens: Vec<search_tokens::ActiveModel> = versions
            .iter()
            .flat_map(|v| {
                v.tokens
                    .iter()
                    .map(|(param, value)| search_tokens::ActiveModel {
                        tenant_id: Set(tenant.to_owned()),
                        resource_type: Set(v.resource_type.clone()),
                        param: Set((*param).to_owned()),
                        value: Set(value.clone()),
                        resource_id: Set(v.id.clone()),
                    })
            })
            .collect();
        let mut tokens = tokens.into_iter().peekable();
        while tokens.peek().is_some() {
            let chunk: Vec<_> = tokens.by_ref().take(INSERT_CHUNK).collect();
            search_tokens::Entity::insert_many(chunk)
                .exec_without_returning(&self.tx)
                .await?;
        }
        Ok(())
    }
}

fn to_db(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| StoreError::Corrupt(format!("version {version} too large")))
}

fn from_db(version: i64) -> Result<u64, StoreError> {
    u64::try_from(version).map_err(|_| StoreError::Corrupt(format!("negative version {version}")))
}

impl TryFrom<resources::Model> for StoredRow {
    type Error = StoreError;

    fn try_from(row: resources::Model) -> Result<Self, StoreError> {
        Ok(StoredRow {
            resource_type: row.resource_type,
            id: row.id,
            version_id: from_db(row.version_id)?,
            last_updated: row.last_updated,
            content: row.content,
        })
    }
}

impl TryFrom<resource_history::Model> for StoredRow {
    type Error = StoreError;

    fn try_from(row: resource_history::Model) -> Result<Self, StoreError> {
        Ok(StoredRow {
            resource_type: row.resource_type,
            id: row.id,
            version_id: from_db(row.version_id)?,
            last_updated: row.last_updated,
            content: row.content,
        })
    }
}
