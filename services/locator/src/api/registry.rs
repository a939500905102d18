//! The patient feed's endpoint: nodes deliver their outbox here.

use continuum_proto::locator::v1::registry_server::Registry as RegistryService;
use continuum_proto::locator::v1::{
    LocateRequest, LocateResponse, RegisterRequest, RegisterResponse,
};
use tonic::{Request, Response, Status};

use super::auth::authorized_node;
use crate::matching::band_name;
use crate::registry::Registry;
use crate::store::IncomingEvent;

#[derive(Debug, Clone)]
pub struct RegistryApi {
    registry: Registry,
}

impl RegistryApi {
    pub fn new(registry: Registry) -> Self {
        Self { registry }
    }
}

#[tonic::async_trait]
impl RegistryService for RegistryApi {
    async fn register(
        &self,
        request: Request<RegisterRequest>,
    ) -> Result<Response<RegisterResponse>, Status> {
        let node = authorized_node(&request)?;
        let events = request
            .into_inner()
            .events
            .into_iter()
            .map(|e| IncomingEvent {
                seq: e.seq,
                tenant: e.tenant,
                local_id: e.local_id,
                event: e.event,
                demographics_json: e.demographics_json,
            })
            .collect();
        let acknowledged = self.registry.register(&node, events).await?;
        Ok(Response::new(RegisterResponse { acknowledged }))
    }

    async fn locate(
        &self,
        request: Request<LocateRequest>,
    ) -> Result<Response<LocateResponse>, Status> {
        let node = authorized_node(&request)?;
        let r = request.get_ref();
        let own = self
            .registry
            .locate_own(&node, &r.tenant, &r.local_id)
            .await?;
        let (band, score) = own
            .decision
            .map_or(("", 0.0), |d| (band_name(d.band), d.score));
        Ok(Response::new(LocateResponse {
            person_id: own.person,
            band: band.to_owned(),
            score,
            local_ids: own.local_ids,
        }))
    }
}
