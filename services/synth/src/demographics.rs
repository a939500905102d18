//! Who the patient is: gender, birth, name, address, contact, language,
//! identifiers and body build, and the Patient resource that records them.

use crate::chance::{chance, normalish, pick, pick_ref, pick_weighted, pick_weighted_ref};
use crate::ids::{Dice, digits};
use crate::json::object;
use crate::names::{CULTURES, Culture, ENGLISH_LANGUAGE, ascii_fold};
use crate::places::{CITIES, address, phone};
use crate::providers::CareTeam;
use crate::time::{REFERENCE_DATE, age_on, date_text};
use chrono::{Days, NaiveDate};
use rand::Rng;
use serde_json::Value;

/// Identifier system of synthetic medical record numbers.
pub(crate) const MRN_SYSTEM: &str = "https://continuum.example/synth/mrn";
const SSN_SYSTEM: &str = "http://hl7.org/fhir/sid/us-ssn";
const IDENTIFIER_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
const MARITAL_STATUS: &str = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus";

/// FHIR administrative gender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gender {
    Male,
    Female,
    Other,
    Unknown,
}

impl Gender {
    fn code(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Other => "other",
            Gender::Unknown => "unknown",
        }
    }
}

/// The facts about a patient the clinical history depends on.
#[derive(Debug)]
pub(crate) struct Person {
    pub gender: Gender,
    pub birth: NaiveDate,
    /// `José Luis García Núñez`, for notes.
    pub display: String,
    /// Height once grown, in cm; children are a fraction of it.
    pub adult_height_cm: f64,
    /// Body mass index as an adult.
    pub adult_bmi: f64,
}

impl Person {
    pub(crate) fn age_on(&self, date: NaiveDate) -> u32 {
        age_on(self.birth, date)
    }

    /// Age at the reference date.
    pub(crate) fn age(&self) -> u32 {
        self.age_on(REFERENCE_DATE)
    }

    pub(crate) fn is_female(&self) -> bool {
        self.gender == Gender::Female
    }
}

/// Draws a person, and their Patient resource. Patients in the sensitive
/// stratum are adults, as every sensitive condition this crate codes is an
/// adult one.
pub(crate) fn person(dice: &mut Dice, sensitive: bool, team: &CareTeam) -> (Person, Value) {
    let gender = pick_weighted(
        dice,
        &[
            (490, Gender::Female),
            (490, Gender::Male),
            (15, Gender::Other),
            (5, Gender::Unknown),
        ],
    );
    let age = if sensitive {
        dice.random_range(18..=80u64)
    } else {
        let (lo, hi) = pick_weighted(
            dice,
            &[
                (22, (0, 17)),
                (28, (18, 39)),
                (32, (40, 64)),
                (18, (65, 94)),
            ],
        );
        dice.random_range(lo..=hi)
    };
    // Whole years plus part of one: ages stay within 0-95 at the reference
    // date, and even the youngest are a month old, so their history has
    // room for a visit before the reference date.
    let days_old = age * 365 + age / 4 + dice.random_range(30..360u64);
    let birth = REFERENCE_DATE
        .checked_sub_days(Days::new(days_old))
        .unwrap_or(REFERENCE_DATE);
    let adult = age >= 18;

    let culture = pick_weighted_ref(dice, CULTURES);
    let marital = marital_status(dice, age);
    let names = human_names(dice, culture, gender, adult, marital == "M");
    let display = names.display.clone();

    let city = if chance(dice, 0.7) {
        team.organization.city
    } else {
        pick_ref(dice, CITIES)
    };
    let contact = |system: &str, value: String, usage: &str| {
        object! {"system" => system, "value" => value, "use" => usage}
    };
    let mut telecom = vec![contact("phone", phone(dice), "home")];
    if adult && chance(dice, 0.3) {
        telecom.push(contact("phone", phone(dice), "mobile"));
    }
    if age >= 13 && chance(dice, 0.45) {
        let domain = pick(dice, &["example.com", "example.net", "example.org"]);
        let email = format!(
            "{}.{}{}@{domain}",
            names.given_ascii,
            names.family_ascii,
            dice.random_range(1..100u8)
        );
        telecom.push(contact("email", email, "home"));
    }

    let height_mean = match gender {
        Gender::Male => 176.0,
        Gender::Female => 163.0,
        Gender::Other | Gender::Unknown => 170.0,
    };
    let adult_height_cm = normalish(dice, height_mean, 7.0);
    let (bmi_lo, bmi_hi) = pick_weighted(
        dice,
        &[(35, (19.0, 25.0)), (33, (25.0, 30.0)), (32, (30.0, 40.0))],
    );
    let adult_bmi = dice.random_range(bmi_lo..bmi_hi);

    // 999 is never issued: a visibly fictional SSN.
    let ssn = format!("999-{}-{}", digits(dice, 2), digits(dice, 4));
    let identifiers = vec![
        identifier(
            "usual",
            "MR",
            "Medical Record Number",
            MRN_SYSTEM,
            digits(dice, 12),
        ),
        identifier("official", "SS", "Social Security Number", SSN_SYSTEM, ssn),
    ];
    let marital_status = object! {
        "coding" => vec![object! {
            "system" => MARITAL_STATUS,
            "code" => marital,
            "display" => marital_display(marital),
        }],
        "text" => marital_display(marital),
    };
    let resource = object! {
        "resourceType" => "Patient",
        "identifier" => identifiers,
        "name" => names.fhir,
        "telecom" => telecom,
        "gender" => gender.code(),
        "birthDate" => date_text(birth),
        "address" => vec![address(dice, city)],
        "maritalStatus" => marital_status,
        "multipleBirthBoolean" => chance(dice, 0.02),
        "communication" => languages(dice, culture),
        "generalPractitioner" => vec![team.practitioner.reference()],
        "managingOrganization" => team.organization.reference(),
    };
    let person = Person {
        gender,
        birth,
        display,
        adult_height_cm,
        adult_bmi,
    };
    (person, resource)
}

