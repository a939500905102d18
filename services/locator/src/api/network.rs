//! What nodes call: enrollment (with a token), renewal and heartbeats (with
//! their certificate).

use continuum_mesh::tls;
use continuum_proto::locator::v1::{
    EnrollRequest, EnrollResponse, HeartbeatRequest, HeartbeatResponse, IssuedCertificate,
    RenewRequest, enrollment_server::Enrollment, network_server::Network,
};
use tonic::{Request, Response, Status};

use super::auth::authorized_node;
use crate::directory::Directory;
use crate::directory::model::timestamp;

#[derive(Debug, Clone)]
pub struct NetworkApi {
    directory: Directory,
}

impl NetworkApi {
    pub fn new(directory: Directory) -> Self {
        Self { directory }
    }
}

fn issued(
    cert: &tls::IssuedCertificate,
    network: &tls::TrustDomain,
    node: &tls::NodeId,
) -> IssuedCertificate {
    IssuedCertificate {
        certificate_pem: cert.pem.clone(),
        serial: cert.serial.clone(),
        not_after: timestamp(cert.validity.not_after),
        identity: tls::SpiffeId::node(network, node).uri(),
    }
}

#[tonic::async_trait]
impl Enrollment for NetworkApi {
    async fn enroll(
        &self,
        request: Request<EnrollRequest>,
    ) -> Result<Response<EnrollResponse>, Status> {
        let request = request.into_inner();
        let (node, cert) = self
            .directory
            .enroll(&request.token, &request.csr_pem)
            .await?;
        let ca = self.directory.ca();
        Ok(Response::new(EnrollResponse {
            certificate: Some(issued(&cert, ca.network(), &node.id)),
            ca_pem: ca.certificate_pem().to_owned(),
            tenants: node.tenants,
        }))
    }
}

#[tonic::async_trait]
impl Network for NetworkApi {
    async fn renew(
        &self,
        request: Request<RenewRequest>,
    ) -> Result<Response<IssuedCertificate>, Status> {
        let node = authorized_node(&request)?;
        let cert = self
            .directory
            .renew(&node, &request.get_ref().csr_pem)
            .await?;
        Ok(Response::new(issued(
            &cert,
            self.directory.ca().network(),
            &node.id,
        )))
    }

    async fn heartbeat(
        &self,
        request: Request<HeartbeatRequest>,
    ) -> Result<Response<HeartbeatResponse>, Status> {
        let node = authorized_node(&request)?;
        self.directory
            .check_tenants(&node, &request.get_ref().tenants, "node.heartbeat")
            .await?;
        self.directory.heartbeat(&node).await?;
        let mut tenants: Vec<String> = node.tenants.iter().cloned().collect();
        tenants.sort();
        Ok(Response::new(HeartbeatResponse {
            server_time: self.directory.now(),
            tenants,
        }))
    }
}
