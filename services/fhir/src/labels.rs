//! Information-sensitivity labels (HL7 DS4P) of FHIR R4 resources.
//!
//! This module is the one place in Continuum that decides which v3-ActCode
//! sensitivity categories a resource carries, and writes them into
//! `meta.security`. Consent filtering trusts these labels, so a missed label is
//! a privacy leak: the rules are explicit, conservative, and each is tested.
//!
//! How a resource is read (pure, no I/O):
//! * every JSON object, at any depth, with string `system` and `code` fields is
//!   taken as a Coding and matched on (system, code) by one matcher per code
//!   system; codes are never guessed from `display` or free text;
//! * `text` (the narrative) is not read: a label follows codes, not prose;
//! * `meta` is not read for clinical codes, but a sensitivity label the sender
//!   already put in `meta.security` (of the resource or of any contained or
//!   bundled resource) counts: a sender's label is never dropped.
//!
//! Every code in the tables below was checked against a published source (an
//! eCQM/VSAC value set, an HL7/IHE/CDC implementation guide, Synthea) except
//! those marked "unverified here", which are well-known codes the brief asked
//! for. A code that could not be confirmed at all is left out, because a wrong
//! code is worse than a missing one; the notes next to each table say what was
//! left out and why.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// A sensitivity category from HL7 v3 ActCode (the DS4P "information sensitivity" codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sensitivity {
    /// Alcohol or drug abuse information (42 CFR Part 2).
    Eth,
    /// Psychiatric disorder information.
    Psy,
    /// HIV/AIDS information.
    Hiv,
    /// Genetic disease information.
    Gdis,
    /// Sexual assault, abuse or domestic violence information.
    Sdv,
    /// Sexuality and reproductive health information.
    Sex,
}

impl Sensitivity {
    /// Every category, in label order.
    pub const ALL: [Sensitivity; 6] = [
        Sensitivity::Eth,
        Sensitivity::Psy,
        Sensitivity::Hiv,
        Sensitivity::Gdis,
        Sensitivity::Sdv,
        Sensitivity::Sex,
    ];

    /// The code system of the labels.
    pub const SYSTEM: &'static str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

    /// The ActCode code, e.g. `"ETH"`.
    pub fn code(self) -> &'static str {
        match self {
            Sensitivity::Eth => "ETH",
            Sensitivity::Psy => "PSY",
            Sensitivity::Hiv => "HIV",
            Sensitivity::Gdis => "GDIS",
            Sensitivity::Sdv => "SDV",
            Sensitivity::Sex => "SEX",
        }
    }

    /// The HL7 display of the code.
    pub fn display(self) -> &'static str {
        match self {
            Sensitivity::Eth => "substance abuse information sensitivity",
            Sensitivity::Psy => "psychiatry disorder information sensitivity",
            Sensitivity::Hiv => "HIV/AIDS information sensitivity",
            Sensitivity::Gdis => "genetic disease information sensitivity",
            Sensitivity::Sdv => {
                "sexual assault, abuse, or domestic violence information sensitivity"
            }
            Sensitivity::Sex => "sexuality and reproductive health information sensitivity",
        }
    }

    /// The category of an ActCode code (case-sensitive, as HL7 codes are).
    pub fn from_code(code: &str) -> Option<Sensitivity> {
        Sensitivity::ALL
            .into_iter()
            .find(|label| label.code() == code)
    }
}

const CONFIDENTIALITY_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

// Code system URIs, with the HL7 OIDs that converters (e.g. from C-CDA) still send.
const ICD10_SYSTEMS: &[&str] = &[
    "http://hl7.org/fhir/sid/icd-10-cm",
    "http://hl7.org/fhir/sid/icd-10",
    "urn:oid:2.16.840.1.113883.6.90", // ICD-10-CM
    "urn:oid:2.16.840.1.113883.6.3",  // ICD-10 (WHO)
];
const SNOMED_SYSTEMS: &[&str] = &["http://snomed.info/sct", "urn:oid:2.16.840.1.113883.6.96"];
const LOINC_SYSTEMS: &[&str] = &["http://loinc.org", "urn:oid:2.16.840.1.113883.6.1"];
const RXNORM_SYSTEMS: &[&str] = &[
    "http://www.nlm.nih.gov/research/umls/rxnorm",
    "urn:oid:2.16.840.1.113883.6.88",
];

// ---------------------------------------------------------------------------
// ICD-10(-CM): prefix rules over the normalized code (upper case, no dots).
// ---------------------------------------------------------------------------

