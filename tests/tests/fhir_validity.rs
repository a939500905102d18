//! What the node emits is valid FHIR R4 according to an independent
//! validator (the Python `fhir.resources` R4 models), not only our own code.

use std::process::Command;

use continuum_e2e::import;
use continuum_e2e::node::TestNode;
use continuum_proto::node::v1 as pb;
use continuum_synth::{RecordSize, patient_bundle};

fn validator() -> (String, String) {
    let python = std::env::var("CONTINUUM_FHIR_PYTHON");
    let script = std::env::var("CONTINUUM_FHIR_VALIDATE");
    match (python, script) {
        (Ok(python), Ok(script)) => (python, script),
        _ => panic!(
            "CONTINUUM_FHIR_PYTHON and CONTINUUM_FHIR_VALIDATE are not set: run the suite with \
             tests/run, which installs the independent FHIR validator"
        ),
    }
}

#[tokio::test]
async fn exported_records_validate_with_an_independent_fhir_validator() {
    let (python, script) = validator();
    let node = TestNode::start();
    let mut client = node.client("clinic-a").await;
    let mut files = Vec::new();
    // Large records from several patients cover every resource type synth makes,
    // sensitive ones (and their security labels) included.
    for index in 0..6 {
        let bundle = patient_bundle(42, index, RecordSize::Large);
        let result = import(&mut client, &bundle).await.expect("import");
        let patient_location = result
            .locations
            .iter()
            .find(|l| l.starts_with("Patient/"))
            .expect("a patient location");
        let patient_id = patient_location.split('/').nth(1).expect("id").to_owned();
        let export = client
            .export_patient(pb::ExportPatientRequest { patient_id })
            .await
            .expect("export")
            .into_inner();
        assert!(export.resource_count > 400);
        let path = node.dir.path().join(format!("export-{index}.json"));
        std::fs::write(&path, export.bundle_json).expect("write export");
        files.push(path);
    }
    let out = Command::new(&python)
        .arg(&script)
        .args(&files)
        .output()
        .expect("run the validator");
    assert!(
        out.status.success(),
        "the independent validator refused our export:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).matches("ok ").count() == files.len());
}
