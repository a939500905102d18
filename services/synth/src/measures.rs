//! What gets measured: vital signs and laboratory tests (LOINC codes, UCUM
//! units, plausible ranges) and the panels that group tests into reports.

use crate::codes::{Code, loinc};

/// A quantitative test: its code, unit and the range its results fall in.
#[derive(Debug)]
pub(crate) struct Measure {
    pub code: Code,
    /// The UCUM code, also used as the human-readable unit.
    pub ucum: &'static str,
    /// The usual range of results.
    pub usual: (f64, f64),
    pub decimals: u8,
    /// Ranges for patients with a condition (by SNOMED code), first match
    /// wins: a diabetic's glucose is not a healthy person's.
    pub affected: &'static [(&'static str, (f64, f64))],
}

const fn lab(
    code: Code,
    ucum: &'static str,
    usual: (f64, f64),
    decimals: u8,
    affected: &'static [(&'static str, (f64, f64))],
) -> Measure {
    Measure {
        code,
        ucum,
        usual,
        decimals,
        affected,
    }
}

impl Measure {
    /// The range for a patient with the given active conditions.
    pub(crate) fn range_for(&self, conditions: &[&str]) -> (f64, f64) {
        self.affected
            .iter()
            .find(|(snomed, _)| conditions.contains(snomed))
            .map_or(self.usual, |(_, range)| *range)
    }
}

/// Tests reported together on one DiagnosticReport.
#[derive(Debug)]
pub(crate) struct Panel {
    pub code: Code,
    pub members: &'static [&'static Measure],
}

// SNOMED codes of the conditions that shift results.
const DIABETES: &str = "44054006";
const PREDIABETES: &str = "15777000";
const HYPERLIPIDEMIA: &str = "55822004";
const PNEUMONIA: &str = "233604007";
const APPENDICITIS: &str = "74400008";

pub(crate) static GLUCOSE: Measure = lab(
    loinc("2345-7", "Glucose [Mass/volume] in Serum or Plasma"),
    "mg/dL",
    (70.0, 105.0),
    0,
    &[(DIABETES, (125.0, 230.0)), (PREDIABETES, (100.0, 125.0))],
);
static UREA_NITROGEN: Measure = lab(
    loinc("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma"),
    "mg/dL",
    (7.0, 20.0),
    0,
    &[],
);
pub(crate) static CREATININE: Measure = lab(
    loinc("2160-0", "Creatinine [Mass/volume] in Serum or Plasma"),
    "mg/dL",
    (0.6, 1.2),
    2,
    &[],
);
static CALCIUM: Measure = lab(
    loinc("17861-6", "Calcium [Mass/volume] in Serum or Plasma"),
    "mg/dL",
    (8.6, 10.3),
    1,
    &[],
);
static SODIUM: Measure = lab(
    loinc("2951-2", "Sodium [Moles/volume] in Serum or Plasma"),
    "mmol/L",
    (136.0, 145.0),
    0,
    &[],
);
static POTASSIUM: Measure = lab(
    loinc("2823-3", "Potassium [Moles/volume] in Serum or Plasma"),
    "mmol/L",
    (3.5, 5.0),
    1,
    &[],
);
static CHOLESTEROL: Measure = lab(
    loinc("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma"),
    "mg/dL",
    (140.0, 199.0),
    0,
    &[(HYPERLIPIDEMIA, (210.0, 290.0))],
);
static TRIGLYCERIDES: Measure = lab(
    loinc("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma"),
    "mg/dL",
    (60.0, 149.0),
    0,
    &[(HYPERLIPIDEMIA, (150.0, 320.0))],
);
static HDL: Measure = lab(
    loinc(
        "2085-9",
        "Cholesterol in HDL [Mass/volume] in Serum or Plasma",
    ),
    "mg/dL",
    (40.0, 75.0),
    0,
    &[],
);
pub(crate) static LDL: Measure = lab(
    loinc(
        "18262-6",
        "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay",
    ),
    "mg/dL",
    (60.0, 129.0),
    0,
    &[(HYPERLIPIDEMIA, (150.0, 220.0))],
);
pub(crate) static HBA1C: Measure = lab(
    loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
    "%",
    (4.5, 5.6),
    1,
    &[(DIABETES, (6.5, 9.8)), (PREDIABETES, (5.7, 6.4))],
);
pub(crate) static HEMOGLOBIN: Measure = lab(
    loinc("718-7", "Hemoglobin [Mass/volume] in Blood"),
    "g/dL",
    (12.0, 17.0),
    1,
    &[],
);
static LEUKOCYTES: Measure = lab(
    loinc(
        "6690-2",
        "Leukocytes [#/volume] in Blood by Automated count",
    ),
    "10*3/uL",
    (4.5, 11.0),
    1,
    &[(PNEUMONIA, (11.5, 19.0)), (APPENDICITIS, (12.0, 18.0))],
);
static PLATELETS: Measure = lab(
    loinc("777-3", "Platelets [#/volume] in Blood by Automated count"),
    "10*3/uL",
    (150.0, 400.0),
    0,
    &[],
);
/// HIV viral load when first found, before treatment.
pub(crate) static HIV_VIRAL_LOAD_UNTREATED: Measure = lab(
    HIV_VIRAL_LOAD_CODE,
    "{copies}/mL",
    (5_000.0, 150_000.0),
    0,
    &[],
);
/// HIV viral load at later visits, once in HIV care (its antiretroviral
/// treatment is prescribed by a specialist clinic outside this record):
/// low, often near the assay's floor.
pub(crate) static HIV_VIRAL_LOAD_TREATED: Measure =
    lab(HIV_VIRAL_LOAD_CODE, "{copies}/mL", (20.0, 400.0), 0, &[]);
