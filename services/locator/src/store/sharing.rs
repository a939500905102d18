//! Storage for sharing: the network's consent policy, patients' consent
//! directives (every version kept), break-the-glass accesses, and the
//! record of each disclosure with the decision for every source.

use std::str::FromStr;

use continuum_consent::{ConsentError, LabelSet, Mode, NetworkPolicy};
use continuum_ledger::payload::{self, ConsentChange, ConsentPolicyChange};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::DirectoryStore;
use super::entities::{
    break_glass_accesses, consent_directives, consent_policy, disclosure_sources, disclosures,
    registrations,
};
use crate::LocatorError;

/// One version of a directive, as recorded.
#[derive(Debug, Clone)]
pub struct StoredDirective {
    pub directive_id: String,
    pub version: u64,
    pub tenant: String,
    pub local_id: String,
    /// `active` or `inactive`.
    pub status: String,
    pub consent_json: String,
    pub recorded_at: String,
}

/// An open (or once open) break-the-glass access.
#[derive(Debug, Clone)]
pub struct BreakGlassAccess {
    pub id: String,
    pub person: String,
    pub requester_tenant: String,
    pub practitioner: String,
    pub reason: String,
    pub opened_at: String,
    pub expires_at: String,
}

/// What the locator records of one fetch.
#[derive(Debug, Clone)]
pub struct DisclosureRecord {
    pub id: String,
    pub at: String,
    pub person: String,
    pub requester_tenant: String,
    pub practitioner_id: String,
    pub practitioner_name: String,
    pub practitioner_role: String,
    pub practitioner_professional_id: String,
    pub purpose: String,
    pub break_glass: bool,
    pub break_glass_reason: String,
    pub sources: Vec<SourceRecord>,
}

/// The decision and outcome for one holding organization.
#[derive(Debug, Clone)]
pub struct SourceRecord {
    pub tenant: String,
    /// `permit`, `deny` or `break-glass`.
    pub decision: String,
    pub decided_by: Vec<String>,
    /// `complete`, `timed_out`, `unavailable` or `not_asked`.
    pub outcome: String,
    pub released: Vec<String>,
    pub categories: LabelSet,
}

const POLICY_ROW: i32 = 1;

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::OptOut => "opt-out",
        Mode::OptIn => "opt-in",
    }
}

impl DirectoryStore {
    /// The network's consent policy; the default until an operator sets one.
    pub async fn consent_policy(&self) -> Result<NetworkPolicy, LocatorError> {
        let Some(row) = consent_policy::Entity::find_by_id(POLICY_ROW)
            .one(&self.db)
            .await?
        else {
            return Ok(NetworkPolicy::default());
        };
        let corrupt = |e: String| LocatorError::Corrupt(format!("consent policy: {e}"));
        Ok(NetworkPolicy {
            mode: match row.mode.as_str() {
                "opt-out" => Mode::OptOut,
                "opt-in" => Mode::OptIn,
                other => return Err(corrupt(format!("mode `{other}`"))),
            },
            shielded: row
                .shielded
                .parse()
                .map_err(|e: ConsentError| corrupt(e.to_string()))?,
            break_glass_roles: row
                .break_glass_roles
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
            break_glass_minutes: u32::try_from(row.break_glass_minutes).unwrap_or_default(),
        })
    }

