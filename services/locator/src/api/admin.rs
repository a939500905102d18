//! The directory API for network operators.

use std::time::Instant;

use chrono::Duration;
use continuum_proto::locator::v1 as pb;
use continuum_proto::locator::v1::directory_server::Directory as DirectoryService;
use continuum_proto::node::v1::ProbeRequest;
use tonic::{Request, Response, Status};

use super::access_report::access_report_message;
use super::sharing::{disclosure_message, labels_from, policy_from, policy_message};
use crate::LocatorError;
use crate::audit::{Audit, Reader};
use crate::broker::Broker;
use crate::consent::Consents;
use crate::directory::Directory;
use crate::directory::model::{
    NewOrganization, Node, NodeChanges, NodeStatus, Organization, OrganizationChanges,
    OrganizationKind, OrganizationStatus,
};
use crate::federation::NodeDialer;
use crate::matching::band_name;
use crate::registry::{Located, Registry};
use crate::store::{BreakGlassItem, Registration, Resolution, ReviewItem};

#[derive(Debug, Clone)]
pub struct AdminApi {
    directory: Directory,
    registry: Registry,
    dialer: NodeDialer,
    consents: Consents,
    broker: Broker,
    audit: Audit,
}

impl AdminApi {
    pub fn new(
        directory: Directory,
        registry: Registry,
        dialer: NodeDialer,
        consents: Consents,
        broker: Broker,
        audit: Audit,
    ) -> Self {
        Self {
            directory,
            registry,
            dialer,
            consents,
            broker,
            audit,
        }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl DirectoryService for AdminApi {
    async fn get_consent_policy(
        &self,
        _request: Request<pb::GetConsentPolicyRequest>,
    ) -> Reply<pb::ConsentPolicy> {
        let policy = self.consents.policy().await?;
        Ok(Response::new(policy_message(&policy, String::new())))
    }

    async fn set_consent_policy(
        &self,
        request: Request<pb::ConsentPolicy>,
    ) -> Reply<pb::ConsentPolicy> {
        let policy = policy_from(request.get_ref())?;
        let updated_at = self.consents.set_policy(&policy).await?;
        Ok(Response::new(policy_message(&policy, updated_at)))
    }

    async fn list_disclosures(
        &self,
        request: Request<pb::ListDisclosuresRequest>,
    ) -> Reply<pb::ListDisclosuresResponse> {
        let r = request.into_inner();
        let limit = if r.limit == 0 { 100 } else { r.limit.min(1000) };
        let records = self
            .broker
            .disclosures_of(&r.person_id, limit.into())
            .await?;
        Ok(Response::new(pb::ListDisclosuresResponse {
            disclosures: records.into_iter().map(disclosure_message).collect(),
        }))
    }

    async fn access_report(
        &self,
        request: Request<pb::AccessReportRequest>,
    ) -> Reply<pb::AccessReportResponse> {
        let person_id = request.into_inner().person_id;
        let report = self
            .audit
            .access_report(&person_id, Reader::Operator)
            .await?;
        Ok(Response::new(access_report_message(person_id, report)))
    }

    async fn list_break_glass_reviews(
        &self,
        request: Request<pb::ListBreakGlassReviewsRequest>,
    ) -> Reply<pb::ListBreakGlassReviewsResponse> {
        let items = self
            .audit
            .break_glass_items(request.get_ref().open_only)
            .await?;
        Ok(Response::new(pb::ListBreakGlassReviewsResponse {
            items: items.into_iter().map(break_glass_message).collect(),
        }))
    }

    async fn review_break_glass(
        &self,
        request: Request<pb::ReviewBreakGlassRequest>,
    ) -> Reply<pb::BreakGlassReview> {
        let r = request.into_inner();
        let item = self
            .audit
            .review_break_glass(&r.access_id, r.justified, &r.note)
            .await?;
        Ok(Response::new(break_glass_message(item)))
    }

    async fn ledger_status(
        &self,
        _request: Request<pb::LedgerStatusRequest>,
    ) -> Reply<pb::LedgerStatusResponse> {
        let (head, checkpoint) = self.audit.status().await?;
        let key = self.audit.key().public_key();
        Ok(Response::new(pb::LedgerStatusResponse {
            entries: head.count,
            head_hash: head.hash.to_string(),
            public_key: key.to_hex(),
            key_id: key.key_id(),
            checkpoint_json: serde_json::to_string(&checkpoint)
                .map_err(|e| Status::internal(e.to_string()))?,
        }))
    }

    async fn create_organization(
        &self,
        request: Request<pb::CreateOrganizationRequest>,
    ) -> Reply<pb::Organization> {
        let r = request.into_inner();
        let org = NewOrganization {
            kind: kind_from(r.kind())?.unwrap_or(OrganizationKind::Other),
            id: r.id,
            display_name: r.display_name,
            contact: r.contact,
            sensitivity: labels_from(&r.sensitivity)?,
        };
        let created = self.directory.create_organization(org).await?;
        Ok(Response::new(organization(created)))
    }

    async fn update_organization(
        &self,
        request: Request<pb::UpdateOrganizationRequest>,
    ) -> Reply<pb::Organization> {
        let r = request.into_inner();
        let changes = OrganizationChanges {
            kind: kind_from(r.kind())?,
            display_name: r.display_name,
            contact: r.contact,
            sensitivity: if r.set_sensitivity {
                Some(labels_from(&r.sensitivity)?)
            } else {
                None
            },
        };
        let updated = self.directory.update_organization(&r.id, changes).await?;
        Ok(Response::new(organization(updated)))
    }

    async fn set_organization_status(
        &self,
        request: Request<pb::SetOrganizationStatusRequest>,
    ) -> Reply<pb::Organization> {
        let r = request.get_ref();
        let status = match r.status() {
            pb::OrganizationStatus::Active => OrganizationStatus::Active,
            pb::OrganizationStatus::Suspended => OrganizationStatus::Suspended,
            pb::OrganizationStatus::Unspecified => {
                return Err(Status::invalid_argument(
                    "status must be ACTIVE or SUSPENDED",
                ));
            }
        };
        let updated = self
            .directory
            .set_organization_status(&r.id, status, &r.reason)
            .await?;
        Ok(Response::new(organization(updated)))
    }

    async fn list_organizations(
        &self,
        _request: Request<pb::ListOrganizationsRequest>,
    ) -> Reply<pb::ListOrganizationsResponse> {
        let organizations = self.directory.organizations().await?;
        Ok(Response::new(pb::ListOrganizationsResponse {
            organizations: organizations.into_iter().map(organization).collect(),
        }))
    }

    async fn create_node(
        &self,
        request: Request<pb::CreateNodeRequest>,
    ) -> Reply<pb::CreateNodeResponse> {
        let r = request.into_inner();
        let (node, token) = self
            .directory
            .create_node(&r.id, &r.endpoint, &r.tenants, ttl(r.token_ttl_seconds)?)
            .await?;
        Ok(Response::new(pb::CreateNodeResponse {
            node: Some(node_message(node)),
            enrollment_token: Some(pb::EnrollmentToken {
                token: token.token.to_string(),
                expires_at: token.expires_at,
            }),
        }))
    }

    async fn update_node(&self, request: Request<pb::UpdateNodeRequest>) -> Reply<pb::Node> {
        let r = request.into_inner();
        let changes = NodeChanges {
            endpoint: r.endpoint,
            tenants: r.set_tenants.then_some(r.tenants),
        };
        let node = self.directory.update_node(&r.id, changes).await?;
        Ok(Response::new(node_message(node)))
    }

    async fn issue_enrollment_token(
        &self,
        request: Request<pb::IssueEnrollmentTokenRequest>,
    ) -> Reply<pb::EnrollmentToken> {
        let r = request.get_ref();
        let token = self
            .directory
            .issue_token(&r.node_id, ttl(r.token_ttl_seconds)?)
            .await?;
        Ok(Response::new(pb::EnrollmentToken {
            token: token.token.to_string(),
            expires_at: token.expires_at,
        }))
    }

    async fn set_node_status(&self, request: Request<pb::SetNodeStatusRequest>) -> Reply<pb::Node> {
        let r = request.get_ref();
        let status = match r.status() {
            pb::NodeStatus::Active => NodeStatus::Active,
            pb::NodeStatus::Suspended => NodeStatus::Suspended,
            pb::NodeStatus::Revoked => NodeStatus::Revoked,
            pb::NodeStatus::Pending | pb::NodeStatus::Unspecified => {
                return Err(Status::invalid_argument(
                    "status must be ACTIVE (reinstate), SUSPENDED or REVOKED",
                ));
            }
        };
        let node = self
            .directory
            .set_node_status(&r.id, status, &r.reason)
            .await?;
        Ok(Response::new(node_message(node)))
    }

    async fn get_node(&self, request: Request<pb::GetNodeRequest>) -> Reply<pb::Node> {
        let node = self.directory.node(&request.get_ref().id).await?;
        Ok(Response::new(node_message(node)))
    }

    async fn list_nodes(
        &self,
        _request: Request<pb::ListNodesRequest>,
    ) -> Reply<pb::ListNodesResponse> {
        let nodes = self.directory.nodes().await?;
        Ok(Response::new(pb::ListNodesResponse {
            nodes: nodes.into_iter().map(node_message).collect(),
        }))
    }

    async fn probe_node(
        &self,
        request: Request<pb::ProbeNodeRequest>,
    ) -> Reply<pb::ProbeNodeResponse> {
        let node = self.directory.node(&request.get_ref().id).await?;
        let mut client = self.dialer.dial(&node)?;
        let started = Instant::now();
        let reply = client
            .probe(ProbeRequest {})
            .await
            .map_err(|e| {
                LocatorError::Unavailable(format!(
                    "node `{}` at {} did not answer: {}",
                    node.id,
                    node.endpoint,
                    e.message()
                ))
            })?
            .into_inner();
        Ok(Response::new(pb::ProbeNodeResponse {
            identity: format!("node/{}", reply.node_id),
            tenants: reply.tenants,
            round_trip_micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        }))
    }

    async fn locate_patient(
        &self,
        request: Request<pb::LocatePatientRequest>,
    ) -> Reply<pb::LocatePatientResponse> {
        let r = request.get_ref();
        let located = self.registry.locate(&r.tenant, &r.local_id).await?;
        Ok(Response::new(location(located)))
    }

    async fn find_patient(
        &self,
        request: Request<pb::FindPatientRequest>,
    ) -> Reply<pb::FindPatientResponse> {
        let r = request.get_ref();
        let limit = match r.limit {
            0 => 10,
            n => n as usize,
        };
        let found = self.registry.find(&r.demographics_json, limit).await?;
        Ok(Response::new(pb::FindPatientResponse {
            matches: found
                .into_iter()
                .map(|f| pb::PersonMatch {
                    person_id: f.candidate.person,
                    band: band_name(f.candidate.band).to_owned(),
                    score: f.candidate.score,
                    explanation_json: f.candidate.explanation,
                    locations: f.locations.into_iter().map(patient_location).collect(),
                })
                .collect(),
        }))
    }

    async fn list_review_items(
        &self,
        request: Request<pb::ListReviewItemsRequest>,
    ) -> Reply<pb::ListReviewItemsResponse> {
        let status = match request.get_ref().status.as_str() {
            "" | "open" => Some("open"),
            "linked" => Some("linked"),
            "rejected" => Some("rejected"),
            "all" => None,
            other => {
                return Err(Status::invalid_argument(format!(
                    "status `{other}`: use open, linked, rejected or all"
                )));
            }
        };
        let items = self.registry.review_items(status).await?;
        Ok(Response::new(pb::ListReviewItemsResponse {
            items: items.into_iter().map(review_item).collect(),
        }))
    }

    async fn resolve_review_item(
        &self,
        request: Request<pb::ResolveReviewItemRequest>,
    ) -> Reply<pb::ReviewItem> {
        let r = request.get_ref();
        let resolution = match r.resolution() {
            pb::ReviewResolution::Link => Resolution::Link,
            pb::ReviewResolution::Reject => Resolution::Reject,
            pb::ReviewResolution::Unspecified => {
                return Err(Status::invalid_argument(
                    "resolution must be LINK or REJECT",
                ));
            }
        };
        let item = self
            .registry
            .resolve_review(&r.id, resolution, &r.note)
            .await?;
        Ok(Response::new(review_item(item)))
    }

    async fn link_patient(
        &self,
        request: Request<pb::LinkPatientRequest>,
    ) -> Reply<pb::LocatePatientResponse> {
        let r = request.get_ref();
        let located = self
            .registry
            .link(&r.tenant, &r.local_id, &r.person_id, &r.note)
            .await?;
        Ok(Response::new(location(located)))
    }

    async fn unlink_patient(
        &self,
        request: Request<pb::UnlinkPatientRequest>,
    ) -> Reply<pb::LocatePatientResponse> {
        let r = request.get_ref();
        let located = self
            .registry
            .unlink(&r.tenant, &r.local_id, &r.note)
            .await?;
        Ok(Response::new(location(located)))
    }

    async fn feed_status(
        &self,
        request: Request<pb::FeedStatusRequest>,
    ) -> Reply<pb::FeedStatusResponse> {
        let events_applied = self
            .registry
            .events_applied(&request.get_ref().node_id)
            .await?;
        Ok(Response::new(pb::FeedStatusResponse { events_applied }))
    }

    async fn list_events(
        &self,
        request: Request<pb::ListEventsRequest>,
    ) -> Reply<pb::ListEventsResponse> {
        let limit = match request.get_ref().limit {
            0 => 100,
            n => u64::from(n.min(10_000)),
        };
        let events = self.directory.events(limit).await?;
        Ok(Response::new(pb::ListEventsResponse {
            events: events
                .into_iter()
                .map(|e| pb::DirectoryEvent {
                    at: e.at,
                    actor: e.actor,
                    action: e.action,
                    subject: e.subject,
                    detail: e.detail,
                })
                .collect(),
        }))
    }
}

fn ttl(seconds: u64) -> Result<Option<Duration>, Status> {
    if seconds == 0 {
        return Ok(None);
    }
    i64::try_from(seconds)
        .ok()
        .and_then(Duration::try_seconds)
        .map(Some)
        .ok_or_else(|| Status::invalid_argument("token_ttl_seconds is too large"))
}

fn kind_from(kind: pb::OrganizationKind) -> Result<Option<OrganizationKind>, Status> {
    Ok(match kind {
        pb::OrganizationKind::Unspecified => None,
        pb::OrganizationKind::Clinic => Some(OrganizationKind::Clinic),
        pb::OrganizationKind::Hospital => Some(OrganizationKind::Hospital),
        pb::OrganizationKind::Lab => Some(OrganizationKind::Lab),
        pb::OrganizationKind::Pharmacy => Some(OrganizationKind::Pharmacy),
        pb::OrganizationKind::Imaging => Some(OrganizationKind::Imaging),
        pb::OrganizationKind::Other => Some(OrganizationKind::Other),
    })
}

fn organization(org: Organization) -> pb::Organization {
    let kind = match org.kind {
        OrganizationKind::Clinic => pb::OrganizationKind::Clinic,
        OrganizationKind::Hospital => pb::OrganizationKind::Hospital,
        OrganizationKind::Lab => pb::OrganizationKind::Lab,
        OrganizationKind::Pharmacy => pb::OrganizationKind::Pharmacy,
        OrganizationKind::Imaging => pb::OrganizationKind::Imaging,
        OrganizationKind::Other => pb::OrganizationKind::Other,
    };
    let status = match org.status {
        OrganizationStatus::Active => pb::OrganizationStatus::Active,
        OrganizationStatus::Suspended => pb::OrganizationStatus::Suspended,
    };
    pb::Organization {
        id: org.id,
        display_name: org.display_name,
        kind: kind.into(),
        contact: org.contact,
        status: status.into(),
        node_id: org.node_id.unwrap_or_default(),
        created_at: org.created_at,
        updated_at: org.updated_at,
        sensitivity: org.sensitivity.codes(),
    }
}

fn node_message(node: Node) -> pb::Node {
    let status = match node.status {
        NodeStatus::Pending => pb::NodeStatus::Pending,
        NodeStatus::Active => pb::NodeStatus::Active,
        NodeStatus::Suspended => pb::NodeStatus::Suspended,
        NodeStatus::Revoked => pb::NodeStatus::Revoked,
    };
    pb::Node {
        id: node.id.to_string(),
        endpoint: node.endpoint,
        tenants: node.tenants,
        status: status.into(),
        certificates: node
            .certificates
            .into_iter()
            .map(|c| pb::Certificate {
                revoked: c.revoked_at.is_some(),
                serial: c.serial,
                not_before: c.not_before,
                not_after: c.not_after,
            })
            .collect(),
        last_seen: node.last_seen.unwrap_or_default(),
        created_at: node.created_at,
        updated_at: node.updated_at,
    }
}

fn patient_location(registration: Registration) -> pb::PatientLocation {
    pb::PatientLocation {
        tenant: registration.tenant,
        local_id: registration.local_id,
        status: registration.status,
    }
}

fn location(located: Located) -> pb::LocatePatientResponse {
    let (band, score) = located
        .decision
        .map_or(("", 0.0), |d| (band_name(d.band), d.score));
    pb::LocatePatientResponse {
        person_id: located.person,
        band: band.to_owned(),
        score,
        locations: located
            .locations
            .into_iter()
            .map(patient_location)
            .collect(),
        history: located
            .history
            .into_iter()
            .map(|h| pb::LinkEvent {
                at: h.at,
                action: h.action,
                person_id: h.person,
                actor: h.actor,
                detail: h.detail,
            })
            .collect(),
    }
}

fn review_item(item: ReviewItem) -> pb::ReviewItem {
    pb::ReviewItem {
        id: item.id,
        tenant: item.tenant,
        local_id: item.local_id,
        candidate_person_id: item.candidate_person,
        score: item.score,
        explanation_json: item.explanation,
        status: item.status,
        created_at: item.created_at,
        resolved_at: item.resolved_at.unwrap_or_default(),
        resolved_by: item.resolved_by.unwrap_or_default(),
        note: item.note.unwrap_or_default(),
    }
}

fn break_glass_message(item: BreakGlassItem) -> pb::BreakGlassReview {
    let a = item.access;
    pb::BreakGlassReview {
        access_id: a.id,
        person_id: a.person_id,
        requester_tenant: a.requester_tenant,
        practitioner_id: a.practitioner_id,
        reason: a.reason,
        opened_at: a.opened_at,
        expires_at: a.expires_at,
        disclosure_ids: item.disclosure_ids,
        released: u32::try_from(item.released).unwrap_or(u32::MAX),
        status: a.review_status,
        reviewed_by: a.reviewed_by,
        reviewed_at: a.reviewed_at,
        note: a.review_note,
    }
}
