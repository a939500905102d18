//! Importing FHIR Bundles as EMRs and Synthea emit them.
//!
//! - `transaction`: all entries or none, references between entries resolved.
//! - `batch`: each entry on its own; one failing entry does not stop the others.
//! - `collection`: stored like a transaction (all or none), each entry as a create.
//!
//! Importing the same bundle again changes nothing: entries are matched to
//! what is stored by identifier, or by their `urn:uuid:` fullUrl.

use continuum_fhir::FhirError;
use serde_json::Value;

use super::Records;
use super::entries::{self, Entry, Method, OnIdentifierMatch, Outcome, WriteOutcome};
use crate::NodeError;
use crate::tenant::TenantId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleKind {
    Transaction,
    Batch,
    Collection,
}

impl BundleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BundleKind::Transaction => "transaction",
            BundleKind::Batch => "batch",
            BundleKind::Collection => "collection",
        }
    }
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub kind: BundleKind,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Batch entries that failed: (entry index, message).
    pub failed: Vec<(usize, String)>,
    /// Per entry, `Type/id/_history/n`, or empty for a failed batch entry.
    pub locations: Vec<String>,
}

impl ImportSummary {
    fn new(kind: BundleKind) -> Self {
        Self {
            kind,
            created: 0,
            updated: 0,
            unchanged: 0,
            failed: Vec::new(),
            locations: Vec::new(),
        }
    }

    fn count(&mut self, outcome: &Outcome) {
        match outcome.outcome {
            WriteOutcome::Created => self.created += 1,
            WriteOutcome::Updated => self.updated += 1,
            WriteOutcome::Unchanged => self.unchanged += 1,
        }
        let row = &outcome.row;
        self.locations.push(format!(
            "{}/{}/_history/{}",
            row.resource_type, row.id, row.version_id
        ));
    }
}

/// A bundle that passed validation and is ready to be written: the CPU-bound
/// half of an import, which the API runs on a blocking thread while the
/// previous bundle is being written.
#[derive(Debug)]
pub struct PreparedBundle {
    kind: BundleKind,
    entries: Vec<Result<Entry, NodeError>>,
}

impl PreparedBundle {
    /// Validate and parse a Bundle (no I/O). A transaction or collection
    /// is valid as a whole or refused; a batch's entries are validated one
    /// by one, so that an invalid entry fails alone.
    pub fn prepare(text: &str) -> Result<PreparedBundle, NodeError> {
        let bundle = continuum_fhir::parse_json(text)?;
        let kind = bundle_kind(&bundle)?;
        if kind != BundleKind::Batch {
            continuum_fhir::validate_parsed(text, &bundle)?;
        }
        let Value::Object(mut bundle) = bundle else {
            return Err(FhirError::NotAResource.into());
        };
        let raw_entries = match bundle.remove("entry") {
            Some(Value::Array(entries)) => entries,
            _ => Vec::new(),
        };
        if kind == BundleKind::Batch {
            // The bundle itself, without its entries, must be valid.
            continuum_fhir::validate_text(&Value::Object(bundle).to_string())?;
        }
        reject_duplicate_full_urls(&raw_entries)?;
        let entries = raw_entries
            .into_iter()
            .map(|raw| match kind {
                BundleKind::Batch => {
                    validate_batch_entry(raw).and_then(|raw| parse_entry(raw, kind))
                }
                _ => parse_entry(raw, kind),
            })
            .collect();
        Ok(PreparedBundle { kind, entries })
    }
}

/// What kind of Bundle this is, if it is one that can be imported.
fn bundle_kind(bundle: &Value) -> Result<BundleKind, NodeError> {
    let found = bundle.get("resourceType").and_then(Value::as_str);
    match found {
        Some("Bundle") => {}
        Some(other) => {
            return Err(NodeError::InvalidRequest(format!(
                "expected a Bundle, got a {other}"
            )));
        }
        None => return Err(FhirError::NotAResource.into()),
    }
    match bundle.get("type").and_then(Value::as_str) {
        Some("transaction") => Ok(BundleKind::Transaction),
        Some("batch") => Ok(BundleKind::Batch),
        Some("collection") => Ok(BundleKind::Collection),
        other => Err(NodeError::InvalidRequest(format!(
            "a `{}` bundle cannot be imported: use transaction, batch or collection",
            other.unwrap_or("untyped")
        ))),
    }
}

/// Validate one batch entry as the only entry of a batch Bundle.
fn validate_batch_entry(raw: Value) -> Result<Value, NodeError> {
    let alone = serde_json::json!({"resourceType": "Bundle", "type": "batch", "entry": [raw]});
    let mut alone = continuum_fhir::validate_text(&alone.to_string())?;
    match alone
        .get_mut("entry")
        .and_then(Value::as_array_mut)
        .and_then(|e| e.pop())
    {
        Some(entry) => Ok(entry),
        None => Err(NodeError::InvalidRequest(
            "the entry vanished in validation".into(),
        )),
    }
}

