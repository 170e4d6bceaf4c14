//! Why a record or configuration failed validation.

/// A model field holds a value that may not be stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A required text field is empty or only whitespace.
    #[error("{field} must not be empty")]
    EmptyField {
        /// The field's name.
        field: &'static str,
    },
    /// A text field is longer than its limit.
    #[error("{field} is {length} bytes long; the limit is {limit} bytes")]
    FieldTooLong {
        /// The field's name.
        field: &'static str,
        /// The field's limit in bytes.
        limit: usize,
        /// The value's length in bytes.
        length: usize,
    },
    /// A text field contains a NUL character, which SQLite text columns and instruments mishandle.
    #[error("{field} must not contain NUL characters")]
    ContainsNul {
        /// The field's name.
        field: &'static str,
    },
    /// The execution time is negative, NaN or infinite.
    #[error("execution_time_ms must be a finite, non-negative number of milliseconds, got {value}")]
    InvalidExecutionTime {
        /// The rejected value.
        value: f64,
    },
    /// A numeric setting is above its limit.
    #[error("{field} is {value}; the limit is {limit}")]
    ValueTooLarge {
        /// The field's name.
        field: &'static str,
        /// The rejected value.
        value: u64,
        /// The largest accepted value.
        limit: u64,
    },
}

/// Checks a required text field: not blank, within `limit` bytes, no NUL.
pub(crate) fn check_required_text(
    field: &'static str,
    value: &str,
    limit: usize,
) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::EmptyField { field });
    }
    check_optional_text(field, Some(value), limit)
}

/// Checks an optional text field: within `limit` bytes, no NUL.
pub(crate) fn check_optional_text(
    field: &'static str,
    value: Option<&str>,
    limit: usize,
) -> Result<(), ValidationError> {
    let Some(value) = value else {
        return Ok(());
    };
    if value.len() > limit {
        return Err(ValidationError::FieldTooLong {
            field,
            limit,
            length: value.len(),
        });
    }
    if value.contains('\0') {
        return Err(ValidationError::ContainsNul { field });
    }
    Ok(())
}
