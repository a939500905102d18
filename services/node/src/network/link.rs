//! The node's mutual-TLS link to the locator.
//!
//! After each renewal the link opens a new channel: calls already in flight
//! finish on the old connection, and every new call uses a connection made
//! with the new certificate, so rotation never fails a call.

use std::sync::{Arc, RwLock};

use continuum_mesh::tls::{
    NodeId, PendingKey, ServerIdentityVerifier, TrustBundle, Workload, WorkloadCredentials,
    WorkloadFiles, channel, client_config,
};
use continuum_proto::locator::v1::network_client::NetworkClient;
use continuum_proto::locator::v1::{HeartbeatRequest, HeartbeatResponse, RenewRequest};
use tonic::transport::Channel;

use super::NetworkError;

#[derive(Debug)]
pub struct LocatorLink {
    address: String,
    files: WorkloadFiles,
    bundle: TrustBundle,
    credentials: Arc<WorkloadCredentials>,
    channel: RwLock<Channel>,
}

impl LocatorLink {
    /// Load the node's enrolled identity from `files` and prepare (lazily) a
    /// channel to the locator at `address`.
    pub fn open(address: &str, files: WorkloadFiles) -> Result<Self, NetworkError> {
        let (credentials, bundle) = files.load()?;
        let credentials = Arc::new(credentials);
        let channel = connect(address, &bundle, &credentials)?;
        Ok(Self {
            address: address.to_owned(),
            files,
            bundle,
            credentials,
            channel: RwLock::new(channel),
        })
    }

    pub fn credentials(&self) -> Arc<WorkloadCredentials> {
        self.credentials.clone()
    }

    pub fn bundle(&self) -> &TrustBundle {
        &self.bundle
    }

    /// The node id this node's certificate carries.
    pub fn node_id(&self) -> Option<NodeId> {
        match self.credentials.identity().id.workload {
            Workload::Node(id) => Some(id),
            Workload::Locator => None,
        }
    }

    /// A client over the current channel.
    pub fn client(&self) -> NetworkClient<Channel> {
        NetworkClient::new(
            self.channel
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }

    pub async fn heartbeat(&self, tenants: Vec<String>) -> Result<HeartbeatResponse, NetworkError> {
        let request = HeartbeatRequest {
            tenants,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        Ok(self.client().heartbeat(request).await?.into_inner())
    }

    /// Get a certificate for a new key, keep both on disk, present them from
    /// now on.
    pub async fn renew(&self) -> Result<(), NetworkError> {
        let key = PendingKey::generate()?;
        let issued = self
            .client()
            .renew(RenewRequest {
                csr_pem: key.csr_pem().to_owned(),
            })
            .await?
            .into_inner();
        // Validate before writing: a bad answer leaves the current pair in place.
        WorkloadCredentials::new(&key.key_pem(), &issued.certificate_pem, &self.bundle)?;
        let ca_pem = std::fs::read_to_string(self.files.dir().join("ca.pem"))
            .map_err(|e| NetworkError::BadAnswer(format!("trust bundle: {e}")))?;
        self.files
            .save(&key.key_pem(), &issued.certificate_pem, &ca_pem)?;
        self.credentials
            .replace(&key.key_pem(), &issued.certificate_pem, &self.bundle)?;
        let fresh = connect(&self.address, &self.bundle, &self.credentials)?;
        *self.channel.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }
}

fn connect(
    address: &str,
    bundle: &TrustBundle,
    credentials: &Arc<WorkloadCredentials>,
) -> Result<Channel, NetworkError> {
    let verifier = ServerIdentityVerifier::new(bundle, Workload::Locator);
    Ok(channel(
        address,
        client_config(verifier, Some(credentials.clone()))?,
    )?)
}
