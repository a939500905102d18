//! Writing entries: the one path by which any resource enters the store,
//! alone or as part of a bundle.
//!
//! For each entry it decides which stored resource the entry is (a new one,
//! one named by id, or one found by identifier or by the bundle's fullUrl, so
//! that importing the same data twice duplicates nothing), resolves its
//! references, and writes a new version only when the content changed.

use std::collections::{HashMap, HashSet};

use continuum_fhir::search;
use continuum_mesh::clock::Environment;
use serde_json::Value;

use super::references::{self, identifier_query};
use super::version;
use crate::NodeError;
use crate::store::{NewVersion, StoredRow, TenantTx};

/// What an entry asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// Store as new, unless it is already stored (matched by identifier or fullUrl).
    Create,
    /// FHIR conditional create: nothing is written if `identifier=…` matches.
    CreateIfNoneExist { query: String },
    /// Store as a new version of `id` (creating it when `must_exist` is false).
    Update {
        id: String,
        if_match_version: Option<u64>,
        must_exist: bool,
    },
}

/// One resource to write, labelled and indexed already: that work needs no
/// database, so imports do it before taking the tenant's write lock.
#[derive(Debug, Clone)]
pub struct Entry {
    pub resource: Value,
    pub resource_type: String,
    /// The bundle entry's `fullUrl`, by which other entries refer to it.
    pub full_url: Option<String>,
    pub method: Method,
    labels: String,
    tokens: Vec<(&'static str, String)>,
    references: Vec<String>,
}

impl Entry {
    pub fn new(
        mut resource: Value,
        resource_type: String,
        full_url: Option<String>,
        method: Method,
    ) -> Entry {
        let labels = version::label(&mut resource);
        let tokens = search::tokens(&resource);
        let mut references = Vec::new();
        continuum_fhir::references::for_each(&resource, &mut |_, reference| {
            references.push(reference.to_owned());
        });
        Entry {
            resource,
            resource_type,
            full_url,
            method,
            labels,
            tokens,
            references,
        }
    }

    /// Every `reference` string of the resource, as sent.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.references.iter().map(String::as_str)
    }

    /// The `system|value` identifiers by which the entry is recognised (a
    /// bare value, without a system, is too weak to decide two records are one).
    fn identifiers(&self) -> impl Iterator<Item = &str> {
        self.tokens
            .iter()
            .filter(|(param, value)| *param == search::IDENTIFIER && !value.starts_with('|'))
            .map(|(_, value)| value.as_str())
    }
}

/// What to do with a new resource whose identifier is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnIdentifierMatch {
    /// It is the same resource: store a new version of it (imports).
    UpdateMatched,
    /// Refuse: registering a patient twice is a mistake to show, not to hide.
    Refuse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Created,
    Updated,
    Unchanged,
}

/// What became of one entry: the resource's current version after the write.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub row: StoredRow,
    pub outcome: WriteOutcome,
}

/// Which stored resource an entry is.
#[derive(Debug)]
enum Target {
    /// A new resource with a fresh id.
    New(String),
    /// A resource with this id, stored or not yet.
    Id(String),
    /// A conditional create that matched: leave the stored resource alone.
    Existing(String),
}

impl Target {
    fn id(&self) -> &str {
        match self {
            Target::New(id) | Target::Id(id) | Target::Existing(id) => id,
        }
    }
}

/// Write `entries` in `tx`, all or nothing; errors name the entry.
pub async fn write_entries(
    tx: &TenantTx,
    env: &Environment,
    mut entries: Vec<Entry>,
    on_match: OnIdentifierMatch,
) -> Result<Vec<Outcome>, NodeError> {
    let last_updated = env.clock.now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let (targets, mut identifiers_taken) = find_targets(tx, env, &entries, on_match).await?;

    let placeholders: HashMap<String, String> = entries
        .iter()
        .zip(&targets)
        .filter_map(|(e, t)| {
            Some((
                e.full_url.clone()?,
                format!("{}/{}", e.resource_type, t.id()),
            ))
        })
        .collect();
    let pending: HashSet<(String, String)> = entries
        .iter()
        .zip(&targets)
        .map(|(e, t)| (e.resource_type.clone(), t.id().to_owned()))
        .collect();
    let pending_identifiers: HashMap<(String, String), String> = entries
        .iter()
        .zip(&targets)
        .flat_map(|(e, t)| {
            e.identifiers().map(|value| {
                (
                    (e.resource_type.clone(), value.to_owned()),
                    t.id().to_owned(),
                )
            })
        })
        .collect();
    references::resolve(
        tx,
        &mut entries,
        &placeholders,
        &pending,
        &pending_identifiers,
    )
    .await?;

    let mut currents = load_currents(tx, &entries, &targets).await?;
    let plans = entries
        .into_iter()
        .zip(targets)
        .enumerate()
        .map(|(index, (entry, target))| {
            let current = currents.remove(&(entry.resource_type.clone(), target.id().to_owned()));
            let taken = identifiers_taken.remove(&index);
            plan(entry, &target, current, taken, &last_updated).map_err(|e| e.in_entry(index))
        })
        .collect::<Result<Vec<Plan>, NodeError>>()?;
    let writes: Vec<&NewVersion> = plans
        .iter()
        .filter_map(|plan| match plan {
            Plan::Write(version) => Some(version),
            Plan::Keep(_) => None,
        })
        .collect();
    tx.write(&writes).await?;
    Ok(plans.into_iter().map(Plan::into_outcome).collect())
}

