//! `continuum audit verify`: check an audit ledger where it is stored —
//! every entry's hash, every link of the chain, the sequence, and each
//! signed checkpoint — and name the first entry where it was altered; at
//! the locator, also that the disclosure records (through which the
//! patient's access report finds its entries) agree with the ledger.
//!
//! It reads the database directly (the locator's, or a node's for one
//! tenant's release chain), so it also works while the service is down.

use std::path::PathBuf;

use anyhow::Context;
use continuum_ledger::{Chain, Checkpoint, LedgerKey, PublicKey, VerifyOptions};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Verify a ledger from its start, or from a signed checkpoint.
    Verify(VerifyArgs),
    /// Export ledger entries as a FHIR R4 Bundle of AuditEvents (IHE BALP),
    /// for a SIEM or an audit record repository.
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The database holding the ledger (as for `verify`).
    #[arg(long, env = "CONTINUUM_DATABASE_URL")]
    pub database_url: String,
    /// A node tenant's release chain instead of the locator's chain.
    #[arg(long)]
    pub tenant: Option<String>,
    /// The first entry to export (a SIEM remembers where it stopped).
    #[arg(long, default_value_t = 1)]
    pub from_seq: u64,
    /// At most this many entries.
    #[arg(long, default_value_t = 10_000)]
    pub limit: u64,
    /// Who recorded the entries, as the events' `source.observer` (the
    /// locator's URL or the node's id).
    #[arg(long, default_value = "continuum-locator")]
    pub observer: String,
    /// The network's name, as the events' `source.site`.
    #[arg(long, default_value = "continuum")]
    pub network: String,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The database holding the ledger, e.g.
    /// `sqlite://continuum-data/up/locator/locator.db?mode=ro`.
    #[arg(long, env = "CONTINUUM_DATABASE_URL")]
    pub database_url: String,
    /// A node tenant's release chain instead of the locator's chain.
    #[arg(long)]
    pub tenant: Option<String>,
    /// A trusted checkpoint signing key (hex, from `continuum admin ledger`); repeat for several.
    #[arg(long = "key")]
    pub keys: Vec<String>,
    /// Trust the public half of this signing key file (PKCS#8).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Start from this signed checkpoint (JSON, as `continuum admin ledger` prints it).
    #[arg(long)]
    pub from: Option<PathBuf>,
}

/// Fails (exit status 1) when the ledger is not intact, naming the first bad entry.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Verify(args) => verify(args).await,
        Command::Export(args) => export(args).await,
    }
}

fn chain_of(tenant: Option<String>) -> Chain {
    match tenant {
        Some(tenant) => Chain::node(tenant),
        None => Chain::Locator,
    }
}

/// An ordinary pool: verifying reads pages on two connections at once.
async fn open(url: &str) -> anyhow::Result<sea_orm::DatabaseConnection> {
    continuum_migrations::database::connect(url, 4)
        .await
        .with_context(|| format!("opening {url}"))
}

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let chain = chain_of(args.tenant);
    let db = open(&args.database_url).await?;
    let entries = continuum_ledger::read_entries(&db, &chain, args.from_seq, args.limit).await?;
    let source = continuum_ledger::audit_event::AuditSource {
        observer: args.observer,
        network: args.network,
    };
    let bundle = continuum_ledger::audit_event::to_audit_bundle(&entries, chain.id(), &source)?;
    let text = serde_json::to_string_pretty(&bundle)?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "{} AuditEvent(s) of ledger `{}` written to {}",
                entries.len(),
                chain.id(),
                path.display()
            );
        }
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .context("writing to standard output")?;
        }
    }
    Ok(())
}

async fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let mut trusted_keys = args
        .keys
        .iter()
        .map(|hex| PublicKey::from_hex(hex).with_context(|| format!("--key {hex}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(path) = &args.key_file {
        let key =
            LedgerKey::load(path).with_context(|| format!("--key-file {}", path.display()))?;
        trusted_keys.push(*key.public_key());
    }
    let from = match &args.from {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(
                serde_json::from_str::<Checkpoint>(&text)
                    .with_context(|| format!("{} is not a checkpoint", path.display()))?,
            )
        }
        None => None,
    };
    anyhow::ensure!(
        from.is_none() || !trusted_keys.is_empty(),
        "verifying from a checkpoint needs the key that signed it (--key or --key-file)"
    );
    let locator = args.tenant.is_none();
    let chain = chain_of(args.tenant);
    let db = open(&args.database_url).await?;
    let signed = !trusted_keys.is_empty();
    let options = VerifyOptions { from, trusted_keys };
    match continuum_ledger::verify_stored(&db, &chain, &options).await? {
        Ok(verified) => {
            println!(
                "ledger `{}` verifies: {} entries, head {}{}",
                chain.id(),
                verified.count,
                verified.head,
                if signed {
                    format!(", {} signed checkpoint(s) checked", verified.checkpoints)
                } else {
                    " (no key given: signed checkpoints not checked, a cut tail or a wholly rewritten chain would not show)".to_owned()
                }
            );
            if locator {
                // The access report finds a person's entries through these.
                let checked = continuum_locator::audit::check_disclosure_records(&db)
                    .await
                    .context("the disclosure records do NOT agree with the ledger")?;
                println!("disclosure records agree with the ledger: {checked} disclosure(s)");
            }
            Ok(())
        }
        Err(broken) => anyhow::bail!("ledger `{}` is NOT intact: {broken}", chain.id()),
    }
}
