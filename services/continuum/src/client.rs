//! A clinical API client for the command-line tools: connects to a node and
//! sends the tenant and credential with every call.

use clap::Args;
use continuum_proto::node::v1::clinical_client::ClinicalClient;
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};

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
    /// The tenant's service credential.
    #[arg(long, env = "CONTINUUM_TOKEN", hide_env_values = true)]
    pub token: String,
}

pub type Client = ClinicalClient<
    InterceptedService<Channel, Box<dyn FnMut(Request<()>) -> Result<Request<()>, Status> + Send>>,
>;

impl NodeTarget {
    pub async fn connect(&self) -> anyhow::Result<Client> {
        let channel = Endpoint::from_shared(self.node.clone())?
            .connect()
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach the node at {}: {e}", self.node))?;
        let tenant: MetadataValue<_> = self.tenant.parse()?;
        let bearer: MetadataValue<_> = format!("Bearer {}", self.token).parse()?;
        let authorize: Box<dyn FnMut(Request<()>) -> Result<Request<()>, Status> + Send> =
            Box::new(move |mut request: Request<()>| {
                request
                    .metadata_mut()
                    .insert("continuum-tenant", tenant.clone());
                request
                    .metadata_mut()
                    .insert("authorization", bearer.clone());
                Ok(request)
            });
        Ok(ClinicalClient::with_interceptor(channel, authorize)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES))
    }
}
