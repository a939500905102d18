//! Why a bearer token was refused.

/// Why a token does not identify anyone. Messages are for the caller: they
/// say what is wrong and never echo the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the bearer token is not a signed JWT ({0})")]
    Malformed(String),
    #[error(
        "the token is unsigned (`alg: none`); only tokens signed by the identity provider are accepted"
    )]
    Unsigned,
    #[error(
        "the token is signed with `{alg}`, which this tenant does not accept (accepted: {accepted})"
    )]
    AlgorithmNotAllowed { alg: String, accepted: String },
    #[error("the token's key `{kid}` is not among the identity provider's published keys")]
    UnknownKey { kid: String },
    #[error("the token names no key id (`kid`) and the identity provider publishes several keys")]
    NoKeyId,
    #[error("the token's key `{kid}` is for {key_alg}, but the token claims `{alg}`")]
    KeyAlgorithmMismatch {
        kid: String,
        key_alg: String,
        alg: String,
    },
    #[error("the token's signature is not valid")]
    BadSignature,
    #[error("the token has expired; sign in again")]
    Expired,
    #[error("the token is not valid yet (`nbf` is in the future); check the clocks")]
    NotYetValid,
    #[error("the token was issued by `{found}`, which is not this tenant's identity provider")]
    WrongIssuer { found: String },
    #[error("the token is not meant for this tenant (its audience is not `{expected}`)")]
    WrongAudience { expected: String },
    #[error("the token lacks the `{0}` claim")]
    MissingClaim(String),
    #[error("the token's `{claim}` claim is not {expected}")]
    BadClaim {
        claim: String,
        expected: &'static str,
    },
    #[error(
        "the identity provider `{issuer}` announces itself as development-only; this node is not in development mode"
    )]
    DevelopmentProvider { issuer: String },
    #[error("the identity provider `{issuer}` cannot be reached: {reason}")]
    ProviderUnavailable { issuer: String, reason: String },
}

impl TokenError {
    /// The provider, not the token, is at fault: the caller may retry.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, TokenError::ProviderUnavailable { .. })
    }
}
