//! Authentication: bcrypt password hashing, password policy, HS256 access tokens and sessions.
//!
//! All fallible operations return [`AuthError`], except the password policy, whose
//! [`PasswordPolicyError`] lists every rule a password breaks.

mod access_token;
mod auth_error;
mod password_hashing;
mod password_policy;
mod session_manager;

pub use access_token::{
    Claims, MIN_SECRET_BYTES, TokenConfig, create_access_token, create_access_token_at,
    verify_access_token, verify_access_token_at,
};
pub use auth_error::AuthError;
pub use password_hashing::{
    DEFAULT_BCRYPT_COST, MAX_PASSWORD_BYTES, hash_password, hash_password_with_cost,
    verify_password,
};
pub use password_policy::{PasswordPolicy, PasswordPolicyError, PasswordRuleViolation};
pub use session_manager::{Session, SessionConfig, SessionManager};
