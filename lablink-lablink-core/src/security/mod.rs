//! Security: password hashing, password policy, access tokens, sessions and TOTP MFA.
//!
//! The user login flow of the profiling guide runs through these modules in this order:
//! [`auth::verify_password`], [`mfa::verify_totp_token`], [`auth::SessionManager::create_session`]
//! and [`auth::create_access_token`].

pub mod auth;
pub mod mfa;
