//! The `continuum locator` process under test: started with a new CA,
//! driven with the operator's command line, measured through /proc.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::Context;

use super::{Args, NETWORK, NODE, OPERATOR_SECRET, TENANTS};

/// What /proc says of a process: memory in KiB, CPU time in seconds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Usage {
    pub(super) rss_kib: u64,
    pub(super) peak_kib: u64,
    pub(super) cpu_secs: f64,
}

/// A `continuum locator` child process with its CA, killed when dropped.
pub(super) struct LocatorProcess {
    pub(super) child: Child,
    binary: PathBuf,
    pub(super) url: String,
    ca_pem: PathBuf,
    data_dir: PathBuf,
    pub(super) database: String,
}

impl LocatorProcess {
    pub(super) fn start(args: &Args, dir: &Path) -> anyhow::Result<LocatorProcess> {
        let binary = crate::stats::continuum_binary(args.continuum.as_deref())?;
        let data_dir = dir.join("locator");
        let ca_dir = data_dir.join("ca");
        run_ok(
            Command::new(&binary)
                .args(["ca", "init", "--network", NETWORK, "--dir"])
                .arg(&ca_dir),
        )?;
        let config = format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\noperator_credential_sha256 = \"{}\"\n",
            data_dir.display(),
            continuum_mesh::credentials::hash_secret(OPERATOR_SECRET)
        );
        let config_path = dir.join("locator.toml");
        std::fs::write(&config_path, config)?;
        let mut command = Command::new(&binary);
        command.args(["locator", "--config"]).arg(&config_path);
        if let Some(url) = &args.database_url {
            command.args(["--database-url", url]);
        }
        let mut child = command
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut stdout = BufReader::new(child.stdout.take().context("stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        // Keep reading, so the locator never writes into a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let addr = line
            .trim()
            .strip_prefix("locator listening on ")
            .with_context(|| format!("the locator did not start: {line:?}"))?;
        Ok(LocatorProcess {
            url: format!("https://{addr}"),
            child,
            binary,
            ca_pem: ca_dir.join("ca.pem"),
            data_dir,
            database: match &args.database_url {
                Some(_) => "PostgreSQL".to_owned(),
                None => "SQLite (WAL)".to_owned(),
            },
        })
    }

    /// Add the two tenants and the node hosting them; its enrollment token.
    pub(super) fn onboard(&self) -> anyhow::Result<String> {
        for (tenant, name) in TENANTS.iter().zip(["A", "B"]) {
            self.admin(&["org", "create", tenant, "--name", name])?;
        }
        let mut args = vec!["node", "create", NODE, "--endpoint", "https://127.0.0.1:1"];
        for tenant in TENANTS {
            args.extend(["--tenant", tenant]);
        }
        let output = self.admin(&args)?;
        output
            .lines()
            .find(|l| l.starts_with("cnt1."))
            .map(str::to_owned)
            .context("`continuum admin node create` printed no enrollment token")
    }

    /// `continuum admin …` as the operator; its standard output.
    fn admin(&self, args: &[&str]) -> anyhow::Result<String> {
        run_ok(
            Command::new(&self.binary)
                .arg("admin")
                .args(args)
                .env("CONTINUUM_LOCATOR", &self.url)
                .env("CONTINUUM_CA", &self.ca_pem)
                .env("CONTINUUM_OPERATOR_TOKEN", OPERATOR_SECRET),
        )
    }

    pub(super) fn usage(&self) -> anyhow::Result<Usage> {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // utime and stime, fields 14 and 15, after the parenthesized name;
        // in clock ticks of 1/100 s (USER_HZ on Linux).
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        let ticks: u64 = stat
            .rsplit_once(')')
            .map(|(_, rest)| {
                rest.split_whitespace()
                    .skip(11)
                    .take(2)
                    .filter_map(|t| t.parse::<u64>().ok())
                    .sum()
            })
            .unwrap_or(0);
        Ok(Usage {
            rss_kib: kib("VmRSS:"),
            peak_kib: kib("VmHWM:"),
            cpu_secs: ticks as f64 / 100.0,
        })
    }

    /// The SQLite database with its WAL (0 on PostgreSQL).
    pub(super) fn database_bytes(&self) -> u64 {
        std::fs::read_dir(&self.data_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("locator.db"))
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    }

    pub(super) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LocatorProcess {
    fn drop(&mut self) {
        self.stop();
    }
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

/// How this benchmark was started, with the binary's folder left out.
pub(super) fn command_line() -> String {
    let mut args: Vec<String> = std::env::args().collect();
    if let Some(binary) = args.first_mut()
        && let Some(name) = Path::new(binary.as_str()).file_name()
    {
        *binary = name.to_string_lossy().into_owned();
    }
    args.join(" ")
}
