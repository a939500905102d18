//! The broker: one fetch of a patient's outside records. It resolves the
//! person, decides consent for every organization holding records (with
//! `continuum-consent`, nothing else), asks the permitted ones in parallel
//! with a deadline, merges what came back, records the disclosure, and
//! only then answers.
//!
//! A holding organization that consent denies is not asked and not named:
//! the answer is the one a patient with no records there would get.

mod merge;
mod sources;

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::time::Duration;

use continuum_consent::{Decision, Directive, LabelSet, NetworkPolicy, Purpose, Request, decide};
use continuum_fhir::labels::{BREAK_THE_GLASS, add_security_coding, add_sensitivity};
use continuum_proto::node::v1 as node_pb;
use futures::future::join_all;
use serde_json::Value;
use tokio::time::Instant;

pub use merge::Merged;
pub use sources::Sources;
use sources::{Answer, SourceReply};

use crate::LocatorError;
use crate::consent::Consents;
use crate::directory::model::{NodeStatus, Organization, OrganizationStatus, timestamp};
use crate::directory::{AuthorizedNode, Directory};
use crate::store::{
    BreakGlassAccess, DirectoryStore, DisclosureRecord, Registration, SourceRecord,
};

/// Who asks, as the requesting node verified them.
#[derive(Debug, Clone)]
pub struct Practitioner {
    pub id: String,
    pub name: String,
    pub role: String,
    /// E.g. the NPI; empty when the requesting organization's provider gives none.
    pub professional_id: String,
}

/// One request for a patient's outside records.
#[derive(Debug, Clone)]
pub struct FetchOrder {
    pub tenant: String,
    pub local_id: String,
    pub practitioner: Practitioner,
    pub purpose: String,
    pub break_glass_reason: String,
    pub resource_types: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    TimedOut,
    Unavailable,
}

/// How one asked source answered.
#[derive(Debug, Clone)]
pub struct SourceReport {
    pub tenant: String,
    pub display_name: String,
    pub outcome: Outcome,
    pub resources: usize,
    pub elapsed: Duration,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct Fetched {
    pub disclosure_id: String,
    pub person: String,
    pub resources: Vec<Merged>,
    pub sources: Vec<SourceReport>,
    /// When break-the-glass access applied: the access.
    pub break_glass: Option<EmergencyWindow>,
}

/// The break-the-glass access a fetch was made under.
#[derive(Debug, Clone)]
pub struct EmergencyWindow {
    /// When it closes (RFC 3339).
    pub until: String,
    /// The reason stated when it was opened.
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Broker {
    store: DirectoryStore,
    directory: Directory,
    consents: Consents,
    sources: Sources,
    deadline: Duration,
}

/// One holding organization, decided.
struct Holding {
    org: Organization,
    local_ids: Vec<String>,
    /// Without break-the-glass, and (when it applies) with it.
    normal: Decision,
    emergency: Option<Decision>,
}

impl Holding {
    fn decision(&self) -> &Decision {
        self.emergency.as_ref().unwrap_or(&self.normal)
    }
}

impl Broker {
    pub fn new(
        store: DirectoryStore,
        directory: Directory,
        consents: Consents,
        sources: Sources,
        deadline: Duration,
    ) -> Self {
        Self {
            store,
            directory,
            consents,
            sources,
            deadline,
        }
    }

    /// The disclosures of `person`'s records, newest first.
    pub async fn disclosures_of(
        &self,
        person: &str,
        limit: u64,
    ) -> Result<Vec<DisclosureRecord>, LocatorError> {
        self.store.disclosures_of(person, limit).await
    }

