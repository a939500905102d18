//! People sign in with their own organization's OpenID Provider: a real,
//! independent provider (the `oidc-provider` package, `tests/oidc`) issues
//! the tokens; a real node verifies them on every clinical call and lets
//! each role do what it is for and nothing more.

use continuum_e2e::node::{Client, TestNode, audience_of};
use continuum_e2e::oidc::TestIdp;
use continuum_proto::node::v1::{
    CreateResourceRequest, FetchOutsideRecordsRequest, GetResourceRequest, ResourceKey,
    SearchPatientsRequest,
};
use serde_json::{Value, json};
use tonic::Code;

const CLINIC: &str = "clinic-a";
const OTHER_CLINIC: &str = "clinic-b";
/// Trusts the clinic's provider too, with its own audience.
const PROGRAM: &str = "program-c";

fn patient(mrn: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": mrn}],
        "name": [{"family": "Rivera", "given": ["Lee"]}],
        "birthDate": "1980-02-03"
    })
}

fn observation(patient_id: &str) -> Value {
    json!({
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": format!("Patient/{patient_id}")},
        "effectiveDateTime": "2026-11-01T10:00:00Z",
        "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}
    })
}

/// A node whose clinic and program trust `clinic_idp` and whose other
/// clinic trusts `other_idp`.
/// A node whose clinic and program trust `clinic_idp`, and whose other
/// clinic (when `other_idp` is given) trusts another provider.
fn node(clinic_idp: &TestIdp, other_idp: Option<&TestIdp>) -> TestNode {
    let mut tenants = vec![
        (CLINIC, clinic_idp.issuer()),
        (PROGRAM, clinic_idp.issuer()),
    ];
    if let Some(other) = other_idp {
        tenants.push((OTHER_CLINIC, other.issuer()));
    }
    TestNode::start_with_identity(&tenants)
}

async fn as_user(node: &TestNode, idp: &TestIdp, tenant: &str, user: &str) -> Client {
    let token = idp.login_for(user, &audience_of(tenant)).await;
    node.client_with_token(tenant, &token).await
}

async fn register(client: &mut Client, mrn: &str) -> Result<String, tonic::Status> {
    client
        .register_patient(CreateResourceRequest {
            resource_json: patient(mrn).to_string(),
        })
        .await
        .map(|r| r.into_inner().id)
}

fn assert_refused(result: Result<impl std::fmt::Debug, tonic::Status>, code: Code, text: &str) {
    let status = result.expect_err("refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert!(
        status.message().contains(text),
        "`{}` should say `{text}`",
        status.message()
    );
}

