//! Password hashing and verification with bcrypt.

use lablink_prof::line_profile;

use super::AuthError;

/// The bcrypt cost used by [`hash_password`]: 2^12 rounds, about 250 ms on a current CPU core.
pub const DEFAULT_BCRYPT_COST: u32 = 12;

/// The longest password bcrypt hashes without truncation, in bytes.
///
/// Longer passwords are rejected with [`AuthError::PasswordTooLong`] instead of being silently
/// truncated (which would make every password sharing the first 72 bytes equivalent).
pub const MAX_PASSWORD_BYTES: usize = 72;

/// Hashes a password with bcrypt at [`DEFAULT_BCRYPT_COST`], returning a `$2b$` hash string.
///
/// This is the intentionally slow step of account creation and password changes.
///
/// # Errors
///
/// [`AuthError::PasswordTooLong`] if the password exceeds [`MAX_PASSWORD_BYTES`];
/// [`AuthError::Randomness`] if no salt could be drawn from the operating system.
#[line_profile]
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    check_length(password)?;
    let salt = generate_salt()?;
    let parts = bcrypt::hash_with_salt(password, DEFAULT_BCRYPT_COST, salt)
        .map_err(AuthError::from_bcrypt)?;
    let hash = parts.format_for_version(bcrypt::Version::TwoB);
    Ok(hash)
}

/// Hashes a password with bcrypt at the given cost (4 to 31), returning a `$2b$` hash string.
///
/// ```
/// use lablink_core::security::auth::{hash_password_with_cost, verify_password};
///
/// let hash = hash_password_with_cost("TestPassword123!", 4)?;
/// assert!(hash.starts_with("$2b$04$"));
/// assert!(verify_password("TestPassword123!", &hash)?);
/// # Ok::<(), lablink_core::security::auth::AuthError>(())
/// ```
///
/// # Errors
///
/// [`AuthError::InvalidCost`] for a cost outside 4..=31; [`AuthError::PasswordTooLong`] and
/// [`AuthError::Randomness`] as for [`hash_password`].
#[line_profile]
pub fn hash_password_with_cost(password: &str, cost: u32) -> Result<String, AuthError> {
    check_length(password)?;
    let salt = generate_salt()?;
    let parts = bcrypt::hash_with_salt(password, cost, salt).map_err(AuthError::from_bcrypt)?;
    let hash = parts.format_for_version(bcrypt::Version::TwoB);
    Ok(hash)
}

/// Checks a password against a bcrypt hash in constant time; `Ok(false)` means a wrong password.
///
/// The cost is read from the hash, so verifying costs as much as the original hashing.
///
/// # Errors
///
/// [`AuthError::MalformedHash`] if `hash` is not a bcrypt hash; [`AuthError::PasswordTooLong`]
/// if the password exceeds [`MAX_PASSWORD_BYTES`].
#[line_profile]
pub fn verify_password(password: &str, hash: &str) -> Result<bool, AuthError> {
    check_length(password)?;
    let matches = bcrypt::verify(password, hash).map_err(AuthError::from_bcrypt)?;
    Ok(matches)
}

/// Refuses passwords bcrypt would truncate. bcrypt keys on at most 72 bytes, so up to 72 bytes
/// every byte counts.
fn check_length(password: &str) -> Result<(), AuthError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::PasswordTooLong {
            length: password.len(),
        });
    }
    Ok(())
}

/// Draws a 16-byte bcrypt salt from the operating system's random number generator.
fn generate_salt() -> Result<[u8; 16], AuthError> {
    let mut salt = [0_u8; 16];
    getrandom::fill(&mut salt).map_err(AuthError::Randomness)?;
    Ok(salt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_differ_between_hashes() {
        let first = hash_password_with_cost("same", 4).unwrap();
        let second = hash_password_with_cost("same", 4).unwrap();
        assert_ne!(first, second);
        assert_eq!(first.len(), 60);
    }
}
