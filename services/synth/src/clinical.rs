//! The clinical code tables: long-term conditions with their treatment and
//! monitoring, acute episodes with what a visit does about them, allergies
//! and care plans. Sensitive conditions live in `sensitive.rs`.

use crate::codes::{Code, Diagnosis, loinc, rxnorm, snomed};
use crate::measures::{HBA1C, LIPIDS, Measure, Panel};
use crate::sensitive::Sensitivity;

const fn dx(
    icd10: &'static str,
    icd10_display: &'static str,
    snomed: &'static str,
    snomed_display: &'static str,
) -> Diagnosis {
    Diagnosis {
        icd10,
        icd10_display,
        snomed,
        snomed_display,
    }
}

pub(crate) mod medication {
    use super::{Code, rxnorm};

    pub(crate) const LISINOPRIL: Code = rxnorm("314076", "lisinopril 10 MG Oral Tablet");
    pub(crate) const METFORMIN: Code = rxnorm(
        "860975",
        "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet",
    );
    pub(crate) const ALBUTEROL: Code = rxnorm(
        "745679",
        "200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
    );
    pub(crate) const ATORVASTATIN: Code =
        rxnorm("617312", "atorvastatin 20 MG Oral Tablet [Lipitor]");
    pub(crate) const AMOXICILLIN: Code = rxnorm("308182", "amoxicillin 250 MG Oral Capsule");
    pub(crate) const ACETAMINOPHEN: Code = rxnorm("313782", "acetaminophen 325 MG Oral Tablet");
    pub(crate) const IBUPROFEN: Code = rxnorm("310965", "ibuprofen 200 MG Oral Tablet");
}

use medication::*;

/// A care plan: its kind (SNOMED category) and planned activities.
#[derive(Debug)]
pub(crate) struct CarePlanDef {
    pub category: Code,
    pub activities: &'static [Code],
}