/// Two entries may not share a fullUrl (FHIR rule bdl-7): references to it
/// would be ambiguous.
fn reject_duplicate_full_urls(entries: &[Value]) -> Result<(), NodeError> {
    let mut seen = std::collections::HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        if let Some(url) = entry.get("fullUrl").and_then(Value::as_str)
            && let Some(first) = seen.insert(url, index)
        {
            return Err(NodeError::InvalidRequest(format!(
                "entries {first} and {index} have the same fullUrl `{url}`"
            ))
            .in_entry(index));
        }
    }
    Ok(())
}

impl Records {
    /// Import one Bundle for `tenant`.
    pub async fn import_bundle(
        &self,
        tenant: &TenantId,
        text: &str,
    ) -> Result<ImportSummary, NodeError> {
        self.write_bundle(tenant, PreparedBundle::prepare(text)?)
            .await
    }

    /// Write a prepared Bundle for `tenant`.
    pub async fn write_bundle(
        &self,
        tenant: &TenantId,
        bundle: PreparedBundle,
    ) -> Result<ImportSummary, NodeError> {
        let PreparedBundle {
            kind,
            entries: parsed,
        } = bundle;
        let mut summary = ImportSummary::new(kind);
        match kind {
            BundleKind::Transaction | BundleKind::Collection => {
                let entries = parsed
                    .into_iter()
                    .enumerate()
                    .map(|(index, entry)| entry.map_err(|e| e.in_entry(index)))
                    .collect::<Result<Vec<_>, _>>()?;
                let tx = self.store.write(tenant).await?;
                let outcomes = entries::write_entries(
                    &tx,
                    &self.env,
                    entries,
                    OnIdentifierMatch::UpdateMatched,
                )
                .await?;
                tx.commit().await?;
                outcomes.iter().for_each(|o| summary.count(o));
            }
            BundleKind::Batch => {
                for (index, entry) in parsed.into_iter().enumerate() {
                    let written = match entry {
                        Ok(entry) => {
                            self.write_one(tenant, entry, OnIdentifierMatch::UpdateMatched)
                                .await
                        }
                        Err(e) => Err(e),
                    };
                    match written {
                        Ok(outcome) => summary.count(&outcome),
                        Err(NodeError::Store(e)) => return Err(NodeError::Store(e)),
                        Err(e) => {
                            summary.failed.push((index, e.without_entry().to_string()));
                            summary.locations.push(String::new());
                        }
                    }
                }
            }
        }
        Ok(summary)
    }
}

/// Read one bundle entry: its resource, fullUrl and request.
fn parse_entry(raw: Value, kind: BundleKind) -> Result<Entry, NodeError> {
    let Value::Object(mut raw) = raw else {
        return Err(NodeError::InvalidRequest(
            "an entry must be an object".into(),
        ));
    };
    let resource = raw
        .remove("resource")
        .ok_or_else(|| NodeError::InvalidRequest("the entry has no resource".into()))?;
    let resource_type = continuum_fhir::resource_type_of(&resource)?.to_owned();
    let full_url = raw
        .get("fullUrl")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let request = raw.get("request");
    let field = |name: &str| request.and_then(|r| r.get(name)).and_then(Value::as_str);
    let method = match (kind, field("method")) {
        (BundleKind::Collection, _) | (_, Some("POST")) => match field("ifNoneExist") {
            Some(query) if kind != BundleKind::Collection => Method::CreateIfNoneExist {
                query: query.to_owned(),
            },
            _ => Method::Create,
        },
        (_, Some("PUT")) => {
            let url = field("url").unwrap_or_default();
            let id = match url.split_once('/') {
                Some((ty, id))
                    if ty == resource_type && !id.is_empty() && !id.contains(['/', '?']) =>
                {
                    id
                }
                _ => {
                    return Err(NodeError::InvalidRequest(format!(
                        "PUT `{url}`: only `{resource_type}/<id>` is supported"
                    )));
                }
            };
            if !continuum_fhir::is_id(id) {
                return Err(NodeError::InvalidRequest(format!(
                    "`{id}` is not a valid FHIR id"
                )));
            }
            if let Some(body_id) = resource.get("id").and_then(Value::as_str)
                && body_id != id
            {
                return Err(NodeError::InvalidRequest(format!(
                    "PUT `{url}`: the resource's id is `{body_id}`"
                )));
            }
            let if_match_version = match field("ifMatch") {
                None => None,
                Some(etag) => Some(parse_etag(etag).ok_or_else(|| {
                    NodeError::InvalidRequest(format!(
                        "ifMatch `{etag}` is not a version (use W/\"3\")"
                    ))
                })?),
            };
            Method::Update {
                id: id.to_owned(),
                if_match_version,
                must_exist: false,
            }
        }
        (_, Some(other)) => {
            return Err(NodeError::InvalidRequest(format!(
                "request method {other} is not supported in an import (use POST or PUT)"
            )));
        }
        (_, None) => return Err(NodeError::InvalidRequest("the entry has no request".into())),
    };
    Ok(Entry::new(resource, resource_type, full_url, method))
}

/// `W/"3"` → 3.
fn parse_etag(etag: &str) -> Option<u64> {
    etag.trim_start_matches("W/").trim_matches('"').parse().ok()
}
