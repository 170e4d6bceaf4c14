//! Computing HOTP (RFC 4226) and TOTP (RFC 6238) codes with HMAC-SHA-1.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use lablink_prof::line_profile;
use serde::{Deserialize, Serialize};
use sha1::Sha1;

use super::{MfaError, decode_secret};

/// Number of digits and length of a time step.
///
/// The default, 6 digits every 30 seconds, is what authenticator apps use. RFC 6238's test
/// vectors use 8 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSettings {
    /// Code length, 6 to 10 digits.
    pub digits: u32,
    /// Length of a time step in seconds, at least 1.
    pub time_step_seconds: u64,
}

impl Default for TotpSettings {
    fn default() -> Self {
        Self {
            digits: 6,
            time_step_seconds: 30,
        }
    }
}

impl TotpSettings {
    /// Checks that the digit count is 6..=10 and the time step is at least one second.
    ///
    /// # Errors
    ///
    /// [`MfaError::InvalidSettings`].
    pub fn validate(&self) -> Result<(), MfaError> {
        if !(6..=10).contains(&self.digits) {
            return Err(MfaError::InvalidSettings {
                reason: format!("digits must be 6 to 10, got {}", self.digits),
            });
        }
        if self.time_step_seconds == 0 {
            return Err(MfaError::InvalidSettings {
                reason: "the time step must be at least 1 second".to_owned(),
            });
        }
        Ok(())
    }

    /// The time step (counter) that contains `unix_time`.
    pub fn time_step(&self, unix_time: u64) -> u64 {
        unix_time / self.time_step_seconds.max(1)
    }
}

/// Computes the HOTP code of `key` for `counter` (RFC 4226, HMAC-SHA-1, dynamic truncation).
///
/// # Errors
///
/// [`MfaError::InvalidSettings`] if `digits` is not 6..=10.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> Result<String, MfaError> {
    TotpSettings {
        digits,
        time_step_seconds: 1,
    }
    .validate()?;
    let mut mac = Hmac::<Sha1>::new_from_slice(key).map_err(|error| MfaError::InvalidSecret {
        reason: error.to_string(),
    })?;
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    let code = u64::from(binary) % 10_u64.pow(digits);
    Ok(format!("{code:0width$}", width = digits as usize))
}

/// The 6-digit, 30-second TOTP code of a base32 secret at `unix_time` (seconds).
///
/// # Errors
///
/// [`MfaError::InvalidSecret`] or [`MfaError::SecretTooShort`] for a bad secret.
#[line_profile]
pub fn totp_at(secret: &str, unix_time: u64) -> Result<String, MfaError> {
    totp_at_with(secret, unix_time, &TotpSettings::default())
}

/// The TOTP code of a base32 secret at `unix_time` with explicit settings.
///
/// ```
/// use lablink_core::security::mfa::{TotpSettings, totp_at_with};
///
/// // RFC 6238, appendix B: SHA-1, T = 59 s, secret "12345678901234567890".
/// let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// let settings = TotpSettings { digits: 8, time_step_seconds: 30 };
/// assert_eq!(totp_at_with(secret, 59, &settings)?, "94287082");
/// # Ok::<(), lablink_core::security::mfa::MfaError>(())
/// ```
///
/// # Errors
///
/// As for [`totp_at`], plus [`MfaError::InvalidSettings`].
pub fn totp_at_with(
    secret: &str,
    unix_time: u64,
    settings: &TotpSettings,
) -> Result<String, MfaError> {
    settings.validate()?;
    let key = decode_secret(secret)?;
    hotp(&key, settings.time_step(unix_time), settings.digits)
}

/// The current 6-digit TOTP code of a base32 secret.
///
/// # Errors
///
/// As for [`totp_at`], plus [`MfaError::ClockBeforeEpoch`].
#[line_profile]
pub fn get_current_totp_token(secret: &str) -> Result<String, MfaError> {
    let now = unix_time_now()?;
    totp_at(secret, now)
}

/// Seconds since the Unix epoch according to the system clock.
///
/// # Errors
///
/// [`MfaError::ClockBeforeEpoch`] if the clock is set before 1970.
pub fn unix_time_now() -> Result<u64, MfaError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .map_err(|_| MfaError::ClockBeforeEpoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4226, appendix D: HOTP values for the secret "12345678901234567890".
    #[test]
    fn rfc4226_hotp_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(
                hotp(b"12345678901234567890", counter as u64, 6).unwrap(),
                *code
            );
        }
    }
}
