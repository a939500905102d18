//! The verifier against the development provider over real HTTP: what a
//! token of each kind turns into, and that only a development node trusts
//! that provider. (Everything else about tokens is tested against a real,
//! independent OpenID Provider in the end-to-end tests.)

use std::collections::BTreeMap;

use base64::Engine;
use continuum_identity::dev_provider::{DevProvider, request_token};
use continuum_identity::{
    ClaimMapping, Mode, Permission, PrincipalKind, ProviderConfig, Role, TokenError, TokenVerifier,
};

const AUDIENCE: &str = "urn:continuum:test";

fn config(issuer: &str) -> ProviderConfig {
    let roles = BTreeMap::from([
        ("physician".to_owned(), vec![Role::Clinician]),
        ("ed-attending".to_owned(), vec![Role::EmergencyAccess]),
        ("interface-engine".to_owned(), vec![Role::Integration]),
    ]);
    ProviderConfig {
        claims: ClaimMapping {
            professional_id: Some("npi".into()),
            ..ClaimMapping::default()
        },
        ..ProviderConfig::new(issuer, AUDIENCE, roles)
    }
}

async fn provider() -> DevProvider {
    DevProvider::start("127.0.0.1:0".parse().expect("address"))
        .await
        .expect("development provider starts")
}

#[tokio::test]
async fn a_person_and_a_service_are_told_apart_and_roles_are_mapped() {
    let idp = provider().await;
    let verifier = TokenVerifier::new(config(idp.issuer()), Mode::Development).expect("config");

    let token = request_token(idp.issuer(), "dr-chidi-okafor", AUDIENCE)
        .await
        .expect("token");
    let person = verifier.verify(&token).await.expect("verified");
    assert_eq!(person.kind, PrincipalKind::Person);
    assert_eq!(person.subject, "dr-chidi-okafor");
    assert_eq!(person.name, "Dr. Chidi Okafor");
    assert_eq!(person.professional_id.as_deref(), Some("1245319599"));
    assert!(person.roles.contains(Role::Clinician));
    assert!(person.roles.contains(Role::EmergencyAccess));
    assert!(person.require(Permission::BreakTheGlass).is_ok());
    assert!(person.require(Permission::ImportBundles).is_err());

    let token = request_token(idp.issuer(), "emr-integration", AUDIENCE)
        .await
        .expect("token");
    let service = verifier.verify(&token).await.expect("verified");
    assert_eq!(service.kind, PrincipalKind::Service);
    assert!(service.require(Permission::ImportBundles).is_ok());
    let refusal = service
        .require(Permission::FetchOutsideRecords)
        .expect_err("a service never fetches in someone's name");
    assert!(refusal.to_string().contains("only a person"), "{refusal}");
}

#[tokio::test]
async fn a_production_node_refuses_the_development_provider() {
    let idp = provider().await;
    let verifier = TokenVerifier::new(config(idp.issuer()), Mode::Production).expect("config");
    let token = request_token(idp.issuer(), "dr-ana-lee", AUDIENCE)
        .await
        .expect("token");
    let err = verifier.verify(&token).await.expect_err("refused");
    assert!(
        matches!(err, TokenError::DevelopmentProvider { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn tampering_and_other_audiences_are_refused() {
    let idp = provider().await;
    let verifier = TokenVerifier::new(config(idp.issuer()), Mode::Development).expect("config");

    let other = request_token(idp.issuer(), "dr-ana-lee", "urn:continuum:other")
        .await
        .expect("token");
    assert_eq!(
        verifier.verify(&other).await.expect_err("refused"),
        TokenError::WrongAudience {
            expected: AUDIENCE.into()
        }
    );

    // The same signature over a payload that grants more.
    let token = request_token(idp.issuer(), "dr-ana-lee", AUDIENCE)
        .await
        .expect("token");
    let parts: Vec<&str> = token.split('.').collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).expect("payload")).expect("json");
    claims["roles"] = serde_json::json!(["physician", "ed-attending"]);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    assert_eq!(
        verifier.verify(&forged).await.expect_err("refused"),
        TokenError::BadSignature
    );
    assert!(verifier.verify(&token).await.is_ok());
}
