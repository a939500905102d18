//! Calling nodes' federation APIs over mutual TLS, as the locator: the
//! node's certificate must name exactly the node the directory expects at
//! that endpoint.

use std::sync::Arc;

use continuum_mesh::tls::{
    ServerIdentityVerifier, TrustBundle, Workload, WorkloadCredentials, channel, client_config,
};
use continuum_proto::node::v1::federation_client::FederationClient;
use tonic::transport::Channel;

use crate::LocatorError;
use crate::directory::model::Node;

#[derive(Debug, Clone)]
pub struct NodeDialer {
    bundle: TrustBundle,
    credentials: Arc<WorkloadCredentials>,
}

impl NodeDialer {
    pub fn new(bundle: TrustBundle, credentials: Arc<WorkloadCredentials>) -> Self {
        Self {
            bundle,
            credentials,
        }
    }

    /// A client for `node`'s federation API.
    pub fn dial(&self, node: &Node) -> Result<FederationClient<Channel>, LocatorError> {
        let verifier = ServerIdentityVerifier::new(&self.bundle, Workload::Node(node.id.clone()));
        let config = client_config(verifier, Some(self.credentials.clone()))?;
        Ok(FederationClient::new(channel(&node.endpoint, config)?))
    }
}
