//! The federation API: what the locator calls on a node. Nothing but the
//! locator's certificate opens it.

use std::sync::Arc;

use continuum_consent::Grant;
use continuum_mesh::clock::Clock;
use continuum_mesh::tls::{NodeId, PeerVerifier, Workload};
use continuum_proto::node::v1::federation_server::Federation;
use continuum_proto::node::v1::{DiscloseRequest, DisclosedResource, ProbeRequest, ProbeResponse};
use futures::Stream;
use std::pin::Pin;

use crate::records::Records;
use crate::store::Disclosure;
use crate::tenant::Tenants;
use tonic::service::Interceptor;
use tonic::{Request, Response, Status};

/// Refuses every caller but the network's locator.
#[derive(Debug, Clone)]
pub struct LocatorOnly {
    peers: Arc<PeerVerifier>,
    clock: Arc<dyn Clock>,
}

impl LocatorOnly {
    pub fn new(peers: Arc<PeerVerifier>, clock: Arc<dyn Clock>) -> Self {
        Self { peers, clock }
    }
}

impl Interceptor for LocatorOnly {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let cert = self.peers.caller(&request, self.clock.now())?;
        match &cert.id.workload {
            Workload::Locator => Ok(request),
            Workload::Node(other) => {
                tracing::warn!(caller = %other, "federation call from a node refused");
                Err(Status::permission_denied(format!(
                    "the federation API answers only the locator, not node `{other}`"
                )))
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct FederationApi {
    node: NodeId,
    tenants: Tenants,
    records: Records,
}

impl FederationApi {
    pub fn new(node: NodeId, tenants: Tenants, records: Records) -> Self {
        Self {
            node,
            tenants,
            records,
        }
    }
}

type ResourceStream = Pin<Box<dyn Stream<Item = Result<DisclosedResource, Status>> + Send>>;

#[tonic::async_trait]
impl Federation for FederationApi {
    async fn probe(
        &self,
        _request: Request<ProbeRequest>,
    ) -> Result<Response<ProbeResponse>, Status> {
        Ok(Response::new(ProbeResponse {
            node_id: self.node.to_string(),
            tenants: self.tenants.iter().map(|(id, _)| id.to_string()).collect(),
        }))
    }

    type DiscloseStream = ResourceStream;

    async fn disclose(
        &self,
        request: Request<DiscloseRequest>,
    ) -> Result<Response<Self::DiscloseStream>, Status> {
        let r = request.into_inner();
        let tenant = self.tenants.resolve(&r.tenant)?;
        let grant = r
            .grant
            .as_ref()
            .ok_or_else(|| Status::invalid_argument("a disclosure needs the consent grant"))
            .and_then(|g| {
                Grant::try_from(g).map_err(|e| Status::invalid_argument(e.to_string()))
            })?;
        if r.local_ids.is_empty() || r.disclosure_id.is_empty() {
            return Err(Status::invalid_argument(
                "a disclosure names its id and the patient's local ids",
            ));
        }
        let disclosure = Disclosure {
            disclosure_id: r.disclosure_id,
            at: String::new(),
            patient_ids: r.local_ids,
            requester_tenant: r.requester_tenant,
            practitioner_id: r.practitioner_id,
            practitioner_name: r.practitioner_name,
            practitioner_role: r.practitioner_role,
            practitioner_professional_id: r.practitioner_professional_id,
            purpose: r.purpose,
            break_glass: r.break_glass,
            break_glass_reason: r.break_glass_reason,
            released: Vec::new(),
        };
        let released = self
            .records
            .disclose(&tenant, disclosure, &r.resource_types, &grant)
            .await?;
        let stream = tokio_stream::iter(released.into_iter().map(|resource| {
            Ok(DisclosedResource {
                resource_json: resource.to_string(),
            })
        }));
        Ok(Response::new(Box::pin(stream)))
    }
}