    pub async fn fetch(
        &self,
        node: &AuthorizedNode,
        order: FetchOrder,
    ) -> Result<Fetched, LocatorError> {
        let deadline = Instant::now() + self.deadline;
        self.directory
            .check_tenants(node, std::slice::from_ref(&order.tenant), "sharing.fetch")
            .await?;
        let purpose = check_order(&order)?;
        let policy = self.consents.policy().await?;
        let breaking = !order.break_glass_reason.trim().is_empty();
        if breaking && !policy.may_break_glass(&order.practitioner.role) {
            return Err(LocatorError::PermissionDenied(format!(
                "role `{}` may not break the glass; the network policy allows it for: {}",
                order.practitioner.role,
                policy.break_glass_roles.join(", ")
            )));
        }
        let person = self
            .store
            .registration(&order.tenant, &order.local_id)
            .await?
            .ok_or_else(|| {
                LocatorError::NotFound(format!(
                    "patient `{}` at `{}` in the network's patient index",
                    order.local_id, order.tenant
                ))
            })?
            .person;
        let registrations = self.store.registrations_of(&person).await?;
        let directives = self.consents.directives_of(&registrations).await?;
        let now = self.directory.env().clock.now();
        let (access, opened) = self
            .break_glass(&order, &policy, purpose, &person, now, breaking)
            .await?;
        let holdings = self
            .decide_all(
                &order,
                &policy,
                &directives,
                &registrations,
                purpose,
                now,
                access.is_some(),
            )
            .await?;

        let disclosure_id = self.directory.env().ids.new_id();
        let replies = self
            .ask_permitted(
                &order,
                &holdings,
                &disclosure_id,
                purpose,
                access.as_ref(),
                deadline,
            )
            .await;

        let mut records = Vec::new();
        let mut reports = Vec::new();
        let mut answers = Vec::new();
        for (holding, reply) in holdings.iter().zip(replies) {
            let (record, report, released) = account(holding, reply);
            records.push(record);
            if let Some(report) = report {
                reports.push(report);
            }
            if !released.is_empty() {
                answers.push((holding.org.id.clone(), released));
            }
        }
        let record = DisclosureRecord {
            id: disclosure_id.clone(),
            at: timestamp(now),
            person: person.clone(),
            requester_tenant: order.tenant.clone(),
            practitioner_id: order.practitioner.id.clone(),
            practitioner_name: order.practitioner.name.clone(),
            practitioner_role: order.practitioner.role.clone(),
            practitioner_professional_id: order.practitioner.professional_id.clone(),
            purpose: purpose.code().to_owned(),
            break_glass: access.is_some(),
            break_glass_reason: access
                .as_ref()
                .map(|a| a.reason.clone())
                .unwrap_or_default(),
            sources: records,
        };
        // Nothing leaves without its record.
        self.store
            .record_disclosure(&record, access.as_ref().filter(|_| opened))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "disclosure not recorded; nothing released");
                LocatorError::Unavailable(
                    "the disclosure could not be recorded, so nothing was released; try again"
                        .into(),
                )
            })?;
        tracing::info!(
            disclosure = %disclosure_id,
            requester = %order.tenant,
            purpose = %purpose,
            break_glass = access.is_some(),
            sources = reports.len(),
            "records disclosed"
        );
        Ok(Fetched {
            disclosure_id,
            person,
            resources: merge::merge(answers),
            sources: reports,
            break_glass: access.map(|a| EmergencyWindow {
                until: a.expires_at,
                reason: a.reason,
            }),
        })
    }

    /// The break-the-glass access this request runs under: a new one when
    /// it states a reason, else one the practitioner opened for this person
    /// and that is still open (purpose ETREAT). The flag says it is new.
    async fn break_glass(
        &self,
        order: &FetchOrder,
        policy: &NetworkPolicy,
        purpose: Purpose,
        person: &str,
        now: chrono::DateTime<chrono::Utc>,
        breaking: bool,
    ) -> Result<(Option<BreakGlassAccess>, bool), LocatorError> {
        if purpose != Purpose::Etreat || !policy.may_break_glass(&order.practitioner.role) {
            return Ok((None, false));
        }
        if breaking {
            let minutes = i64::from(policy.break_glass_minutes);
            return Ok((
                Some(BreakGlassAccess {
                    id: self.directory.env().ids.new_id(),
                    person: person.to_owned(),
                    requester_tenant: order.tenant.clone(),
                    practitioner: order.practitioner.id.clone(),
                    reason: order.break_glass_reason.trim().to_owned(),
                    opened_at: timestamp(now),
                    expires_at: timestamp(now + chrono::Duration::minutes(minutes)),
                }),
                true,
            ));
        }
        let open = self
            .store
            .open_break_glass(
                person,
                &order.tenant,
                &order.practitioner.id,
                &timestamp(now),
            )
            .await?;
        Ok((open, false))
    }

    #[allow(clippy::too_many_arguments)]
    async fn decide_all(
        &self,
        order: &FetchOrder,
        policy: &NetworkPolicy,
        directives: &[Directive],
        registrations: &[Registration],
        purpose: Purpose,
        at: chrono::DateTime<chrono::Utc>,
        break_glass: bool,
    ) -> Result<Vec<Holding>, LocatorError> {
        let mut local_ids: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for r in registrations
            .iter()
            .filter(|r| r.status == "active" && r.tenant != order.tenant)
        {
            local_ids
                .entry(&r.tenant)
                .or_default()
                .push(r.local_id.clone());
        }
        let organizations: HashMap<String, Organization> = self
            .directory
            .organizations()
            .await?
            .into_iter()
            .map(|o| (o.id.clone(), o))
            .collect();
        let request = Request {
            requester: &order.tenant,
            role: &order.practitioner.role,
            purpose,
            at,
            break_glass: false,
        };
        Ok(local_ids
            .into_iter()
            .filter_map(|(tenant, local_ids)| {
                let org = organizations.get(tenant)?.clone();
                let normal = decide(directives, policy, &request, tenant, org.sensitivity);
                let emergency = break_glass.then(|| {
                    let request = Request {
                        break_glass: true,
                        ..request
                    };
                    decide(directives, policy, &request, tenant, org.sensitivity)
                });
                Some(Holding {
                    org,
                    local_ids,
                    normal,
                    emergency,
                })
            })
            .collect())
    }

    /// Ask every permitted holding organization at once; `None` for the
    /// ones not asked.
    async fn ask_permitted(
        &self,
        order: &FetchOrder,
        holdings: &[Holding],
        disclosure_id: &str,
        purpose: Purpose,
        access: Option<&BreakGlassAccess>,
        deadline: Instant,
    ) -> Vec<Option<SourceReply>> {
        join_all(holdings.iter().map(|holding| async move {
            let decision = holding.decision();
            if !decision.permitted || holding.org.status != OrganizationStatus::Active {
                return None;
            }
            let Some(node_id) = &holding.org.node_id else {
                return Some(unavailable("the organization has no node"));
            };
            let node = match self.directory.node(node_id).await {
                Ok(node) if node.status == NodeStatus::Active => node,
                Ok(node) => {
                    return Some(unavailable(&format!(
                        "its node is {}",
                        node.status.as_str()
                    )));
                }
                Err(e) => return Some(unavailable(&e.to_string())),
            };
            let request = node_pb::DiscloseRequest {
                disclosure_id: disclosure_id.to_owned(),
                tenant: holding.org.id.clone(),
                local_ids: holding.local_ids.clone(),
                requester_tenant: order.tenant.clone(),
                practitioner_id: order.practitioner.id.clone(),
                practitioner_name: order.practitioner.name.clone(),
                practitioner_role: order.practitioner.role.clone(),
                practitioner_professional_id: order.practitioner.professional_id.clone(),
                purpose: purpose.code().to_owned(),
                break_glass: access.is_some(),
                break_glass_reason: access.map(|a| a.reason.clone()).unwrap_or_default(),
                resource_types: order.resource_types.clone(),
                grant: Some((&decision.grant).into()),
            };
            Some(
                self.sources
                    .ask(&node, request, &decision.grant, deadline)
                    .await,
            )
        }))
        .await
    }
}

