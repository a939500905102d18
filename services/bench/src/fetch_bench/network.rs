//! The network under test, as real processes of the `continuum` binary: a
//! locator with a new CA (SQLite), and nodes onboarded with the operator's
//! command line and enrolled with `continuum node enroll`, the way the
//! end-to-end tests start them. Every child is killed when dropped; what CPU
//! each has used is read from /proc.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::Context;
use continuum_mesh::credentials::hash_secret;
use continuum_proto::CallCredentials;
use continuum_proto::node::v1::AuthorizedClinicalClient;
use continuum_proto::node::v1::clinical_client::ClinicalClient;
use tonic::transport::Channel;

const NETWORK: &str = "fetch-bench.local";
const OPERATOR_SECRET: &str = "fetch-bench-operator-0123456789abcdef0123";

/// The clinical API service credential of `tenant` (role `integration`).
fn secret_of(tenant: &str) -> String {
    format!("fetch-bench-secret-of-{tenant}-0123456789abcdef")
}

/// The audience of `tenant`'s access tokens.
fn audience(tenant: &str) -> String {
    format!("urn:continuum:bench:{tenant}")
}

/// The clinician who fetches (a user of the development identity provider).
const CLINICIAN: &str = "dr-ana-lee";

/// A `continuum` child process, killed when dropped; its log in a file.
pub(super) struct Process {
    child: Child,
    log: PathBuf,
}

impl Process {
    /// Start `command` and wait for its `announcement` line; the rest of it.
    fn start(
        command: &mut Command,
        announcement: &str,
        log: PathBuf,
    ) -> anyhow::Result<(Self, String)> {
        let child = command
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("starting {command:?}"))?;
        let mut process = Process { child, log };
        let mut stdout = BufReader::new(process.child.stdout.take().context("stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        // Keep reading, so the process never writes into a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let rest = line.trim().strip_prefix(announcement).map(str::to_owned);
        let rest =
            rest.with_context(|| format!("did not start: {line:?}\n{}", process.log_tail()))?;
        Ok((process, rest))
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send `signal` (`STOP`, `CONT`) with kill(1).
    pub(super) fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()?;
        anyhow::ensure!(status.success(), "kill -{signal} {} failed", self.pid());
        Ok(())
    }

    /// User plus system CPU seconds so far.
    pub(super) fn cpu_secs(&self) -> f64 {
        cpu_secs(&self.pid().to_string())
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // SIGKILL ends a stopped process too.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The locator, its CA and folder.
pub(super) struct Locator {
    pub(super) process: Process,
    binary: PathBuf,
    pub(super) url: String,
    ca_pem: PathBuf,
    dir: PathBuf,
    /// The development identity provider every node trusts.
    idp_issuer: String,
}

impl Locator {
    /// A locator on SQLite in `dir` with the given fetch deadline.
    pub(super) fn start(
        binary: &Path,
        dir: &Path,
        deadline_ms: u64,
        idp_issuer: &str,
    ) -> anyhow::Result<Locator> {
        let ca_dir = dir.join("locator/ca");
        run_ok(
            Command::new(binary)
                .args(["ca", "init", "--network", NETWORK, "--dir"])
                .arg(&ca_dir),
        )?;
        let config = format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\noperator_credential_sha256 = \"{}\"\n\
             certificate_lifetime_secs = 86400\nfetch_deadline_millis = {deadline_ms}\n",
            dir.join("locator").display(),
            hash_secret(OPERATOR_SECRET)
        );
        let config_path = dir.join("locator.toml");
        std::fs::write(&config_path, config)?;
        let (process, addr) = Process::start(
            Command::new(binary)
                .args(["locator", "--config"])
                .arg(&config_path),
            "locator listening on ",
            dir.join("locator.log"),
        )?;
        Ok(Locator {
            process,
            binary: binary.to_path_buf(),
            url: format!("https://{addr}"),
            ca_pem: ca_dir.join("ca.pem"),
            dir: dir.to_path_buf(),
            idp_issuer: idp_issuer.to_owned(),
        })
    }

    /// `continuum admin …` as the operator; its standard output.
    pub(super) fn admin(&self, args: &[&str]) -> anyhow::Result<String> {
        run_ok(
            Command::new(&self.binary)
                .arg("admin")
                .args(args)
                .env("CONTINUUM_LOCATOR", &self.url)
                .env("CONTINUUM_CA", &self.ca_pem)
                .env("CONTINUUM_OPERATOR_TOKEN", OPERATOR_SECRET),
        )
    }

    /// Onboard organization `tenant` (of `kind`) on a node of its own,
    /// enroll that node and start it.
    pub(super) fn add_node(&self, tenant: &str, kind: &str) -> anyhow::Result<Node> {
        let port = free_port()?;
        self.admin(&["org", "create", tenant, "--name", tenant, "--kind", kind])?;
        let node_id = format!("{tenant}-node");
        let endpoint = format!("https://127.0.0.1:{port}");
        let created = self.admin(&[
            "node",
            "create",
            &node_id,
            "--endpoint",
            &endpoint,
            "--tenant",
            tenant,
        ])?;
        let token = created
            .lines()
            .find(|l| l.starts_with("cnt1."))
            .context("`continuum admin node create` printed no enrollment token")?;
        let dir = self.dir.join(&node_id);
        let tls_dir = dir.join("tls");
        run_ok(
            Command::new(&self.binary)
                .args(["node", "enroll", "--locator", &self.url, "--tls-dir"])
                .arg(&tls_dir)
                .env("CONTINUUM_ENROLLMENT_TOKEN", token),
        )?;
        // Development mode: the nodes trust the bench's development provider.
        let config = format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{data}\"\ndevelopment = true\n\n\
             [[tenants]]\nid = \"{tenant}\"\n\
             name = \"{tenant}\"\n[[tenants.credentials]]\nname = \"bench-service\"\n\
             secret_sha256 = \"{hash}\"\n[tenants.identity]\nissuer = \"{issuer}\"\n\
             audience = \"{audience}\"\nroles = {{ physician = [\"clinician\"] }}\n\n\
             [network]\nlocator = \"{locator}\"\n\
             federation_listen = \"127.0.0.1:{port}\"\ntls_dir = \"{tls}\"\nheartbeat_secs = 1\n",
            data = dir.join("data").display(),
            hash = hash_secret(&secret_of(tenant)),
            issuer = self.idp_issuer,
            audience = audience(tenant),
            locator = self.url,
            tls = tls_dir.display(),
        );
        let config_path = dir.join("node.toml");
        std::fs::write(&config_path, config)?;
        let (process, addr) = Process::start(
            Command::new(&self.binary)
                .args(["node", "--config"])
                .arg(&config_path),
            "node listening on ",
            dir.join("node.log"),
        )?;
        Ok(Node {
            process,
            tenant: tenant.to_owned(),
            clinical_url: format!("http://{addr}"),
            idp_issuer: self.idp_issuer.clone(),
        })
    }

    /// `continuum admin locate`: the tenants where the patient's person is
    /// registered (active), as the operator sees them.
    pub(super) fn located_at(&self, tenant: &str, patient: &str) -> anyhow::Result<String> {
        self.admin(&["locate", "--tenant", tenant, "--patient", patient])
    }
}

/// A node hosting one tenant.
pub(super) struct Node {
    pub(super) process: Process,
    pub(super) tenant: String,
    clinical_url: String,
    idp_issuer: String,
}

impl Node {
    /// A new connection to the clinical API, as the tenant's EMR integration.
    pub(super) async fn client(&self) -> anyhow::Result<AuthorizedClinicalClient> {
        self.connect(&secret_of(&self.tenant)).await
    }

