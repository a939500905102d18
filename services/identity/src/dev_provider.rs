//! A development identity provider, so that `continuum up` has people on
//! embedded defaults. It is NOT an OpenID Provider to deploy: it asks no
//! password, signs in whoever is named, and says so in its discovery
//! document ([`DEVELOPMENT_ONLY_METADATA`]), which a node refuses unless it
//! runs in development mode.
//!
//! It serves discovery, its key set and a token endpoint with two grants:
//! `password` (any password; the username picks a [`DevUser`]) and
//! `client_credentials` (the client id picks a [`DevUser`] that is a
//! service). Tokens are ES256 (or RS256, [`DevProvider::start_with`]) JWT access tokens with `sub`, `name`, `npi`,
//! `roles`, `client_id`, `aud` (the `resource` asked for) and a 15-minute
//! lifetime.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::verifier::DEVELOPMENT_ONLY_METADATA;

const TOKEN_LIFETIME_SECS: u64 = 15 * 60;
const CLIENT_ID: &str = "continuum-dev";

/// Someone (or some system) the development provider signs in.
#[derive(Debug, Clone)]
pub struct DevUser {
    pub id: &'static str,
    pub name: &'static str,
    pub npi: Option<&'static str>,
    /// Role names as the provider knows them (the tenant maps them).
    pub roles: &'static [&'static str],
    /// Signs in with client credentials, not as a person.
    pub service: bool,
}

/// The people of `continuum up`'s story.
pub const DEV_USERS: &[DevUser] = &[
    DevUser {
        id: "dr-ana-lee",
        name: "Dr. Ana Lee",
        npi: Some("1234567893"),
        roles: &["physician"],
        service: false,
    },
    DevUser {
        id: "dr-chidi-okafor",
        name: "Dr. Chidi Okafor",
        npi: Some("1245319599"),
        roles: &["physician", "ed-attending"],
        service: false,
    },
    DevUser {
        id: "dr-maria-santos",
        name: "Dr. Maria Santos",
        npi: Some("1003000126"),
        roles: &["physician"],
        service: false,
    },
    DevUser {
        id: "sam-rivera",
        name: "Sam Rivera",
        npi: None,
        roles: &["front-desk"],
        service: false,
    },
    DevUser {
        id: "emr-integration",
        name: "EMR integration engine",
        npi: None,
        roles: &["interface-engine"],
        service: true,
    },
];

/// Why the development provider could not start.
#[derive(Debug, thiserror::Error)]
pub enum DevProviderError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot make a signing key: {0}")]
    Key(String),
}

/// How the development provider signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    /// ECDSA P-256 (the default: its key is made in a millisecond).
    Es256,
    /// RSA 2048, what most deployed providers use.
    Rs256,
}

impl SigningAlgorithm {
    pub(crate) fn jws(self) -> Algorithm {
        match self {
            SigningAlgorithm::Es256 => Algorithm::ES256,
            SigningAlgorithm::Rs256 => Algorithm::RS256,
        }
    }

    pub(crate) fn new_key(self) -> Result<EncodingKey, String> {
        match self {
            SigningAlgorithm::Es256 => {
                let pair = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
                EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).map_err(|e| e.to_string())
            }
            SigningAlgorithm::Rs256 => {
                use rsa::pkcs8::EncodePrivateKey;
                let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                    .map_err(|e| e.to_string())?;
                let pem = key
                    .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                    .map_err(|e| e.to_string())?;
                EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| e.to_string())
            }
        }
    }
}

struct Signer {
    issuer: String,
    alg: Algorithm,
    key: EncodingKey,
    kid: String,
    jwk: Value,
    users: HashMap<&'static str, &'static DevUser>,
}

/// A running development provider; it stops when dropped.
#[derive(Debug)]
pub struct DevProvider {
    issuer: String,
    task: tokio::task::JoinHandle<()>,
}

impl DevProvider {
    /// Serve on `addr` (port 0 picks one), signing with ES256; the issuer
    /// is `http://<bound address>`.
    pub async fn start(addr: SocketAddr) -> Result<DevProvider, DevProviderError> {
        Self::start_with(addr, SigningAlgorithm::Es256).await
    }