/// A result recorded when a condition is diagnosed.
#[derive(Debug)]
pub(crate) enum Finding {
    /// A quantitative test (a viral load).
    Measured(&'static Measure),
    /// A coded result (a genetic test).
    Coded { test: Code, result: Code },
}

/// What is checked at each later visit for a condition.
#[derive(Debug)]
pub(crate) enum Monitoring {
    Test(&'static Measure),
    Panel(&'static Panel),
}

/// A long-term condition: diagnosed once, then treated and monitored.
#[derive(Debug)]
pub(crate) struct ChronicDef {
    pub diagnosis: Diagnosis,
    pub sensitivity: Option<Sensitivity>,
    /// Prescribed at diagnosis and renewed at later visits.
    pub medication: Option<Code>,
    pub care_plan: Option<&'static CarePlanDef>,
    pub at_diagnosis: Option<Finding>,
    pub monitoring: Option<Monitoring>,
}

impl ChronicDef {
    /// How many resources recording the diagnosis takes: the Condition and
    /// whatever comes with it. The chart reserves this much room up front.
    pub(crate) fn diagnosis_cost(&self) -> usize {
        1 + usize::from(self.medication.is_some())
            + usize::from(self.care_plan.is_some())
            + usize::from(self.at_diagnosis.is_some())
    }
}

pub(crate) const fn chronic(diagnosis: Diagnosis) -> ChronicDef {
    ChronicDef {
        diagnosis,
        sensitivity: None,
        medication: None,
        care_plan: None,
        at_diagnosis: None,
        monitoring: None,
    }
}

static HYPERTENSION_PLAN: CarePlanDef = CarePlanDef {
    category: snomed("443402002", "Lifestyle education regarding hypertension"),
    activities: &[
        snomed("386463000", "Prescribed activity/exercise education"),
        snomed("226234005", "Healthy diet"),
    ],
};
static DIABETES_PLAN: CarePlanDef = CarePlanDef {
    category: snomed("698360004", "Diabetes self management plan"),
    activities: &[
        snomed("160670007", "Diabetic diet"),
        snomed("229065009", "Exercise therapy"),
    ],
};
static ASTHMA_PLAN: CarePlanDef = CarePlanDef {
    category: snomed("699728000", "Asthma self management"),
    activities: &[snomed("710081004", "Smoking cessation therapy")],
};
pub(crate) static RESPIRATORY_PLAN: CarePlanDef = CarePlanDef {
    category: snomed("53950000", "Respiratory therapy"),
    activities: &[snomed("304510005", "Recommendation to avoid exercise")],
};
static PHYSICAL_THERAPY_PLAN: CarePlanDef = CarePlanDef {
    category: snomed("91251008", "Physical therapy procedure"),
    activities: &[
        snomed("183051005", "Recommendation to rest"),
        snomed("229070002", "Stretching exercises"),
    ],
};
static FRACTURE_PLAN: CarePlanDef = CarePlanDef {
    category: snomed("385691007", "Fracture care"),
    activities: &[snomed("183051005", "Recommendation to rest")],
};
static WOUND_PLAN: CarePlanDef = CarePlanDef {
    category: snomed("225358003", "Wound care"),
    activities: &[snomed("385949008", "Dressing change management")],
};

pub(crate) static HYPERTENSION: ChronicDef = ChronicDef {
    medication: Some(LISINOPRIL),
    care_plan: Some(&HYPERTENSION_PLAN),
    ..chronic(dx(
        "I10",
        "Essential (primary) hypertension",
        "38341003",
        "Hypertension",
    ))
};
pub(crate) static DIABETES: ChronicDef = ChronicDef {
    medication: Some(METFORMIN),
    care_plan: Some(&DIABETES_PLAN),
    monitoring: Some(Monitoring::Test(&HBA1C)),
    ..chronic(dx(
        "E11.9",
        "Type 2 diabetes mellitus without complications",
        "44054006",
        "Diabetes mellitus type 2",
    ))
};
pub(crate) static PREDIABETES: ChronicDef = ChronicDef {
    monitoring: Some(Monitoring::Test(&HBA1C)),
    ..chronic(dx("R73.03", "Prediabetes", "15777000", "Prediabetes"))
};
pub(crate) static HYPERLIPIDEMIA: ChronicDef = ChronicDef {
    medication: Some(ATORVASTATIN),
    monitoring: Some(Monitoring::Panel(&LIPIDS)),
    ..chronic(dx(
        "E78.5",
        "Hyperlipidemia, unspecified",
        "55822004",
        "Hyperlipidemia",
    ))
};
pub(crate) static ASTHMA: ChronicDef = ChronicDef {
    medication: Some(ALBUTEROL),
    care_plan: Some(&ASTHMA_PLAN),
    ..chronic(dx(
        "J45.909",
        "Unspecified asthma, uncomplicated",
        "195967001",
        "Asthma",
    ))
};
pub(crate) static OBESITY: ChronicDef = chronic(dx(
    "E66.9",
    "Obesity, unspecified",
    "162864005",
    "Body mass index 30+ - obesity",
));
pub(crate) static OSTEOARTHRITIS: ChronicDef = ChronicDef {
    medication: Some(IBUPROFEN),
    care_plan: Some(&PHYSICAL_THERAPY_PLAN),
    ..chronic(dx(
        "M17.9",
        "Osteoarthritis of knee, unspecified",
        "239873007",
        "Osteoarthritis of knee",
    ))
};

/// Where an acute problem is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setting {
    Clinic,
    Emergency,
    Inpatient,
}

/// An X-ray taken for an acute problem.
#[derive(Debug)]
pub(crate) struct Imaging {
    pub body_site: Code,
    pub procedure: Code,
}

/// An acute problem and what the visit for it does.
#[derive(Debug)]
pub(crate) struct AcuteDef {
    pub diagnosis: Diagnosis,
    pub setting: Setting,
    /// Youngest and oldest age it is drawn for.
    pub ages: (u32, u32),
    /// Days until it resolves.
    pub lasts: (u32, u32),
    pub medication: Option<Code>,
    pub procedure: Option<Code>,
    pub imaging: Option<Imaging>,
    pub care_plan: Option<&'static CarePlanDef>,
    pub fever: bool,
    /// Whether blood counts and chemistry are drawn.
    pub labs: bool,
}

const fn acute(diagnosis: Diagnosis, setting: Setting, ages: (u32, u32)) -> AcuteDef {
    AcuteDef {
        diagnosis,
        setting,
        ages,
        lasts: (7, 21),
        medication: None,
        procedure: None,
        imaging: None,
        care_plan: None,
        fever: false,
        labs: false,
    }
}

const PLAIN_RADIOGRAPHY: Code = snomed("168537006", "Plain radiography");

#[rustfmt::skip] // a table of records reads better with one field per line
pub(crate) static ACUTE: &[AcuteDef] = &[
    AcuteDef {
        medication: Some(AMOXICILLIN), lasts: (10, 21),
        ..acute(dx("J01.90", "Acute sinusitis, unspecified", "444814009", "Viral sinusitis"), Setting::Clinic, (5, 95))
    },
    AcuteDef {
        medication: Some(ACETAMINOPHEN), fever: true, lasts: (5, 10),
        ..acute(dx("J02.9", "Acute pharyngitis, unspecified", "195662009", "Acute viral pharyngitis"), Setting::Clinic, (3, 95))
    },
    AcuteDef {
        medication: Some(ACETAMINOPHEN), fever: true, care_plan: Some(&RESPIRATORY_PLAN),
        procedure: Some(snomed("23426006", "Measurement of respiratory function")),
        ..acute(dx("J20.9", "Acute bronchitis, unspecified", "10509002", "Acute bronchitis"), Setting::Clinic, (0, 95))
    },
    AcuteDef {
        medication: Some(AMOXICILLIN), fever: true, lasts: (5, 14),
        ..acute(dx("H66.90", "Otitis media, unspecified, unspecified ear", "65363002", "Otitis media"), Setting::Clinic, (0, 10))
    },
    AcuteDef {
        medication: Some(IBUPROFEN), care_plan: Some(&PHYSICAL_THERAPY_PLAN), lasts: (14, 42),
        imaging: Some(Imaging { body_site: snomed("344001", "Ankle"), procedure: PLAIN_RADIOGRAPHY }),
        ..acute(dx("S93.401A", "Sprain of unspecified ligament of right ankle, initial encounter", "44465007", "Sprain of ankle"), Setting::Clinic, (8, 80))
    },
    AcuteDef {
        medication: Some(IBUPROFEN), care_plan: Some(&FRACTURE_PLAN), lasts: (42, 90),
        procedure: Some(snomed("274474001", "Bone immobilization")),
        imaging: Some(Imaging { body_site: snomed("14975008", "Forearm structure"), procedure: PLAIN_RADIOGRAPHY }),
        ..acute(dx("S52.90XA", "Unspecified fracture of unspecified forearm, initial encounter for closed fracture", "65966004", "Fracture of forearm"), Setting::Emergency, (4, 90))
    },
    AcuteDef {
        medication: Some(ACETAMINOPHEN), care_plan: Some(&WOUND_PLAN), lasts: (10, 21),
        procedure: Some(snomed("288086009", "Suture open wound")),
        ..acute(dx("S51.819A", "Laceration without foreign body of unspecified forearm, initial encounter", "283371005", "Laceration of forearm"), Setting::Emergency, (3, 90))
    },
    AcuteDef {
        medication: Some(ACETAMINOPHEN), lasts: (7, 30),
        ..acute(dx("S06.0X0A", "Concussion without loss of consciousness, initial encounter", "110030002", "Concussion injury of brain"), Setting::Emergency, (5, 90))
    },
    AcuteDef {
        medication: Some(AMOXICILLIN), fever: true, labs: true, care_plan: Some(&RESPIRATORY_PLAN), lasts: (14, 35),
        imaging: Some(Imaging { body_site: snomed("51185008", "Thoracic structure"), procedure: snomed("399208008", "Plain chest X-ray") }),
        ..acute(dx("J18.9", "Pneumonia, unspecified organism", "233604007", "Pneumonia"), Setting::Inpatient, (0, 95))
    },
    AcuteDef {
        medication: Some(ACETAMINOPHEN), fever: true, labs: true, lasts: (14, 28),
        procedure: Some(snomed("80146002", "Appendectomy")),
        ..acute(dx("K35.80", "Unspecified acute appendicitis", "74400008", "Appendicitis"), Setting::Inpatient, (5, 70))
    },
];

/// An allergy and how it shows.
#[derive(Debug)]
pub(crate) struct AllergyDef {
    pub code: Code,
    /// FHIR allergy-intolerance-category: food | medication | environment.
    pub category: &'static str,
    pub reaction: Code,
}

#[rustfmt::skip] // a table
pub(crate) static ALLERGIES: &[AllergyDef] = &[
    AllergyDef { code: snomed("91935009", "Allergy to peanuts"), category: "food", reaction: snomed("247472004", "Wheal") },
    AllergyDef { code: snomed("300913006", "Shellfish allergy"), category: "food", reaction: snomed("39579001", "Anaphylaxis") },
    AllergyDef { code: snomed("417532002", "Allergy to fish"), category: "food", reaction: snomed("271807003", "Eruption of skin") },
    AllergyDef { code: snomed("91936005", "Allergy to penicillin"), category: "medication", reaction: snomed("271807003", "Eruption of skin") },
    AllergyDef { code: snomed("232347008", "Dander (animal) allergy"), category: "environment", reaction: snomed("76067001", "Sneezing") },
    AllergyDef { code: snomed("418689008", "Allergy to grass pollen"), category: "environment", reaction: snomed("76067001", "Sneezing") },
    AllergyDef { code: snomed("419474003", "Allergy to mould"), category: "environment", reaction: snomed("267036007", "Dyspnea") },
];

/// Screening and routine procedures of check-ups.
pub(crate) mod routine {
    use super::{Code, snomed};

    pub(crate) const DEPRESSION_SCREENING: Code = snomed("171207006", "Depression screening");
    pub(crate) const MEDICATION_RECONCILIATION: Code =
        snomed("430193006", "Medication Reconciliation");
    pub(crate) const COLONOSCOPY: Code = snomed("73761001", "Colonoscopy");
}

/// The LOINC type of the note written at every visit.
pub(crate) const VISIT_NOTE: Code = loinc("34117-2", "History and physical note");