/// One ICD-10 rule.
#[derive(Debug, Clone, Copy)]
enum Icd {
    /// The code starts with this category or subcategory.
    Prefix(&'static str),
    /// The code's three-character category lies in `first..=last`.
    Range(&'static str, &'static str),
}
use Icd::{Prefix, Range};

impl Icd {
    fn matches(self, code: &str) -> bool {
        match self {
            Prefix(prefix) => code.starts_with(prefix),
            Range(first, last) => code.get(..3).is_some_and(|cat| first <= cat && cat <= last),
        }
    }
}

/// ETH: substance-related disorders. Tobacco (F17, nicotine dependence) is deliberately
/// NOT here: ETH exists for 42 CFR Part 2, which protects alcohol and drug use disorder
/// treatment records; nicotine dependence is not a use disorder under Part 2, and
/// restricting every smoker's record would bury the records Part 2 is about.
const ICD10_ETH: &[Icd] = &[
    Range("F10", "F16"), // alcohol, opioid, cannabis, sedative, cocaine, stimulant, hallucinogen
    Prefix("F18"),       // inhalant related disorders
    Prefix("F19"),       // other psychoactive substance related disorders
    Prefix("Z7141"),     // alcohol abuse counseling and surveillance of alcoholic
    Prefix("Z7151"),     // drug abuse counseling and surveillance of drug abuser
];

/// PSY: mental and behavioural disorders other than substance use (F10-F19 are ETH,
/// or for F17 deliberately unlabelled).
const ICD10_PSY: &[Icd] = &[
    Range("F01", "F09"), // mental disorders due to known physiological conditions
    Range("F20", "F99"), // schizophrenia through unspecified mental disorder
];

const ICD10_HIV: &[Icd] = &[
    Range("B20", "B24"), // HIV disease (B20 in ICD-10-CM; B20-B24 in WHO ICD-10)
    Prefix("B9735"),     // HIV 2 as the cause of diseases classified elsewhere
    Prefix("O987"),      // HIV disease complicating pregnancy, childbirth and the puerperium
    Prefix("R75"),       // inconclusive laboratory evidence of HIV
    Prefix("Z21"),       // asymptomatic HIV infection status
    Prefix("Z717"),      // HIV counseling
    Prefix("Z114"),      // encounter for screening for HIV: that a test was done is HIV information
    Prefix("Z206"),      // contact with and (suspected) exposure to HIV
];

/// GDIS: genetic information in the GINA sense: genetic tests and services, carrier and
/// susceptibility status, family history. Manifested disease (e.g. Q90-Q99, E84) is left
/// out: GINA does not treat a manifested condition as genetic information, and hiding
/// such diagnoses from treating clinicians would be unsafe.
const ICD10_GDIS: &[Icd] = &[
    Prefix("Z14"),   // genetic carrier
    Prefix("Z15"),   // genetic susceptibility to disease
    Prefix("Z137"),  // screening for genetic and chromosomal anomalies (Z13.71 carrier status)
    Prefix("Z3143"), // genetic testing of female for procreative management
    Prefix("Z3144"), // genetic testing of male for procreative management
    Prefix("Z315"),  // procreative genetic counseling
    Prefix("Z8481"), // family history of carrier of genetic disease
];

/// SDV: abuse, neglect and violence by another person. The other assault codes
/// (X92-Y09 except Y07) are left out: an assault by a stranger is not abuse or
/// domestic violence, and the perpetrator relationship is coded with Y07.
const ICD10_SDV: &[Icd] = &[
    Prefix("T74"),   // adult and child abuse, neglect and other maltreatment, confirmed
    Prefix("T76"),   // adult and child abuse, neglect and other maltreatment, suspected
    Prefix("Y07"),   // perpetrator of assault, maltreatment and neglect
    Prefix("Z69"),   // mental health services for victim and perpetrator of abuse
    Prefix("Z9141"), // personal history of adult abuse
    Prefix("Z6281"), // personal history of abuse in childhood (in the SHIFT minimal SDV set)
    Prefix("Z044"),  // examination and observation following alleged rape
    Prefix("Z047"),  // examination and observation following alleged physical abuse
];

/// SEX: sexually transmitted infections, contraception, procreation, termination of
/// pregnancy. Left out: Z32 (pregnancy test) and pregnancy care in general (O codes,
/// Z3A), which would restrict all obstetric records; N96/N97 (diagnoses that are
/// followed by Z31 encounters when fertility care is sought).
const ICD10_SEX: &[Icd] = &[
    Range("A50", "A64"), // infections with a predominantly sexual mode of transmission
    Prefix("O04"),       // complications following (induced) termination of pregnancy
    Prefix("O07"),       // failed attempted termination of pregnancy
    Prefix("Z30"),       // encounter for contraceptive management
    Prefix("Z31"),       // encounter for procreative management
    Prefix("Z332"),      // encounter for elective termination of pregnancy
];

const ICD10_RULES: &[(Sensitivity, &[Icd])] = &[
    (Sensitivity::Eth, ICD10_ETH),
    (Sensitivity::Psy, ICD10_PSY),
    (Sensitivity::Hiv, ICD10_HIV),
    (Sensitivity::Gdis, ICD10_GDIS),
    (Sensitivity::Sdv, ICD10_SDV),
    (Sensitivity::Sex, ICD10_SEX),
];

// ---------------------------------------------------------------------------
// Exact-code tables (SNOMED CT, LOINC, RxNorm), by category.
// ---------------------------------------------------------------------------

type CodeTable = [(Sensitivity, &'static [&'static str])];

