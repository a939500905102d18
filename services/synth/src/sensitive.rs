//! Sensitive conditions: the care that security labelling and consent must
//! find and protect, coded exactly as the rest of Continuum expects.
//!
//! Every fifth patient of a dataset (a stratum fixed by the seed, so any
//! five consecutive patients hold one) has one or two of these; nobody else
//! has any, which keeps the fraction exact for tests and demos.

use crate::chance::{chance, pick};
use crate::clinical::{ChronicDef, Finding, Monitoring, chronic};
use crate::codes::{Code, Diagnosis, ICD10_CM, LOINC, RXNORM, SNOMED, loinc, rxnorm, snomed};
use crate::demographics::Person;
use crate::ids::Dice;
use crate::measures::{HIV_VIRAL_LOAD_TREATED, HIV_VIRAL_LOAD_UNTREATED};

/// A kind of sensitive information, named after its HL7 v3
/// ActInformationSensitivityPolicy code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sensitivity {
    /// `ETH`: substance abuse (alcohol, opioids).
    SubstanceUse,
    /// `PSY`: psychiatry and mental health.
    MentalHealth,
    /// `HIV`: HIV/AIDS.
    Hiv,
    /// `GDIS`: genetic disease.
    Genetic,
    /// `SDV`: sexual assault, abuse or domestic violence.
    Violence,
    /// `SEX`: sexuality and reproductive health.
    Reproductive,
}

impl Sensitivity {
    /// Every kind, in code order.
    pub const ALL: [Sensitivity; 6] = [
        Sensitivity::SubstanceUse,
        Sensitivity::MentalHealth,
        Sensitivity::Hiv,
        Sensitivity::Genetic,
        Sensitivity::Violence,
        Sensitivity::Reproductive,
    ];

    /// The ActInformationSensitivityPolicy code (`ETH`, `PSY`, …).
    pub fn code(self) -> &'static str {
        match self {
            Sensitivity::SubstanceUse => "ETH",
            Sensitivity::MentalHealth => "PSY",
            Sensitivity::Hiv => "HIV",
            Sensitivity::Genetic => "GDIS",
            Sensitivity::Violence => "SDV",
            Sensitivity::Reproductive => "SEX",
        }
    }
}

const fn sensitive(
    sensitivity: Sensitivity,
    icd10: (&'static str, &'static str),
    snomed: (&'static str, &'static str),
) -> ChronicDef {
    ChronicDef {
        sensitivity: Some(sensitivity),
        ..chronic(Diagnosis {
            icd10: icd10.0,
            icd10_display: icd10.1,
            snomed: snomed.0,
            snomed_display: snomed.1,
        })
    }
}

const BUPRENORPHINE_NALOXONE: Code = rxnorm(
    "1010600",
    "buprenorphine 2 MG / naloxone 0.5 MG Sublingual Film",
);
const ORAL_CONTRACEPTIVE: Code = rxnorm(
    "1000126",
    "Levonorgestrel 0.15 MG / Ethinyl Estradiol 0.03 MG Oral Tablet",
);
const BRCA1_TEST: Code = loinc(
    "21636-6",
    "BRCA1 gene mutations tested for in Blood or Tissue by Molecular genetics method Nominal",
);

static ALCOHOL_DEPENDENCE: ChronicDef = sensitive(
    Sensitivity::SubstanceUse,
    ("F10.20", "Alcohol dependence, uncomplicated"),
    ("66590003", "Alcohol dependence"),
);
static OPIOID_DEPENDENCE: ChronicDef = ChronicDef {
    medication: Some(BUPRENORPHINE_NALOXONE),
    ..sensitive(
        Sensitivity::SubstanceUse,
        ("F11.20", "Opioid dependence, uncomplicated"),
        ("75544000", "Opioid dependence"),
    )
};
static DEPRESSION: ChronicDef = sensitive(
    Sensitivity::MentalHealth,
    (
        "F32.9",
        "Major depressive disorder, single episode, unspecified",
    ),
    ("35489007", "Depressive disorder"),
);
static ANXIETY: ChronicDef = sensitive(
    Sensitivity::MentalHealth,
    ("F41.1", "Generalized anxiety disorder"),
    ("21897009", "Generalized anxiety disorder"),
);
static HIV: ChronicDef = ChronicDef {
    at_diagnosis: Some(Finding::Measured(&HIV_VIRAL_LOAD_UNTREATED)),
    monitoring: Some(Monitoring::Test(&HIV_VIRAL_LOAD_TREATED)),
    ..sensitive(
        Sensitivity::Hiv,
        ("B20", "Human immunodeficiency virus [HIV] disease"),
        ("86406008", "Human immunodeficiency virus infection"),
    )
};
static BRCA1: ChronicDef = ChronicDef {
    at_diagnosis: Some(Finding::Coded {
        test: BRCA1_TEST,
        result: snomed("260373001", "Detected"),
    }),
    ..sensitive(
        Sensitivity::Genetic,
        (
            "Z15.01",
            "Genetic susceptibility to malignant neoplasm of breast",
        ),
        (
            "412734009",
            "Genetic susceptibility to malignant neoplasm of breast",
        ),
    )
};
static PHYSICAL_ABUSE: ChronicDef = sensitive(
    Sensitivity::Violence,
    (
        "T74.11XA",
        "Adult physical abuse, confirmed, initial encounter",
    ),
    ("95930005", "Victim of physical assault"),
);
static CONTRACEPTION: ChronicDef = ChronicDef {
    medication: Some(ORAL_CONTRACEPTIVE),
    ..sensitive(
        Sensitivity::Reproductive,
        (
            "Z30.011",
            "Encounter for initial prescription of contraceptive pills",
        ),
        ("408969000", "Contraception"),
    )
};

