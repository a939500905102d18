//! The locator's side of the audit ledger: its checkpoint signing key, the
//! periodic signed checkpoints, the patient's access report and the review
//! of break-the-glass accesses. Appending happens in the store, in the
//! transaction of each change (see `store`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use continuum_ledger::{Checkpoint, LedgerKey, payload};
use continuum_mesh::serve::Shutdown;

use crate::LocatorError;
use crate::directory::{AuthorizedNode, Directory};
pub use crate::store::check_disclosure_records;
use crate::store::{BreakGlassItem, DirectoryStore, LedgerDisclosure};

/// Who reads a person's access report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader<'a> {
    /// A network operator: everything the ledger holds.
    Operator,
    /// One of the patient's own organizations, asking for the patient.
    Organization(&'a str),
}

/// One disclosure in a person's access report, as its reader may see it.
#[derive(Debug, Clone)]
pub struct ReportedDisclosure {
    pub seq: u64,
    pub hash: String,
    pub recorded_at_ms: i64,
    pub disclosure_id: String,
    pub purpose: String,
    /// Who asked; `None` when withheld from the reader.
    pub requester: Option<payload::Requester>,
    /// Set when the glass was broken.
    pub break_glass: Option<EmergencyAccess>,
    /// The organizations that released something. Those not named to the
    /// reader are taken together in one source with no name.
    pub sources: Vec<ReportedSource>,
}

