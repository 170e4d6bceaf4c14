//! Generating and decoding TOTP shared secrets (base32 without padding).

use data_encoding::BASE32_NOPAD;
use lablink_prof::line_profile;

use super::MfaError;

/// Size of a generated secret: 20 bytes = 160 bits, the HMAC-SHA-1 block recommended by RFC 4226.
pub const SECRET_BYTES: usize = 20;

/// Shortest accepted secret: 16 bytes = 128 bits (RFC 4226, requirement R6).
pub const MIN_SECRET_BYTES: usize = 16;

/// Generates a random 160-bit TOTP secret, base32-encoded without padding (32 characters).
///
/// ```
/// let secret = lablink_core::security::mfa::generate_totp_secret()?;
/// assert_eq!(secret.len(), 32);
/// # Ok::<(), lablink_core::security::mfa::MfaError>(())
/// ```
///
/// # Errors
///
/// [`MfaError::Randomness`] if the operating system's random number generator fails.
#[line_profile]
pub fn generate_totp_secret() -> Result<String, MfaError> {
    let mut bytes = [0_u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(MfaError::Randomness)?;
    let secret = BASE32_NOPAD.encode(&bytes);
    Ok(secret)
}

/// Decodes a base32 secret; case, spaces, hyphens and `=` padding are ignored.
///
/// # Errors
///
/// [`MfaError::InvalidSecret`] for characters outside base32 or an impossible length;
/// [`MfaError::SecretTooShort`] below [`MIN_SECRET_BYTES`].
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, MfaError> {
    let normalized: String = secret
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '='))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = BASE32_NOPAD
        .decode(normalized.as_bytes())
        .map_err(|error| MfaError::InvalidSecret {
            reason: error.to_string(),
        })?;
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(MfaError::SecretTooShort {
            bytes: bytes.len(),
            minimum: MIN_SECRET_BYTES,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_round_trips() {
        let secret = generate_totp_secret().unwrap();
        assert_eq!(decode_secret(&secret).unwrap().len(), SECRET_BYTES);
        assert_eq!(
            decode_secret(&secret.to_lowercase()).unwrap(),
            decode_secret(&secret).unwrap()
        );
    }

    #[test]
    fn bad_secrets_are_refused() {
        assert!(matches!(
            decode_secret("not base32!"),
            Err(MfaError::InvalidSecret { .. })
        ));
        assert!(matches!(
            decode_secret("GEZDGNBV"),
            Err(MfaError::SecretTooShort { bytes: 5, .. })
        ));
    }
}