/// What writing one entry comes to.
enum Plan {
    /// The stored version stays current: same content, or a conditional
    /// create that matched.
    Keep(StoredRow),
    /// A new resource, or a new version of a stored one.
    Write(NewVersion),
}

impl Plan {
    fn into_outcome(self) -> Outcome {
        match self {
            Plan::Keep(row) => Outcome {
                row,
                outcome: WriteOutcome::Unchanged,
            },
            Plan::Write(version) => {
                let outcome = match version.supersedes {
                    Some(_) => WriteOutcome::Updated,
                    None => WriteOutcome::Created,
                };
                Outcome {
                    row: version.into_row(),
                    outcome,
                }
            }
        }
    }
}

/// Decide what becomes of one entry whose target is `target`, stored now as
/// `current`. `taken` is the error for an identifier another resource holds,
/// raised only once the entry is known to exist and be at the expected version.
fn plan(
    entry: Entry,
    target: &Target,
    current: Option<StoredRow>,
    taken: Option<NodeError>,
    last_updated: &str,
) -> Result<Plan, NodeError> {
    let current = match (target, current) {
        (Target::Existing(_), Some(current)) => return Ok(Plan::Keep(current)),
        (_, current) => current,
    };
    let name = || format!("{}/{}", entry.resource_type, target.id());
    if let Method::Update {
        if_match_version,
        must_exist,
        ..
    } = &entry.method
    {
        if *must_exist && current.is_none() {
            return Err(NodeError::NotFound(name()));
        }
        if let Some(expected) = if_match_version
            && current.as_ref().map(|c| c.version_id) != Some(*expected)
        {
            return Err(NodeError::VersionConflict {
                resource: name(),
                expected: *expected,
                current: current.map(|c| c.version_id).unwrap_or(0),
            });
        }
    }
    if let Some(taken) = taken {
        return Err(taken);
    }
    let Entry {
        resource,
        resource_type,
        labels,
        tokens,
        ..
    } = entry;
    let stamp = |version_id| version::Stamp {
        resource_type: &resource_type,
        id: target.id(),
        version_id,
        last_updated,
    };
    Ok(match current {
        Some(current) => {
            let candidate = version::comparable(resource, target.id());
            if version::is_unchanged(&current, &candidate) {
                Plan::Keep(current)
            } else {
                let next = stamp(current.version_id + 1);
                Plan::Write(version::stamp(
                    candidate,
                    &next,
                    labels,
                    tokens,
                    Some(current),
                ))
            }
        }
        None => Plan::Write(version::stamp(resource, &stamp(1), labels, tokens, None)),
    })
}