/// SNOMED CT. Left out as unconfirmed or wrong: 1383008 and 6525002 (the hallucinogen
/// dependence concept is 38247002), 95930005 (a neglect concept, not "victim of physical
/// assault"), 371771008, 248110001, 405823003, 408969000, 8619003, and 698314001
/// ("consultation for treatment", not contraception); BRCA2 findings, whose code sources
/// disagree on.
const SNOMED_CODES: &CodeTable = &[
    (
        Sensitivity::Eth,
        &[
            "7200002",    // Alcoholism
            "66590003",   // Alcohol dependence
            "15167005",   // Alcohol abuse
            "75544000",   // Opioid dependence
            "5602001",    // Opioid abuse
            "191816009",  // Drug dependence
            "26416006",   // Drug abuse
            "1254812006", // Substance dependence
            "2403008",    // Psychoactive substance dependence
            "21647008",   // Amphetamine dependence
            "31956009",   // Cocaine dependence
            "85005007",   // Cannabis dependence
            "38247002",   // Hallucinogen dependence
            "58727001",   // PCP dependence
            "5002000",    // Inhalant dependence
            "51339003",   // Polysubstance dependence
        ],
    ),
    (
        Sensitivity::Psy,
        &[
            "35489007",  // Depressive disorder
            "370143000", // Major depressive disorder
            "197480006", // Anxiety disorder
            "21897009",  // Generalized anxiety disorder
            "58214004",  // Schizophrenia
            "13746004",  // Bipolar disorder
            "47505003",  // Posttraumatic stress disorder
            "69322001",  // Psychotic disorder
        ],
    ),
    (
        Sensitivity::Hiv,
        &[
            "86406008",  // Human immunodeficiency virus infection
            "165816005", // HIV positive (human immunodeficiency virus detected)
            "62479008",  // Acquired immune deficiency syndrome
        ],
    ),
    (Sensitivity::Gdis, &["412734009"]), // BRCA1 gene mutation positive (finding)
    (Sensitivity::Sdv, &["706893006"]),  // Victim of intimate partner abuse (finding)
    (
        Sensitivity::Sex,
        &[
            "386639001", // Termination of pregnancy (procedure)
            "18391007",  // Elective termination of pregnancy (elective abortion)
        ],
    ),
];

/// LOINC. HIV tests count whatever their result: that the test was done is HIV
/// information. No ETH codes: drug screens are ordered routinely (employment, pain
/// management, emergency care) and a screen is not substance use disorder treatment.
/// 21637-4 is left out: the BRCA2 counterpart of 21636-6 is 38530-2.
const LOINC_CODES: &CodeTable = &[
    (
        Sensitivity::Hiv,
        &[
            "25836-8", // HIV 1 RNA [#/volume] (viral load) by NAA with probe detection
            "20447-9", // HIV 1 RNA [#/volume] (viral load) in Serum or Plasma
            "7917-8",  // HIV 1 Ab [Presence] in Serum
            "5221-7",  // HIV 1 Ab [Presence] in Serum by Immunoblot (Western blot)
            "7918-6",  // HIV 1+2 Ab [Presence] in Serum
            "56888-1", // HIV 1+2 Ab+HIV1 p24 Ag [Presence] in Serum or Plasma by Immunoassay
            "75622-1", // HIV 1 and 2 tests - Meaningful Use set
            "89365-1", // HIV 1 and 2 Ab panel by Rapid immunoassay
            "9836-8",  // HIV proviral DNA [Presence] in Blood by Probe with amplification
            "25842-6", // HIV 2 proviral DNA [Presence] by NAA with probe detection
        ],
    ),
    (
        Sensitivity::Gdis,
        &[
            "21636-6", // BRCA1 gene mutations found [Identifier] by Molecular genetics method
            "38530-2", // BRCA2 gene mutations found [Identifier] by Molecular genetics method
            "59041-4", // BRCA1+BRCA2 gene mutations tested for by Molecular genetics method
            "51969-4", // Genetic analysis report
        ],
    ),
];

