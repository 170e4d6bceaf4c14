//! The error type of the authentication area.

use chrono::{DateTime, Utc};

/// Everything that can go wrong while hashing passwords, issuing tokens or managing sessions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The bcrypt cost is outside bcrypt's allowed range (4 to 31).
    #[error("bcrypt cost {cost} is outside the allowed range 4..=31")]
    InvalidCost {
        /// The rejected cost.
        cost: u32,
    },
    /// The password is longer than bcrypt can hash without silently truncating it.
    #[error("password is {length} bytes long; bcrypt accepts at most 72 bytes")]
    PasswordTooLong {
        /// Length of the rejected password in bytes.
        length: usize,
    },
    /// The stored hash is not a valid bcrypt hash.
    #[error("stored password hash is malformed: {reason}")]
    MalformedHash {
        /// What bcrypt found wrong with the hash.
        reason: String,
    },
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Randomness(getrandom::Error),
    /// The token signing secret is too short for HS256.
    #[error("token signing secret is {length} bytes long; at least {minimum} bytes are required")]
    WeakSecret {
        /// Length of the configured secret in bytes.
        length: usize,
        /// The minimum length in bytes.
        minimum: usize,
    },
    /// The token issuer is empty.
    #[error("token issuer must not be empty")]
    EmptyIssuer,
    /// The token subject or session user is empty.
    #[error("subject (user name) must not be empty")]
    EmptySubject,
    /// An additional claim would overwrite one of the registered claims (`sub`, `iss`, `iat`, `exp`, `nbf`, `aud`, `jti`).
    #[error("additional claim `{name}` would overwrite a registered claim")]
    ReservedClaim {
        /// The name of the offending claim.
        name: String,
    },
    /// Signing the token failed.
    #[error("failed to sign access token: {reason}")]
    Signing {
        /// What the JWT library reported.
        reason: String,
    },
    /// The token's `exp` claim is in the past.
    #[error("access token expired at {expired_at}")]
    TokenExpired {
        /// When the token expired.
        expired_at: DateTime<Utc>,
    },
    /// The token's signature does not match its content under the configured secret.
    ///
    /// HMAC cannot tell a token whose header or payload was altered after signing from one
    /// signed with a different secret: both end here.
    #[error(
        "access token signature is invalid (the token was altered or signed with another secret)"
    )]
    InvalidSignature,
    /// The token's header names an algorithm other than HS256.
    #[error("access token uses a signing algorithm other than HS256")]
    AlgorithmMismatch,
    /// The token's `iss` claim is not the configured issuer.
    #[error("access token was issued by another issuer")]
    WrongIssuer,
    /// The token is not a well-formed JWT, or a required claim is missing or ill-typed.
    #[error("access token is malformed: {reason}")]
    MalformedToken {
        /// What is wrong with it.
        reason: String,
    },
    /// No session has the given id (never existed, revoked, evicted or already expired and removed).
    #[error("unknown session")]
    SessionNotFound,
    /// The session exists but has expired; it has now been removed.
    #[error("session expired at {expired_at}")]
    SessionExpired {
        /// When the session expired.
        expired_at: DateTime<Utc>,
    },
}

impl AuthError {
    /// Maps a bcrypt error onto the matching variant.
    pub(crate) fn from_bcrypt(error: bcrypt::BcryptError) -> Self {
        match error {
            bcrypt::BcryptError::CostNotAllowed(cost) => Self::InvalidCost { cost },
            bcrypt::BcryptError::Truncation(length) => Self::PasswordTooLong { length },
            bcrypt::BcryptError::InvalidHash(reason) => Self::MalformedHash {
                reason: reason.to_owned(),
            },
            bcrypt::BcryptError::Rand(error) => Self::Randomness(error),
        }
    }
}
