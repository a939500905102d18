//! A clinical API client for the command-line tools: connects to a node and
//! sends the tenant and credential with every call.

use clap::Args;
use continuum_proto::CallCredentials;
use continuum_proto::node::v1::AuthorizedClinicalClient;
use continuum_proto::node::v1::clinical_client::ClinicalClient;
use tonic::transport::Endpoint;

/// Largest message the tools send or accept (a whole exported record).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// Where and as whom to call a node.
#[derive(Debug, Clone, Args)]
pub struct NodeTarget {
    /// The node's clinical API.
    #[arg(long, env = "CONTINUUM_NODE", default_value = "http://127.0.0.1:7400")]
    pub node: String,
    /// The tenant (organization) to act for.
    #[arg(long, env = "CONTINUUM_TENANT")]
    pub tenant: String,
    /// A service credential of the tenant, or an access token from its identity provider.
    #[arg(long, env = "CONTINUUM_TOKEN", hide_env_values = true)]
    pub token: String,
}

pub type Client = AuthorizedClinicalClient;

impl NodeTarget {
    pub async fn connect(&self) -> anyhow::Result<Client> {
        let channel = Endpoint::from_shared(self.node.clone())?
            .tcp_nodelay(true)
            .initial_stream_window_size(continuum_node::STREAM_WINDOW_BYTES)
            .initial_connection_window_size(continuum_node::CONNECTION_WINDOW_BYTES)
            .connect()
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach the node at {}: {e}", self.node))?;
        let credentials = CallCredentials::new(&self.tenant, &self.token)?;
        Ok(ClinicalClient::with_interceptor(channel, credentials)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES))
    }
}
