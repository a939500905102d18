//! The locator's patient index: every registration, normalized and
//! blocked in memory (`continuum-mpi`), deciding which network person each
//! new or changed registration belongs to.
//!
//! The database is the truth; this is a view of it. It is loaded at start,
//! changed together with each committed decision or operator link, and
//! reloaded if a database write fails after a decision was made, so the two
//! never drift apart.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use continuum_mpi::{Band, Decision, Demographics, MatchConfig, MatchIndex, PersonId, RecordKey};
use serde_json::json;

use crate::LocatorError;
use crate::store::{Assignment, DirectoryStore, IncomingEvent, Registration, ReviewCandidate};

/// A person that a demographic search matched.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchMatch {
    pub person: String,
    /// How a registration with the searched demographics would be decided
    /// against this person.
    pub band: Band,
    pub score: f64,
    /// Which fields agreed and how much each weighed (for the best match).
    pub explanation: String,
}

/// The matcher's decision as the link history keeps it (see [`explain`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDecision {
    pub band: Band,
    pub score: f64,
}

impl StoredDecision {
    /// The decision in a link-history detail; `None` for an operator's note.
    pub fn read(detail: &str) -> Option<StoredDecision> {
        #[derive(serde::Deserialize)]
        struct Stored {
            band: Band,
            score: f64,
        }
        let stored: Stored = serde_json::from_str(detail).ok()?;
        Some(StoredDecision {
            band: stored.band,
            score: stored.score,
        })
    }
}

/// The matcher's index, and the network person id of each of its persons.
#[derive(Debug)]
struct State {
    index: MatchIndex,
    /// `PersonId` (dense) → network person id.
    ids: Vec<Option<String>>,
    by_id: HashMap<String, PersonId>,
}

#[derive(Debug)]
pub struct PatientIndex {
    config: MatchConfig,
    state: Mutex<State>,
}

impl PatientIndex {
    /// Load every registration from the database.
    pub async fn load(store: &DirectoryStore, config: MatchConfig) -> Result<Self, LocatorError> {
        let state = load_state(store, &config).await?;
        tracing::info!(records = state.index.len(), "patient index loaded");
        Ok(Self {
            config,
            state: Mutex::new(state),
        })
    }

    /// Rebuild from the database (after a failed write).
    pub async fn reload(&self, store: &DirectoryStore) -> Result<(), LocatorError> {
        let state = load_state(store, &self.config).await?;
        *self.lock() = state;
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Decide the person of a new or changed registration. `new_id` makes
    /// network ids (persons, review items).
    pub fn decide(
        &self,
        event: &IncomingEvent,
        existing: Option<&Registration>,
        mut new_id: impl FnMut() -> String,
    ) -> Assignment {
        let demographics = demographics_of(&event.demographics_json);
        let key = RecordKey::new(&event.tenant, &event.local_id);
        let mut state = self.lock();
        let decision = state.index.register(key, &demographics);
        let (person, new_person) = state.person_id(decision.person, &mut new_id);
        let detail = explain(&decision);
        let review = if decision.band == Band::Review {
            decision
                .candidates
                .iter()
                .filter(|(candidate, _)| *candidate != decision.person)
                .filter_map(|(candidate, score)| {
                    let person = state.ids.get(candidate.0 as usize).cloned().flatten()?;
                    Some(ReviewCandidate {
                        id: new_id(),
                        person,
                        score: *score,
                        explanation: detail.clone(),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        // An update keeps its person unless the matcher moved it: the index
        // decides, the database follows.
        debug_assert!(existing.is_none_or(|r| r.local_id == event.local_id));
        Assignment {
            person,
            new_person,
            detail,
            review,
        }
    }

    /// The persons `patient` (FHIR JSON) would be matched with, best first,
    /// at most `limit`; nothing is registered.
    pub fn search(&self, patient: &serde_json::Value, limit: usize) -> Vec<SearchMatch> {
        let demographics = Demographics::from_fhir_patient(patient);
        let state = self.lock();
        let assessment = state.index.search(&demographics);
        assessment
            .candidates
            .iter()
            .take(limit)
            .filter_map(|&(candidate, score)| {
                let best = Some(candidate) == assessment.person;
                Some(SearchMatch {
                    person: state.ids.get(candidate.0 as usize).cloned().flatten()?,
                    band: if best { assessment.band } else { Band::Review },
                    score,
                    explanation: if best {
                        serde_json::to_string(&assessment.explanation).unwrap_or_default()
                    } else {
                        String::new()
                    },
                })
            })
            .collect()
    }

    /// Move a registration to the person with network id `person`.
    pub fn link(&self, tenant: &str, local_id: &str, person: &str) {
        let mut state = self.lock();
        let target = state.by_id.get(person).copied();
        let key = RecordKey::new(tenant, local_id);
        if let Some(moved) = state.index.reassign(&key, target)
            && target.is_none()
        {
            state.bind(moved, person.to_owned());
        }
    }

    /// Give a registration the new person `person`.
    pub fn unlink(&self, tenant: &str, local_id: &str, person: &str) {
        let mut state = self.lock();
        let key = RecordKey::new(tenant, local_id);
        if let Some(moved) = state.index.reassign(&key, None) {
            state.bind(moved, person.to_owned());
        }
    }
}

impl State {
    /// The network id of `person`, minting one for a person the matcher
    /// just created.
    fn person_id(
        &mut self,
        person: PersonId,
        new_id: &mut impl FnMut() -> String,
    ) -> (String, bool) {
        if let Some(Some(id)) = self.ids.get(person.0 as usize) {
            return (id.clone(), false);
        }
        let id = new_id();
        self.bind(person, id.clone());
        (id, true)
    }

    fn bind(&mut self, person: PersonId, id: String) {
        let slot = person.0 as usize;
        if self.ids.len() <= slot {
            self.ids.resize(slot + 1, None);
        }
        self.ids[slot] = Some(id.clone());
        self.by_id.insert(id, person);
    }
}

async fn load_state(store: &DirectoryStore, config: &MatchConfig) -> Result<State, LocatorError> {
    let mut state = State {
        index: MatchIndex::new(config.clone()),
        ids: Vec::new(),
        by_id: HashMap::new(),
    };
    for registration in store.all_registrations().await? {
        let next = PersonId(state.ids.len() as u64);
        let person = *state
            .by_id
            .entry(registration.person.clone())
            .or_insert(next);
        if person == next {
            state.ids.push(Some(registration.person.clone()));
        }
        let key = RecordKey::new(&registration.tenant, &registration.local_id);
        state.index.place(
            key,
            &demographics_of(&registration.demographics_json),
            person,
        );
    }
    Ok(state)
}

/// The feed's demographic elements as the matcher reads them. The JSON was
/// validated when the event arrived.
fn demographics_of(json: &str) -> Demographics {
    serde_json::from_str::<serde_json::Value>(json)
        .map(|patient| Demographics::from_fhir_patient(&patient))
        .unwrap_or_default()
}

/// A band as the API names it.
pub fn band_name(band: Band) -> &'static str {
    match band {
        Band::AutoLink => "auto_link",
        Band::Review => "review",
        Band::NewPerson => "new_person",
    }
}

/// What the link history and the review queue keep of a decision: the band,
/// the score, and which fields agreed and how much each weighed (no values).
fn explain(decision: &Decision) -> String {
    json!({
        "band": decision.band,
        "score": decision.score,
        "explanation": decision.explanation,
    })
    .to_string()
}
