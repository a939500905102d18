//! The mTLS benchmark: what mutual TLS costs a federation call, measured
//! against the same calls over plaintext TCP.
//!
//! Two federation servers run in this process on a runtime of their own,
//! one behind the mesh's TLS (`server_config` + `tls_incoming`, every call's
//! client certificate checked by a `PeerVerifier` as the node's federation
//! API does), one on plain TCP. The client is the locator: a node
//! certificate serves, a locator certificate calls, both issued by a CA made
//! for the run. Plaintext and mTLS take turns in one-second rounds and each
//! rate is the median round's, so that a disturbance on the machine does
//! not decide the comparison.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use continuum_mesh::clock::{Clock, SystemClock};
use continuum_mesh::tls::{
    NetworkCa, NodeId, PeerVerifier, PendingKey, ServerIdentityVerifier, SpiffeId, TrustBundle,
    TrustDomain, Validity, Workload, WorkloadCredentials, channel, client_config, server_config,
    tls_incoming,
};
use continuum_proto::node::v1::federation_client::FederationClient;
use continuum_proto::node::v1::federation_server::{Federation, FederationServer};
use continuum_proto::node::v1::{DiscloseRequest, DisclosedResource, ProbeRequest, ProbeResponse};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::client::Resumption;
use rustls::pki_types::ServerName;

use crate::stats::{cores, ms, percentile};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server, Uri};
use tonic::{Request, Response, Status};

const NODE: &str = "bench-node";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seconds per measurement: one-second rounds, after a short warm-up.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Calls in flight on one established channel; one measurement each.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 16, 64])]
    pub concurrency: Vec<usize>,
    /// New connections being made at once; one handshake measurement each.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 16])]
    pub handshake_concurrency: Vec<usize>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.seconds > 0, "--seconds must be at least 1");
    anyhow::ensure!(
        args.concurrency
            .iter()
            .chain(&args.handshake_concurrency)
            .all(|&c| c > 0),
        "concurrency levels must be at least 1"
    );
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let dir = tempfile::tempdir()?;
    let pki = Pki::create(dir.path(), clock.now())?;
    let servers = Servers::start(&pki, clock)?;

    let tls = client_config(
        ServerIdentityVerifier::new(&pki.bundle, Workload::Node(pki.node.clone())),
        Some(pki.locator.clone()),
    )?;
    println!(
        "machine: {} cores ({}); each rate is the median of {} one-second rounds, \
         plaintext and mTLS taking turns; client and servers in this process, \
         on separate runtimes",
        cores(),
        std::env::consts::ARCH,
        args.seconds
    );
    println!();
    handshakes(&args, &servers, &tls).await?;
    println!();
    unary_calls(&args, &servers, tls).await
}

/// New connections with one call each: plaintext, mTLS with a full
/// handshake every time, and mTLS resuming sessions as rustls does by default.
async fn handshakes(args: &Args, servers: &Servers, tls: &Arc<ClientConfig>) -> anyhow::Result<()> {
    let (plain_addr, tls_addr) = (servers.plain, servers.tls);
    let mut no_resumption = (**tls).clone();
    no_resumption.resumption = Resumption::disabled();
    let no_resumption = Arc::new(no_resumption);
    println!(
        "| new connection + one call | in flight | connections/s | vs plaintext | p50 ms | p99 ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for &concurrency in &args.handshake_concurrency {
        let full = Arc::new(Handshakes::default());
        let resumed = Arc::new(Handshakes::default());
        let [plain, full_sample, resumed_sample] = compare(
            concurrency,
            args.seconds,
            [
                operation(move || async move { probe(endpoint(plain_addr)?.connect_lazy()).await }),
                new_tls_connection(tls_addr, no_resumption.clone(), full.clone()),
                new_tls_connection(tls_addr, tls.clone(), resumed.clone()),
            ],
        )
        .await?;
        anyhow::ensure!(
            full.resumed() == 0,
            "{} handshakes resumed a session with resumption disabled",
            full.resumed()
        );
        plain.handshake_row("plaintext TCP", concurrency, &plain);
        full_sample.handshake_row("mTLS, full handshake", concurrency, &plain);
        let label = format!(
            "mTLS, resumed session ({:.0}% resumed)",
            100.0 * resumed.resumed() as f64 / resumed.total().max(1) as f64
        );
        resumed_sample.handshake_row(&label, concurrency, &plain);
    }
    Ok(())
}

