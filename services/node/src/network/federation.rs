//! The federation API: what the locator calls on a node. Nothing but the
//! locator's certificate opens it.

use std::sync::Arc;

use continuum_mesh::clock::Clock;
use continuum_mesh::tls::{NodeId, PeerVerifier, Workload};
use continuum_proto::node::v1::federation_server::Federation;
use continuum_proto::node::v1::{ProbeRequest, ProbeResponse};
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
    tenants: Vec<String>,
}

impl FederationApi {
    pub fn new(node: NodeId, tenants: Vec<String>) -> Self {
        Self { node, tenants }
    }
}

#[tonic::async_trait]
impl Federation for FederationApi {
    async fn probe(
        &self,
        _request: Request<ProbeRequest>,
    ) -> Result<Response<ProbeResponse>, Status> {
        Ok(Response::new(ProbeResponse {
            node_id: self.node.to_string(),
            tenants: self.tenants.clone(),
        }))
    }
}
