//! One command sent to an instrument, with its outcome.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::ValidationError;
use super::validation_error::{check_optional_text, check_required_text};

/// Longest accepted `equipment_id`, in bytes.
pub const MAX_EQUIPMENT_ID_BYTES: usize = 128;
/// Longest accepted `equipment_type`, in bytes.
pub const MAX_EQUIPMENT_TYPE_BYTES: usize = 64;
/// Longest accepted `command`, in bytes.
pub const MAX_COMMAND_BYTES: usize = 4096;
/// Longest accepted `response`, in bytes (1 MiB: a large waveform transfer).
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// Longest accepted `error`, in bytes.
pub const MAX_ERROR_BYTES: usize = 4096;

/// A command sent to an instrument and its outcome: one row of the command history.
///
/// Timestamps are stored with microsecond precision; [`CommandRecord::new`] truncates to that
/// precision so a record reads back equal to what was written.
///
/// ```
/// use lablink_core::database::CommandRecord;
///
/// let record = CommandRecord::new("scope-1", "oscilloscope", "*IDN?")
///     .with_response("RIGOL TECHNOLOGIES,DS1054Z,DS1ZA000000001,00.04.04.SP3")
///     .with_execution_time_ms(42.5);
/// assert!(record.validate().is_ok());
/// assert!(CommandRecord::new("", "oscilloscope", "*IDN?").validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// Which instrument (e.g. `"scope-1"`); 1 to [`MAX_EQUIPMENT_ID_BYTES`] bytes.
    pub equipment_id: String,
    /// Kind of instrument (e.g. `"oscilloscope"`); 1 to [`MAX_EQUIPMENT_TYPE_BYTES`] bytes.
    pub equipment_type: String,
    /// The SCPI command text; 1 to [`MAX_COMMAND_BYTES`] bytes.
    pub command: String,
    /// The instrument's answer, if any; at most [`MAX_RESPONSE_BYTES`] bytes.
    pub response: Option<String>,
    /// How long the instrument took, in milliseconds; finite and non-negative.
    pub execution_time_ms: f64,
    /// When the command was sent (UTC).
    pub timestamp: DateTime<Utc>,
    /// Whether the instrument accepted the command.
    pub success: bool,
    /// The instrument's error, if it refused; at most [`MAX_ERROR_BYTES`] bytes.
    pub error: Option<String>,
}

impl CommandRecord {
    /// Creates a successful record with no response, zero time and the current timestamp.
    pub fn new(
        equipment_id: impl Into<String>,
        equipment_type: impl Into<String>,
        command: impl Into<String>,
    ) -> Self {
        let now = Utc::now();
        Self {
            equipment_id: equipment_id.into(),
            equipment_type: equipment_type.into(),
            command: command.into(),
            response: None,
            execution_time_ms: 0.0,
            timestamp: now
                .duration_trunc(TimeDelta::microseconds(1))
                .unwrap_or(now),
            success: true,
            error: None,
        }
    }

    /// Sets the response.
    pub fn with_response(mut self, response: impl Into<String>) -> Self {
        self.response = Some(response.into());
        self
    }

    /// Sets the execution time in milliseconds.
    pub fn with_execution_time_ms(mut self, execution_time_ms: f64) -> Self {
        self.execution_time_ms = execution_time_ms;
        self
    }

    /// Sets the timestamp.
    pub fn with_timestamp(mut self, timestamp: DateTime<Utc>) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// Marks the command as failed with the given error.
    pub fn with_error(mut self, error: impl Into<String>) -> Self {
        self.success = false;
        self.error = Some(error.into());
        self
    }

    /// Checks every field against its rule, reporting the first violation.
    ///
    /// # Errors
    ///
    /// [`ValidationError::EmptyField`] for a blank id, type or command;
    /// [`ValidationError::FieldTooLong`] naming the field and its limit;
    /// [`ValidationError::ContainsNul`]; [`ValidationError::InvalidExecutionTime`] for a
    /// negative, NaN or infinite time.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_required_text("equipment_id", &self.equipment_id, MAX_EQUIPMENT_ID_BYTES)?;
        check_required_text(
            "equipment_type",
            &self.equipment_type,
            MAX_EQUIPMENT_TYPE_BYTES,
        )?;
        check_required_text("command", &self.command, MAX_COMMAND_BYTES)?;
        check_optional_text("response", self.response.as_deref(), MAX_RESPONSE_BYTES)?;
        check_optional_text("error", self.error.as_deref(), MAX_ERROR_BYTES)?;
        if !self.execution_time_ms.is_finite() || self.execution_time_ms < 0.0 {
            return Err(ValidationError::InvalidExecutionTime {
                value: self.execution_time_ms,
            });
        }
        Ok(())
    }
}
