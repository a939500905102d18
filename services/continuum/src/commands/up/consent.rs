//! The story patient's consent directive: a FHIR R4 Consent (scope
//! patient-privacy, policy rule OPTIN) that denies one sensitivity category
//! to every recipient, recorded at the family clinic through its node's
//! clinical API by its front desk — one directive, versioned, revoked by a version with
//! status `inactive`.

use anyhow::Context;
use continuum_fhir::Sensitivity;
use continuum_proto::locator::v1::ConsentDirective;
use continuum_proto::node::v1::CreateResourceRequest;
use serde_json::json;

use super::nodes::CLINIC;
use super::people::REGISTRAR;
use super::story::Cast;

/// The Consent's id at the clinic: the same directive on every run.
pub const CONSENT_ID: &str = "up-no-mental-health";
/// The category the patient withholds.
pub const WITHHELD: &str = "PSY";

/// Record (or revoke, `status` inactive) the story patient's directive at
/// the family clinic: deny the withheld category, for every recipient.
pub async fn put_consent(cast: &Cast<'_>, status: &str) -> anyhow::Result<ConsentDirective> {
    let consent = json!({
        "resourceType": "Consent",
        "id": CONSENT_ID,
        "status": status,
        "scope": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/consentscope",
            "code": "patient-privacy",
        }]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": format!("Patient/{}", cast.patient.at_clinic)},
        "dateTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "policyRule": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "OPTIN",
        }]},
        "provision": {
            "type": "deny",
            "securityLabel": [{"system": Sensitivity::SYSTEM, "code": WITHHELD}],
        },
    });
    let mut client = cast
        .people
        .target(cast.saas, CLINIC.id, REGISTRAR)
        .await?
        .connect()
        .await?;
    Ok(client
        .put_consent(CreateResourceRequest {
            resource_json: consent.to_string(),
        })
        .await
        .with_context(|| {
            format!(
                "recording the patient's consent ({status}) at {}",
                CLINIC.id
            )
        })?
        .into_inner())
}
