//! What [`execute_command`](super::execute_command) returns to the API layer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::database::CommandRecord;

/// The response message sent back to the client, as serialized to JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponsePayload {
    /// Row id of the logged command.
    pub record_id: i64,
    /// The instrument.
    pub equipment_id: String,
    /// Kind of instrument.
    pub equipment_type: String,
    /// The command as sent.
    pub command: String,
    /// The instrument's answer (empty for settings), if it accepted the command.
    pub response: Option<String>,
    /// Whether the instrument accepted the command.
    pub success: bool,
    /// The instrument's error, e.g. `-113,"Undefined header"`.
    pub error: Option<String>,
    /// Time spent in the instrument, in milliseconds.
    pub execution_time_ms: f64,
    /// When the command was sent.
    pub timestamp: DateTime<Utc>,
}

impl ResponsePayload {
    /// Builds the payload of a logged record.
    pub fn from_record(record_id: i64, record: CommandRecord) -> Self {
        Self {
            record_id,
            equipment_id: record.equipment_id,
            equipment_type: record.equipment_type,
            command: record.command,
            response: record.response,
            success: record.success,
            error: record.error,
            execution_time_ms: record.execution_time_ms,
            timestamp: record.timestamp,
        }
    }
}

/// The response of one executed command: the payload and its JSON serialization.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandResponse {
    /// The structured response.
    pub payload: ResponsePayload,
    /// `payload` serialized to JSON, ready to send.
    pub json: String,
}
