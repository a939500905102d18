//! Output is a pure function of (seed, index, size): byte-identical on
//! every run, different for other seeds, independent of generation order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use continuum_synth::{RecordSize, SynthOptions, bundles, patient_bundle};

fn texts(seed: u64, size: RecordSize, patients: usize) -> Vec<String> {
    let options = SynthOptions {
        patients,
        seed,
        size,
    };
    bundles(&options).map(|b| b.to_string()).collect()
}

#[test]
fn the_same_seed_gives_byte_identical_json() {
    for size in RecordSize::ALL {
        assert_eq!(texts(42, size, 8), texts(42, size, 8), "{size}");
    }
}

#[test]
fn another_seed_gives_other_patients() {
    let a = texts(1, RecordSize::Typical, 8);
    let b = texts(2, RecordSize::Typical, 8);
    for (x, y) in a.iter().zip(&b) {
        assert_ne!(x, y);
    }
}

#[test]
fn patients_do_not_depend_on_generation_order() {
    let options = SynthOptions {
        patients: 6,
        seed: 9,
        size: RecordSize::Small,
    };
    let in_order: Vec<_> = bundles(&options).collect();
    for index in (0..6).rev() {
        assert_eq!(patient_bundle(9, index, RecordSize::Small), in_order[index]);
    }
}

#[test]
fn a_patient_is_the_same_person_at_every_size() {
    for index in 0..10 {
        let patients: Vec<_> = RecordSize::ALL
            .iter()
            .map(|&size| {
                let bundle = patient_bundle(3, index, size);
                common::of_type(&bundle, "Patient")
                    .next()
                    .cloned()
                    .expect("a patient")
            })
            .collect();
        assert_eq!(patients[0], patients[1], "patient {index}");
        assert_eq!(patients[1], patients[2], "patient {index}");
    }
}

#[test]
fn default_options_give_ten_typical_patients() {
    let options = SynthOptions::default();
    let all: Vec<_> = bundles(&options).collect();
    assert_eq!(all.len(), 10);
    assert_eq!(all[3], patient_bundle(1, 3, RecordSize::Typical));
}

#[test]
fn records_of_different_sizes_share_only_the_person_and_providers() {
    let ids = |size| {
        let bundle = patient_bundle(3, 0, size);
        common::resources(&bundle)
            .filter(|r| {
                !matches!(
                    r["resourceType"].as_str(),
                    Some("Organization" | "Practitioner" | "Patient")
                )
            })
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect::<std::collections::HashSet<_>>()
    };
    let small = ids(RecordSize::Small);
    assert!(small.is_disjoint(&ids(RecordSize::Typical)));
    assert!(small.is_disjoint(&ids(RecordSize::Large)));
}
