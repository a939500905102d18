//! The sharing API for nodes (consent directives and the brokered fetch),
//! and the operators' consent policy and disclosure log, as gRPC messages.

use continuum_consent::{LabelSet, Mode, NetworkPolicy};
use continuum_proto::locator::v1 as pb;
use continuum_proto::locator::v1::sharing_server::Sharing;
use tonic::{Request, Response, Status};

use super::access_report::access_report_message;
use super::auth::authorized_node;
use crate::LocatorError;
use crate::audit::Audit;
use crate::broker::{Broker, FetchOrder, Fetched, Outcome, Practitioner};
use crate::consent::{Consents, RecordedDirective};
use crate::store::DisclosureRecord;

#[derive(Debug, Clone)]
pub struct SharingApi {
    consents: Consents,
    broker: Broker,
    audit: Audit,
}

impl SharingApi {
    pub fn new(consents: Consents, broker: Broker, audit: Audit) -> Self {
        Self {
            consents,
            broker,
            audit,
        }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl Sharing for SharingApi {
    async fn put_consent(
        &self,
        request: Request<pb::PutConsentRequest>,
    ) -> Reply<pb::ConsentDirective> {
        let node = authorized_node(&request)?;
        let r = request.into_inner();
        let recorded = self.consents.put(&node, &r.tenant, &r.consent_json).await?;
        Ok(Response::new(directive(recorded)))
    }

    async fn list_consents(
        &self,
        request: Request<pb::ListConsentsRequest>,
    ) -> Reply<pb::ListConsentsResponse> {
        let node = authorized_node(&request)?;
        let r = request.into_inner();
        let directives = self.consents.list(&node, &r.tenant, &r.local_id).await?;
        Ok(Response::new(pb::ListConsentsResponse {
            directives: directives.into_iter().map(directive).collect(),
        }))
    }

    async fn fetch_records(
        &self,
        request: Request<pb::FetchRecordsRequest>,
    ) -> Reply<pb::FetchRecordsResponse> {
        let node = authorized_node(&request)?;
        let r = request.into_inner();
        let practitioner = r.practitioner.unwrap_or_default();
        let order = FetchOrder {
            tenant: r.tenant,
            local_id: r.local_id,
            practitioner: Practitioner {
                id: practitioner.id,
                name: practitioner.display_name,
                role: practitioner.role,
                professional_id: practitioner.professional_id,
            },
            purpose: r.purpose,
            break_glass_reason: r.break_glass_reason,
            resource_types: r.resource_types,
        };
        let fetched = self.broker.fetch(&node, order).await?;
        Ok(Response::new(fetch_response(fetched)))
    }

    async fn access_report(
        &self,
        request: Request<pb::PatientAccessReportRequest>,
    ) -> Reply<pb::AccessReportResponse> {
        let node = authorized_node(&request)?;
        let r = request.into_inner();
        let (person, report) = self
            .audit
            .patient_access_report(&node, &r.tenant, &r.local_id)
            .await?;
        Ok(Response::new(access_report_message(person, report)))
    }
}

fn directive(recorded: RecordedDirective) -> pb::ConsentDirective {
    let d = recorded.stored;
    pb::ConsentDirective {
        directive_id: d.directive_id,
        version: d.version,
        status: d.status,
        person_id: recorded.person,
        recorded_at: d.recorded_at,
        consent_json: d.consent_json,
    }
}

fn fetch_response(fetched: Fetched) -> pb::FetchRecordsResponse {
    pb::FetchRecordsResponse {
        disclosure_id: fetched.disclosure_id,
        person_id: fetched.person,
        resources: fetched
            .resources
            .into_iter()
            .map(|m| pb::OutsideResource {
                resource_json: m.resource.to_string(),
                sources: m.sources,
            })
            .collect(),
        sources: fetched
            .sources
            .into_iter()
            .map(|s| pb::SourceStatus {
                tenant: s.tenant,
                display_name: s.display_name,
                outcome: match s.outcome {
                    Outcome::Complete => pb::SourceOutcome::Complete,
                    Outcome::TimedOut => pb::SourceOutcome::TimedOut,
                    Outcome::Unavailable => pb::SourceOutcome::Unavailable,
                }
                .into(),
                resources: u32::try_from(s.resources).unwrap_or(u32::MAX),
                elapsed_ms: u32::try_from(s.elapsed.as_millis()).unwrap_or(u32::MAX),
                detail: s.detail,
            })
            .collect(),
        break_glass: fetched.break_glass.is_some(),
        break_glass_until: fetched
            .break_glass
            .as_ref()
            .map(|w| w.until.clone())
            .unwrap_or_default(),
        break_glass_reason: fetched.break_glass.map(|w| w.reason).unwrap_or_default(),
    }
}

/// The policy as operators see it.
pub(super) fn policy_message(policy: &NetworkPolicy, updated_at: String) -> pb::ConsentPolicy {
    pb::ConsentPolicy {
        mode: match policy.mode {
            Mode::OptOut => pb::ConsentMode::OptOut,
            Mode::OptIn => pb::ConsentMode::OptIn,
        }
        .into(),
        shielded: policy.shielded.codes(),
        break_glass_roles: policy.break_glass_roles.clone(),
        break_glass_minutes: policy.break_glass_minutes,
        updated_at,
    }
}

/// The policy an operator sets: every field is stated.
pub(super) fn policy_from(message: &pb::ConsentPolicy) -> Result<NetworkPolicy, LocatorError> {
    let mode = match message.mode() {
        pb::ConsentMode::OptOut => Mode::OptOut,
        pb::ConsentMode::OptIn => Mode::OptIn,
        pb::ConsentMode::Unspecified => {
            return Err(LocatorError::InvalidArgument(
                "state the consent mode: opt-out or opt-in".into(),
            ));
        }
    };
    Ok(NetworkPolicy {
        mode,
        shielded: LabelSet::parse(&message.shielded)?,
        break_glass_roles: message
            .break_glass_roles
            .iter()
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect(),
        break_glass_minutes: message.break_glass_minutes,
    })
}

/// Parse an operator's sensitivity labels.
pub(super) fn labels_from(codes: &[String]) -> Result<LabelSet, LocatorError> {
    Ok(LabelSet::parse(codes.iter().map(|c| c.trim()))?)
}

pub(super) fn disclosure_message(record: DisclosureRecord) -> pb::DisclosureRecord {
    pb::DisclosureRecord {
        disclosure_id: record.id,
        at: record.at,
        person_id: record.person,
        requester_tenant: record.requester_tenant,
        practitioner_id: record.practitioner_id,
        practitioner_role: record.practitioner_role,
        practitioner_name: record.practitioner_name,
        practitioner_professional_id: record.practitioner_professional_id,
        purpose: record.purpose,
        break_glass: record.break_glass,
        break_glass_reason: record.break_glass_reason,
        sources: record
            .sources
            .into_iter()
            .map(|s| pb::DisclosureSource {
                tenant: s.tenant,
                decision: s.decision,
                decided_by: s.decided_by,
                outcome: s.outcome,
                released: s.released,
                categories: s.categories.codes(),
            })
            .collect(),
    }
}
