//! The referral network of the sharing and audit tests: a locator, a SaaS
//! node hosting a family clinic and a substance-use program (its records
//! all carry ETH), and a hospital node, every tenant trusting one real
//! OpenID Provider with its own audience; one patient registered at all
//! three, with records at the clinic and the program.

use std::time::Duration;

use continuum_proto::locator::v1::FetchRecordsResponse;
use continuum_proto::node::v1::{CreateResourceRequest, FetchOutsideRecordsRequest};
use serde_json::{Value, json};

use crate::network::{NetworkNode, TestNetwork, eventually, free_port};
use crate::node::audience_of;
use crate::oidc::TestIdp;

/// How long the locator waits for a holding node in these tests.
pub const DEADLINE_MS: u64 = 1500;

/// People of every tenant's identity provider (`tests/oidc/provider.mjs`):
/// a physician, an emergency physician who may break the glass, the front desk.
pub const CLINICIAN: &str = "dr-lee";
pub const EMERGENCY: &str = "dr-okafor";
pub const REGISTRAR: &str = "front-desk";

/// A locator, a SaaS node hosting a family clinic and a substance-use
/// program (its records all carry ETH), and a hospital node; one patient
/// registered at all three.
#[derive(Debug)]
pub struct Referral {
    pub network: TestNetwork,
    /// The identity provider every tenant trusts, each with its own audience.
    pub idp: TestIdp,
    pub saas: NetworkNode,
    pub hospital: NetworkNode,
    /// The patient's id at each tenant.
    pub at_clinic: String,
    pub at_program: String,
    pub at_hospital: String,
}

pub fn person(mrn: &str, given: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [
            {"system": "urn:oid:2.16.840.1.113883.4.1", "value": format!("900-55-{:04}", given.bytes().map(u32::from).sum::<u32>())},
            {"system": format!("urn:example:mrn:{mrn}"), "value": mrn}
        ],
        "name": [{"family": "Okafor", "given": [given]}],
        "gender": "female",
        "birthDate": "1984-07-12",
        "telecom": [{"system": "phone", "value": "555-0142"}],
        "address": [{"line": ["12 Harbour Road"], "city": "Lakeside", "postalCode": "40512"}]
    })
}

pub fn immunization(patient: &str) -> Value {
    json!({
        "resourceType": "Immunization", "status": "completed",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140", "display": "Influenza, seasonal"}]},
        "patient": {"reference": format!("Patient/{patient}")},
        "occurrenceDateTime": "2024-10-01"
    })
}

pub fn condition(patient: &str, code: &str, display: &str) -> Value {
    json!({
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code, "display": display}]},
        "subject": {"reference": format!("Patient/{patient}")},
        "onsetDateTime": "2023-03-02"
    })
}

pub async fn create(node: &NetworkNode, tenant: &str, resource: Value) -> String {
    node.client(tenant)
        .await
        .create_resource(CreateResourceRequest {
            resource_json: resource.to_string(),
        })
        .await
        .expect("create resource")
        .into_inner()
        .id
}

pub async fn register(node: &NetworkNode, tenant: &str, patient: Value) -> String {
    node.client(tenant)
        .await
        .register_patient(CreateResourceRequest {
            resource_json: patient.to_string(),
        })
        .await
        .expect("register patient")
        .into_inner()
        .id
}

impl Referral {
    pub async fn start() -> Referral {
        let network = TestNetwork::start_configured(
            3600,
            None,
            &format!("fetch_deadline_millis = {DEADLINE_MS}\n"),
        );
        let saas_port = free_port();
        let token = network.onboard(
            "saas-node",
            &format!("https://127.0.0.1:{saas_port}"),
            &["clinic-a", "program-c"],
        );
        network.admin_ok(&["org", "update", "program-c", "--sensitivity", "ETH"]);
        let idp = TestIdp::start(&audience_of("hospital-h")).await;
        let saas = NetworkNode::start_with_identity(
            &network,
            &token,
            saas_port,
            &["clinic-a", "program-c"],
            Some(idp.issuer()),
        );
        let hospital_port = free_port();
        let token = network.onboard(
            "hospital-node",
            &format!("https://127.0.0.1:{hospital_port}"),
            &["hospital-h"],
        );
        let hospital = NetworkNode::start_with_identity(
            &network,
            &token,
            hospital_port,
            &["hospital-h"],
            Some(idp.issuer()),
        );

        let at_clinic = register(&saas, "clinic-a", person("C-1", "Ada")).await;
        let at_program = register(&saas, "program-c", person("P-1", "Ada")).await;
        let at_hospital = register(&hospital, "hospital-h", person("H-1", "Ada")).await;
        for (tenant, patient) in [("clinic-a", &at_clinic), ("program-c", &at_program)] {
            create(&saas, tenant, immunization(patient)).await;
        }
        create(
            &saas,
            "clinic-a",
            condition(&at_clinic, "E11.9", "Type 2 diabetes mellitus"),
        )
        .await;
        create(
            &saas,
            "clinic-a",
            condition(&at_clinic, "F32.9", "Major depressive disorder"),
        )
        .await;
        create(
            &saas,
            "program-c",
            condition(&at_program, "F11.20", "Opioid dependence"),
        )
        .await;
        let referral = Referral {
            network,
            idp,
            saas,
            hospital,
            at_clinic,
            at_program,
            at_hospital,
        };
        referral
            .wait_linked(&["clinic-a", "program-c", "hospital-h"])
            .await;
        referral
    }

    /// Until the patient index has linked the hospital's patient to a
    /// person registered at every one of `tenants`.
    pub async fn wait_linked(&self, tenants: &[&str]) {
        let linked = eventually(Duration::from_secs(30), async || {
            let out = self.network.admin(&[
                "locate",
                "--tenant",
                "hospital-h",
                "--patient",
                &self.at_hospital,
            ]);
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            tenants.iter().all(|t| text.contains(t)).then_some(())
        })
        .await;
        let out = self.network.admin(&[
            "locate",
            "--tenant",
            "hospital-h",
            "--patient",
            &self.at_hospital,
        ]);
        assert!(
            linked.is_some(),
            "the patient was not linked across organizations: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.network.admin_ok(&["review", "list"])
        );
    }

    pub async fn fetch(&self, purpose: &str) -> Result<FetchRecordsResponse, tonic::Status> {
        self.fetch_as(false, purpose, "").await
    }

    pub async fn fetch_as(
        &self,
        emergency: bool,
        purpose: &str,
        reason: &str,
    ) -> Result<FetchRecordsResponse, tonic::Status> {
        let user = if emergency { EMERGENCY } else { CLINICIAN };
        let mut client = self.hospital.client_as(&self.idp, "hospital-h", user).await;
        client
            .fetch_outside_records(FetchOutsideRecordsRequest {
                patient_id: self.at_hospital.clone(),
                purpose: purpose.into(),
                break_glass_reason: reason.into(),
                resource_types: Vec::new(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Record a Consent for the patient at the clinic; its id.
    pub async fn consent(&self, id: &str, status: &str, provision: Value) -> String {
        let consent = json!({
            "resourceType": "Consent",
            "id": id,
            "status": status,
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": {"reference": format!("Patient/{}", self.at_clinic)},
            "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]},
            "provision": provision
        });
        self.saas
            .client_as(&self.idp, "clinic-a", REGISTRAR)
            .await
            .put_consent(CreateResourceRequest {
                resource_json: consent.to_string(),
            })
            .await
            .expect("record consent")
            .into_inner()
            .directive_id
    }
}
