//! Resolving the references of entries before they are stored: bundle
//! placeholders (`urn:uuid:`) become the ids the entries were stored under,
//! conditional references (`Organization?identifier=…`) become the one
//! resource they match, and every local reference must point at a resource
//! this tenant has — a dangling reference is refused, naming its element.
//!
//! Each entry's reference strings were collected once, when it was prepared;
//! the resource is walked again only to rewrite it, and to find an element's
//! path for an error message.

use std::collections::{HashMap, HashSet};

use continuum_fhir::references::{self, Target};
use continuum_fhir::search;

use super::entries::Entry;
use crate::NodeError;
use crate::store::TenantTx;

/// The `system|value` of a conditional query `identifier=system|value`, the
/// only kind of condition the node resolves. The query may be URL-encoded.
/// A bare value without its system is refused: it is too weak to decide
/// which record is meant.
pub fn identifier_query(query: &str) -> Result<String, NodeError> {
    let unsupported = || {
        NodeError::InvalidRequest(format!(
            "condition `{query}` is not supported: use `identifier=system|value`"
        ))
    };
    let value = query
        .strip_prefix("identifier=")
        .filter(|v| !v.is_empty() && !v.contains('&'))
        .ok_or_else(unsupported)?;
    let value = percent_decode(value).ok_or_else(unsupported)?;
    if !value.contains('|') {
        return Err(NodeError::InvalidRequest(format!(
            "condition `{query}` names no identifier system: use `identifier=system|value`"
        )));
    }
    Ok(value)
}

/// Decode `%XX` escapes (and nothing else); `None` if malformed or not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// (type, query) → the one matching id, or how many matched when not one.
type Conditionals = HashMap<(String, String), Result<String, usize>>;

/// How references are rewritten: placeholders and conditional references to
/// `Type/id`; everything else stays as it is.
struct Resolution<'a> {
    placeholders: &'a HashMap<String, String>,
    conditionals: Conditionals,
}

impl Resolution<'_> {
    /// The reference as it will be stored, or why it cannot be.
    fn resolve(&self, reference: &str) -> Result<Option<String>, Unresolved> {
        match Target::parse(reference) {
            Target::Placeholder(url) => match self.placeholders.get(url) {
                Some(local) => Ok(Some(local.clone())),
                None => Err(Unresolved::Placeholder),
            },
            Target::Conditional {
                resource_type,
                query,
            } => {
                match self
                    .conditionals
                    .get(&(resource_type.to_owned(), query.to_owned()))
                {
                    Some(Ok(id)) => Ok(Some(format!("{resource_type}/{id}"))),
                    Some(Err(matches)) => Err(Unresolved::Conditional {
                        resource_type: resource_type.to_owned(),
                        matches: *matches,
                    }),
                    None => Err(Unresolved::Conditional {
                        resource_type: resource_type.to_owned(),
                        matches: 0,
                    }),
                }
            }
            _ => Ok(None),
        }
    }
}

enum Unresolved {
    Placeholder,
    Conditional {
        resource_type: String,
        matches: usize,
    },
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
    let conditionals = resolve_conditionals(tx, entries, pending_identifiers).await?;
    let resolution = Resolution {
        placeholders,
        conditionals,
    };

    // Everything local the entries will point at, once rewritten:
    // type → id → (entry, reference) of the first reference to it.
    let mut wanted: HashMap<String, HashMap<String, (usize, String)>> = HashMap::new();
    let mut needs_rewrite = vec![false; entries.len()];
    for (index, entry) in entries.iter().enumerate() {
        for reference in entry.references() {
            let stored = match resolution.resolve(reference) {
                Ok(Some(local)) => {
                    needs_rewrite[index] = true;
                    local
                }
                Ok(None) => reference.to_owned(),
                Err(unresolved) => {
                    let path = path_of(entry, reference);
                    let error = match unresolved {
                        Unresolved::Placeholder => NodeError::UnresolvedPlaceholder {
                            path,
                            reference: reference.to_owned(),
                        },
                        Unresolved::Conditional {
                            resource_type,
                            matches,
                        } => NodeError::ConditionalMatch {
                            resource_type,
                            query: reference.to_owned(),
                            matches,
                        },
                    };
                    return Err(error.in_entry(index));
                }
            };
            if let Target::Local { resource_type, id } = Target::parse(&stored)
                && !pending.contains(&(resource_type.to_owned(), id.to_owned()))
            {
                wanted
                    .entry(resource_type.to_owned())
                    .or_default()
                    .entry(id.to_owned())
                    .or_insert_with(|| (index, reference.to_owned()));
            }
        }
    }
    check_local_targets(tx, entries, &wanted).await?;

    for (entry, rewrite) in entries.iter_mut().zip(needs_rewrite) {
        if rewrite {
            references::rewrite(&mut entry.resource, &mut |reference| {
                resolution.resolve(reference).ok().flatten()
            });
        }
    }
    Ok(())
}

async fn resolve_conditionals(
    tx: &TenantTx,
    entries: &[Entry],
    pending_identifiers: &HashMap<(String, String), String>,
) -> Result<Conditionals, NodeError> {
    let mut queries: HashMap<(String, String), String> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        for reference in entry.references() {
            if let Target::Conditional {
                resource_type,
                query,
            } = Target::parse(reference)
            {
                let value = identifier_query(query).map_err(|e| e.in_entry(index))?;
                queries.insert((resource_type.to_owned(), query.to_owned()), value);
            }
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
    wanted: &HashMap<String, HashMap<String, (usize, String)>>,
) -> Result<(), NodeError> {
    let mut dangling: Vec<(usize, String, String)> = Vec::new();
    for (ty, ids) in wanted {
        let keys: Vec<&str> = ids.keys().map(String::as_str).collect();
        let existing = tx.existing(ty, &keys).await?;
        for (id, (index, reference)) in ids {
            if !existing.contains(id) {
                dangling.push((*index, reference.clone(), format!("{ty}/{id}")));
            }
        }
    }
    // Report the first dangling reference in bundle order, so the message is stable.
    dangling.sort();
    match dangling.into_iter().next() {
        Some((index, reference, target)) => {
            let path = entries
                .get(index)
                .map(|e| path_of(e, &reference))
                .unwrap_or_default();
            Err(NodeError::DanglingReference {
                path,
                reference: target,
            }
            .in_entry(index))
        }
        None => Ok(()),
    }
}

/// The element path of the first `reference` equal to `reference` in the entry.
fn path_of(entry: &Entry, reference: &str) -> String {
    let mut found = None;
    references::for_each(&entry.resource, &mut |path, candidate| {
        if found.is_none() && candidate == reference {
            found = Some(path.to_string());
        }
    });
    found.unwrap_or_else(|| entry.resource_type.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_conditions_are_decoded_and_need_a_system() {
        let decoded =
            identifier_query("identifier=http%3A%2F%2Fhl7.org%2Ffhir%2Fsid%2Fus-npi%7C123");
        assert_eq!(
            decoded.ok().as_deref(),
            Some("http://hl7.org/fhir/sid/us-npi|123")
        );
        assert!(identifier_query("identifier=123").is_err());
        assert!(identifier_query("name=smith").is_err());
        assert!(identifier_query("identifier=a%zz|1").is_err());
    }
}
