//! HS256 JSON Web Tokens: issuing and verifying access tokens.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lablink_prof::line_profile;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::AuthError;

/// The shortest accepted signing secret, in bytes (256 bits, the HS256 output size).
pub const MIN_SECRET_BYTES: usize = 32;

/// Registered claim names that [`create_access_token`] sets itself or that must not be smuggled in.
const RESERVED_CLAIMS: [&str; 7] = ["sub", "iss", "iat", "exp", "nbf", "aud", "jti"];

/// How access tokens are signed and for how long they are valid.
///
/// The `Debug` output hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenConfig {
    /// The HMAC secret; at least [`MIN_SECRET_BYTES`] bytes.
    pub secret: String,
    /// How long a token stays valid after it is issued (whole seconds are used).
    pub expiry: Duration,
    /// The `iss` claim written into tokens and required when verifying them.
    pub issuer: String,
}

impl TokenConfig {
    /// Creates a token configuration.
    pub fn new(secret: impl Into<String>, expiry: Duration, issuer: impl Into<String>) -> Self {
        Self {
            secret: secret.into(),
            expiry,
            issuer: issuer.into(),
        }
    }

    /// Checks the secret length and the issuer.
    ///
    /// # Errors
    ///
    /// [`AuthError::WeakSecret`] or [`AuthError::EmptyIssuer`].
    pub fn validate(&self) -> Result<(), AuthError> {
        if self.secret.len() < MIN_SECRET_BYTES {
            return Err(AuthError::WeakSecret {
                length: self.secret.len(),
                minimum: MIN_SECRET_BYTES,
            });
        }
        if self.issuer.is_empty() {
            return Err(AuthError::EmptyIssuer);
        }
        Ok(())
    }
}

impl fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenConfig")
            .field("secret", &"<redacted>")
            .field("expiry", &self.expiry)
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// The claims carried by an access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: the user the token was issued to.
    pub sub: String,
    /// Issuer.
    pub iss: String,
    /// Issued at, in seconds since the Unix epoch.
    pub iat: i64,
    /// Expires at, in seconds since the Unix epoch; the token is rejected from this second on.
    pub exp: i64,
    /// Any further claims given to [`create_access_token`], such as `"role": "admin"`.
    #[serde(flatten)]
    pub additional: Map<String, Value>,
}

impl Claims {
    /// Builds the claims for a token issued to `subject` at `issued_at`.
    ///
    /// # Errors
    ///
    /// [`AuthError::EmptySubject`], or [`AuthError::ReservedClaim`] if `additional` names a
    /// registered claim.
    pub fn build(
        config: &TokenConfig,
        subject: &str,
        additional: Map<String, Value>,
        issued_at: DateTime<Utc>,
    ) -> Result<Self, AuthError> {
        if subject.is_empty() {
            return Err(AuthError::EmptySubject);
        }
        if let Some(name) = RESERVED_CLAIMS
            .iter()
            .find(|name| additional.contains_key(**name))
        {
            return Err(AuthError::ReservedClaim {
                name: (*name).to_owned(),
            });
        }
        let lifetime = i64::try_from(config.expiry.as_secs()).unwrap_or(i64::MAX);
        Ok(Self {
            sub: subject.to_owned(),
            iss: config.issuer.clone(),
            iat: issued_at.timestamp(),
            exp: issued_at.timestamp().saturating_add(lifetime),
            additional,
        })
    }

    /// The expiry time as a date, if representable.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.exp, 0)
    }
}

/// Issues an HS256 access token for `subject`, valid for `config.expiry` from now.
///
/// ```
/// use std::time::Duration;
/// use lablink_core::security::auth::{TokenConfig, create_access_token, verify_access_token};
///
/// let config = TokenConfig::new("an-example-secret-of-at-least-32-bytes", Duration::from_secs(900), "lablink");
/// let mut extra = serde_json::Map::new();
/// extra.insert("role".into(), "admin".into());
/// let token = create_access_token(&config, "testuser", extra)?;
/// let claims = verify_access_token(&config, &token)?;
/// assert_eq!(claims.sub, "testuser");
/// assert_eq!(claims.additional["role"], "admin");
/// # Ok::<(), lablink_core::security::auth::AuthError>(())
/// ```
///
/// # Errors
///
/// [`AuthError::WeakSecret`], [`AuthError::EmptyIssuer`], [`AuthError::EmptySubject`],
/// [`AuthError::ReservedClaim`] or [`AuthError::Signing`].
#[line_profile]
pub fn create_access_token(
    config: &TokenConfig,
    subject: &str,
    additional_claims: Map<String, Value>,
) -> Result<String, AuthError> {
    let issued_at = Utc::now();
    let claims = Claims::build(config, subject, additional_claims, issued_at)?;
    let token = sign_claims(config, &claims)?;
    Ok(token)
}