#[tokio::test]
async fn each_role_does_what_it_is_for_and_nothing_more() {
    let idp = TestIdp::start(&audience_of(CLINIC)).await;
    let node = node(&idp, None);

    // The front desk registers and finds patients, and reads no chart.
    let mut desk = as_user(&node, &idp, CLINIC, "front-desk").await;
    let patient_id = register(&mut desk, "MRN-1").await.expect("registered");
    let found = desk
        .search_patients(SearchPatientsRequest {
            identifier: "MRN-1".into(),
            ..Default::default()
        })
        .await
        .expect("search")
        .into_inner();
    assert_eq!(found.patients.len(), 1);
    let chart = GetResourceRequest {
        key: Some(ResourceKey {
            resource_type: "Patient".into(),
            id: patient_id.clone(),
        }),
        version: None,
    };
    assert_refused(
        desk.get_resource(chart.clone()).await,
        Code::PermissionDenied,
        "may not read charts",
    );
    assert_refused(
        desk.create_resource(CreateResourceRequest {
            resource_json: observation(&patient_id).to_string(),
        })
        .await,
        Code::PermissionDenied,
        "may not write clinical data",
    );

    // A physician reads and writes the chart, registers nobody, imports nothing.
    let mut doctor = as_user(&node, &idp, CLINIC, "dr-lee").await;
    doctor
        .get_resource(chart.clone())
        .await
        .expect("read chart");
    doctor
        .create_resource(CreateResourceRequest {
            resource_json: observation(&patient_id).to_string(),
        })
        .await
        .expect("write clinical data");
    assert_refused(
        register(&mut doctor, "MRN-2").await,
        Code::PermissionDenied,
        "may not register or update patients",
    );
    assert_refused(
        continuum_e2e::import(
            &mut doctor,
            &json!({"resourceType": "Bundle", "type": "transaction", "entry": []}),
        )
        .await,
        Code::PermissionDenied,
        "may not import bundles",
    );
    // Fetching is allowed (this node is in no network); breaking the glass is not.
    let fetch = |reason: &str| FetchOutsideRecordsRequest {
        patient_id: patient_id.clone(),
        purpose: "ETREAT".into(),
        break_glass_reason: reason.into(),
        resource_types: vec![],
    };
    assert_refused(
        doctor.fetch_outside_records(fetch("")).await,
        Code::FailedPrecondition,
        "network",
    );
    assert_refused(
        doctor.fetch_outside_records(fetch("unconscious")).await,
        Code::PermissionDenied,
        "may not break the glass",
    );
    let mut attending = as_user(&node, &idp, CLINIC, "dr-okafor").await;
    assert_refused(
        attending.fetch_outside_records(fetch("unconscious")).await,
        Code::FailedPrecondition,
        "network",
    );

    // The interface engine (client credentials) imports, but never asks the
    // network for records in someone's name.
    let token = idp.client_token("emr-integration").await;
    let mut engine = node.client_with_token(CLINIC, &token).await;
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:6f1c5f8e-8a43-4d0e-9a51-0f0d1c1e2b3a", "resource": patient("MRN-3"),
         "request": {"method": "POST", "url": "Patient"}}
    ]});
    continuum_e2e::import(&mut engine, &bundle)
        .await
        .expect("import");
    assert_refused(
        engine.fetch_outside_records(fetch("")).await,
        Code::PermissionDenied,
        "is a service",
    );

    // Someone the provider knows but gave no mapped role may do nothing.
    let mut nobody = as_user(&node, &idp, CLINIC, "no-roles").await;
    assert_refused(
        nobody.get_resource(chart).await,
        Code::PermissionDenied,
        "no Continuum role",
    );
}

#[tokio::test]
async fn forged_expired_and_misdirected_tokens_are_refused() {
    let idp = TestIdp::start(&audience_of(CLINIC)).await;
    let other = TestIdp::start(&audience_of(OTHER_CLINIC)).await;
    let node = node(&idp, Some(&other));
    let valid = idp.login_for("dr-lee", &audience_of(CLINIC)).await;
    let mut client = node.client_with_token(CLINIC, &valid).await;
    client
        .search_patients(by_name())
        .await
        .expect("a valid token is accepted");

    let try_token = async |tenant: &str, token: &str| {
        node.client_with_token(tenant, token)
            .await
            .search_patients(by_name())
            .await
    };
    let unauthenticated = async |tenant: &str, token: &str, text: &str| {
        assert_refused(try_token(tenant, token).await, Code::Unauthenticated, text);
    };

    // No token at all.
    let mut anonymous = node.client_with(Some(CLINIC), None).await;
    assert_refused(
        anonymous.search_patients(by_name()).await,
        Code::Unauthenticated,
        "no credential",
    );

    // A signature that does not match: the payload changed to claim more.
    let parts: Vec<&str> = valid.split('.').collect();
    let mut claims = decode(parts[1]);
    claims["roles"] = json!(["physician", "ed-attending"]);
    let forged = format!("{}.{}.{}", parts[0], encode(&claims), parts[2]);
    unauthenticated(CLINIC, &forged, "signature is not valid").await;

    // alg none: unsigned.
    let unsigned = format!(
        "{}.{}.",
        encode(&json!({"alg": "none", "typ": "JWT"})),
        parts[1]
    );
    unauthenticated(CLINIC, &unsigned, "unsigned").await;

    // HS256 "signed" with the provider's public key as the HMAC secret.
    let pem = idp.public_key_pem().await;
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let confused = jsonwebtoken::encode(
        &header,
        &decode(parts[1]),
        &jsonwebtoken::EncodingKey::from_secret(pem.as_bytes()),
    )
    .expect("hs256");
    unauthenticated(
        CLINIC,
        &confused,
        "`HS256`, which this tenant does not accept",
    )
    .await;

    // Valid signatures over claims that are wrong for this tenant or now.
    let now = chrono::Utc::now().timestamp();
    let signed = async |changes: Value| {
        let mut claims = json!({
            "iss": idp.issuer(), "sub": "dr-lee", "aud": audience_of(CLINIC),
            "iat": now, "exp": now + 300, "name": "Dr. Ana Lee", "roles": ["physician"],
            "client_id": "emr-console",
        });
        // `null` removes a claim.
        for (k, v) in changes.as_object().into_iter().flatten() {
            match (v, claims.as_object_mut()) {
                (Value::Null, Some(map)) => {
                    map.remove(k);
                }
                _ => claims[k] = v.clone(),
            }
        }
        idp.sign(json!({}), claims).await
    };
    let sound = signed(json!({})).await;
    try_token(CLINIC, &sound)
        .await
        .expect("the harness signs validly");
    unauthenticated(
        CLINIC,
        &signed(json!({"iss": "https://login.evil.example"})).await,
        "not this tenant's identity provider",
    )
    .await;
    unauthenticated(
        CLINIC,
        &signed(json!({"aud": "urn:continuum:other-node"})).await,
        "not meant for this tenant",
    )
    .await;
    unauthenticated(
        CLINIC,
        &signed(json!({"iat": now - 900, "exp": now - 600})).await,
        "expired",
    )
    .await;
    unauthenticated(
        CLINIC,
        &signed(json!({"nbf": now + 600})).await,
        "not valid yet",
    )
    .await;
    unauthenticated(
        CLINIC,
        &signed(json!({"exp": null})).await,
        "lacks the `exp` claim",
    )
    .await;

    // A real token for another audience of the same provider.
    let elsewhere = idp.login_for("dr-lee", "urn:continuum:other-node").await;
    unauthenticated(CLINIC, &elsewhere, "not meant for this tenant").await;

    // Another tenant's token: from its own provider, or from a provider this
    // tenant trusts too but for the other tenant's audience.
    let theirs = other.login_for("dr-lee", &audience_of(OTHER_CLINIC)).await;
    try_token(OTHER_CLINIC, &theirs)
        .await
        .expect("valid at its own tenant");
    unauthenticated(CLINIC, &theirs, "not this tenant's identity provider").await;
    unauthenticated(PROGRAM, &valid, "not meant for this tenant").await;
}

