//! Resolving the references of entries before they are stored: bundle
//! placeholders (`urn:uuid:`) become the ids the entries were stored under,
//! conditional references (`Organization?identifier=…`) become the one
//! resource they match, and every local reference must point at a resource
//! this tenant has — a dangling reference is refused, naming its element.

use std::collections::{HashMap, HashSet};

use continuum_fhir::references::{self, Target};
use continuum_fhir::search;

use super::entries::Entry;
use crate::NodeError;
use crate::store::TenantTx;

/// The `system|value` of a conditional query `identifier=system|value`, the
/// only kind of condition the node resolves.
pub fn identifier_query(query: &str) -> Result<String, NodeError> {
    let value = query
        .strip_prefix("identifier=")
        .filter(|v| !v.is_empty() && !v.contains('&'))
        .ok_or_else(|| {
            NodeError::InvalidRequest(format!(
                "condition `{query}` is not supported: use `identifier=system|value`"
            ))
        })?;
    Ok(value.replace("%7C", "|").replace("%7c", "|"))
}

/// Rewrite and check every reference of `entries`.
///
/// `placeholders` maps fullUrls to `Type/id`; `pending` holds the resources
/// being written alongside (they exist once the transaction commits);
/// `pending_identifiers` maps (type, `system|value`) of those to their ids.
pub async fn resolve(
    tx: &TenantTx,
    entries: &mut [Entry],
    placeholders: &HashMap<String, String>,
    pending: &HashSet<(String, String)>,
    pending_identifiers: &HashMap<(String, String), String>,
) -> Result<(), NodeError> {
    let conditional = resolve_conditionals(tx, entries, pending_identifiers).await?;

    // Check first, with paths for the error messages; then rewrite.
    for (index, entry) in entries.iter().enumerate() {
        let mut problem = None;
        references::for_each(&entry.resource, &mut |path, reference| {
            if problem.is_some() {
                return;
            }
            problem = match Target::parse(reference) {
                Target::Placeholder(url) if !placeholders.contains_key(url) => {
                    Some(NodeError::UnresolvedPlaceholder {
                        path: path.to_string(),
                        reference: reference.to_owned(),
                    })
                }
                Target::Conditional {
                    resource_type,
                    query,
                } => match conditional.get(&(resource_type.to_owned(), query.to_owned())) {
                    Some(Ok(_)) => None,
                    Some(Err(matches)) => Some(NodeError::ConditionalMatch {
                        resource_type: resource_type.to_owned(),
                        query: reference.to_owned(),
                        matches: *matches,
                    }),
                    None => Some(NodeError::InvalidRequest(format!(
                        "{path}: `{reference}` could not be resolved"
                    ))),
                },
                _ => None,
            };
        });
        if let Some(problem) = problem {
            return Err(problem.in_entry(index));
        }
    }
    for entry in entries.iter_mut() {
        references::rewrite(
            &mut entry.resource,
            &mut |reference| match Target::parse(reference) {
                Target::Placeholder(url) => placeholders.get(url).cloned(),
                Target::Conditional {
                    resource_type,
                    query,
                } => conditional
                    .get(&(resource_type.to_owned(), query.to_owned()))
                    .and_then(|found| found.as_ref().ok())
                    .map(|id| format!("{resource_type}/{id}")),
                _ => None,
            },
        );
    }
    check_local_targets(tx, entries, pending).await
}

/// (type, query) → the one matching id, or how many matched when not one.
type Conditionals = HashMap<(String, String), Result<String, usize>>;

async fn resolve_conditionals(
    tx: &TenantTx,
    entries: &[Entry],
    pending_identifiers: &HashMap<(String, String), String>,
) -> Result<Conditionals, NodeError> {
    let mut queries: HashMap<(String, String), String> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let mut problem = None;
        references::for_each(&entry.resource, &mut |_, reference| {
            if let Target::Conditional {
                resource_type,
                query,
            } = Target::parse(reference)
            {
                match identifier_query(query) {
                    Ok(value) => {
                        queries.insert((resource_type.to_owned(), query.to_owned()), value);
                    }
                    Err(e) => problem = Some(e),
                }
            }
        });
        if let Some(problem) = problem {
            return Err(problem.in_entry(index));
        }
    }
    let mut out = Conditionals::new();
    let mut to_look_up = Vec::new();
    for ((ty, query), value) in &queries {
        match pending_identifiers.get(&(ty.clone(), value.clone())) {
            Some(id) => {
                out.insert((ty.clone(), query.clone()), Ok(id.clone()));
            }
            None => to_look_up.push(value.as_str()),
        }
    }
    if to_look_up.is_empty() {
        return Ok(out);
    }
    to_look_up.sort_unstable();
    to_look_up.dedup();
    let mut found: HashMap<(String, String), Vec<String>> = HashMap::new();
    for (ty, value, id) in tx.find_tokens(search::IDENTIFIER, &to_look_up).await? {
        found.entry((ty, value)).or_default().push(id);
    }
    for ((ty, query), value) in queries {
        let key = (ty, query);
        if out.contains_key(&key) {
            continue;
        }
        let ids = found
            .get(&(key.0.clone(), value))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let resolved = match ids {
            [id] => Ok(id.clone()),
            other => Err(other.len()),
        };
        out.insert(key, resolved);
    }
    Ok(out)
}

/// Every local reference must name a stored resource or one being written.
async fn check_local_targets(
    tx: &TenantTx,
    entries: &[Entry],
    pending: &HashSet<(String, String)>,
) -> Result<(), NodeError> {
    // type → id → (entry, path) of the first reference to it
    let mut wanted: HashMap<String, HashMap<String, (usize, String)>> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        references::for_each(&entry.resource, &mut |path, reference| {
            if let Target::Local { resource_type, id } = Target::parse(reference)
                && !pending.contains(&(resource_type.to_owned(), id.to_owned()))
            {
                wanted
                    .entry(resource_type.to_owned())
                    .or_default()
                    .entry(id.to_owned())
                    .or_insert_with(|| (index, path.to_string()));
            }
        });
    }
    let mut dangling: Vec<(usize, String, String)> = Vec::new();
    for (ty, ids) in &wanted {
        let keys: Vec<&str> = ids.keys().map(String::as_str).collect();
        let existing = tx.existing(ty, &keys).await?;
        for (id, (index, path)) in ids {
            if !existing.contains(id) {
                dangling.push((*index, path.clone(), format!("{ty}/{id}")));
            }
        }
    }
    // Report the first dangling reference in bundle order, so the message is stable.
    dangling.sort();
    match dangling.into_iter().next() {
        Some((index, path, reference)) => {
            Err(NodeError::DanglingReference { path, reference }.in_entry(index))
        }
        None => Ok(()),
    }
}
