//! The command execution flow: validate, execute on the instrument, log, serialize.

mod command_response;
mod execution_error;

use std::time::Instant;

use lablink_prof::line_profile;

pub use command_response::{CommandResponse, ResponsePayload};
pub use execution_error::ExecutionError;

use crate::database::{CommandRecord, DatabaseManager};
use crate::equipment::Equipment;

/// Runs one command on an instrument, logs it, and returns the response with its JSON form.
///
/// The steps, one statement each, are those of the profiling guide's command execution flow:
/// build and validate the [`CommandRecord`]; execute on the instrument (timed); log to the
/// database; build and serialize the response.
///
/// An instrument error (e.g. `-113,"Undefined header"`) is not an `Err`: the command was sent
/// and is logged with `success: false`, and the response carries the error text.
///
/// ```
/// use lablink_core::database::{DatabaseConfig, DatabaseManager};
/// use lablink_core::equipment::Oscilloscope;
/// use lablink_core::execution::execute_command;
///
/// let dir = std::env::temp_dir().join(format!("lablink-exec-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let db = DatabaseManager::new(DatabaseConfig::new(dir.join("history.db"))).unwrap();
/// db.initialize().unwrap();
/// let mut scope = Oscilloscope::new("scope-1");
/// let response = execute_command(&mut scope, &db, "*IDN?").unwrap();
/// assert!(response.payload.success);
/// assert!(response.json.contains("DS1054Z"));
/// # drop(db);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
///
/// # Errors
///
/// [`ExecutionError::InvalidCommand`] (nothing is sent to the instrument),
/// [`ExecutionError::Database`] if logging fails, [`ExecutionError::Serialization`].
#[line_profile]
pub fn execute_command(
    equipment: &mut dyn Equipment,
    db: &DatabaseManager,
    command: &str,
) -> Result<CommandResponse, ExecutionError> {
    let record = CommandRecord::new(equipment.id(), equipment.equipment_type(), command);
    record.validate().map_err(ExecutionError::InvalidCommand)?;
    let started = Instant::now();
    let outcome = equipment.execute(command);
    let execution_time_ms = started.elapsed().as_secs_f64() * 1000.0;
    let record = with_outcome(record, outcome, execution_time_ms);
    let record_id = db.log_command(&record)?;
    let payload = ResponsePayload::from_record(record_id, record);
    let json = serde_json::to_string(&payload)?;
    Ok(CommandResponse { payload, json })
}

/// Fills in a record's response or error and its execution time.
fn with_outcome(
    record: CommandRecord,
    outcome: Result<String, crate::equipment::ScpiError>,
    execution_time_ms: f64,
) -> CommandRecord {
    let record = record.with_execution_time_ms(execution_time_ms);
    match outcome {
        Ok(response) => record.with_response(response),
        Err(error) => record.with_error(error.to_string()),
    }
}
