//! Checking submitted TOTP tokens, statelessly or with replay protection.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use lablink_prof::line_profile;

use super::{MfaError, TotpSettings, decode_secret, hotp, unix_time_now};

/// How many time steps before and after the current one are accepted (±1, i.e. 90 s in total).
pub const VERIFICATION_WINDOW_STEPS: u64 = 1;

/// Checks a 6-digit token against the current time (±1 step); `Ok(false)` means a wrong token.
///
/// This check is stateless: the same token passes again until its step leaves the window.
/// Use [`TotpVerifier`] on login paths to refuse replays.
///
/// # Errors
///
/// [`MfaError::InvalidSecret`] / [`MfaError::SecretTooShort`] for a bad secret,
/// [`MfaError::MalformedToken`] if the token is not 6 digits, [`MfaError::ClockBeforeEpoch`].
#[line_profile]
pub fn verify_totp_token(secret: &str, token: &str) -> Result<bool, MfaError> {
    let key = decode_secret(secret)?;
    let now = unix_time_now()?;
    let matched = matching_time_step(&key, token, now, &TotpSettings::default())?;
    Ok(matched.is_some())
}

/// Checks a 6-digit token as if the time were `unix_time` (±1 step).
///
/// # Errors
///
/// As for [`verify_totp_token`], without the clock error.
pub fn verify_totp_token_at(secret: &str, token: &str, unix_time: u64) -> Result<bool, MfaError> {
    let key = decode_secret(secret)?;
    let matched = matching_time_step(&key, token, unix_time, &TotpSettings::default())?;
    Ok(matched.is_some())
}

/// The time step within ±[`VERIFICATION_WINDOW_STEPS`] of `unix_time` whose code equals
/// `token`, if any.
///
/// All candidate steps are computed and compared in constant time, so the time taken does not
/// reveal which step matched.
///
/// # Errors
///
/// [`MfaError::InvalidSettings`], or [`MfaError::MalformedToken`] if the token is not exactly
/// `settings.digits` ASCII digits.
pub fn matching_time_step(
    key: &[u8],
    token: &str,
    unix_time: u64,
    settings: &TotpSettings,
) -> Result<Option<u64>, MfaError> {
    settings.validate()?;
    if token.len() != settings.digits as usize || !token.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MfaError::MalformedToken {
            digits: settings.digits,
        });
    }
    let current = settings.time_step(unix_time);
    let first = current.saturating_sub(VERIFICATION_WINDOW_STEPS);
    let last = current.saturating_add(VERIFICATION_WINDOW_STEPS);
    let mut matched = None;
    for step in first..=last {
        let expected = hotp(key, step, settings.digits)?;
        if constant_time_eq(expected.as_bytes(), token.as_bytes()) {
            matched = Some(step);
        }
    }
    Ok(matched)
}

/// Compares two byte strings without an early exit on the first difference.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0_u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// Verifies TOTP tokens with replay protection: each account's accepted steps must increase.
///
/// After a token is accepted, that token and any token of the same or an earlier time step are
/// refused for the same account with [`MfaError::TokenReplayed`]. Safe to share between threads.
///
/// ```
/// use lablink_core::security::mfa::{TotpVerifier, MfaError, totp_at};
///
/// let verifier = TotpVerifier::default();
/// let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
/// let token = totp_at(secret, 1_700_000_000)?;
/// verifier.verify_at("alice", secret, &token, 1_700_000_000)?;
/// let replay = verifier.verify_at("alice", secret, &token, 1_700_000_005);
/// assert!(matches!(replay, Err(MfaError::TokenReplayed)));
/// # Ok::<(), MfaError>(())
/// ```
#[derive(Debug, Default)]
pub struct TotpVerifier {
    settings: TotpSettings,
    last_accepted_step: Mutex<HashMap<String, u64>>,
}

impl TotpVerifier {
    /// Creates a verifier with non-default digits or time step.
    pub fn new(settings: TotpSettings) -> Self {
        Self {
            settings,
            last_accepted_step: Mutex::new(HashMap::new()),
        }
    }

    /// Verifies `token` for `account` at the current time; returns the accepted time step.
    ///
    /// # Errors
    ///
    /// [`MfaError::InvalidToken`] for a wrong token, [`MfaError::TokenReplayed`] for a reused
    /// one, and the errors of [`verify_totp_token`].
    #[line_profile]
    pub fn verify(&self, account: &str, secret: &str, token: &str) -> Result<u64, MfaError> {
        let now = unix_time_now()?;
        self.verify_at(account, secret, token, now)
    }

    /// Verifies `token` for `account` as if the time were `unix_time`.
    ///
    /// # Errors
    ///
    /// As for [`TotpVerifier::verify`].
    #[line_profile]
    pub fn verify_at(
        &self,
        account: &str,
        secret: &str,
        token: &str,
        unix_time: u64,
    ) -> Result<u64, MfaError> {
        let key = decode_secret(secret)?;
        let step = matching_time_step(&key, token, unix_time, &self.settings)?
            .ok_or(MfaError::InvalidToken)?;
        let mut last_accepted = self
            .last_accepted_step
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if last_accepted.get(account).is_some_and(|last| step <= *last) {
            return Err(MfaError::TokenReplayed);
        }
        last_accepted.insert(account.to_owned(), step);
        Ok(step)
    }

    /// Forgets an account's history (e.g. when its secret is re-enrolled or the account deleted).
    pub fn forget(&self, account: &str) {
        self.last_accepted_step
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(account);
    }
}