#[tokio::test]
async fn a_key_rotation_at_the_provider_is_picked_up_without_restart() {
    let idp = TestIdp::start(&audience_of(CLINIC)).await;
    let node = node(&idp, None);
    let search = async |token: &str| {
        node.client_with_token(CLINIC, token)
            .await
            .search_patients(by_name())
            .await
    };
    let before = idp.login_for("dr-lee", &audience_of(CLINIC)).await;
    search(&before).await.expect("before the rotation");

    let new_kid = idp.rotate(false).await;
    let after = idp.login_for("dr-lee", &audience_of(CLINIC)).await;
    assert_eq!(header(&after)["kid"], new_kid, "signed with the new key");
    search(&after)
        .await
        .expect("a token signed with the new key");
    search(&before)
        .await
        .expect("the old key is still published");

    // A key id the provider never published is refused after one refresh.
    let unknown = idp
        .sign(
            json!({"kid": "never-published"}),
            decode(after.split('.').nth(1).unwrap_or_default()),
        )
        .await;
    assert_refused(
        search(&unknown).await,
        Code::Unauthenticated,
        "key `never-published` is not among",
    );
}

#[tokio::test]
async fn an_unreachable_provider_is_unavailable_not_a_refusal() {
    // Nothing listens on the discard port of the loopback address.
    let gone = "http://127.0.0.1:9";
    let node = TestNode::start_with_identity(&[(CLINIC, gone)]);
    let now = chrono::Utc::now().timestamp();
    let claims =
        json!({"iss": gone, "sub": "dr-lee", "aud": audience_of(CLINIC), "exp": now + 300});
    let token = format!(
        "{}.{}.c2ln",
        encode(&json!({"alg": "RS256", "kid": "k1"})),
        encode(&claims)
    );
    let result = node
        .client_with_token(CLINIC, &token)
        .await
        .search_patients(by_name())
        .await;
    assert_refused(result, Code::Unavailable, "cannot be reached");
}

/// A patient search any clinical role may make.
fn by_name() -> SearchPatientsRequest {
    SearchPatientsRequest {
        name: "Rivera".into(),
        ..Default::default()
    }
}

fn header(token: &str) -> Value {
    decode(token.split('.').next().unwrap_or_default())
}

fn decode(part: &str) -> Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json")
}

fn encode(value: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}