    pub async fn start_with(
        addr: SocketAddr,
        alg: SigningAlgorithm,
    ) -> Result<DevProvider, DevProviderError> {
        // Signing is the same either way; this only keeps a verifier made
        // later in this process on ring.
        crate::ring_crypto::install();
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| DevProviderError::Listen { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| DevProviderError::Listen { addr, source })?;
        let issuer = format!("http://{bound}");
        let signer = Arc::new(Signer::new(issuer.clone(), alg)?);
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .with_state(signer);
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(%error, "development identity provider stopped");
            }
        });
        Ok(DevProvider { issuer, task })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}

impl Drop for DevProvider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Signer {
    fn new(issuer: String, alg: SigningAlgorithm) -> Result<Signer, DevProviderError> {
        let key = alg.new_key().map_err(DevProviderError::Key)?;
        let kid = uuid::Uuid::new_v4().simple().to_string();
        let mut jwk = Jwk::from_encoding_key(&key, alg.jws())
            .map_err(|e| DevProviderError::Key(e.to_string()))?;
        jwk.common.key_id = Some(kid.clone());
        let jwk = serde_json::to_value(&jwk).map_err(|e| DevProviderError::Key(e.to_string()))?;
        let users = DEV_USERS.iter().map(|u| (u.id, u)).collect();
        Ok(Signer {
            issuer,
            alg: alg.jws(),
            key,
            kid,
            jwk,
            users,
        })
    }

    fn sign(&self, user: &DevUser, audience: &str) -> Result<String, jsonwebtoken::errors::Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let mut claims = json!({
            "iss": self.issuer,
            "sub": user.id,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME_SECS,
            "jti": uuid::Uuid::new_v4().to_string(),
            "client_id": if user.service { user.id } else { CLIENT_ID },
            "name": user.name,
            "roles": user.roles,
        });
        if let Some(npi) = user.npi {
            claims["npi"] = json!(npi);
        }
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        header.typ = Some("at+jwt".into());
        jsonwebtoken::encode(&header, &claims, &self.key)
    }
}

async fn discovery(State(signer): State<Arc<Signer>>) -> Json<Value> {
    let issuer = &signer.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [format!("{:?}", signer.alg)],
        "grant_types_supported": ["password", "client_credentials"],
        DEVELOPMENT_ONLY_METADATA: true,
    }))
}

async fn jwks(State(signer): State<Arc<Signer>>) -> Json<Value> {
    Json(json!({ "keys": [signer.jwk] }))
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    grant_type: String,
    username: Option<String>,
    client_id: Option<String>,
    /// RFC 8707: the audience the token is for.
    resource: Option<String>,
}

async fn token(State(signer): State<Arc<Signer>>, Form(request): Form<TokenRequest>) -> Response {
    let oauth_error = |code: &str, description: String| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": code, "error_description": description })),
        )
            .into_response()
    };
    let (who, service) = match request.grant_type.as_str() {
        "password" => (request.username, false),
        "client_credentials" => (request.client_id, true),
        other => {
            return oauth_error(
                "unsupported_grant_type",
                format!("`{other}`: use password or client_credentials"),
            );
        }
    };
    let Some(user) = who
        .as_deref()
        .and_then(|id| signer.users.get(id))
        .filter(|u| u.service == service)
    else {
        return oauth_error(
            "invalid_grant",
            format!("no such development user: {who:?}"),
        );
    };
    let Some(audience) = request.resource else {
        return oauth_error(
            "invalid_target",
            "name the tenant's audience in `resource`".into(),
        );
    };
    match signer.sign(user, &audience) {
        Ok(token) => Json(json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECS,
        }))
        .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Why a development token could not be had.
#[derive(Debug, thiserror::Error)]
pub enum DevTokenError {
    #[error("the development provider could not be asked: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the development provider answered without an access token: {0}")]
    NoToken(Value),
}

/// Ask a development provider for a token: `user` signs in as a person
/// (password grant) or, for a service, with client credentials.
pub async fn request_token(
    issuer: &str,
    user: &str,
    audience: &str,
) -> Result<String, DevTokenError> {
    let service = DEV_USERS.iter().any(|u| u.id == user && u.service);
    let mut form = vec![("resource", audience)];
    if service {
        form.extend([("grant_type", "client_credentials"), ("client_id", user)]);
    } else {
        form.extend([
            ("grant_type", "password"),
            ("username", user),
            ("password", "-"),
        ]);
    }
    let response: Value = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .form(&form)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    match response["access_token"].as_str() {
        Some(token) => Ok(token.to_owned()),
        None => Err(DevTokenError::NoToken(response)),
    }
}
