//! Starting the locator: open the directory and the CA, give the locator a
//! certificate of its own (renewed while it runs), and serve its APIs over TLS.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use continuum_mesh::clock::Environment;
use continuum_mesh::serve::{Running, Shutdown};
use continuum_mesh::tls::{
    NetworkCa, PeerVerifier, PendingKey, TrustBundle, WorkloadCredentials, renew_periodically,
    server_config, tls_incoming,
};
use continuum_proto::locator::v1::directory_server::DirectoryServer;
use continuum_proto::locator::v1::enrollment_server::EnrollmentServer;
use continuum_proto::locator::v1::network_server::NetworkServer;
use continuum_proto::locator::v1::registry_server::RegistryServer;
use continuum_proto::locator::v1::sharing_server::SharingServer;
use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;

use crate::api::{AdminApi, NetworkApi, NodeAuth, OperatorAuth, RegistryApi, SharingApi};
use crate::audit::Audit;
use crate::broker::{Broker, Sources};
use crate::consent::Consents;
use crate::directory::{Directory, Lifetimes};
use crate::federation::NodeDialer;
use crate::registry::Registry;
use crate::store::DirectoryStore;
use crate::{LocatorConfig, LocatorError};

/// A locator that is serving.
#[derive(Debug)]
pub struct RunningLocator {
    pub addr: SocketAddr,
    pub directory: Directory,
    tasks: Running,
}

impl RunningLocator {
    pub async fn wait(self) -> Result<(), LocatorError> {
        self.tasks
            .wait()
            .await
            .map_err(|e| LocatorError::Serve(e.to_string()))
    }

    pub async fn stop(self) -> Result<(), LocatorError> {
        self.tasks
            .stop()
            .await
            .map_err(|e| LocatorError::Serve(e.to_string()))
    }
}

pub async fn serve(
    config: &LocatorConfig,
    env: Environment,
) -> Result<RunningLocator, LocatorError> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            LocatorError::Config(format!(
                "cannot create data_dir {}: {e}",
                config.data_dir.display()
            ))
        })?;
    }
    let ca_dir = config.ca_dir();
    if !NetworkCa::exists(&ca_dir) {
        return Err(LocatorError::Config(format!(
            "no network CA in {}; create one with `continuum ca init --dir {}`",
            ca_dir.display(),
            ca_dir.display()
        )));
    }
    let ca = Arc::new(NetworkCa::load(&ca_dir)?);
    let bundle = TrustBundle::from_der(ca.certificate_der().clone(), &ca_dir)?;
    let store = DirectoryStore::open(&config.database_url(), env.clock.clone()).await?;
    let lifetimes = Lifetimes {
        certificate: config.certificate_lifetime(),
        enrollment_token: config.enrollment_token_lifetime(),
    };
    let directory = Directory::new(store.clone(), ca, env.clone(), lifetimes).await?;
    let credentials = Arc::new(own_credentials(&directory, &bundle)?);

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| LocatorError::Config(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| LocatorError::Serve(e.to_string()))?;
    // Enrollment and the operators' API are used without a client
    // certificate; the network API checks its callers' on every call.
    let tls = server_config(&bundle, credentials.clone())?;

    let audit = Audit::open(store.clone(), directory.clone(), &config.ledger_key())?;
    let registry = Registry::open(store.clone(), directory.clone(), env.ids.clone()).await?;
    let dialer = NodeDialer::new(bundle.clone(), credentials.clone());
    let consents = Consents::new(store.clone(), directory.clone());
    let broker = Broker::new(
        store,
        directory.clone(),
        consents.clone(),
        Sources::new(dialer.clone(), config.fetch_concurrency_per_node),
        config.fetch_deadline(),
    );
    let admin = InterceptedService::new(
        DirectoryServer::new(AdminApi::new(
            directory.clone(),
            registry.clone(),
            dialer,
            consents.clone(),
            broker.clone(),
            audit.clone(),
        )),
        OperatorAuth::new(config.operator_credential_sha256.as_deref()),
    );
    let api = NetworkApi::new(directory.clone());
    let network = InterceptedService::new(
        NetworkServer::new(api.clone()),
        NodeAuth::new(
            directory.clone(),
            PeerVerifier::new(&bundle)?,
            env.clock.clone(),
        ),
    );
    let enrollment = EnrollmentServer::new(api);
    let registry = InterceptedService::new(
        RegistryServer::new(RegistryApi::new(registry)),
        NodeAuth::new(
            directory.clone(),
            PeerVerifier::new(&bundle)?,
            env.clock.clone(),
        ),
    );

    let sharing = InterceptedService::new(
        SharingServer::new(SharingApi::new(consents, broker, audit.clone())),
        NodeAuth::new(
            directory.clone(),
            PeerVerifier::new(&bundle)?,
            env.clock.clone(),
        ),
    );

    let mut tasks = Running::default();
    let shutdown = tasks.shutdown();
    let router = tonic::transport::Server::builder()
        .max_connection_age(config.max_connection_age())
        .add_service(admin)
        .add_service(network)
        .add_service(enrollment)
        .add_service(registry)
        .add_service(sharing);
    tasks.spawn("locator api", async move {
        router
            .serve_with_incoming_shutdown(tls_incoming(listener, tls), shutdown.requested())
            .await
            .map_err(|e| e.to_string())
    });
    tasks.spawn(
        "roster refresh",
        refresh_roster(directory.clone(), config.roster_refresh(), tasks.shutdown()),
    );
    let renewing = credentials.clone();
    let (renew_directory, renew_bundle) = (directory.clone(), bundle.clone());
    tasks.spawn(
        "locator certificate renewal",
        renew_periodically(
            credentials,
            env.clock.clone(),
            tasks.shutdown(),
            move || {
                let outcome = renew_own(&renew_directory, &renew_bundle, &renewing);
                async move { outcome }
            },
        ),
    );
    if config.ledger_checkpoint_secs > 0 {
        tasks.spawn(
            "ledger checkpoints",
            audit.clone().checkpoint_periodically(
                Duration::from_secs(config.ledger_checkpoint_secs),
                tasks.shutdown(),
            ),
        );
    }
    tracing::info!(%addr, network = %bundle.network(), key_id = %audit.key().key_id(), "locator serving");
    Ok(RunningLocator {
        addr,
        directory,
        tasks,
    })
}

/// A key generated here and a certificate from our own CA.
fn own_credentials(
    directory: &Directory,
    bundle: &TrustBundle,
) -> Result<WorkloadCredentials, LocatorError> {
    let key = PendingKey::generate()?;
    let cert = directory.issue_own(key.csr_pem())?;
    Ok(WorkloadCredentials::new(&key.key_pem(), &cert.pem, bundle)?)
}

fn renew_own(
    directory: &Directory,
    bundle: &TrustBundle,
    credentials: &WorkloadCredentials,
) -> Result<(), String> {
    let key = PendingKey::generate().map_err(|e| e.to_string())?;
    let cert = directory
        .issue_own(key.csr_pem())
        .map_err(|e| e.to_string())?;
    credentials
        .replace(&key.key_pem(), &cert.pem, bundle)
        .map_err(|e| e.to_string())
}

async fn refresh_roster(
    directory: Directory,
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
        if let Err(e) = directory.refresh().await {
            // Keep enforcing the last view; a database outage must not
            // let revoked nodes back in, nor lock every node out.
            tracing::warn!(error = %e, "directory refresh failed");
        }
    }
}