fn unavailable(detail: &str) -> SourceReply {
    SourceReply {
        answer: Answer::Unavailable(detail.to_owned()),
        elapsed: Duration::ZERO,
    }
}

fn check_order(order: &FetchOrder) -> Result<Purpose, LocatorError> {
    let purpose = Purpose::from_str(&order.purpose)?;
    if order.practitioner.id.trim().is_empty() || order.practitioner.role.trim().is_empty() {
        return Err(LocatorError::InvalidArgument(
            "name the practitioner (id and role) the fetch is made for".into(),
        ));
    }
    if !order.break_glass_reason.trim().is_empty() && purpose != Purpose::Etreat {
        return Err(LocatorError::InvalidArgument(format!(
            "break the glass only for purpose ETREAT (emergency treatment), not {purpose}"
        )));
    }
    if let Some(bad) = order
        .resource_types
        .iter()
        .find(|t| !continuum_fhir::is_resource_type(t))
    {
        return Err(LocatorError::InvalidArgument(format!(
            "`{bad}` is not a FHIR R4 resource type"
        )));
    }
    Ok(purpose)
}

/// What one holding organization adds to the record, to the requester's
/// list of sources, and to the merged resources.
fn account(
    holding: &Holding,
    reply: Option<SourceReply>,
) -> (SourceRecord, Option<SourceReport>, Vec<Value>) {
    let decision = holding.decision();
    let tenant = holding.org.id.clone();
    let mut record = SourceRecord {
        tenant: tenant.clone(),
        decision: if !decision.permitted {
            "deny"
        } else if holding.normal.permitted {
            "permit"
        } else {
            "break-glass"
        }
        .to_owned(),
        decided_by: decision.decided_by.clone(),
        outcome: "not_asked".into(),
        released: Vec::new(),
        categories: LabelSet::EMPTY,
    };
    let Some(reply) = reply else {
        return (record, None, Vec::new());
    };
    let (outcome, detail, mut released) = match reply.answer {
        Answer::Complete(resources) => (Outcome::Complete, String::new(), resources),
        Answer::TimedOut => (
            Outcome::TimedOut,
            format!("no complete answer within {} ms", reply.elapsed.as_millis()),
            Vec::new(),
        ),
        Answer::Unavailable(detail) => (Outcome::Unavailable, detail, Vec::new()),
    };
    record.outcome = match outcome {
        Outcome::Complete => "complete",
        Outcome::TimedOut => "timed_out",
        Outcome::Unavailable => "unavailable",
    }
    .into();
    let mut opened_by_glass = false;
    for resource in &mut released {
        let (labels, by_glass) = label_released(resource, holding);
        opened_by_glass |= by_glass;
        record.categories = record.categories.union(labels);
        record.released.push(format!(
            "{}/{}",
            resource["resourceType"].as_str().unwrap_or_default(),
            resource["id"].as_str().unwrap_or_default()
        ));
    }
    if opened_by_glass {
        record.decision = "break-glass".into();
    }
    let report = SourceReport {
        tenant,
        display_name: holding.org.display_name.clone(),
        outcome,
        resources: released.len(),
        elapsed: reply.elapsed,
        detail,
    };
    (record, Some(report), released)
}

/// Every released resource carries its organization's labels, and the BTG
/// label when only breaking the glass released it. Returns its labels (its
/// own and its organization's) and whether breaking the glass released it.
fn label_released(resource: &mut Value, holding: &Holding) -> (LabelSet, bool) {
    let own = LabelSet::of(continuum_fhir::sensitivity_of(resource));
    let resource_type = resource["resourceType"].as_str().unwrap_or_default();
    let by_glass = holding.emergency.is_some() && !holding.normal.grant.allows(resource_type, own);
    add_sensitivity(resource, &holding.org.sensitivity.iter().collect());
    if by_glass {
        let (system, code, display) = BREAK_THE_GLASS;
        add_security_coding(resource, system, code, display);
    }
    (own.union(holding.org.sensitivity), by_glass)
}
