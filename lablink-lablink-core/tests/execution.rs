//! Behaviour of `execution::execute_command`: the command execution flow end to end.

// Tests unwrap and panic on purpose: a failure is the point.
#![allow(clippy::unwrap_used, clippy::panic)]

use lablink_core::database::{
    CommandQuery, DatabaseConfig, DatabaseError, DatabaseManager, ValidationError,
};
use lablink_core::equipment::{Equipment, Oscilloscope, PowerSupply};
use lablink_core::execution::{ExecutionError, ResponsePayload, execute_command};
use tempfile::TempDir;

fn database(dir: &TempDir) -> DatabaseManager {
    let db = DatabaseManager::new(DatabaseConfig::new(dir.path().join("history.db"))).unwrap();
    db.initialize().unwrap();
    db
}

#[test]
fn successful_command_is_logged_and_serialized() {
    let dir = TempDir::new().unwrap();
    let db = database(&dir);
    let mut scope = Oscilloscope::new("scope-1");
    let response = execute_command(&mut scope, &db, "*IDN?").unwrap();
    let payload = &response.payload;
    assert!(payload.success);
    assert_eq!(payload.equipment_id, "scope-1");
    assert_eq!(payload.equipment_type, "oscilloscope");
    assert_eq!(payload.command, "*IDN?");
    assert_eq!(
        payload.response.as_deref(),
        Some("RIGOL TECHNOLOGIES,DS1054Z,DS1ZA000000001,00.04.04.SP3")
    );
    assert_eq!(payload.error, None);
    assert!(payload.execution_time_ms >= 0.0 && payload.execution_time_ms < 1000.0);

    let decoded: ResponsePayload = serde_json::from_str(&response.json).unwrap();
    assert_eq!(&decoded, payload);

    let rows = db.get_commands(&CommandQuery::all()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, payload.record_id);
    assert_eq!(rows[0].record.response, payload.response);
    assert_eq!(rows[0].record.timestamp, payload.timestamp);
    assert_eq!(rows[0].record.execution_time_ms, payload.execution_time_ms);
}

#[test]
fn instrument_errors_are_logged_as_failures() {
    let dir = TempDir::new().unwrap();
    let db = database(&dir);
    let mut supply = PowerSupply::new("psu-1");
    let response = execute_command(&mut supply, &db, ":FOO:BAR?").unwrap();
    assert!(!response.payload.success);
    assert_eq!(response.payload.response, None);
    assert_eq!(
        response.payload.error.as_deref(),
        Some("-113,\"Undefined header\"")
    );
    let json: serde_json::Value = serde_json::from_str(&response.json).unwrap();
    assert_eq!(json["success"], false);
    assert_eq!(json["error"], "-113,\"Undefined header\"");
    let stats = db.statistics().unwrap();
    assert_eq!((stats[0].command_count, stats[0].success_count), (1, 0));
}

#[test]
fn settings_and_queries_change_instrument_state() {
    let dir = TempDir::new().unwrap();
    let db = database(&dir);
    let mut supply = PowerSupply::new("psu-1");
    for command in ["VOLT 12", "OUTP ON"] {
        let response = execute_command(&mut supply, &db, command).unwrap();
        assert_eq!(response.payload.response.as_deref(), Some(""));
    }
    let response = execute_command(&mut supply, &db, ":MEAS:CURR?").unwrap();
    assert_eq!(response.payload.response.as_deref(), Some("1.0000"));
    let history = db
        .get_commands(&CommandQuery::all().equipment("psu-1"))
        .unwrap();
    let commands: Vec<&str> = history
        .iter()
        .map(|row| row.record.command.as_str())
        .collect();
    assert_eq!(commands, [":MEAS:CURR?", "OUTP ON", "VOLT 12"]);
}

#[test]
fn invalid_commands_never_reach_the_instrument() {
    let dir = TempDir::new().unwrap();
    let db = database(&dir);
    let mut scope = Oscilloscope::new("scope-1");
    let error = execute_command(&mut scope, &db, "  ").unwrap_err();
    assert!(matches!(
        error,
        ExecutionError::InvalidCommand(ValidationError::EmptyField { field: "command" })
    ));
    let long = format!(":MEAS:VPP? {}", "X".repeat(5000));
    assert!(matches!(
        execute_command(&mut scope, &db, &long),
        Err(ExecutionError::InvalidCommand(
            ValidationError::FieldTooLong {
                field: "command",
                limit: 4096,
                ..
            }
        ))
    ));
    assert!(db.get_commands(&CommandQuery::all()).unwrap().is_empty());
    // The instrument saw nothing, so its error queue is empty.
    assert_eq!(scope.execute(":SYST:ERR?").unwrap(), "0,\"No error\"");
}

#[test]
fn invalid_equipment_id_is_refused() {
    let dir = TempDir::new().unwrap();
    let db = database(&dir);
    let mut scope = Oscilloscope::new("");
    assert!(matches!(
        execute_command(&mut scope, &db, "*IDN?"),
        Err(ExecutionError::InvalidCommand(
            ValidationError::EmptyField {
                field: "equipment_id"
            }
        ))
    ));
}

#[test]
fn logging_failure_is_reported() {
    let dir = TempDir::new().unwrap();
    let db = DatabaseManager::new(DatabaseConfig::new(dir.path().join("h.db"))).unwrap();
    let mut scope = Oscilloscope::new("scope-1");
    let error = execute_command(&mut scope, &db, "*IDN?").unwrap_err();
    assert!(matches!(
        error,
        ExecutionError::Database(DatabaseError::NotInitialized)
    ));
    assert!(error.to_string().starts_with("cannot log command"));
}

#[test]
fn response_json_round_trips_floats_exactly() {
    let record = lablink_core::database::CommandRecord::new("scope-1", "oscilloscope", "*IDN?");
    for i in 0..20_000_u32 {
        let value = f64::from(i) * 0.000_123_456_789 + f64::from(i).sqrt() / 7.0;
        let payload = ResponsePayload::from_record(1, record.clone().with_execution_time_ms(value));
        let json = serde_json::to_string(&payload).unwrap();
        let decoded: ResponsePayload = serde_json::from_str(&json).unwrap();
        assert_eq!(
            decoded.execution_time_ms.to_bits(),
            value.to_bits(),
            "{value}"
        );
    }
}
