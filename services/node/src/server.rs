//! Starting a node: open the store and each tenant's release ledger, serve
//! the clinical API, sign ledger checkpoints, and, in a network, serve the
//! federation API with heartbeats and certificate renewal.

use std::net::SocketAddr;

use continuum_mesh::clock::Environment;
use continuum_proto::node::v1::clinical_server::ClinicalServer;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

use continuum_mesh::serve::{Running, Shutdown};
use continuum_mesh::tls::{
    PeerVerifier, WorkloadFiles, renew_periodically, server_config, tls_incoming,
};
use continuum_proto::node::v1::federation_server::FederationServer;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::TcpIncoming;
use tower::Layer;

use continuum_identity::Mode;

use crate::api::{AuthLayer, Authenticator, ClinicalApi, SharingCalls};
use crate::config::NetworkConfig;
use crate::network::{FederationApi, LocatorLink, LocatorOnly};
use crate::records::Records;
use crate::store::{Checkpoints, Store};
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
    /// Where the federation API listens, when the node is in a network.
    pub federation_addr: Option<SocketAddr>,
    tasks: Running,
    /// Signs a last checkpoint once the node has stopped serving.
    checkpoints: Option<Checkpoints>,
}

impl RunningNode {
    /// Wait until the server ends (after [`RunningNode::stop`] or a fatal error).
    pub async fn wait(self) -> Result<(), NodeError> {
        self.tasks
            .wait()
            .await
            .map_err(|e| NodeError::Serve(e.to_string()))
    }

    /// Stop accepting calls, finish the ones in flight, sign a checkpoint of
    /// what they released, and return.
    pub async fn stop(self) -> Result<(), NodeError> {
        let stopped = self
            .tasks
            .stop()
            .await
            .map_err(|e| NodeError::Serve(e.to_string()));
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.sign().await;
        }
        stopped
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
    let mut store = Store::open(&config.database_url()).await?;
    let tenants = Tenants::new(&config.tenants);
    store
        .sync_tenants(tenants.iter().map(|(id, c)| (id, c.name.as_str())))
        .await?;
    store
        .open_ledgers(tenants.iter().map(|(id, _)| id), env.clock.clone())
        .await?;
    let checkpoints = match config.ledger_checkpoint_secs {
        0 => None,
        _ => {
            let path = config.ledger_key_path();
            let key = continuum_ledger::LedgerKey::open_or_generate(&path).map_err(|e| {
                NodeError::Serve(format!(
                    "{e} (the key signing ledger checkpoints lives in data_dir; \
                     ledger_checkpoint_secs = 0 signs none)"
                ))
            })?;
            Some(Checkpoints::new(store.ledgers().clone(), key))
        }
    };
    let records = Records::new(store.clone(), env.clone(), config.public_url());
    let link = match &config.network {
        Some(network) => Some(open_link(config, network)?),
        None => None,
    };
    let sharing = SharingCalls::new(records.clone(), env.clone(), link.clone());

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| NodeError::Serve(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| NodeError::Serve(e.to_string()))?;
    let clinical = ClinicalServer::new(ClinicalApi::new(records.clone(), sharing))
        .max_decoding_message_size(config.max_message_bytes)
        .max_encoding_message_size(config.max_message_bytes);
    let mode = if config.development {
        Mode::Development
    } else {
        Mode::Production
    };
    let auth = Authenticator::new(tenants, mode)?;
    auth.discover().await;
    let clinical = AuthLayer::new(auth).layer(clinical);

    // Whole records and bundles are hundreds of kilobytes: without NODELAY a
    // response's last segment waits on the peer's delayed ACK (~40 ms), and
    // HTTP/2's default 64 KiB windows would stall every large message.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let mut tasks = Running::default();
    let shutdown = tasks.shutdown();
    let router = tonic::transport::Server::builder()
        .initial_stream_window_size(STREAM_WINDOW_BYTES)
        .initial_connection_window_size(CONNECTION_WINDOW_BYTES)
        .add_service(clinical);
    tasks.spawn("clinical api", async move {
        router
            .serve_with_incoming_shutdown(incoming, shutdown.requested())
            .await
            .map_err(|e| e.to_string())
    });
    tracing::info!(%addr, tenants = config.tenants.len(), "node serving the clinical API");
    if let Some(checkpoints) = &checkpoints {
        tasks.spawn(
            "ledger checkpoints",
            sign_checkpoints(
                checkpoints.clone(),
                Duration::from_secs(config.ledger_checkpoint_secs),
                tasks.shutdown(),
            ),
        );
    }
    let federation_addr = match (&config.network, link) {
        (Some(network), Some(link)) => {
            Some(join_network(config, network, &env, (store, records), link, &mut tasks).await?)
        }
        _ => None,
    };
    Ok(RunningNode {
        addr,
        federation_addr,
        tasks,
        checkpoints,
    })
}