/// Who a condition can be drawn for.
type Eligible = fn(&Person) -> bool;

/// Every sensitive condition, with who it can be drawn for.
static CONDITIONS: &[(&ChronicDef, Eligible)] = &[
    (&ALCOHOL_DEPENDENCE, |_| true),
    (&OPIOID_DEPENDENCE, |_| true),
    (&DEPRESSION, |_| true),
    (&ANXIETY, |_| true),
    (&HIV, |_| true),
    (&BRCA1, Person::is_female),
    (&PHYSICAL_ABUSE, |_| true),
    (&CONTRACEPTION, |p| p.is_female() && p.age() <= 50),
];

/// The sensitive conditions of a patient in the sensitive stratum: one,
/// or two different ones a quarter of the time.
pub(crate) fn draw(dice: &mut Dice, person: &Person) -> Vec<&'static ChronicDef> {
    let eligible: Vec<&'static ChronicDef> = CONDITIONS
        .iter()
        .filter(|(_, fits)| fits(person))
        .map(|(def, _)| *def)
        .collect();
    let first = pick(dice, &eligible);
    let mut drawn = vec![first];
    if chance(dice, 0.25) {
        let second = pick(dice, &eligible);
        if !std::ptr::eq(second, first) {
            drawn.push(second);
        }
    }
    drawn
}

/// The sensitivity of a code this crate emits for sensitive care (a
/// condition's ICD-10-CM or SNOMED code, a medication's RxNorm code, a
/// test's LOINC code), if it has one. Tests and demos use it to find the
/// patients security labelling should act on.
pub fn sensitivity_of(system: &str, code: &str) -> Option<Sensitivity> {
    CONDITIONS.iter().find_map(|(def, _)| {
        let d = &def.diagnosis;
        let matches = match system {
            ICD10_CM => d.icd10 == code,
            SNOMED => d.snomed == code,
            RXNORM => def.medication.is_some_and(|m| m.code == code),
            LOINC => match &def.at_diagnosis {
                Some(Finding::Coded { test, .. }) => test.code == code,
                Some(Finding::Measured(m)) => m.code.code == code,
                None => false,
            },
            _ => false,
        };
        matches.then_some(def.sensitivity).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agreed_codes_are_recognised() {
        let cases = [
            (ICD10_CM, "F10.20", Sensitivity::SubstanceUse),
            (SNOMED, "75544000", Sensitivity::SubstanceUse),
            (RXNORM, "1010600", Sensitivity::SubstanceUse),
            (ICD10_CM, "F32.9", Sensitivity::MentalHealth),
            (SNOMED, "21897009", Sensitivity::MentalHealth),
            (ICD10_CM, "B20", Sensitivity::Hiv),
            (LOINC, "25836-8", Sensitivity::Hiv),
            (ICD10_CM, "Z15.01", Sensitivity::Genetic),
            (LOINC, "21636-6", Sensitivity::Genetic),
            (ICD10_CM, "T74.11XA", Sensitivity::Violence),
            (SNOMED, "95930005", Sensitivity::Violence),
            (ICD10_CM, "Z30.011", Sensitivity::Reproductive),
            (RXNORM, "1000126", Sensitivity::Reproductive),
        ];
        for (system, code, expected) in cases {
            assert_eq!(sensitivity_of(system, code), Some(expected), "{code}");
        }
        assert_eq!(sensitivity_of(ICD10_CM, "I10"), None);
        assert_eq!(sensitivity_of(SNOMED, "F10.20"), None);
    }

    #[test]
    fn policy_codes_are_the_v3_ones() {
        let codes: Vec<_> = Sensitivity::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, ["ETH", "PSY", "HIV", "GDIS", "SDV", "SEX"]);
    }
}
