//! `otpauth://` provisioning URIs, the content of the QR code an authenticator app scans.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{MfaError, TotpSettings, decode_secret};

/// Everything but RFC 3986 unreserved characters is percent-encoded (so `:` and spaces are too).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Builds the `otpauth://totp/...` URI for a secret, account name and issuer.
///
/// ```
/// use lablink_core::security::mfa::provisioning_uri;
///
/// let uri = provisioning_uri("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "alice@lab.example", "LabLink")?;
/// assert_eq!(
///     uri,
///     "otpauth://totp/LabLink:alice%40lab.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
///      &issuer=LabLink&algorithm=SHA1&digits=6&period=30"
/// );
/// # Ok::<(), lablink_core::security::mfa::MfaError>(())
/// ```
///
/// # Errors
///
/// [`MfaError::EmptyLabel`] for an empty account or issuer; the secret errors of
/// [`decode_secret`].
pub fn provisioning_uri(secret: &str, account: &str, issuer: &str) -> Result<String, MfaError> {
    if account.is_empty() {
        return Err(MfaError::EmptyLabel { field: "account" });
    }
    if issuer.is_empty() {
        return Err(MfaError::EmptyLabel { field: "issuer" });
    }
    let key = decode_secret(secret)?;
    let settings = TotpSettings::default();
    let issuer = utf8_percent_encode(issuer, COMPONENT).to_string();
    let account = utf8_percent_encode(account, COMPONENT);
    let secret = data_encoding::BASE32_NOPAD.encode(&key);
    Ok(format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={}&period={}",
        settings.digits, settings.time_step_seconds
    ))
}