/// RxNorm. ETH: ingredients and clinical drugs used to treat opioid and alcohol use
/// disorder (drugs from the eCQM "Opiate Antagonists" value set, minus buprenorphine
/// for pain and bupropion/naltrexone for weight loss). The methadone and buprenorphine
/// ingredients also match pain prescriptions coded at ingredient level: a deliberate
/// over-label. SEX: contraceptives. Left out: mifepristone (unconfirmed code, and also
/// used for Cushing's syndrome) and HIV antiretrovirals (unconfirmed codes).
const RXNORM_CODES: &CodeTable = &[
    (
        Sensitivity::Eth,
        &[
            "1819",    // buprenorphine (ingredient; unverified here)
            "6813",    // methadone (ingredient)
            "7243",    // naltrexone (ingredient)
            "3554",    // disulfiram (ingredient; unverified here)
            "1010600", // buprenorphine 2 MG / naloxone 0.5 MG Sublingual Film
            "1010604", // buprenorphine 8 MG / naloxone 2 MG Sublingual Film
            "1307056", // buprenorphine 4 MG / naloxone 1 MG Sublingual Film
            "1307061", // buprenorphine 12 MG / naloxone 3 MG Sublingual Film
            "351266",  // buprenorphine 2 MG / naloxone 0.5 MG Sublingual Tablet
            "351267",  // buprenorphine 8 MG / naloxone 2 MG Sublingual Tablet
            "1431076", // buprenorphine 1.4 MG / naloxone 0.36 MG Sublingual Tablet
            "1431102", // buprenorphine 5.7 MG / naloxone 1.4 MG Sublingual Tablet
            "1597568", // buprenorphine 11.4 MG / naloxone 2.9 MG Sublingual Tablet
            "1597573", // buprenorphine 8.6 MG / naloxone 2.1 MG Sublingual Tablet
            "1666338", // buprenorphine 2.9 MG / naloxone 0.71 MG Sublingual Tablet
            "1864412", // buprenorphine 0.7 MG / naloxone 0.18 MG Sublingual Tablet
            "1542390", // buprenorphine 2.1 MG / naloxone 0.3 MG Buccal Film
            "1544851", // buprenorphine 4.2 MG / naloxone 0.7 MG Buccal Film
            "1544854", // buprenorphine 6.3 MG / naloxone 1 MG Buccal Film
            "351264",  // buprenorphine 2 MG Sublingual Tablet
            "351265",  // buprenorphine 8 MG Sublingual Tablet
            "1797650", // buprenorphine 74.2 MG Drug Implant
            "1996184", // 0.5 ML buprenorphine 200 MG/ML Prefilled Syringe
            "1996192", // 1.5 ML buprenorphine 200 MG/ML Prefilled Syringe
            "637213",  // naltrexone 380 MG Injection
            "1483744", // naltrexone hydrochloride 50 MG Oral Tablet
            "197623",  // disulfiram 250 MG Oral Tablet
            "197624",  // disulfiram 500 MG Oral Tablet
            "835726",  // acamprosate calcium 333 MG Delayed Release Oral Tablet
        ],
    ),
    (
        Sensitivity::Sex,
        &[
            "1000126", // 1 ML medroxyprogesterone acetate 150 MG/ML Injection (Depo-Provera)
            "748962",  // Camila 28 Day Pack (norethindrone 0.35 MG)
            "831533",  // Errin 28 Day Pack (norethindrone 0.35 MG)
        ],
    ),
];

// ---------------------------------------------------------------------------
// Matching.
// ---------------------------------------------------------------------------

/// Every label the resource's codes call for (sorted set).
pub fn sensitivity_of(resource: &Value) -> BTreeSet<Sensitivity> {
    let mut found = BTreeSet::new();
    collect(resource, &mut found);
    found
}

/// Write the labels into `meta.security` (creating `meta` as needed): one ActCode Coding
/// per label not already present, plus the confidentiality Coding `R` (restricted) when any
/// label applies and the sender gave no confidentiality. Codings the sender put there are
/// never removed. A `meta` that is not an object, or a `security` that is neither an array
/// nor a lone Coding, cannot hold a label and is replaced; a lone Coding is kept, wrapped
/// in an array. Returns the labels (even when the resource is not a JSON object and
/// nothing could be written).
pub fn apply_labels(resource: &mut Value) -> BTreeSet<Sensitivity> {
    let labels = sensitivity_of(resource);
    add_sensitivity(resource, &labels);
    labels
}

/// Write `labels` into `meta.security` as [`apply_labels`] does (for labels
/// that come from elsewhere than the resource's codes, e.g. the kind of
/// care of the organization holding it).
pub fn add_sensitivity(resource: &mut Value, labels: &BTreeSet<Sensitivity>) {
    if labels.is_empty() {
        return;
    }
    for label in labels {
        add_security_coding(resource, Sensitivity::SYSTEM, label.code(), label.display());
    }
    if let Some(security) = security_codings(resource)
        && !security
            .iter()
            .any(|coding| system_of(coding) == Some(CONFIDENTIALITY_SYSTEM))
    {
        security.push(coding(CONFIDENTIALITY_SYSTEM, "R", "restricted"));
    }
}