/// Make `team` the Patient's general practitioner and managing organization
/// (the person registered at another site); nothing else changes.
pub(crate) fn assign_care_team(patient: &mut Value, team: &CareTeam) {
    patient["generalPractitioner"] = Value::from(vec![team.practitioner.reference()]);
    patient["managingOrganization"] = team.organization.reference();
}

/// An identifier with its v2-0203 type.
fn identifier(usage: &str, kind: &str, kind_display: &str, system: &str, value: String) -> Value {
    let kind = object! {
        "coding" => vec![object! {"system" => IDENTIFIER_TYPE, "code" => kind, "display" => kind_display}],
        "text" => kind_display,
    };
    object! {"use" => usage, "type" => kind, "system" => system, "value" => value}
}

/// v3-MaritalStatus codes by frequency, for adults under and over 50.
const MARITAL_YOUNGER: &[(u32, &str)] = &[(45, "M"), (40, "S"), (15, "D")];
const MARITAL_OLDER: &[(u32, &str)] = &[(55, "M"), (15, "S"), (18, "D"), (12, "W")];

fn marital_status(dice: &mut Dice, age: u64) -> &'static str {
    match age {
        0..18 => "S",
        18..50 => pick_weighted(dice, MARITAL_YOUNGER),
        _ => pick_weighted(dice, MARITAL_OLDER),
    }
}

fn marital_display(code: &str) -> &'static str {
    match code {
        "M" => "Married",
        "D" => "Divorced",
        "W" => "Widowed",
        _ => "Never Married",
    }
}

/// A patient's names: the FHIR `HumanName`s and the plain forms the rest of
/// the record uses.
struct Names {
    fhir: Vec<Value>,
    display: String,
    given_ascii: String,
    family_ascii: String,
}

fn human_names(
    dice: &mut Dice,
    culture: &Culture,
    gender: Gender,
    adult: bool,
    married: bool,
) -> Names {
    let female_names = match gender {
        Gender::Female => true,
        Gender::Male => false,
        Gender::Other | Gender::Unknown => dice.random_bool(0.5),
    };
    let pool = if female_names {
        culture.female
    } else {
        culture.male
    };
    let mut given = vec![pick(dice, pool)];
    if chance(dice, 0.35) {
        let second = pick(dice, pool);
        if second != given[0] {
            given.push(second);
        }
    }
    let family = family_name(dice, culture);

    let mut official =
        object! {"use" => "official", "family" => family.as_str(), "given" => given.clone()};
    if adult && chance(dice, 0.8) {
        let prefix = if chance(dice, 0.03) {
            "Dr."
        } else {
            match gender {
                Gender::Male => "Mr.",
                Gender::Female if married => "Mrs.",
                Gender::Female => "Ms.",
                Gender::Other | Gender::Unknown => "Mx.",
            }
        };
        official["prefix"] = Value::from(vec![prefix]);
    }
    if adult && gender == Gender::Male {
        let suffix = pick_weighted(dice, &[(93, ""), (4, "Jr."), (2, "Sr."), (1, "III")]);
        if !suffix.is_empty() {
            official["suffix"] = Value::from(vec![suffix]);
        }
    }
    let mut fhir = vec![official];
    // Some married women's records keep the birth family name as maiden name.
    if married && gender == Gender::Female && chance(dice, 0.4) {
        let birth_culture = pick_weighted_ref(dice, CULTURES);
        let birth_family = family_name(dice, birth_culture);
        if birth_family != family {
            fhir.push(
                object! {"use" => "maiden", "family" => birth_family, "given" => given.clone()},
            );
        }
    }
    Names {
        display: format!("{} {family}", given.join(" ")),
        given_ascii: ascii_fold(given[0]),
        family_ascii: ascii_fold(&family),
        fhir,
    }
}

/// A family name: sometimes the two surnames of Spanish and Portuguese
/// naming, sometimes a hyphenated pair.
fn family_name(dice: &mut Dice, culture: &Culture) -> String {
    let first = pick(dice, culture.family);
    if culture.two_surnames && chance(dice, 0.5) {
        let second = pick(dice, culture.family);
        if second != first {
            return format!("{first} {second}");
        }
    } else if chance(dice, 0.06) {
        let other = pick_weighted_ref(dice, CULTURES);
        let second = pick(dice, other.family);
        if second != first {
            return format!("{first}-{second}");
        }
    }
    first.to_string()
}

/// The languages spoken: English alone, or the family's language
/// (preferred) and often English too.
fn languages(dice: &mut Dice, culture: &Culture) -> Vec<Value> {
    let language = |(code, display): (&str, &str), preferred: bool| {
        let coding = object! {"system" => "urn:ietf:bcp:47", "code" => code, "display" => display};
        object! {
            "language" => object! {"coding" => vec![coding], "text" => display},
            "preferred" => preferred,
        }
    };
    if culture.language == ENGLISH_LANGUAGE || chance(dice, 0.45) {
        return vec![language(ENGLISH_LANGUAGE, true)];
    }
    let mut spoken = vec![language(culture.language, true)];
    if chance(dice, 0.6) {
        spoken.push(language(ENGLISH_LANGUAGE, false));
    }
    spoken
}
