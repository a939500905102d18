//! The node's mutual-TLS link to the locator.
//!
//! After each renewal the link opens a new channel: calls already in flight
//! finish on the old connection, and every new call uses a connection made
//! with the new certificate, so rotation never fails a call.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};

use continuum_mesh::tls::{
    NodeId, PendingKey, ServerIdentityVerifier, TrustBundle, Workload, WorkloadCredentials,
    WorkloadFiles, channel, client_config,
};
use continuum_proto::locator::v1::network_client::NetworkClient;
use continuum_proto::locator::v1::registry_client::RegistryClient;
use continuum_proto::locator::v1::sharing_client::SharingClient;

/// Largest fetch answer accepted from the locator (a whole outside record).
const MAX_FETCH_BYTES: usize = 256 * 1024 * 1024;
use continuum_proto::locator::v1::{HeartbeatRequest, HeartbeatResponse, RenewRequest};
use tonic::transport::Channel;

use super::NetworkError;

/// The longest a locator replica takes to learn of a directory change
/// (its `roster_refresh_millis` is at most 5,000).
const REPLICA_PROPAGATION: Duration = Duration::from_secs(5);

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

    /// A client of the locator's registry (the patient feed) over the current channel.
    pub fn registry(&self) -> RegistryClient<Channel> {
        RegistryClient::new(
            self.channel
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }

    /// A client of the locator's sharing API (consent, fetch) over the current channel.
    pub fn sharing(&self) -> SharingClient<Channel> {
        SharingClient::new(
            self.channel
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
        .max_decoding_message_size(MAX_FETCH_BYTES)
    }

    pub async fn heartbeat(&self, tenants: Vec<String>) -> Result<HeartbeatResponse, NetworkError> {
        let request = HeartbeatRequest {
            tenants,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        Ok(self.client().heartbeat(request).await?.into_inner())
    }

    /// Get a certificate for a new key, keep both on disk, and present them
    /// once every locator replica knows the new certificate.
    ///
    /// Replicas learn of a certificate another replica issued on their next
    /// directory refresh (at most 5 s), so the new pair is put to use after
    /// that long, or after half of what is left of the current certificate's
    /// life, whichever is sooner; the current one stays valid meanwhile.
    pub async fn renew(&self, now: DateTime<Utc>) -> Result<(), NetworkError> {
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
        let remaining = (self.credentials.identity().not_after - now)
            .to_std()
            .unwrap_or_default();
        tokio::time::sleep(REPLICA_PROPAGATION.min(remaining / 2)).await;
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