/// The purpose-of-use label a resource released by breaking the glass carries.
pub const BREAK_THE_GLASS: (&str, &str, &str) = (
    "http://terminology.hl7.org/CodeSystem/v3-ActReason",
    "BTG",
    "break the glass",
);

/// Add one Coding to `meta.security` unless an equal (system, code) is there.
pub fn add_security_coding(resource: &mut Value, system: &str, code: &str, display: &str) {
    if let Some(security) = security_codings(resource) {
        let present = security.iter().any(|c| {
            system_of(c) == Some(system) && c.get("code").and_then(Value::as_str) == Some(code)
        });
        if !present {
            security.push(coding(system, code, display));
        }
    }
}

fn collect(value: &Value, found: &mut BTreeSet<Sensitivity>) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(system)), Some(Value::String(code))) =
                (map.get("system"), map.get("code"))
            {
                classify(system, code, found);
            }
            for (key, child) in map {
                match key.as_str() {
                    "text" => {}
                    "meta" => sender_labels(child, found),
                    _ => collect(child, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, found)),
        _ => {}
    }
}

fn classify(system: &str, code: &str, found: &mut BTreeSet<Sensitivity>) {
    let system = normalize_system(system);
    if ICD10_SYSTEMS.contains(&system) {
        icd10_labels(code, found);
    } else if SNOMED_SYSTEMS.contains(&system) {
        snomed_labels(code, found);
    } else if LOINC_SYSTEMS.contains(&system) {
        loinc_labels(code, found);
    } else if RXNORM_SYSTEMS.contains(&system) {
        rxnorm_labels(code, found);
    }
}

fn icd10_labels(code: &str, found: &mut BTreeSet<Sensitivity>) {
    let code: String = code
        .chars()
        .filter(|c| *c != '.' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    for (label, rules) in ICD10_RULES {
        if rules.iter().any(|rule| rule.matches(&code)) {
            found.insert(*label);
        }
    }
}

fn snomed_labels(code: &str, found: &mut BTreeSet<Sensitivity>) {
    exact_labels(SNOMED_CODES, code, found);
}

fn loinc_labels(code: &str, found: &mut BTreeSet<Sensitivity>) {
    exact_labels(LOINC_CODES, code, found);
}

fn rxnorm_labels(code: &str, found: &mut BTreeSet<Sensitivity>) {
    exact_labels(RXNORM_CODES, code, found);
}

fn exact_labels(table: &CodeTable, code: &str, found: &mut BTreeSet<Sensitivity>) {
    let code = code.trim();
    found.extend(
        table
            .iter()
            .filter(|(_, codes)| codes.contains(&code))
            .map(|(label, _)| *label),
    );
}

/// Labels the sender put in `meta.security`, read case-insensitively so that none is lost.
fn sender_labels(meta: &Value, found: &mut BTreeSet<Sensitivity>) {
    let codings = match meta.get("security") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(lone) => std::slice::from_ref(lone),
        None => return,
    };
    for coding in codings
        .iter()
        .filter(|c| system_of(c) == Some(Sensitivity::SYSTEM))
    {
        if let Some(code) = coding.get("code").and_then(Value::as_str) {
            found.extend(Sensitivity::from_code(&code.trim().to_ascii_uppercase()));
        }
    }
}

/// `meta.security` of the resource, created or repaired as documented on [`apply_labels`];
/// `None` only when the resource is not a JSON object.
fn security_codings(resource: &mut Value) -> Option<&mut Vec<Value>> {
    let meta = resource
        .as_object_mut()?
        .entry("meta")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    let security = meta
        .as_object_mut()?
        .entry("security")
        .or_insert_with(|| Value::Array(Vec::new()));
    match security {
        Value::Array(_) => {}
        Value::Object(_) => *security = Value::Array(vec![security.take()]),
        _ => *security = Value::Array(Vec::new()),
    }
    security.as_array_mut()
}

/// A code system URI as compared: surrounding blanks and one trailing `/` ignored.
fn normalize_system(system: &str) -> &str {
    let system = system.trim();
    system.strip_suffix('/').unwrap_or(system)
}

