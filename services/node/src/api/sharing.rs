//! The clinical API's network calls: recording a patient's consent with the
//! network, fetching their outside records and reading their access report,
//! all through the locator over mutual TLS, and the tenant's own record of
//! what it released.

use std::sync::Arc;

use continuum_mesh::clock::Environment;
use continuum_proto::locator::v1 as locator_pb;
use continuum_proto::node::v1 as pb;
use serde_json::Value;
use tonic::{Request, Response, Status};

use continuum_consent::Purpose;
use continuum_identity::Permission;

use super::auth::Caller;
use continuum_ledger::payload::Requester;

use crate::NodeError;
use crate::network::LocatorLink;
use crate::records::{Asked, Records, receipt};

/// Most disclosures listed at once.
const MAX_LISTED: u32 = 1000;

#[derive(Debug, Clone)]
pub struct SharingCalls {
    records: Records,
    env: Environment,
    link: Option<Arc<LocatorLink>>,
}

impl SharingCalls {
    pub fn new(records: Records, env: Environment, link: Option<Arc<LocatorLink>>) -> Self {
        Self { records, env, link }
    }

    fn link(&self) -> Result<&LocatorLink, Status> {
        self.link
            .as_deref()
            .ok_or_else(|| NodeError::NotInNetwork.into())
    }

    pub async fn put_consent(
        &self,
        request: Request<pb::CreateResourceRequest>,
    ) -> Result<Response<locator_pb::ConsentDirective>, Status> {
        let caller = Caller::permitted(&request, Permission::RecordConsent)?;
        let link = self.link()?;
        let (mut consent, resource_type) =
            continuum_fhir::parse_resource(&request.get_ref().resource_json)
                .map_err(NodeError::from)?;
        if resource_type != "Consent" {
            return Err(Status::invalid_argument(format!(
                "expected a Consent, not a {resource_type}"
            )));
        }
        if consent.get("id").and_then(Value::as_str).is_none() {
            consent["id"] = Value::String(self.env.ids.new_id());
        }
        // The patient must be one of this tenant's.
        let patient = consent["patient"]["reference"]
            .as_str()
            .and_then(|r| r.strip_prefix("Patient/"))
            .ok_or_else(|| {
                Status::invalid_argument("Consent.patient.reference must be `Patient/<id>`")
            })?;
        self.records
            .get(&caller.tenant, "Patient", patient, None)
            .await?;
        let directive = link
            .sharing()
            .put_consent(locator_pb::PutConsentRequest {
                tenant: caller.tenant.to_string(),
                consent_json: consent.to_string(),
            })
            .await
            .map_err(from_locator)?
            .into_inner();
        tracing::info!(tenant = %caller.tenant, by = %caller.principal(), directive = %directive.directive_id, "consent recorded with the network");
        Ok(Response::new(directive))
    }

    pub async fn fetch(
        &self,
        request: Request<pb::FetchOutsideRecordsRequest>,
    ) -> Result<Response<locator_pb::FetchRecordsResponse>, Status> {
        let caller = Caller::permitted(&request, Permission::FetchOutsideRecords)?;
        let asked = request.get_ref();
        // Stating a reason is breaking the glass.
        if !asked.break_glass_reason.trim().is_empty() {
            caller.require(Permission::BreakTheGlass)?;
        }
        // In an emergency, whoever may break the glass asks in that role, so
        // that the locator applies a break-the-glass access of theirs that
        // is still open.
        let emergency = asked.purpose.parse() == Ok(Purpose::Etreat);
        let acting_as = if emergency && caller.identity.roles.allows(Permission::BreakTheGlass) {
            Permission::BreakTheGlass
        } else {
            Permission::FetchOutsideRecords
        };
        let link = self.link()?;
        let r = request.into_inner();
        let identity = &caller.identity;
        self.records
            .get(&caller.tenant, "Patient", &r.patient_id, None)
            .await?;
        // Only what the tenant's identity provider vouched for.
        let requester = Requester {
            tenant: caller.tenant.to_string(),
            practitioner_id: identity.subject.clone(),
            role: identity
                .roles
                .granting(acting_as)
                .map(|role| role.to_string())
                .unwrap_or_default(),
            name: identity.name.clone(),
            professional_id: identity.professional_id.clone().unwrap_or_default(),
        };
        let fetched = link
            .sharing()
            .fetch_records(locator_pb::FetchRecordsRequest {
                tenant: requester.tenant.clone(),
                local_id: r.patient_id.clone(),
                practitioner: Some(locator_pb::Practitioner {
                    id: requester.practitioner_id.clone(),
                    display_name: requester.name.clone(),
                    role: requester.role.clone(),
                    professional_id: requester.professional_id.clone(),
                }),
                purpose: r.purpose.clone(),
                break_glass_reason: r.break_glass_reason,
                resource_types: r.resource_types,
            })
            .await
            .map_err(from_locator)?
            .into_inner();
        let asked = Asked {
            patient_id: r.patient_id,
            requester,
            purpose: r.purpose,
        };
        // What the tenant received is in its own ledger before anyone there
        // sees it; if it cannot be recorded, it is not shown.
        self.records
            .record_receipt(&caller.tenant, &receipt(asked, &fetched))
            .await?;
        Ok(Response::new(fetched))
    }

