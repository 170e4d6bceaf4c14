//! Multi-factor authentication with time-based one-time passwords (TOTP, RFC 6238, HMAC-SHA-1).
//!
//! Secrets are base32 strings without padding, as authenticator apps expect. The defaults are
//! those of every common authenticator: 6 digits, 30-second steps, and verification accepts the
//! previous, current and next step (±1) to absorb clock drift. [`TotpVerifier`] adds replay
//! protection: it remembers the last accepted step per account and refuses that step or an older
//! one again.

mod mfa_error;
mod provisioning;
mod totp_code;
mod totp_secret;
mod totp_verification;

pub use mfa_error::MfaError;
pub use provisioning::provisioning_uri;
pub use totp_code::{
    TotpSettings, get_current_totp_token, hotp, totp_at, totp_at_with, unix_time_now,
};
pub use totp_secret::{MIN_SECRET_BYTES, SECRET_BYTES, decode_secret, generate_totp_secret};
pub use totp_verification::{
    TotpVerifier, VERIFICATION_WINDOW_STEPS, matching_time_step, verify_totp_token,
    verify_totp_token_at,
};
