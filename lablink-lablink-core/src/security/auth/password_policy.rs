//! Password strength rules and the error that lists every rule a password breaks.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::MAX_PASSWORD_BYTES;

/// The rules a new password must satisfy.
///
/// The default asks for at least 12 characters with an uppercase letter, a lowercase letter, a
/// digit and a special character, and at most [`MAX_PASSWORD_BYTES`] bytes (bcrypt's limit).
///
/// ```
/// use lablink_core::security::auth::PasswordPolicy;
///
/// let policy = PasswordPolicy::default();
/// assert!(policy.validate("TestPassword123!").is_ok());
/// let error = policy.validate("short").unwrap_err();
/// // Too short, no uppercase letter, no digit, no special character:
/// assert_eq!(error.violations().len(), 4);
/// assert!(error.to_string().contains("at least 12 characters"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// Minimum length in characters (Unicode scalar values).
    pub min_length: usize,
    /// Maximum length in bytes of UTF-8; at most [`MAX_PASSWORD_BYTES`] is useful with bcrypt.
    pub max_bytes: usize,
    /// Require at least one uppercase letter.
    pub require_uppercase: bool,
    /// Require at least one lowercase letter.
    pub require_lowercase: bool,
    /// Require at least one decimal digit.
    pub require_digit: bool,
    /// Require at least one character that is neither alphanumeric nor whitespace.
    pub require_special: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 12,
            max_bytes: MAX_PASSWORD_BYTES,
            require_uppercase: true,
            require_lowercase: true,
            require_digit: true,
            require_special: true,
        }
    }
}

impl PasswordPolicy {
    /// Checks a password against every rule of the policy.
    ///
    /// # Errors
    ///
    /// [`PasswordPolicyError`] listing every violated rule, in the order of the fields.
    pub fn validate(&self, password: &str) -> Result<(), PasswordPolicyError> {
        let length = password.chars().count();
        let mut violations = Vec::new();
        if length < self.min_length {
            violations.push(PasswordRuleViolation::TooShort {
                min_length: self.min_length,
                length,
            });
        }
        if password.len() > self.max_bytes {
            violations.push(PasswordRuleViolation::TooLong {
                max_bytes: self.max_bytes,
                bytes: password.len(),
            });
        }
        if self.require_uppercase && !password.chars().any(char::is_uppercase) {
            violations.push(PasswordRuleViolation::MissingUppercase);
        }
        if self.require_lowercase && !password.chars().any(char::is_lowercase) {
            violations.push(PasswordRuleViolation::MissingLowercase);
        }
        if self.require_digit && !password.chars().any(|c| c.is_ascii_digit()) {
            violations.push(PasswordRuleViolation::MissingDigit);
        }
        if self.require_special && !password.chars().any(is_special) {
            violations.push(PasswordRuleViolation::MissingSpecial);
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(PasswordPolicyError { violations })
        }
    }
}

/// Whether a character counts as "special": neither alphanumeric nor whitespace.
fn is_special(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

/// One rule of a [`PasswordPolicy`] that a password breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordRuleViolation {
    /// Fewer characters than the minimum.
    TooShort {
        /// The policy's minimum, in characters.
        min_length: usize,
        /// The password's length, in characters.
        length: usize,
    },
    /// More bytes than the maximum.
    TooLong {
        /// The policy's maximum, in bytes.
        max_bytes: usize,
        /// The password's length, in bytes.
        bytes: usize,
    },
    /// No uppercase letter.
    MissingUppercase,
    /// No lowercase letter.
    MissingLowercase,
    /// No decimal digit.
    MissingDigit,
    /// No special character.
    MissingSpecial,
}

impl fmt::Display for PasswordRuleViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { min_length, length } => write!(
                f,
                "must be at least {min_length} characters long (has {length})"
            ),
            Self::TooLong { max_bytes, bytes } => {
                write!(f, "must be at most {max_bytes} bytes long (has {bytes})")
            }
            Self::MissingUppercase => f.write_str("must contain an uppercase letter"),
            Self::MissingLowercase => f.write_str("must contain a lowercase letter"),
            Self::MissingDigit => f.write_str("must contain a digit"),
            Self::MissingSpecial => f.write_str("must contain a special character"),
        }
    }
}

/// A password broke one or more rules of a [`PasswordPolicy`]; the message names all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicyError {
    violations: Vec<PasswordRuleViolation>,
}

impl PasswordPolicyError {
    /// Every rule the password broke, in the order of the policy's fields.
    pub fn violations(&self) -> &[PasswordRuleViolation] {
        &self.violations
    }
}

impl fmt::Display for PasswordPolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("password does not meet the policy: it ")?;
        for (index, violation) in self.violations.iter().enumerate() {
            if index > 0 {
                f.write_str("; it ")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PasswordPolicyError {}
