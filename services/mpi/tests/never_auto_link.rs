//! The hard guards: look-alike pairs that must never be linked
//! automatically, whatever their score, and the index behaviours the
//! locator relies on (updates do not duplicate; typo'd records link).

#![allow(clippy::unwrap_used)]

use continuum_mpi::{
    Address, Band, Demographics, Guard, Identifier, MatchConfig, MatchIndex, RecordKey, Sex,
};

const SSN: &str = "http://hl7.org/fhir/sid/us-ssn";

fn patient(given: &str, family: &str, birth: &str, sex: Sex) -> Demographics {
    Demographics {
        given: vec![given.into()],
        family: Some(family.into()),
        suffix: vec![],
        birth_date: Some(birth.into()),
        sex: Some(sex),
        address: Some(Address {
            lines: vec!["12 Elm Street".into()],
            city: Some("Boston".into()),
            postal_code: Some("02139".into()),
            country: Some("US".into()),
        }),
        phones: vec!["(617) 555-0101".into()],
        identifiers: vec![],
    }
}

fn with_ssn(mut d: Demographics, ssn: &str) -> Demographics {
    d.identifiers.push(Identifier {
        system: SSN.into(),
        value: ssn.into(),
    });
    d
}

#[test]
fn twins_with_different_first_names_become_separate_persons() {
    let mut index = MatchIndex::new(MatchConfig::default());
    let a = index.register(
        RecordKey::new("clinic", "1"),
        &patient("Emily", "Carter", "2001-04-09", Sex::Female),
    );
    let b = index.register(
        RecordKey::new("clinic", "2"),
        &patient("Hannah", "Carter", "2001-04-09", Sex::Female),
    );
    assert_eq!(b.band, Band::NewPerson);
    assert_ne!(a.person, b.person);
    assert!(b.explanation.guards.contains(&Guard::Siblings));
}

#[test]
fn twins_of_different_sex_are_not_auto_linked() {
    let mut index = MatchIndex::new(MatchConfig::default());
    index.register(
        RecordKey::new("clinic", "1"),
        &patient("Jack", "Carter", "2001-04-09", Sex::Male),
    );
    let b = index.register(
        RecordKey::new("clinic", "2"),
        &patient("Johnny", "Carter", "2001-04-09", Sex::Female),
    );
    assert_ne!(b.band, Band::AutoLink);
}

#[test]
fn father_and_son_with_the_same_name_are_not_auto_linked() {
    let mut index = MatchIndex::new(MatchConfig::default());
    let mut father = patient("Robert", "Miller", "1950-06-01", Sex::Male);
    father.suffix = vec!["Sr.".into()];
    let mut son = patient("Robert", "Miller Jr.", "1978-02-14", Sex::Male);
    son.suffix = vec![];
    let f = index.register(RecordKey::new("hospital", "f"), &father);
    let s = index.register(RecordKey::new("hospital", "s"), &son);
    assert_ne!(s.band, Band::AutoLink);
    assert_ne!(f.person, s.person);
    assert!(s.explanation.guards.contains(&Guard::Generation));
    assert!(s.explanation.guards.contains(&Guard::BirthDateConflict));
}

#[test]
fn father_and_son_without_suffixes_are_kept_apart_by_birth_date() {
    let mut index = MatchIndex::new(MatchConfig::default());
    let f = index.register(
        RecordKey::new("hospital", "f"),
        &patient("Robert", "Miller", "1950-06-01", Sex::Male),
    );
    let s = index.register(
        RecordKey::new("clinic", "s"),
        &patient("Bob", "Miller", "1978-02-14", Sex::Male),
    );
    assert_ne!(s.band, Band::AutoLink);
    assert_ne!(f.person, s.person);
}

#[test]
fn shared_identifier_typed_wrongly_once_goes_to_review_not_link() {
    let mut index = MatchIndex::new(MatchConfig::default());
    let a = index.register(
        RecordKey::new("clinic", "a"),
        &with_ssn(
            patient("Linda", "Okafor", "1961-09-30", Sex::Female),
            "123-45-6789",
        ),
    );
    let mut b = with_ssn(
        patient("Marcus", "Okafor", "1990-01-12", Sex::Male),
        "123456789",
    );
    b.address = None;
    b.phones.clear();
    let b = index.register(RecordKey::new("hospital", "b"), &b);
    assert_ne!(b.band, Band::AutoLink);
    assert_ne!(a.person, b.person);
    assert!(
        b.explanation
            .guards
            .contains(&Guard::IdentifierWithoutDemographics)
    );
}

#[test]
fn a_namesake_without_birth_date_is_not_auto_linked() {
    let mut index = MatchIndex::new(MatchConfig::default());
    let mut father = patient("Sanjay", "Lowe", "1933-04-20", Sex::Male);
    father.suffix = vec!["Sr.".into()];
    let f = index.register(RecordKey::new("hospital", "f"), &father);
    // The son, at his father's address, registered without suffix or date:
    // name and address cannot tell which of the two he is.
    let mut son = patient("Sanjay", "Lowe", "1933-04-20", Sex::Male);
    son.birth_date = None;
    let s = index.register(RecordKey::new("clinic", "s"), &son);
    assert_ne!(s.band, Band::AutoLink, "{:?}", s.explanation);
    assert_ne!(f.person, s.person);
    assert!(
        s.explanation
            .guards
            .contains(&Guard::NamesakeWithoutBirthDate)
    );
}

