//! A real, independent OpenID Provider for the tests: `tests/oidc/provider.mjs`,
//! the `oidc-provider` npm package on Node.js with fixed accounts and clients,
//! one process per [`TestIdp`] (`tests/run` installs it and exports
//! `CONTINUUM_TEST_OIDC_PROVIDER` and `CONTINUUM_TEST_NODE_BIN`).
//!
//! Accounts (login ids, with the provider's own role names): `dr-lee`
//! (physician, NPI 1234567893), `dr-okafor` (physician, ed-attending, NPI
//! 1245319599), `front-desk` (front-desk), `no-roles` (none). Clients with
//! the client credentials grant: `emr-integration` (role interface-engine),
//! `reporting` (no role). Access tokens are RFC 9068 JWTs for one resource
//! (the audience), carrying `name`, `npi` and `roles` claims, valid 300 s.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tokio::task::JoinHandle;

/// How long the provider may take to print its issuer.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Starts tried before giving up: about one start in a hundred of Node.js
/// with oidc-provider hangs before it listens (seen under load, cause not
/// found); a start normally takes well under a second.
const START_ATTEMPTS: usize = 3;

/// An OpenID Provider process listening on 127.0.0.1, killed when dropped.
///
/// Its stdin stays open for its lifetime: the provider exits when stdin
/// closes, so a test process that dies leaves no provider behind.
#[derive(Debug)]
pub struct TestIdp {
    child: Child,
    issuer: String,
    http: reqwest::Client,
    // Held so that the provider's stdout stays open.
    _stdout: Lines<BufReader<ChildStdout>>,
}

impl TestIdp {
    /// A provider issuing RS256-signed access tokens for `audience` by
    /// default (any other `urn:continuum:` resource on request).
    pub async fn start(audience: &str) -> TestIdp {
        Self::start_with_alg(audience, "RS256").await
    }

    /// A provider signing with `alg`: `RS256`, `ES256` or `PS256`.
    pub async fn start_with_alg(audience: &str, alg: &str) -> TestIdp {
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(audience, alg).await {
                Ok(idp) => return idp,
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "the test OpenID Provider did not start in {START_ATTEMPTS} attempts:\n{}",
            failures.join("\n")
        );
    }

    /// One start: the provider, or why it did not announce its issuer.
    async fn try_start(audience: &str, alg: &str) -> Result<TestIdp, String> {
        let node = node_bin();
        let script = provider_script();
        let mut child = Command::new(&node)
            .arg(&script)
            .args(["--port", "0", "--audience", audience, "--alg", alg])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {node} {}: {e} (tests/run installs Node.js and exports \
                     CONTINUUM_TEST_NODE_BIN)",
                    script.display()
                )
            });
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = forward_stderr(&mut child, Arc::clone(&log));
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();

        let line = tokio::time::timeout(START_TIMEOUT, stdout.next_line()).await;
        let issuer = match &line {
            Ok(Ok(Some(line))) => serde_json::from_str::<Value>(line)
                .ok()
                .and_then(|v| v["issuer"].as_str().map(str::to_owned)),
            _ => None,
        };
        let Some(issuer) = issuer else {
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(2), stderr).await;
            let log = log.lock().map(|log| log.clone()).unwrap_or_default();
            return Err(format!(
                "{node} {}: first stdout line {line:?}; its stderr:\n{log}",
                script.display()
            ));
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Ok(TestIdp {
            child,
            issuer,
            http,
            _stdout: stdout,
        })
    }

    /// The issuer, `http://127.0.0.1:PORT` (no trailing slash); discovery
    /// is at `{issuer}/.well-known/openid-configuration`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// An access token for `user`, signed in through the real authorization
    /// code flow with PKCE (client `emr-console`), for the default audience.
    pub async fn login(&self, user: &str) -> String {
        let tokens = self.post("/test/login", json!({ "user": user })).await;
        string_field(&tokens, "access_token")
    }

    /// An access token for `user`, as [`TestIdp::login`], for `resource`.
    pub async fn login_for(&self, user: &str, resource: &str) -> String {
        let tokens = self
            .post("/test/login", json!({ "user": user, "resource": resource }))
            .await;
        string_field(&tokens, "access_token")
    }

    /// An access token from the client credentials grant for `client`
    /// (`emr-integration` or `reporting`), for the default audience.
    pub async fn client_token(&self, client: &str) -> String {
        let tokens = self
            .post("/test/client-token", json!({ "client": client }))
            .await;
        string_field(&tokens, "access_token")
    }

    /// A JWS over `claims`, signed with the provider's current private key.
    /// `header` is merged over the defaults (`alg` the signing algorithm,
    /// `typ` `at+jwt`, `kid` the current key's); a `null` value removes a
    /// field. For forging tokens with a valid signature.
    pub async fn sign(&self, header: Value, claims: Value) -> String {
        let signed = self
            .post("/test/sign", json!({ "header": header, "claims": claims }))
            .await;
        string_field(&signed, "token")
    }

    /// The current signing key's public key, SPKI PEM.
    pub async fn public_key_pem(&self) -> String {
        let url = format!("{}/test/public-key-pem", self.issuer);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = response.status();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert!(status.is_success(), "GET {url}: HTTP {status}: {text}");
        text
    }

    /// Rotate the signing key: a new key (returned: its `kid`) signs from
    /// now on; the old one stays published in the JWKS unless `retire_old`.
    pub async fn rotate(&self, retire_old: bool) -> String {
        let rotated = self
            .post("/test/rotate", json!({ "retire_old": retire_old }))
            .await;
        string_field(&rotated, "kid")
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.issuer);
        let response = self
            .http
            .post(&url)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        let status = response.status();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        assert!(
            status.is_success(),
            "POST {url} {body}: HTTP {status}: {}",
            text.trim_end()
        );
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST {url}: {e}: {text}"))
    }
}

impl Drop for TestIdp {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// The node that runs the provider: `CONTINUUM_TEST_NODE_BIN`, else `node`.
fn node_bin() -> String {
    std::env::var("CONTINUUM_TEST_NODE_BIN").unwrap_or_else(|_| "node".to_owned())
}

/// `CONTINUUM_TEST_OIDC_PROVIDER`, else this crate's `oidc/provider.mjs`;
/// its npm packages must be installed.
fn provider_script() -> PathBuf {
    let script = std::env::var_os("CONTINUUM_TEST_OIDC_PROVIDER").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc/provider.mjs"),
        PathBuf::from,
    );
    let modules = script.with_file_name("node_modules");
    assert!(
        modules.is_dir(),
        "{} is missing: run `npm ci --prefix {}` (tests/run does)",
        modules.display(),
        script
            .parent()
            .map_or_else(String::new, |dir| dir.display().to_string())
    );
    script
}

fn string_field(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string {field:?} in {value}"))
        .to_owned()
}

/// Copy the provider's stderr into the test's output (shown when a test
/// fails) and into `log`, for the message when it does not start.
fn forward_stderr(child: &mut Child, log: Arc<Mutex<String>>) -> JoinHandle<()> {
    let stderr = child.stderr.take().expect("piped stderr");
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("[test idp] {line}");
            if let Ok(mut log) = log.lock() {
                log.push_str(&line);
                log.push('\n');
            }
        }
    })
}