/// Unary calls on one established channel each, plaintext and mTLS (the
/// mesh's own `channel`).
async fn unary_calls(args: &Args, servers: &Servers, tls: Arc<ClientConfig>) -> anyhow::Result<()> {
    println!(
        "| one channel, unary calls | in flight | plaintext calls/s | mTLS calls/s | mTLS / plaintext | plaintext p50 / p99 ms | mTLS p50 / p99 ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let plain_channel = endpoint(servers.plain)?.connect_lazy();
    let tls_channel = channel(&format!("https://{}", servers.tls), tls)?;
    for &concurrency in &args.concurrency {
        let [plain, mtls] = compare(
            concurrency,
            args.seconds,
            [plain_channel.clone(), tls_channel.clone()]
                .map(|channel| operation(move || probe(channel.clone()))),
        )
        .await?;
        println!(
            "| Probe | {concurrency} | {:.0} | {:.0} | {:.2} | {:.3} / {:.3} | {:.3} / {:.3} |",
            plain.rate(),
            mtls.rate(),
            mtls.rate() / plain.rate(),
            ms(plain.percentile(0.50)),
            ms(plain.percentile(0.99)),
            ms(mtls.percentile(0.50)),
            ms(mtls.percentile(0.99)),
        );
    }
    Ok(())
}

/// The run's network: a CA, the node's credentials (server) and the
/// locator's (client).
struct Pki {
    bundle: TrustBundle,
    node: NodeId,
    node_credentials: Arc<WorkloadCredentials>,
    locator: Arc<WorkloadCredentials>,
}

impl Pki {
    fn create(dir: &Path, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<Self> {
        let network = TrustDomain::new("bench.local")?;
        let ca = NetworkCa::init(dir, &network, now)?;
        let bundle = TrustBundle::from_pem(ca.certificate_pem(), Path::new("ca.pem"))?;
        let issue = |id: SpiffeId| -> anyhow::Result<Arc<WorkloadCredentials>> {
            let key = PendingKey::generate()?;
            let issued = ca.sign_request(
                key.csr_pem(),
                &id,
                Validity::starting(now, chrono::Duration::days(1)),
            )?;
            Ok(Arc::new(WorkloadCredentials::new(
                &key.key_pem(),
                &issued.pem,
                &bundle,
            )?))
        };
        let node = NodeId::new(NODE)?;
        Ok(Self {
            node_credentials: issue(SpiffeId::node(&network, &node))?,
            locator: issue(SpiffeId::locator(&network))?,
            node,
            bundle,
        })
    }
}

/// The federation API with nothing behind it: a fixed answer.
#[derive(Debug, Clone)]
struct FixedFederation;

#[tonic::async_trait]
impl Federation for FixedFederation {
    async fn probe(&self, _: Request<ProbeRequest>) -> Result<Response<ProbeResponse>, Status> {
        Ok(Response::new(ProbeResponse {
            node_id: NODE.to_owned(),
            tenants: vec!["bench-clinic".to_owned()],
        }))
    }

    type DiscloseStream = tokio_stream::Empty<Result<DisclosedResource, Status>>;

    async fn disclose(
        &self,
        _: Request<DiscloseRequest>,
    ) -> Result<Response<Self::DiscloseStream>, Status> {
        Err(Status::unimplemented("this benchmark measures probes only"))
    }
}

/// The two servers, on their own runtime: as in separate processes, the
/// servers' tasks and the client's never share a worker thread's queue.
struct Servers {
    plain: SocketAddr,
    tls: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Servers {
    fn start(pki: &Pki, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("bench-server")
            .build()?;
        let (plain_listener, plain) = listen()?;
        let (tls_listener, tls) = listen()?;

        let router = Server::builder().add_service(FederationServer::new(FixedFederation));
        runtime.spawn(report("plaintext server", async move {
            let incoming =
                TcpIncoming::from(TcpListener::from_std(plain_listener)?).with_nodelay(Some(true));
            router.serve_with_incoming(incoming).await?;
            anyhow::Ok(())
        }));

        // As the node serves its federation API: the mesh's TLS, and every
        // call's client certificate verified and required to be the locator's.
        let config = server_config(&pki.bundle, pki.node_credentials.clone())?;
        let peers = PeerVerifier::new(&pki.bundle)?;
        let locator_only = move |request: Request<()>| {
            let caller = peers.caller(&request, clock.now())?;
            match caller.id.workload {
                Workload::Locator => Ok(request),
                Workload::Node(_) => Err(Status::permission_denied("only the locator may call")),
            }
        };
        let router = Server::builder().add_service(FederationServer::with_interceptor(
            FixedFederation,
            locator_only,
        ));
        runtime.spawn(report("mTLS server", async move {
            let listener = TcpListener::from_std(tls_listener)?;
            router
                .serve_with_incoming(tls_incoming(listener, config))
                .await?;
            anyhow::Ok(())
        }));
        Ok(Self {
            plain,
            tls,
            runtime: Some(runtime),
        })
    }
}

impl Drop for Servers {
    /// Stop serving. A runtime cannot be dropped from async code, but it can
    /// be shut down from there without waiting for its tasks.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Run a server, and say why if it stops (its calls then fail).
async fn report(server: &'static str, serve: impl Future<Output = anyhow::Result<()>>) {
    if let Err(e) = serve.await {
        eprintln!("{server} stopped: {e:#}");
    }
}

/// A listening socket on a free loopback port, for a runtime to adopt.
fn listen() -> anyhow::Result<(std::net::TcpListener, SocketAddr)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// The HTTP/2 settings of `continuum_mesh::tls::channel`, for plain TCP and
/// for the handshake measurements' own connector.
fn endpoint(addr: SocketAddr) -> anyhow::Result<Endpoint> {
    Ok(Endpoint::from_shared(format!("http://{addr}"))?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(10))
        .initial_stream_window_size(Some(4 << 20))
        .initial_connection_window_size(Some(16 << 20)))
}

/// A new mTLS connection with `config` and one call on it, each handshake
/// counted in `handshakes`.
fn new_tls_connection(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    handshakes: Arc<Handshakes>,
) -> Operation {
    operation(move || {
        let channel = counted_tls_channel(addr, config.clone(), handshakes.clone());
        async move { probe(channel?).await }
    })
}

/// A channel that connects the way `continuum_mesh::tls::channel` does, and
/// records in `handshakes` whether each handshake resumed a session.
fn counted_tls_channel(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    handshakes: Arc<Handshakes>,
) -> anyhow::Result<Channel> {
    let connector = TlsConnector::from(config);
    let server_name = ServerName::IpAddress(addr.ip().into());
    Ok(
        endpoint(addr)?.connect_with_connector_lazy(tower::service_fn(move |_: Uri| {
            let connector = connector.clone();
            let server_name = server_name.clone();
            let handshakes = handshakes.clone();
            async move {
                let tcp = TcpStream::connect(addr).await?;
                tcp.set_nodelay(true)?;
                let tls = connector.connect(server_name, tcp).await?;
                handshakes.record(tls.get_ref().1.handshake_kind());
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        })),
    )
}

/// How many handshakes were made, and how many of them resumed a session.
#[derive(Debug, Default)]
struct Handshakes {
    total: AtomicU64,
    resumed: AtomicU64,
}

impl Handshakes {
    fn record(&self, kind: Option<rustls::HandshakeKind>) {
        self.total.fetch_add(1, Ordering::Relaxed);
        if kind == Some(rustls::HandshakeKind::Resumed) {
            self.resumed.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    fn resumed(&self) -> u64 {
        self.resumed.load(Ordering::Relaxed)
    }
}

async fn probe(channel: Channel) -> anyhow::Result<()> {
    FederationClient::new(channel)
        .probe(ProbeRequest {})
        .await
        .context("probe failed")?;
    Ok(())
}

/// One thing to measure, started again as soon as it finishes.
type Operation = Arc<dyn Fn() -> BoxedRun + Send + Sync>;
type BoxedRun = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

fn operation<F, Fut>(run: F) -> Operation
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    Arc::new(move || Box::pin(run()))
}

/// Before the rounds, each operation runs this long, unrecorded.
const WARM_UP: Duration = Duration::from_millis(500);
const ROUND: Duration = Duration::from_secs(1);

/// Measure `operations` side by side, each with `concurrency` in flight:
/// after a warm-up, `rounds` rounds in which every operation runs for one
/// second in turn, so that whatever else the machine is doing falls on all
/// of them alike.
async fn compare<const N: usize>(
    concurrency: usize,
    rounds: u64,
    operations: [Operation; N],
) -> anyhow::Result<[Sample; N]> {
    for operation in &operations {
        run_for(concurrency, WARM_UP, operation).await?;
    }
    let mut samples: [Sample; N] = std::array::from_fn(|_| Sample::default());
    for _ in 0..rounds {
        for (operation, sample) in operations.iter().zip(&mut samples) {
            let (elapsed, latencies) = run_for(concurrency, ROUND, operation).await?;
            sample
                .rates
                .push(latencies.len() as f64 / elapsed.as_secs_f64());
            sample.latencies.extend(latencies);
        }
    }
    for sample in &mut samples {
        sample.rates.sort_by(f64::total_cmp);
        sample.latencies.sort_unstable();
    }
    Ok(samples)
}

/// Run `operation` from `concurrency` tasks for `duration`: how long it
/// took until the last one finished, and each run's latency.
async fn run_for(
    concurrency: usize,
    duration: Duration,
    operation: &Operation,
) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let operation = operation.clone();
        workers.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let run = Instant::now();
                operation().await?;
                latencies.push(run.elapsed());
            }
            anyhow::Ok(latencies)
        });
    }
    let mut latencies = Vec::new();
    while let Some(worker) = workers.join_next().await {
        latencies.extend(worker??);
    }
    Ok((started.elapsed(), latencies))
}

/// What the rounds of one operation saw (both sorted).
#[derive(Debug, Default)]
struct Sample {
    /// Operations per second, one per round.
    rates: Vec<f64>,
    latencies: Vec<Duration>,
}

impl Sample {
    /// The median round's rate: a round disturbed by something else on the
    /// machine does not move it.
    fn rate(&self) -> f64 {
        self.rates.get(self.rates.len() / 2).copied().unwrap_or(0.0)
    }

    fn percentile(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }

    fn handshake_row(&self, label: &str, concurrency: usize, plain: &Sample) {
        println!(
            "| {label} | {concurrency} | {:.0} | {:.2} | {:.3} | {:.3} |",
            self.rate(),
            self.rate() / plain.rate(),
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99)),
        );
    }
}