/// Registers a few unrelated patients with each first name, so that the
/// index knows them as names in their own right rather than typos.
fn establish_names(index: &mut MatchIndex, names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        for j in 0..5 {
            let mut d = patient(name, &format!("Filler{i}x{j}"), "1950-01-01", Sex::Male);
            d.birth_date = Some(format!("19{:02}-0{}-1{j}", 40 + i, j + 1));
            d.address = None;
            d.phones.clear();
            index.register(RecordKey::new("filler", format!("{name}-{j}")), &d);
        }
    }
}

#[test]
fn twins_whose_names_are_a_letter_apart_are_not_auto_linked() {
    let mut index = MatchIndex::new(MatchConfig::default());
    establish_names(&mut index, &["Brian", "Bryan"]);
    let a = index.register(
        RecordKey::new("clinic", "1"),
        &patient("Brian", "Nakamura", "2015-07-20", Sex::Male),
    );
    let b = index.register(
        RecordKey::new("clinic", "2"),
        &patient("Bryan", "Nakamura", "2015-07-20", Sex::Male),
    );
    assert_ne!(b.band, Band::AutoLink, "{:?}", b.explanation);
    assert_ne!(a.person, b.person);
    assert!(b.explanation.guards.contains(&Guard::Siblings));
}

#[test]
fn a_record_that_also_fits_a_look_alike_goes_to_review() {
    let mut index = MatchIndex::new(MatchConfig::default());
    establish_names(&mut index, &["Josh", "Jose"]);
    let mut joshua = patient("Joshua", "Green", "1966-03-26", Sex::Male);
    joshua.address = None;
    joshua.phones.clear();
    index.register(RecordKey::new("clinic", "joshua"), &joshua);
    let mut jose = patient("Jose", "Green", "1966-03-26", Sex::Male);
    jose.phones.clear();
    index.register(RecordKey::new("hospital", "jose"), &jose);
    // "Josh" is Joshua's nickname, and Jose mistyped at Jose's address.
    let mut josh = patient("Josh", "Green", "1966-03-26", Sex::Male);
    josh.phones.clear();
    let d = index.register(RecordKey::new("lab", "josh"), &josh);
    assert_eq!(d.band, Band::Review, "{:?}", d.explanation);
    assert!(d.candidates.len() >= 2, "{:?}", d.candidates);
}

#[test]
fn a_mistyped_birth_month_still_links() {
    let mut index = MatchIndex::new(MatchConfig::default());
    let a = index.register(
        RecordKey::new("clinic", "1"),
        &patient("Doris", "Gray", "1956-06-24", Sex::Female),
    );
    let b = index.register(
        RecordKey::new("hospital", "2"),
        &patient("Doris", "Gray", "1956-11-24", Sex::Female),
    );
    assert_eq!(b.band, Band::AutoLink, "{:?}", b.explanation);
    assert_eq!(a.person, b.person);
}

#[test]
fn same_patient_with_typo_nickname_and_zip_plus_four_links() {
    let mut index = MatchIndex::new(MatchConfig::default());
    let a = index.register(
        RecordKey::new("clinic", "1"),
        &patient("Robert", "Johnson", "1972-11-03", Sex::Male),
    );
    let mut typed = patient("Bob", "Jonhson", "1972-11-03", Sex::Male);
    typed.address.as_mut().unwrap().postal_code = Some("02139-4410".into());
    typed.phones = vec!["+1 617.555.0101".into()];
    let b = index.register(RecordKey::new("hospital", "9"), &typed);
    assert_eq!(b.band, Band::AutoLink, "{:?}", b.explanation);
    assert_eq!(a.person, b.person);
    let sum: f64 = b.explanation.fields.iter().map(|f| f.weight).sum();
    assert!((sum - b.score).abs() < 1e-9);
}

#[test]
fn reregistering_a_record_updates_instead_of_duplicating() {
    let mut index = MatchIndex::new(MatchConfig::default());
    let key = RecordKey::new("clinic", "1");
    let first = index.register(
        key.clone(),
        &patient("Ann", "Lee", "1980-01-02", Sex::Female),
    );
    let mut moved = patient("Ann", "Lee", "1980-01-02", Sex::Female);
    moved.address.as_mut().unwrap().lines = vec!["7 Oak Avenue".into()];
    let second = index.register(key.clone(), &moved);
    assert!(second.updated);
    assert_eq!(index.len(), 1);
    assert_eq!(second.person, first.person);
    assert_eq!(index.person_of(&key), Some(first.person));
    assert_eq!(index.records_of(first.person).count(), 1);
}