    /// Who saw the patient's records across the network, for the patient.
    pub async fn access_report(
        &self,
        request: Request<pb::PatientAccessReportRequest>,
    ) -> Result<Response<locator_pb::AccessReportResponse>, Status> {
        let caller = Caller::permitted(&request, Permission::ReadAccessReports)?;
        let link = self.link()?;
        let patient_id = request.into_inner().patient_id;
        self.records
            .get(&caller.tenant, "Patient", &patient_id, None)
            .await?;
        let report = link
            .sharing()
            .access_report(locator_pb::PatientAccessReportRequest {
                tenant: caller.tenant.to_string(),
                local_id: patient_id,
            })
            .await
            .map_err(from_locator)?
            .into_inner();
        tracing::info!(tenant = %caller.tenant, by = %caller.principal(), "access report read for a patient");
        Ok(Response::new(report))
    }

    pub async fn list_disclosures(
        &self,
        request: Request<pb::ListDisclosuresRequest>,
    ) -> Result<Response<pb::ListDisclosuresResponse>, Status> {
        let caller = Caller::permitted(&request, Permission::ReadDisclosures)?;
        let r = request.into_inner();
        let limit = if r.limit == 0 {
            100
        } else {
            r.limit.min(MAX_LISTED)
        };
        let patient = Some(r.patient_id.as_str()).filter(|p| !p.is_empty());
        let disclosures = self
            .records
            .disclosures(&caller.tenant, patient, limit.into())
            .await?;
        Ok(Response::new(pb::ListDisclosuresResponse {
            disclosures: disclosures
                .into_iter()
                .map(|d| pb::Disclosure {
                    disclosure_id: d.disclosure_id,
                    at: d.at,
                    patient_ids: d.patient_ids,
                    requester_tenant: d.requester_tenant,
                    practitioner_id: d.practitioner_id,
                    practitioner_name: d.practitioner_name,
                    practitioner_role: d.practitioner_role,
                    practitioner_professional_id: d.practitioner_professional_id,
                    purpose: d.purpose,
                    break_glass: d.break_glass,
                    break_glass_reason: d.break_glass_reason,
                    released: d.released,
                })
                .collect(),
        }))
    }
}

/// The locator's answer, passed on with its code; a transport failure
/// becomes UNAVAILABLE with what went wrong.
fn from_locator(status: Status) -> Status {
    // A transport failure carries its cause; an answer of the locator's own does not.
    let reached = std::error::Error::source(&status).is_none();
    match status.code() {
        tonic::Code::Unavailable if reached => {
            Status::unavailable(format!("the network's locator: {}", status.message()))
        }
        tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::DeadlineExceeded => {
            Status::unavailable(format!(
                "the network's locator is unreachable: {}",
                status.message()
            ))
        }
        code => Status::new(code, format!("the network's locator: {}", status.message())),
    }
}