/// Issues an access token as if the time were `issued_at` (for tests and token replay tooling).
///
/// # Errors
///
/// As for [`create_access_token`].
#[line_profile]
pub fn create_access_token_at(
    config: &TokenConfig,
    subject: &str,
    additional_claims: Map<String, Value>,
    issued_at: DateTime<Utc>,
) -> Result<String, AuthError> {
    let claims = Claims::build(config, subject, additional_claims, issued_at)?;
    sign_claims(config, &claims)
}

/// Verifies an access token's signature, algorithm, issuer and expiry, returning its claims.
///
/// No leeway is granted: a token is expired from its `exp` second on.
///
/// # Errors
///
/// [`AuthError::TokenExpired`], [`AuthError::InvalidSignature`] (altered token or another
/// secret), [`AuthError::AlgorithmMismatch`], [`AuthError::WrongIssuer`],
/// [`AuthError::MalformedToken`], or a configuration error as for [`TokenConfig::validate`].
#[line_profile]
pub fn verify_access_token(config: &TokenConfig, token: &str) -> Result<Claims, AuthError> {
    let now = Utc::now();
    let claims = decode_signed_claims(config, token)?;
    ensure_not_expired(&claims, now)?;
    Ok(claims)
}

/// Verifies an access token as if the time were `now`.
///
/// # Errors
///
/// As for [`verify_access_token`].
pub fn verify_access_token_at(
    config: &TokenConfig,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Claims, AuthError> {
    let claims = decode_signed_claims(config, token)?;
    ensure_not_expired(&claims, now)?;
    Ok(claims)
}

/// Signs claims with HS256 under the configured secret.
fn sign_claims(config: &TokenConfig, claims: &Claims) -> Result<String, AuthError> {
    config.validate()?;
    let key = EncodingKey::from_secret(config.secret.as_bytes());
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).map_err(|error| {
        AuthError::Signing {
            reason: error.to_string(),
        }
    })
}

/// Checks signature, algorithm, issuer and required claims, leaving expiry to the caller.
fn decode_signed_claims(config: &TokenConfig, token: &str) -> Result<Claims, AuthError> {
    config.validate()?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
    validation.set_issuer(&[config.issuer.as_str()]);
    let key = DecodingKey::from_secret(config.secret.as_bytes());
    let data =
        jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|error| {
            match error.kind() {
                ErrorKind::InvalidSignature => AuthError::InvalidSignature,
                ErrorKind::InvalidAlgorithm => AuthError::AlgorithmMismatch,
                ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
                _ => AuthError::MalformedToken {
                    reason: error.to_string(),
                },
            }
        })?;
    Ok(data.claims)
}

/// Rejects claims whose `exp` is at or before `now`.
fn ensure_not_expired(claims: &Claims, now: DateTime<Utc>) -> Result<(), AuthError> {
    if now.timestamp() >= claims.exp {
        return Err(AuthError::TokenExpired {
            expired_at: claims.expires_at().unwrap_or(DateTime::<Utc>::MIN_UTC),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let config = TokenConfig::new("super-secret-value", Duration::from_secs(1), "x");
        let shown = format!("{config:?}");
        assert!(!shown.contains("super-secret-value"));
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn reserved_claims_are_refused() {
        let config = TokenConfig::new(
            "0123456789abcdef0123456789abcdef",
            Duration::from_secs(60),
            "x",
        );
        let mut extra = Map::new();
        extra.insert("exp".into(), Value::from(1));
        let error = create_access_token(&config, "u", extra).unwrap_err();
        assert!(matches!(error, AuthError::ReservedClaim { ref name } if name == "exp"));
    }
}