const HIV_VIRAL_LOAD_CODE: Code = loinc(
    "25836-8",
    "HIV 1 RNA [#/volume] (viral load) in Serum or Plasma by NAA with probe detection",
);

pub(crate) static BASIC_METABOLIC: Panel = Panel {
    code: loinc("51990-0", "Basic metabolic panel - Blood"),
    members: &[
        &GLUCOSE,
        &UREA_NITROGEN,
        &CREATININE,
        &CALCIUM,
        &SODIUM,
        &POTASSIUM,
    ],
};
pub(crate) static LIPIDS: Panel = Panel {
    code: loinc("57698-3", "Lipid panel with direct LDL - Serum or Plasma"),
    members: &[&CHOLESTEROL, &TRIGLYCERIDES, &HDL, &LDL],
};
pub(crate) static BLOOD_COUNT: Panel = Panel {
    code: loinc("58410-2", "CBC panel - Blood by Automated count"),
    members: &[&LEUKOCYTES, &HEMOGLOBIN, &PLATELETS],
};

/// Vital signs. Their values depend on age and build, so they are
/// computed by the visit rather than drawn from a fixed range.
pub(crate) mod vital {
    use crate::codes::{Code, loinc};

    pub(crate) const HEIGHT: Code = loinc("8302-2", "Body Height");
    pub(crate) const WEIGHT: Code = loinc("29463-7", "Body Weight");
    pub(crate) const BMI: Code = loinc("39156-5", "Body mass index (BMI) [Ratio]");
    pub(crate) const HEART_RATE: Code = loinc("8867-4", "Heart rate");
    pub(crate) const RESPIRATORY_RATE: Code = loinc("9279-1", "Respiratory rate");
    pub(crate) const TEMPERATURE: Code = loinc("8310-5", "Body temperature");
    pub(crate) const BLOOD_PRESSURE: Code =
        loinc("85354-9", "Blood pressure panel with all children optional");
    pub(crate) const SYSTOLIC: Code = loinc("8480-6", "Systolic blood pressure");
    pub(crate) const DIASTOLIC: Code = loinc("8462-4", "Diastolic blood pressure");
    pub(crate) const PAIN: Code = loinc(
        "72514-3",
        "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affected_ranges_apply_to_patients_with_the_condition() {
        assert_eq!(GLUCOSE.range_for(&[]), GLUCOSE.usual);
        assert_eq!(GLUCOSE.range_for(&["38341003", DIABETES]), (125.0, 230.0));
        assert_eq!(HBA1C.range_for(&[PREDIABETES]), (5.7, 6.4));
    }
}