fn system_of(coding: &Value) -> Option<&str> {
    coding
        .get("system")
        .and_then(Value::as_str)
        .map(normalize_system)
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({ "system": system, "code": code, "display": display })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use Sensitivity::{Eth, Gdis, Hiv, Psy, Sdv, Sex};

    const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
    const SCT: &str = "http://snomed.info/sct";
    const LOINC: &str = "http://loinc.org";
    const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

    fn condition(system: &str, code: &str) -> Value {
        json!({ "resourceType": "Condition", "code": { "coding": [{ "system": system, "code": code }] } })
    }

    fn security_codes(resource: &Value) -> Vec<&str> {
        let security = resource["meta"]["security"].as_array().unwrap();
        security
            .iter()
            .map(|c| c["code"].as_str().unwrap())
            .collect()
    }

    fn labels(system: &str, code: &str) -> Vec<Sensitivity> {
        sensitivity_of(&condition(system, code))
            .into_iter()
            .collect()
    }

    #[test]
    fn alcohol_dependence_icd10_is_substance_use() {
        assert_eq!(labels(ICD10CM, "F10.20"), [Eth]);
    }

    #[test]
    fn opioid_dependence_icd10_is_substance_use() {
        assert_eq!(labels(ICD10CM, "F11.20"), [Eth]);
    }

    #[test]
    fn inhalant_other_substance_and_sud_counseling_icd10_are_substance_use() {
        for code in ["F16.10", "F18.20", "F19.10", "Z71.41", "Z71.51"] {
            assert_eq!(labels(ICD10CM, code), [Eth], "{code}");
        }
    }

    #[test]
    fn tobacco_use_is_not_substance_use_under_part2() {
        assert!(labels(ICD10CM, "F17.210").is_empty());
        assert!(labels(ICD10CM, "F17").is_empty());
    }

    #[test]
    fn depression_icd10_is_psychiatric() {
        assert_eq!(labels(ICD10CM, "F32.9"), [Psy]);
    }

    #[test]
    fn mental_disorders_f01_to_f09_and_f20_to_f99_are_psychiatric() {
        for code in ["F01.A0", "F03.90", "F09", "F20.9", "F43.10", "F99"] {
            assert_eq!(labels(ICD10CM, code), [Psy], "{code}");
        }
        assert!(
            labels(ICD10CM, "G30.9").is_empty(),
            "Alzheimer disease is neurological"
        );
    }

    #[test]
    fn hiv_disease_icd10_is_hiv() {
        for code in [
            "B20", "B97.35", "Z21", "O98.711", "R75", "Z71.7", "Z11.4", "Z20.6",
        ] {
            assert_eq!(labels(ICD10CM, code), [Hiv], "{code}");
        }
    }

    #[test]
    fn hiv_viral_load_loinc_observation_is_hiv() {
        let observation = json!({
            "resourceType": "Observation",
            "code": { "coding": [{ "system": LOINC, "code": "25836-8" }] },
            "valueQuantity": { "value": 40, "system": "http://unitsofmeasure.org", "code": "{copies}/mL" }
        });
        assert_eq!(sensitivity_of(&observation), BTreeSet::from([Hiv]));
    }

    #[test]
    fn genetic_susceptibility_and_carrier_icd10_are_genetic() {
        for code in ["Z15.01", "Z14.1", "Z13.71", "Z84.81"] {
            assert_eq!(labels(ICD10CM, code), [Gdis], "{code}");
        }
    }

    #[test]
    fn brca1_mutation_loinc_is_genetic() {
        assert_eq!(labels(LOINC, "21636-6"), [Gdis]);
    }

    #[test]
    fn genetic_testing_for_procreation_is_genetic_and_reproductive() {
        assert_eq!(labels(ICD10CM, "Z31.430"), [Gdis, Sex]);
    }

    #[test]
    fn confirmed_adult_abuse_icd10_is_abuse() {
        assert_eq!(labels(ICD10CM, "T74.11XA"), [Sdv]);
    }

    #[test]
    fn suspected_abuse_perpetrator_and_abuse_history_icd10_are_abuse() {
        for code in [
            "T76.11XA", "Y07.01", "Z69.11", "Z91.410", "Z62.810", "Z04.41", "Z04.71",
        ] {
            assert_eq!(labels(ICD10CM, code), [Sdv], "{code}");
        }
    }

    #[test]
    fn assault_by_a_stranger_is_not_abuse() {
        assert!(labels(ICD10CM, "Y04.0XXA").is_empty());
    }

    #[test]
    fn contraceptive_management_icd10_is_reproductive() {
        assert_eq!(labels(ICD10CM, "Z30.011"), [Sex]);
    }

    #[test]
    fn termination_and_sexually_transmitted_infections_icd10_are_reproductive() {
        for code in ["Z33.2", "O04.5", "O07.4", "A50.9", "A54.00", "A64"] {
            assert_eq!(labels(ICD10CM, code), [Sex], "{code}");
        }
        for code in ["A49.9", "A65", "Z32.00", "Z33.1"] {
            assert!(labels(ICD10CM, code).is_empty(), "{code}");
        }
    }

    #[test]
    fn contraceptive_rxnorm_in_medication_request_is_reproductive() {
        let request = json!({
            "resourceType": "MedicationRequest",
            "medicationCodeableConcept": { "coding": [{ "system": RXNORM, "code": "1000126" }] }
        });
        assert_eq!(sensitivity_of(&request), BTreeSet::from([Sex]));
    }

    #[test]
    fn buprenorphine_naloxone_rxnorm_is_substance_use() {
        assert_eq!(labels(RXNORM, "1010600"), [Eth]);
    }

    #[test]
    fn snomed_codes_carry_their_category() {
        let cases = [
            ("66590003", Eth),   // alcohol dependence
            ("35489007", Psy),   // depressive disorder
            ("86406008", Hiv),   // HIV infection
            ("412734009", Gdis), // BRCA1 gene mutation positive
            ("706893006", Sdv),  // victim of intimate partner abuse
            ("386639001", Sex),  // termination of pregnancy
        ];
        for (code, label) in cases {
            assert_eq!(labels(SCT, code), [label], "{code}");
        }
    }

    #[test]
    fn every_listed_code_carries_its_category_and_appears_once() {
        for (system, table) in [
            (SCT, SNOMED_CODES),
            (LOINC, LOINC_CODES),
            (RXNORM, RXNORM_CODES),
        ] {
            let mut seen = BTreeSet::new();
            for (label, codes) in table {
                for code in *codes {
                    assert!(seen.insert(*code), "{code} listed twice in {system}");
                    assert_eq!(labels(system, code), [*label], "{system} {code}");
                }
            }
        }
    }

    #[test]
    fn codes_nested_in_components_and_evidence_are_found() {
        let observation = json!({
            "resourceType": "Observation",
            "code": { "text": "panel" },
            "component": [
                { "code": { "coding": [{ "system": LOINC, "code": "8480-6" }] } },
                { "code": { "coding": [{ "system": LOINC, "code": "7917-8" }] } }
            ]
        });
        assert_eq!(sensitivity_of(&observation), BTreeSet::from([Hiv]));
        let condition = json!({
            "resourceType": "Condition",
            "code": { "coding": [{ "system": SCT, "code": "38341003" }] },
            "evidence": [{ "code": [{ "coding": [{ "system": SCT, "code": "706893006" }] }] }]
        });
        assert_eq!(sensitivity_of(&condition), BTreeSet::from([Sdv]));
    }

    #[test]
    fn icd10_codes_match_with_or_without_dot_and_in_any_case() {
        for code in ["F10.20", "F1020", "f10.20", "f1020", " F10.20 "] {
            assert_eq!(labels(ICD10CM, code), [Eth], "{code:?}");
        }
        assert_eq!(labels("http://hl7.org/fhir/sid/icd-10", "F10.2"), [Eth]);
    }

    #[test]
    fn equivalent_system_spellings_are_recognised() {
        assert_eq!(labels("http://loinc.org/", "25836-8"), [Hiv]);
        assert_eq!(labels("urn:oid:2.16.840.1.113883.6.90", "B20"), [Hiv]);
    }

    #[test]
    fn the_same_code_in_another_system_does_not_match() {
        assert!(labels(LOINC, "B20").is_empty());
        assert!(labels(SCT, "F10.20").is_empty());
        assert!(labels(RXNORM, "25836-8").is_empty());
        assert!(labels(ICD10CM, "86406008").is_empty());
        assert!(labels("http://example.org/codes", "B20").is_empty());
        let no_system =
            json!({ "resourceType": "Condition", "code": { "coding": [{ "code": "B20" }] } });
        assert!(sensitivity_of(&no_system).is_empty());
    }

    #[test]
    fn narrative_text_and_meta_tags_do_not_count() {
        let condition = json!({
            "resourceType": "Condition",
            "meta": { "tag": [{ "system": ICD10CM, "code": "B20" }] },
            "text": {
                "status": "generated",
                "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">HIV disease (B20)</div>",
                "system": ICD10CM,
                "code": "B20"
            },
            "code": { "coding": [{ "system": SCT, "code": "38341003" }], "text": "F10.20" }
        });
        assert!(sensitivity_of(&condition).is_empty());
    }

    #[test]
    fn non_sensitive_resource_gets_no_labels_and_no_meta() {
        let original = json!({
            "resourceType": "Condition",
            "code": { "coding": [{ "system": ICD10CM, "code": "I10" }, { "system": SCT, "code": "38341003" }] }
        });
        let mut resource = original.clone();
        assert!(apply_labels(&mut resource).is_empty());
        assert_eq!(resource, original);
        assert!(resource.get("meta").is_none());
    }

    #[test]
    fn apply_labels_writes_label_and_restricted_confidentiality() {
        let mut resource = condition(ICD10CM, "F32.9");
        assert_eq!(apply_labels(&mut resource), BTreeSet::from([Psy]));
        assert_eq!(
            resource["meta"]["security"],
            json!([
                { "system": Sensitivity::SYSTEM, "code": "PSY", "display": "psychiatry disorder information sensitivity" },
                { "system": CONFIDENTIALITY_SYSTEM, "code": "R", "display": "restricted" }
            ])
        );
    }

    #[test]
    fn apply_labels_is_idempotent() {
        let mut once = condition(ICD10CM, "F10.20");
        once["meta"] = json!({ "versionId": "3" });
        let first = apply_labels(&mut once);
        let mut twice = once.clone();
        assert_eq!(apply_labels(&mut twice), first);
        assert_eq!(twice, once);
        assert_eq!(once["meta"]["versionId"], "3");
    }

    #[test]
    fn sender_labels_are_kept_and_counted() {
        let sender = json!([
            { "system": Sensitivity::SYSTEM, "code": "HIV" },
            { "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HTEST" },
            { "system": Sensitivity::SYSTEM, "code": "42CFRPart2" }
        ]);
        let mut resource = condition(ICD10CM, "F32.9");
        resource["meta"] = json!({ "security": sender.clone() });
        assert_eq!(sensitivity_of(&resource), BTreeSet::from([Psy, Hiv]));
        apply_labels(&mut resource);
        let security = resource["meta"]["security"].as_array().unwrap();
        assert_eq!(security[..3], sender.as_array().unwrap()[..]);
        assert_eq!(
            security_codes(&resource),
            ["HIV", "HTEST", "42CFRPart2", "PSY", "R"]
        );
    }

    #[test]
    fn sender_label_alone_is_counted_and_restricted() {
        let mut resource = json!({
            "resourceType": "DocumentReference",
            "meta": { "security": [{ "system": Sensitivity::SYSTEM, "code": "sdv" }] }
        });
        assert_eq!(apply_labels(&mut resource), BTreeSet::from([Sdv]));
        assert_eq!(security_codes(&resource), ["sdv", "SDV", "R"]);
    }

    #[test]
    fn sender_confidentiality_is_not_overridden_or_duplicated() {
        let mut resource = condition(ICD10CM, "B20");
        resource["meta"] =
            json!({ "security": [{ "system": CONFIDENTIALITY_SYSTEM, "code": "V" }] });
        apply_labels(&mut resource);
        assert_eq!(security_codes(&resource), ["V", "HIV"]);
    }

    #[test]
    fn labels_of_contained_resources_count() {
        let request = json!({
            "resourceType": "MedicationRequest",
            "contained": [{
                "resourceType": "Medication",
                "id": "m",
                "meta": { "security": [{ "system": Sensitivity::SYSTEM, "code": "ETH" }] },
                "code": { "coding": [{ "system": RXNORM, "code": "161" }] }
            }],
            "medicationReference": { "reference": "#m" }
        });
        assert_eq!(sensitivity_of(&request), BTreeSet::from([Eth]));
    }

    #[test]
    fn multiple_categories_are_all_labelled() {
        let mut resource = json!({
            "resourceType": "Condition",
            "code": { "coding": [
                { "system": ICD10CM, "code": "F10.20" },
                { "system": ICD10CM, "code": "B20" }
            ] },
            "evidence": [{ "code": [{ "coding": [{ "system": ICD10CM, "code": "Z30.011" }] }] }]
        });
        assert_eq!(apply_labels(&mut resource), BTreeSet::from([Eth, Hiv, Sex]));
        assert_eq!(security_codes(&resource), ["ETH", "HIV", "SEX", "R"]);
    }

    #[test]
    fn malformed_meta_is_repaired_and_a_lone_security_coding_kept() {
        let mut resource = condition(ICD10CM, "F32.9");
        resource["meta"] = json!("not an object");
        apply_labels(&mut resource);
        assert_eq!(resource["meta"]["security"].as_array().unwrap().len(), 2);

        let lone = json!({ "system": "http://example.org/policy", "code": "X" });
        let mut resource = condition(ICD10CM, "F32.9");
        resource["meta"] = json!({ "security": lone.clone() });
        apply_labels(&mut resource);
        assert_eq!(resource["meta"]["security"][0], lone);
        assert_eq!(resource["meta"]["security"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn sensitivity_codes_round_trip() {
        for label in Sensitivity::ALL {
            assert_eq!(Sensitivity::from_code(label.code()), Some(label));
            assert!(label.display().ends_with("information sensitivity"));
        }
        assert!(Sensitivity::ALL.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(Eth.display(), "substance abuse information sensitivity");
        assert_eq!(Sensitivity::from_code("eth"), None);
        assert_eq!(Sensitivity::from_code("ETHUD"), None);
    }
}
