//! The locator's side of the audit ledger: its checkpoint signing key, the
//! periodic signed checkpoints, the patient's access report and the review
//! of break-the-glass accesses. Appending happens in the store, in the
//! transaction of each change (see `store`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use continuum_ledger::{Checkpoint, LedgerKey};
use continuum_mesh::clock::Environment;
use continuum_mesh::serve::Shutdown;

use crate::LocatorError;
use crate::store::{BreakGlassItem, DirectoryStore, LedgerDisclosure};

/// One disclosure in a person's access report.
#[derive(Debug, Clone)]
pub struct ReportedDisclosure {
    pub entry: LedgerDisclosure,
    /// For an emergency access: its review (`open`, `justified`, `unjustified`).
    pub review: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Audit {
    store: DirectoryStore,
    key: Arc<LedgerKey>,
    env: Environment,
}

impl Audit {
    /// Load the signing key at `key_path`, making it on first start.
    pub fn open(
        store: DirectoryStore,
        key_path: &Path,
        env: Environment,
    ) -> Result<Audit, LocatorError> {
        let key = if key_path.exists() {
            LedgerKey::load(key_path)
        } else {
            let key = LedgerKey::generate()?;
            key.save(key_path)?;
            tracing::info!(path = %key_path.display(), key_id = %key.key_id(), "ledger signing key created");
            Ok(key)
        }
        .map_err(|e| {
            LocatorError::Config(format!(
                "ledger signing key {}: {e}",
                key_path.display()
            ))
        })?;
        Ok(Audit {
            store,
            key: Arc::new(key),
            env,
        })
    }

    pub fn key(&self) -> &LedgerKey {
        &self.key
    }

    /// Sign the ledger's head now (nothing new when it is signed already).
    pub async fn checkpoint(&self) -> Result<Checkpoint, LocatorError> {
        Ok(self.store.ledger().checkpoint(&self.key).await?)
    }

    /// Sign a checkpoint every `every` until `shutdown`, and once more then.
    pub async fn checkpoint_periodically(
        self,
        every: Duration,
        shutdown: Shutdown,
    ) -> Result<(), String> {
        let mut ticks = tokio::time::interval(every);
        ticks.tick().await;
        let stop = shutdown.requested();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = &mut stop => break,
            }
            if let Err(error) = self.checkpoint().await {
                tracing::warn!(%error, "ledger checkpoint failed; retrying at the next tick");
            }
        }
        self.checkpoint()
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Every disclosure of `person`'s records, from the ledger, with the
    /// review of each emergency access.
    pub async fn access_report(
        &self,
        person: &str,
    ) -> Result<Vec<ReportedDisclosure>, LocatorError> {
        let entries = self.store.ledger_disclosures_of(person).await?;
        let accesses = self.store.break_glass_items(false, Some(person)).await?;
        Ok(entries
            .into_iter()
            .map(|entry| {
                let review = entry.disclosure.break_glass_reason.is_some().then(|| {
                    accesses
                        .iter()
                        .find(|a| a.disclosure_ids.contains(&entry.disclosure.disclosure_id))
                        .map_or_else(|| "open".to_owned(), |a| a.access.review_status.clone())
                });
                ReportedDisclosure { entry, review }
            })
            .collect())
    }

    pub async fn break_glass_items(
        &self,
        open_only: bool,
    ) -> Result<Vec<BreakGlassItem>, LocatorError> {
        self.store.break_glass_items(open_only, None).await
    }

    pub async fn review_break_glass(
        &self,
        access_id: &str,
        justified: bool,
        note: &str,
    ) -> Result<BreakGlassItem, LocatorError> {
        if note.trim().is_empty() {
            return Err(LocatorError::InvalidArgument(
                "a review needs a note saying why".into(),
            ));
        }
        let now = crate::directory::model::timestamp(self.env.clock.now());
        self.store
            .review_break_glass(access_id, justified, note, "operator", &now)
            .await
    }

    /// The ledger's head and its latest signed checkpoint.
    pub async fn status(&self) -> Result<(continuum_ledger::Head, Checkpoint), LocatorError> {
        let head = self.store.ledger().head().await?;
        let checkpoint = self.checkpoint().await?;
        Ok((head, checkpoint))
    }
}

/// Where the signing key lives by default.
pub fn default_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("ledger-key.pk8")
}
