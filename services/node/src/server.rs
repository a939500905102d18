//! Starting a node: open the store, then serve the clinical API.

use std::net::SocketAddr;

use continuum_mesh::clock::Environment;
use continuum_proto::node::v1::clinical_server::ClinicalServer;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::TcpIncoming;

use crate::api::{ClinicalApi, ServiceCredentialAuth};
use crate::records::Records;
use crate::store::Store;
use crate::tenant::Tenants;
use crate::{NodeConfig, NodeError};

/// HTTP/2 flow-control windows: large enough for a whole exported record.
pub const STREAM_WINDOW_BYTES: u32 = 4 * 1024 * 1024;
pub const CONNECTION_WINDOW_BYTES: u32 = 16 * 1024 * 1024;

/// A node that is serving; dropping it does not stop it, [`RunningNode::stop`] does.
#[derive(Debug)]
pub struct RunningNode {
    /// Where the clinical API listens (the OS's choice when configured with port 0).
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl RunningNode {
    /// Wait until the server ends (after [`RunningNode::stop`] or a fatal error).
    pub async fn wait(self) -> Result<(), NodeError> {
        let RunningNode { stop, task, .. } = self;
        let _keep_open = stop;
        finish(task).await
    }

    /// Stop accepting calls, finish the ones in flight, and return.
    pub async fn stop(self) -> Result<(), NodeError> {
        let _ = self.stop.send(());
        finish(self.task).await
    }
}

async fn finish(task: JoinHandle<Result<(), tonic::transport::Error>>) -> Result<(), NodeError> {
    match task.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(NodeError::Serve(e.to_string())),
        Err(e) => Err(NodeError::Serve(format!("server task: {e}"))),
    }
}

/// Open the node's store and serve its clinical API.
pub async fn serve(config: &NodeConfig, env: Environment) -> Result<RunningNode, NodeError> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            NodeError::Serve(format!(
                "cannot create data_dir {}: {e}",
                config.data_dir.display()
            ))
        })?;
    }
    let store = Store::open(&config.database_url()).await?;
    let tenants = Tenants::new(&config.tenants);
    store
        .sync_tenants(tenants.iter().map(|(id, c)| (id, c.name.as_str())))
        .await?;
    let records = Records::new(store, env, config.public_url());

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| NodeError::Serve(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| NodeError::Serve(e.to_string()))?;
    let clinical = ClinicalServer::new(ClinicalApi::new(records))
        .max_decoding_message_size(config.max_message_bytes)
        .max_encoding_message_size(config.max_message_bytes);
    let clinical = InterceptedService::new(clinical, ServiceCredentialAuth::new(tenants));

    // Whole records and bundles are hundreds of kilobytes: without NODELAY a
    // response's last segment waits on the peer's delayed ACK (~40 ms), and
    // HTTP/2's default 64 KiB windows would stall every large message.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(
        tonic::transport::Server::builder()
            .initial_stream_window_size(STREAM_WINDOW_BYTES)
            .initial_connection_window_size(CONNECTION_WINDOW_BYTES)
            .add_service(clinical)
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            }),
    );
    tracing::info!(%addr, tenants = config.tenants.len(), "node serving the clinical API");
    Ok(RunningNode { addr, stop, task })
}
