//! The test OpenID Provider itself (`tests/oidc/provider.mjs`): the tokens it
//! issues say what the other tests rely on.

use base64::Engine;
use continuum_e2e::oidc::TestIdp;
use serde_json::{Value, json};

const AUDIENCE: &str = "urn:continuum:test-node";

/// Header and claims of a JWS, unverified.
fn decode(token: &str) -> (Value, Value) {
    let part = |s: &str| -> Value {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("json")
    };
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS: {token}");
    (part(parts[0]), part(parts[1]))
}

#[tokio::test]
async fn issues_jwt_access_tokens_for_accounts_and_clients() {
    let idp = TestIdp::start(AUDIENCE).await;
    assert!(idp.issuer().starts_with("http://127.0.0.1:"));

    let (header, claims) = decode(&idp.login("dr-lee").await);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "at+jwt");
    let kid = header["kid"].as_str().expect("kid").to_owned();
    assert_eq!(claims["iss"], idp.issuer());
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["sub"], "dr-lee");
    assert_eq!(claims["client_id"], "emr-console");
    assert_eq!(claims["name"], "Dr. Ana Lee");
    assert_eq!(claims["npi"], "1234567893");
    assert_eq!(claims["roles"], json!(["physician"]));
    let (iat, exp) = (claims["iat"].as_i64(), claims["exp"].as_i64());
    assert_eq!(exp.zip(iat).map(|(exp, iat)| exp - iat), Some(300));

    let (_, claims) = decode(&idp.login_for("no-roles", "urn:continuum:other-node").await);
    assert_eq!(claims["aud"], "urn:continuum:other-node");
    assert_eq!(claims["roles"], json!([]));
    assert!(claims.get("npi").is_none());

    let (_, claims) = decode(&idp.client_token("emr-integration").await);
    assert_eq!(claims["sub"], "emr-integration");
    assert_eq!(claims["client_id"], "emr-integration");
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["roles"], json!(["interface-engine"]));

    // Forged claims, signed with the current key.
    let forged = idp
        .sign(json!({}), json!({"iss": "https://evil.example"}))
        .await;
    let (header, claims) = decode(&forged);
    assert_eq!(header["kid"], kid.as_str());
    assert_eq!(claims, json!({"iss": "https://evil.example"}));
    assert!(
        idp.public_key_pem()
            .await
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );

    // After rotation a new key signs, and the old one stays published.
    let new_kid = idp.rotate(false).await;
    assert_ne!(new_kid, kid);
    let (header, _) = decode(&idp.login("dr-okafor").await);
    assert_eq!(header["kid"], new_kid.as_str());
    let jwks: Value = reqwest::get(format!("{}/jwks", idp.issuer()))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|key| key["kid"].as_str())
        .collect();
    assert_eq!(kids, [new_kid.as_str(), kid.as_str()]);
}

#[tokio::test]
async fn signs_with_the_chosen_algorithm() {
    for alg in ["ES256", "PS256"] {
        let idp = TestIdp::start_with_alg(AUDIENCE, alg).await;
        let (header, claims) = decode(&idp.client_token("reporting").await);
        assert_eq!(header["alg"], alg);
        assert_eq!(claims["roles"], json!([]));
    }
}
