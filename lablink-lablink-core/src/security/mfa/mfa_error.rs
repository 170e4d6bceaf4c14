//! The error type of the MFA area.

/// Everything that can go wrong while generating or checking one-time passwords.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MfaError {
    /// The secret is not valid base32.
    #[error("TOTP secret is not valid base32: {reason}")]
    InvalidSecret {
        /// What the decoder found wrong.
        reason: String,
    },
    /// The secret decodes to fewer bytes than RFC 4226 requires.
    #[error("TOTP secret has {bytes} bytes; at least {minimum} are required")]
    SecretTooShort {
        /// Length of the decoded secret.
        bytes: usize,
        /// The minimum length.
        minimum: usize,
    },
    /// The submitted token is not a string of the expected number of digits.
    #[error("TOTP token must be exactly {digits} decimal digits")]
    MalformedToken {
        /// The expected number of digits.
        digits: u32,
    },
    /// The token matches none of the accepted time steps.
    #[error("TOTP token is not valid")]
    InvalidToken,
    /// The token's time step was already used (or a later one was) for this account.
    #[error("TOTP token was already used")]
    TokenReplayed,
    /// The digit count or time step of [`TotpSettings`](super::TotpSettings) is out of range.
    #[error("invalid TOTP settings: {reason}")]
    InvalidSettings {
        /// Which setting is wrong and why.
        reason: String,
    },
    /// The account or issuer of a provisioning URI is empty.
    #[error("provisioning URI needs a non-empty {field}")]
    EmptyLabel {
        /// `"account"` or `"issuer"`.
        field: &'static str,
    },
    /// The system clock is set before the Unix epoch.
    #[error("the system clock is set before 1970-01-01")]
    ClockBeforeEpoch,
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {0}")]
    Randomness(getrandom::Error),
}