    /// A new connection to the clinical API, as a clinician signed in at
    /// the development provider.
    pub(super) async fn clinician(&self) -> anyhow::Result<AuthorizedClinicalClient> {
        let token = continuum_identity::dev_provider::request_token(
            &self.idp_issuer,
            CLINICIAN,
            &audience(&self.tenant),
        )
        .await
        .context("signing in at the development identity provider")?;
        self.connect(&token).await
    }

    async fn connect(&self, bearer: &str) -> anyhow::Result<AuthorizedClinicalClient> {
        let channel = Channel::from_shared(self.clinical_url.clone())?
            .tcp_nodelay(true)
            .initial_stream_window_size(4 << 20)
            .initial_connection_window_size(16 << 20)
            .connect()
            .await
            .with_context(|| format!("connecting to {}", self.clinical_url))?;
        let credentials = CallCredentials::new(&self.tenant, bearer)?;
        Ok(ClinicalClient::with_interceptor(channel, credentials)
            .max_decoding_message_size(256 << 20)
            .max_encoding_message_size(256 << 20))
    }
}

/// User plus system CPU seconds of process `pid` (or `self`) so far, from
/// /proc (in clock ticks of 1/100 s, USER_HZ on Linux).
pub(super) fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // utime and stime, fields 14 and 15, after the parenthesized name.
    let ticks: u64 = stat.rsplit_once(')').map_or(0, |(_, rest)| {
        rest.split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|t| t.parse::<u64>().ok())
            .sum()
    });
    ticks as f64 / 100.0
}

/// CPU seconds per process: the locator, each node, and this benchmark.
pub(super) type CpuUse = Vec<(String, f64)>;

pub(super) fn cpu_snapshot(locator: &Locator, clinics: &[Node], hospital: &Node) -> CpuUse {
    let mut used = vec![("locator".to_owned(), locator.process.cpu_secs())];
    for node in clinics.iter().chain([hospital]) {
        used.push((node.tenant.clone(), node.process.cpu_secs()));
    }
    used.push(("bench".to_owned(), cpu_secs("self")));
    used
}

pub(super) fn cpu_delta(before: &CpuUse, after: &CpuUse) -> CpuUse {
    before
        .iter()
        .zip(after)
        .map(|((name, b), (_, a))| (name.clone(), a - b))
        .collect()
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn run_ok(command: &mut Command) -> anyhow::Result<String> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    anyhow::ensure!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