    pub async fn set_consent_policy(
        &self,
        policy: &NetworkPolicy,
        now: &str,
    ) -> Result<(), LocatorError> {
        let row = consent_policy::ActiveModel {
            id: Set(POLICY_ROW),
            mode: Set(mode_name(policy.mode).to_owned()),
            shielded: Set(policy.shielded.to_string()),
            break_glass_roles: Set(policy.break_glass_roles.join(",")),
            break_glass_minutes: Set(i32::try_from(policy.break_glass_minutes).unwrap_or(i32::MAX)),
            updated_at: Set(now.to_owned()),
        };
        let (tx, mut chain) = self.write_audited().await?;
        chain
            .record(
                &tx,
                &ConsentPolicyChange {
                    mode: mode_name(policy.mode).to_owned(),
                    shielded: policy
                        .shielded
                        .iter()
                        .map(|l| l.code().to_owned())
                        .collect(),
                    break_glass_roles: policy.break_glass_roles.clone(),
                    break_glass_minutes: policy.break_glass_minutes,
                    actor: "operator".into(),
                },
            )
            .await?;
        consent_policy::Entity::delete_by_id(POLICY_ROW)
            .exec(&tx)
            .await?;
        row.insert(&tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Record a new version of a directive; returns its version number.
    pub async fn put_directive(&self, directive: &StoredDirective) -> Result<u64, LocatorError> {
        let (tx, mut chain) = self.write_audited().await?;
        let latest = consent_directives::Entity::find()
            .filter(consent_directives::Column::DirectiveId.eq(&directive.directive_id))
            .order_by_desc(consent_directives::Column::Version)
            .one(&tx)
            .await?;
        if let Some(latest) = &latest
            && (latest.tenant_id != directive.tenant || latest.local_id != directive.local_id)
        {
            return Err(LocatorError::Conflict(format!(
                "consent `{}` was recorded for another patient; a directive cannot move between patients",
                directive.directive_id
            )));
        }
        let version = latest.map_or(1, |l| l.version + 1);
        consent_directives::ActiveModel {
            directive_id: Set(directive.directive_id.clone()),
            version: Set(version),
            tenant_id: Set(directive.tenant.clone()),
            local_id: Set(directive.local_id.clone()),
            status: Set(directive.status.clone()),
            consent_json: Set(directive.consent_json.clone()),
            recorded_at: Set(directive.recorded_at.clone()),
        }
        .insert(&tx)
        .await?;
        let person = registrations::Entity::find_by_id((
            directive.tenant.clone(),
            directive.local_id.clone(),
        ))
        .one(&tx)
        .await?
        .map(|r| r.person_id);
        let version = u64::try_from(version).unwrap_or_default();
        chain
            .record(
                &tx,
                &ConsentChange {
                    directive_id: directive.directive_id.clone(),
                    version,
                    person_id: person,
                    status: directive.status.clone(),
                    actor: directive.tenant.clone(),
                },
            )
            .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// The current version of every directive recorded for any of
    /// `registrations` (tenant, local id).
    pub async fn current_directives(
        &self,
        registrations: &[(String, String)],
    ) -> Result<Vec<StoredDirective>, LocatorError> {
        let mut current: Vec<StoredDirective> = Vec::new();
        for (tenant, local_id) in registrations {
            let rows = consent_directives::Entity::find()
                .filter(consent_directives::Column::TenantId.eq(tenant))
                .filter(consent_directives::Column::LocalId.eq(local_id))
                .order_by_asc(consent_directives::Column::DirectiveId)
                .order_by_desc(consent_directives::Column::Version)
                .all(&self.db)
                .await?;
            for row in rows {
                if current
                    .last()
                    .is_some_and(|d| d.directive_id == row.directive_id)
                {
                    continue;
                }
                current.push(StoredDirective {
                    directive_id: row.directive_id,
                    version: u64::try_from(row.version).unwrap_or_default(),
                    tenant: row.tenant_id,
                    local_id: row.local_id,
                    status: row.status,
                    consent_json: row.consent_json,
                    recorded_at: row.recorded_at,
                });
            }
        }
        Ok(current)
    }

    /// The latest break-the-glass access of a practitioner for a person
    /// that is still open at `now`.
    pub async fn open_break_glass(
        &self,
        person: &str,
        requester_tenant: &str,
        practitioner: &str,
        now: &str,
    ) -> Result<Option<BreakGlassAccess>, LocatorError> {
        let row = break_glass_accesses::Entity::find()
            .filter(break_glass_accesses::Column::PersonId.eq(person))
            .filter(break_glass_accesses::Column::RequesterTenant.eq(requester_tenant))
            .filter(break_glass_accesses::Column::PractitionerId.eq(practitioner))
            .filter(break_glass_accesses::Column::ExpiresAt.gt(now))
            .order_by_desc(break_glass_accesses::Column::ExpiresAt)
            .limit(1)
            .one(&self.db)
            .await?;
        Ok(row.map(|row| BreakGlassAccess {
            id: row.id,
            person: row.person_id,
            requester_tenant: row.requester_tenant,
            practitioner: row.practitioner_id,
            reason: row.reason,
            opened_at: row.opened_at,
            expires_at: row.expires_at,
        }))
    }

    /// Record a disclosure, its sources and (when it opened one) the
    /// break-the-glass access, in one transaction: if this fails, the
    /// caller releases nothing.
    pub async fn record_disclosure(
        &self,
        record: &DisclosureRecord,
        opened: Option<&BreakGlassAccess>,
    ) -> Result<(), LocatorError> {
        let (tx, mut chain) = self.write_audited().await?;
        let entry = chain.record(&tx, &ledger_disclosure(record)).await?;
        let ledger_seq = super::audit::to_db(entry.seq)?;
        if let Some(access) = opened {
            break_glass_accesses::ActiveModel {
                id: Set(access.id.clone()),
                person_id: Set(access.person.clone()),
                requester_tenant: Set(access.requester_tenant.clone()),
                practitioner_id: Set(access.practitioner.clone()),
                reason: Set(access.reason.clone()),
                opened_at: Set(access.opened_at.clone()),
                expires_at: Set(access.expires_at.clone()),
                ..Default::default()
            }
            .insert(&tx)
            .await?;
        }
        disclosures::ActiveModel {
            id: Set(record.id.clone()),
            at: Set(record.at.clone()),
            person_id: Set(record.person.clone()),
            requester_tenant: Set(record.requester_tenant.clone()),
            practitioner_id: Set(record.practitioner_id.clone()),
            practitioner_name: Set(record.practitioner_name.clone()),
            practitioner_role: Set(record.practitioner_role.clone()),
            practitioner_professional_id: Set(record.practitioner_professional_id.clone()),
            purpose: Set(record.purpose.clone()),
            break_glass: Set(record.break_glass),
            break_glass_reason: Set(record.break_glass_reason.clone()),
            ledger_seq: Set(Some(ledger_seq)),
        }
        .insert(&tx)
        .await?;
        if !record.sources.is_empty() {
            let rows = record
                .sources
                .iter()
                .map(|s| disclosure_sources::ActiveModel {
                    disclosure_id: Set(record.id.clone()),
                    tenant_id: Set(s.tenant.clone()),
                    decision: Set(s.decision.clone()),
                    decided_by: Set(serde_json::to_string(&s.decided_by).unwrap_or_default()),
                    outcome: Set(s.outcome.clone()),
                    released: Set(serde_json::to_string(&s.released).unwrap_or_default()),
                    categories: Set(s.categories.to_string()),
                });
            disclosure_sources::Entity::insert_many(rows)
                .exec(&tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The disclosures of `person`'s records, newest first.
    pub async fn disclosures_of(
        &self,
        person: &str,
        limit: u64,
    ) -> Result<Vec<DisclosureRecord>, LocatorError> {
        let rows = disclosures::Entity::find()
            .filter(disclosures::Column::PersonId.eq(person))
            .order_by_desc(disclosures::Column::At)
            .limit(limit)
            .all(&self.db)
            .await?;
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let mut sources = disclosure_sources::Entity::find()
            .filter(disclosure_sources::Column::DisclosureId.is_in(ids))
            .order_by_asc(disclosure_sources::Column::TenantId)
            .all(&self.db)
            .await?;
        let corrupt = |e: serde_json::Error| LocatorError::Corrupt(format!("disclosure: {e}"));
        rows.into_iter()
            .map(|row| {
                let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut sources)
                    .into_iter()
                    .partition(|s| s.disclosure_id == row.id);
                sources = rest;
                let sources = mine
                    .into_iter()
                    .map(|s| {
                        Ok(SourceRecord {
                            decided_by: serde_json::from_str(&s.decided_by).map_err(corrupt)?,
                            released: serde_json::from_str(&s.released).map_err(corrupt)?,
                            categories: LabelSet::from_str(&s.categories)
                                .map_err(|e| LocatorError::Corrupt(e.to_string()))?,
                            tenant: s.tenant_id,
                            decision: s.decision,
                            outcome: s.outcome,
                        })
                    })
                    .collect::<Result<_, LocatorError>>()?;
                Ok(DisclosureRecord {
                    id: row.id,
                    at: row.at,
                    person: row.person_id,
                    requester_tenant: row.requester_tenant,
                    practitioner_id: row.practitioner_id,
                    practitioner_name: row.practitioner_name,
                    practitioner_role: row.practitioner_role,
                    practitioner_professional_id: row.practitioner_professional_id,
                    purpose: row.purpose,
                    break_glass: row.break_glass,
                    break_glass_reason: row.break_glass_reason,
                    sources,
                })
            })
            .collect()
    }
}

/// What the ledger keeps of a disclosure: ids, decisions, categories and
/// the `Type/id` of what was released, never names or content.
fn ledger_disclosure(record: &DisclosureRecord) -> payload::Disclosure {
    payload::Disclosure {
        disclosure_id: record.id.clone(),
        person_id: record.person.clone(),
        requester: payload::Requester {
            tenant: record.requester_tenant.clone(),
            practitioner_id: record.practitioner_id.clone(),
            role: record.practitioner_role.clone(),
            name: record.practitioner_name.clone(),
            professional_id: record.practitioner_professional_id.clone(),
        },
        purpose: record.purpose.clone(),
        break_glass_reason: record
            .break_glass
            .then(|| record.break_glass_reason.clone()),
        sources: record
            .sources
            .iter()
            .map(|s| payload::SourceDecision {
                tenant: s.tenant.clone(),
                decision: match s.decision.as_str() {
                    "permit" => payload::Decision::Permit,
                    "break-glass" => payload::Decision::BreakGlass,
                    _ => payload::Decision::Deny,
                },
                decided_by: s.decided_by.clone(),
                outcome: s.outcome.clone(),
                released: s.released.clone(),
                categories: s.categories.iter().map(|l| l.code().to_owned()).collect(),
            })
            .collect(),
    }
}