/// Decide, for every entry, which stored resource it is; also the entries
/// whose identifiers another stored resource already holds.
async fn find_targets(
    tx: &TenantTx,
    env: &Environment,
    entries: &[Entry],
    on_match: OnIdentifierMatch,
) -> Result<(Vec<Target>, HashMap<usize, NodeError>), NodeError> {
    let mut wanted_identifiers = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        wanted_identifiers.extend(entry.identifiers().map(str::to_owned));
        if let Method::CreateIfNoneExist { query } = &entry.method {
            wanted_identifiers.push(identifier_query(query).map_err(|e| e.in_entry(index))?);
        }
    }
    let by_identifier = lookup(tx, search::IDENTIFIER, &wanted_identifiers).await?;
    let matches = |table: &HashMap<(String, String), Vec<String>>, ty: &str, value: &str| {
        table
            .get(&(ty.to_owned(), value.to_owned()))
            .cloned()
            .unwrap_or_default()
    };

    let mut targets = Vec::with_capacity(entries.len());
    let mut claimed: HashMap<(String, String), usize> = HashMap::new();
    let mut identified: HashMap<(String, String), usize> = HashMap::new();
    let mut taken: HashMap<usize, NodeError> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let ty = entry.resource_type.as_str();
        let target = match &entry.method {
            Method::Update { id, .. } => Target::Id(id.clone()),
            Method::CreateIfNoneExist { query } => {
                let value = identifier_query(query).map_err(|e| e.in_entry(index))?;
                // Conditional create never updates: no match means a new
                // resource with a fresh id, not the entry's fullUrl UUID.
                match matches(&by_identifier, ty, &value).as_slice() {
                    [] => Target::New(env.ids.new_id()),
                    [id] => Target::Existing(id.clone()),
                    several => {
                        return Err(NodeError::ConditionalMatch {
                            resource_type: ty.to_owned(),
                            query: query.clone(),
                            matches: several.len(),
                        }
                        .in_entry(index));
                    }
                }
            }
            Method::Create => {
                let mut ids: Vec<String> = entry
                    .identifiers()
                    .flat_map(|value| matches(&by_identifier, ty, value))
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                match (ids.as_slice(), on_match) {
                    ([], _) => id_for_new(entry, env),
                    ([id], OnIdentifierMatch::UpdateMatched) => Target::Id(id.clone()),
                    ([id], OnIdentifierMatch::Refuse) => {
                        return Err(NodeError::AlreadyExists(format!(
                            "{ty}/{id} already has one of this {ty}'s identifiers"
                        ))
                        .in_entry(index));
                    }
                    (several, _) => {
                        return Err(NodeError::InvalidRequest(format!(
                            "the identifiers of this {ty} belong to {} different stored resources ({}); \
                             resolve the duplicate before importing",
                            several.len(),
                            several.iter().map(|id| format!("{ty}/{id}")).collect::<Vec<_>>().join(", ")
                        ))
                        .in_entry(index));
                    }
                }
            }
        };
        if let Some(first) = claimed.insert((ty.to_owned(), target.id().to_owned()), index) {
            return Err(NodeError::InvalidRequest(format!(
                "entries {first} and {index} are the same {ty}/{}",
                target.id()
            ))
            .in_entry(index));
        }
        // One identifier, one resource: no two entries may share one, and an
        // update may not take an identifier another stored resource holds.
        for value in entry.identifiers() {
            let key = (ty.to_owned(), value.to_owned());
            if let Some(first) = identified.insert(key, index) {
                return Err(NodeError::InvalidRequest(format!(
                    "entries {first} and {index} are two {ty} resources with the identifier `{value}`"
                ))
                .in_entry(index));
            }
            if let Some(other) = matches(&by_identifier, ty, value)
                .into_iter()
                .find(|id| id != target.id())
            {
                // Raised once the entry is known to exist, so that updating a
                // missing resource says so first.
                taken.entry(index).or_insert_with(|| {
                    NodeError::AlreadyExists(format!(
                        "{ty}/{other} already has the identifier `{value}`"
                    ))
                });
            }
        }
        targets.push(target);
    }
    Ok((targets, taken))
}

/// The id of an entry that matched nothing stored. A bundle entry named by a
/// `urn:uuid:` fullUrl (as EMRs and Synthea name them) is stored under that
/// UUID, so importing the bundle again finds it — as an update of the same
/// resource, not a copy. Anything else gets a fresh id.
fn id_for_new(entry: &Entry, env: &Environment) -> Target {
    match entry
        .full_url
        .as_deref()
        .and_then(continuum_fhir::references::bundle_uuid)
    {
        Some(uuid) => Target::Id(uuid),
        None => Target::New(env.ids.new_id()),
    }
}

/// (resource type, value) → ids of resources indexed under `param`.
async fn lookup(
    tx: &TenantTx,
    param: &str,
    values: &[String],
) -> Result<HashMap<(String, String), Vec<String>>, NodeError> {
    let mut out: HashMap<(String, String), Vec<String>> = HashMap::new();
    if values.is_empty() {
        return Ok(out);
    }
    let mut values: Vec<&str> = values.iter().map(String::as_str).collect();
    values.sort_unstable();
    values.dedup();
    for (ty, value, id) in tx.find_tokens(param, &values).await? {
        out.entry((ty, value)).or_default().push(id);
    }
    Ok(out)
}

/// The stored current versions of every entry's target.
async fn load_currents(
    tx: &TenantTx,
    entries: &[Entry],
    targets: &[Target],
) -> Result<HashMap<(String, String), StoredRow>, NodeError> {
    let mut by_type: HashMap<&str, Vec<&str>> = HashMap::new();
    for (entry, target) in entries.iter().zip(targets) {
        if !matches!(target, Target::New(_)) {
            by_type
                .entry(entry.resource_type.as_str())
                .or_default()
                .push(target.id());
        }
    }
    let mut out = HashMap::new();
    for (ty, ids) in by_type {
        for (id, row) in tx.currents(ty, &ids).await? {
            out.insert((ty.to_owned(), id), row);
        }
    }
    Ok(out)
}