/// The node's mutual-TLS link to the locator, from its enrolled identity.
fn open_link(config: &NodeConfig, network: &NetworkConfig) -> Result<Arc<LocatorLink>, NodeError> {
    let files = WorkloadFiles::new(config.tls_dir());
    if !files.exists() {
        return Err(NodeError::Serve(format!(
            "this node is not enrolled in the network (nothing in {}): run \
             `continuum node enroll --token <token from the operator>` first",
            files.dir().display()
        )));
    }
    Ok(Arc::new(
        LocatorLink::open(&network.locator, files)
            .map_err(|e| NodeError::Serve(format!("network identity: {e}")))?,
    ))
}

/// Serve the federation API (to the locator only), heartbeat, and keep the
/// node's certificate renewed.
async fn join_network(
    config: &NodeConfig,
    network: &NetworkConfig,
    env: &Environment,
    (store, records): (Store, Records),
    link: Arc<LocatorLink>,
    tasks: &mut Running,
) -> Result<SocketAddr, NodeError> {
    let node_id = link
        .node_id()
        .ok_or_else(|| NodeError::Serve("the enrolled certificate is not a node's".into()))?;
    let tenants: Vec<String> = config.tenants.iter().map(|t| t.id.clone()).collect();

    let listener = TcpListener::bind(network.federation_listen)
        .await
        .map_err(|e| {
            NodeError::Serve(format!(
                "cannot listen on {} (network.federation_listen): {e}",
                network.federation_listen
            ))
        })?;
    let federation_addr = listener
        .local_addr()
        .map_err(|e| NodeError::Serve(e.to_string()))?;
    let tls = server_config(link.bundle(), link.credentials())
        .map_err(|e| NodeError::Serve(e.to_string()))?;
    let peers = PeerVerifier::new(link.bundle()).map_err(|e| NodeError::Serve(e.to_string()))?;
    let federation = InterceptedService::new(
        FederationServer::new(FederationApi::new(
            node_id.clone(),
            Tenants::new(&config.tenants),
            records,
        )),
        LocatorOnly::new(peers, env.clock.clone()),
    );
    let router = tonic::transport::Server::builder().add_service(federation);
    let shutdown = tasks.shutdown();
    tasks.spawn("federation api", async move {
        router
            .serve_with_incoming_shutdown(tls_incoming(listener, tls), shutdown.requested())
            .await
            .map_err(|e| e.to_string())
    });
    tasks.spawn(
        "heartbeat",
        heartbeat(
            link.clone(),
            tenants,
            Duration::from_secs(network.heartbeat_secs),
            tasks.shutdown(),
        ),
    );
    let tenant_ids = Tenants::new(&config.tenants)
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    tasks.spawn(
        "patient feed",
        crate::network::publish(link.clone(), store, tenant_ids, tasks.shutdown()),
    );
    let (renewing, clock) = (link.clone(), env.clock.clone());
    tasks.spawn(
        "certificate renewal",
        renew_periodically(
            link.credentials(),
            env.clock.clone(),
            tasks.shutdown(),
            move || {
                let (link, now) = (renewing.clone(), clock.now());
                async move { link.renew(now).await.map_err(|e| e.to_string()) }
            },
        ),
    );
    tracing::info!(node = %node_id, %federation_addr, locator = %network.locator, "node joined the network");
    Ok(federation_addr)
}

/// Sign checkpoints of the tenants' release ledgers every `every`.
async fn sign_checkpoints(
    checkpoints: Checkpoints,
    every: Duration,
    shutdown: Shutdown,
) -> Result<(), String> {
    let stop = shutdown.requested();
    tokio::pin!(stop);
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut stop => return Ok(()),
            _ = ticks.tick() => {}
        }
        checkpoints.sign().await;
    }
}

async fn heartbeat(
    link: Arc<LocatorLink>,
    tenants: Vec<String>,
    every: Duration,
    shutdown: Shutdown,
) -> Result<(), String> {
    let stop = shutdown.requested();
    tokio::pin!(stop);
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut stop => return Ok(()),
            _ = ticks.tick() => {}
        }
        match link.heartbeat(tenants.clone()).await {
            Ok(_) => tracing::debug!("heartbeat accepted"),
            Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
        }
    }
}