/// A break-the-glass access in the report.
#[derive(Debug, Clone)]
pub struct EmergencyAccess {
    /// The stated reason; `None` when withheld from the reader.
    pub reason: Option<String>,
    /// `open`, `justified` or `unjustified`.
    pub review: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedSource {
    /// `None`: organizations not named to the reader.
    pub tenant: Option<String>,
    pub released: usize,
    pub categories: Vec<String>,
}

impl ReportedDisclosure {
    /// The disclosure as `reader` may see it. An organization sees the whole
    /// of a disclosure it asked for (it received all of it) and, of one it
    /// released to, who asked and its own part. Of a disclosure it took no
    /// part in, it sees when, why and how much, but no organization or
    /// practitioner: naming them would tell it where else the patient is
    /// cared for, which the patient's consent may not allow.
    fn new(entry: LedgerDisclosure, review: Option<String>, reader: Reader<'_>) -> Self {
        let d = entry.disclosure;
        let released: Vec<&payload::SourceDecision> = d
            .sources
            .iter()
            .filter(|s| !s.released.is_empty())
            .collect();
        // The reader asked (or is an operator): it may see everything.
        let asked = match reader {
            Reader::Operator => true,
            Reader::Organization(tenant) => d.requester.tenant == tenant,
        };
        let named_source = |source: &str| asked || reader == Reader::Organization(source);
        let party = asked || released.iter().any(|s| named_source(&s.tenant));
        let mut sources: Vec<ReportedSource> = released
            .iter()
            .filter(|s| named_source(&s.tenant))
            .map(|s| ReportedSource {
                tenant: Some(s.tenant.clone()),
                released: s.released.len(),
                categories: s.categories.clone(),
            })
            .collect();
        let withheld: usize = released
            .iter()
            .filter(|s| !named_source(&s.tenant))
            .map(|s| s.released.len())
            .sum();
        if withheld > 0 {
            sources.push(ReportedSource {
                tenant: None,
                released: withheld,
                categories: Vec::new(),
            });
        }
        ReportedDisclosure {
            seq: entry.seq,
            hash: entry.hash,
            recorded_at_ms: entry.recorded_at_ms,
            disclosure_id: d.disclosure_id,
            purpose: d.purpose,
            break_glass: d.break_glass_reason.map(|reason| EmergencyAccess {
                reason: party.then_some(reason),
                review: review.unwrap_or_else(|| "open".to_owned()),
            }),
            requester: party.then_some(d.requester),
            sources,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Audit {
    store: DirectoryStore,
    directory: Directory,
    key: Arc<LedgerKey>,
}

impl Audit {
    /// Load the signing key at `key_path`, making it on first start.
    pub fn open(
        store: DirectoryStore,
        directory: Directory,
        key_path: &Path,
    ) -> Result<Audit, LocatorError> {
        let key = LedgerKey::open_or_generate(key_path).map_err(|e| {
            LocatorError::Config(format!("ledger signing key {}: {e}", key_path.display()))
        })?;
        Ok(Audit {
            store,
            directory,
            key: Arc::new(key),
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
    /// review of each emergency access, as `reader` may see them.
    pub async fn access_report(
        &self,
        person: &str,
        reader: Reader<'_>,
    ) -> Result<Vec<ReportedDisclosure>, LocatorError> {
        let entries = self.store.ledger_disclosures_of(person).await?;
        let accesses = self.store.break_glass_items(false, Some(person)).await?;
        Ok(entries
            .into_iter()
            .map(|entry| {
                let review = accesses
                    .iter()
                    .find(|a| a.disclosure_ids.contains(&entry.disclosure.disclosure_id))
                    .map(|a| a.access.review_status.clone());
                ReportedDisclosure::new(entry, review, reader)
            })
            .collect())
    }

    /// The access report of a patient of one of `node`'s tenants, read by
    /// that tenant for the patient: the patient's network person and the
    /// report as the tenant may see it.
    pub async fn patient_access_report(
        &self,
        node: &AuthorizedNode,
        tenant: &str,
        local_id: &str,
    ) -> Result<(String, Vec<ReportedDisclosure>), LocatorError> {
        self.directory
            .check_tenants(node, &[tenant.to_owned()], "audit.access_report")
            .await?;
        let person = self
            .store
            .registration(tenant, local_id)
            .await?
            .ok_or_else(|| {
                LocatorError::NotFound(format!(
                    "patient `{local_id}` at `{tenant}` in the network's patient index"
                ))
            })?
            .person;
        tracing::info!(node = %node.id, tenant, "access report read for a patient");
        let report = self
            .access_report(&person, Reader::Organization(tenant))
            .await?;
        Ok((person, report))
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
        let now = self.directory.now();
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
    data_dir.join(continuum_ledger::KEY_FILE)
}

#[cfg(test)]
mod tests {
    use continuum_ledger::payload::{Decision, Disclosure, Requester, SourceDecision};

    use super::*;

    fn source(tenant: &str, released: usize, categories: &[&str]) -> SourceDecision {
        SourceDecision {
            tenant: tenant.into(),
            decision: if released > 0 {
                Decision::Permit
            } else {
                Decision::Deny
            },
            decided_by: vec!["policy:opt-out".into()],
            outcome: "complete".into(),
            released: (0..released)
                .map(|i| format!("Condition/{tenant}-{i}"))
                .collect(),
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    /// The hospital breaks the glass: the clinic and the program release,
    /// the dentist (also the patient's) releases nothing.
    fn emergency() -> LedgerDisclosure {
        LedgerDisclosure {
            seq: 7,
            hash: "ab".into(),
            recorded_at_ms: 1_790_000_000_000,
            disclosure: Disclosure {
                disclosure_id: "d-7".into(),
                person_id: "p-1".into(),
                requester: Requester {
                    tenant: "hospital".into(),
                    practitioner_id: "dr-okafor".into(),
                    role: "emergency-access".into(),
                    name: "Dr. Chidi Okafor".into(),
                    professional_id: "1245319599".into(),
                },
                purpose: "ETREAT".into(),
                break_glass_reason: Some("unconscious".into()),
                sources: vec![
                    source("clinic", 4, &["PSY"]),
                    source("program", 2, &["ETH"]),
                    source("dentist", 0, &[]),
                ],
            },
        }
    }

    fn seen_by(reader: Reader<'_>) -> ReportedDisclosure {
        ReportedDisclosure::new(emergency(), Some("justified".into()), reader)
    }

    fn named(report: &ReportedDisclosure) -> Vec<(Option<&str>, usize, Vec<&str>)> {
        report
            .sources
            .iter()
            .map(|s| {
                (
                    s.tenant.as_deref(),
                    s.released,
                    s.categories.iter().map(String::as_str).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn operators_and_the_requester_see_the_whole_disclosure() {
        for reader in [Reader::Operator, Reader::Organization("hospital")] {
            let report = seen_by(reader);
            assert_eq!(
                report.requester.as_ref().map(|r| r.name.as_str()),
                Some("Dr. Chidi Okafor"),
                "{reader:?}"
            );
            let access = report.break_glass.as_ref().expect("emergency");
            assert_eq!(access.reason.as_deref(), Some("unconscious"));
            assert_eq!(access.review, "justified");
            assert_eq!(
                named(&report),
                [
                    (Some("clinic"), 4, vec!["PSY"]),
                    (Some("program"), 2, vec!["ETH"])
                ],
                "a source that released nothing disclosed nothing: {reader:?}"
            );
        }
    }

    #[test]
    fn a_source_sees_who_asked_and_its_own_part_and_the_rest_unnamed() {
        let report = seen_by(Reader::Organization("clinic"));
        assert_eq!(
            report.requester.as_ref().map(|r| r.tenant.as_str()),
            Some("hospital")
        );
        assert_eq!(
            report
                .break_glass
                .as_ref()
                .and_then(|a| a.reason.as_deref()),
            Some("unconscious")
        );
        assert_eq!(
            named(&report),
            [(Some("clinic"), 4, vec!["PSY"]), (None, 2, vec![])]
        );
    }

    #[test]
    fn an_organization_without_a_part_sees_that_it_happened_and_nothing_of_who() {
        // The dentist was asked but released nothing; the pharmacy was not
        // asked at all. Neither took part.
        for reader in [
            Reader::Organization("dentist"),
            Reader::Organization("pharmacy"),
        ] {
            let report = seen_by(reader);
            assert!(report.requester.is_none(), "{reader:?}");
            let access = report.break_glass.as_ref().expect("still an emergency");
            assert_eq!(access.reason, None, "{reader:?}");
            assert_eq!(access.review, "justified");
            assert_eq!(report.purpose, "ETREAT");
            assert_eq!(named(&report), [(None, 6, vec![])], "{reader:?}");
        }
    }

    #[test]
    fn an_emergency_access_not_yet_reviewed_is_open() {
        let report = ReportedDisclosure::new(emergency(), None, Reader::Operator);
        assert_eq!(
            report.break_glass.map(|a| a.review).as_deref(),
            Some("open")
        );
    }
}
