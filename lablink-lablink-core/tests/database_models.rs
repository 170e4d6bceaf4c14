//! Behaviour of `database::models`: record and configuration validation, serde.

// Tests unwrap and panic on purpose: a failure is the point.
#![allow(clippy::unwrap_used, clippy::panic)]

use chrono::{DateTime, Utc};
use lablink_core::database::models::{
    MAX_BUSY_TIMEOUT_MS, MAX_COMMAND_BYTES, MAX_EQUIPMENT_ID_BYTES, MAX_EQUIPMENT_TYPE_BYTES,
    MAX_ERROR_BYTES, MAX_RESPONSE_BYTES,
};
use lablink_core::database::{CommandRecord, DatabaseConfig, ValidationError};

fn record() -> CommandRecord {
    CommandRecord::new("scope-1", "oscilloscope", "*IDN?")
        .with_response("RIGOL TECHNOLOGIES,DS1054Z,DS1ZA000000001,00.04.04.SP3")
        .with_execution_time_ms(42.5)
}

#[test]
fn a_complete_record_is_valid() {
    assert_eq!(record().validate(), Ok(()));
    let failed = record().with_error("-113,\"Undefined header\"");
    assert!(!failed.success);
    assert_eq!(failed.validate(), Ok(()));
}

#[test]
fn new_record_timestamp_has_microsecond_precision() {
    let record = CommandRecord::new("a", "b", "c");
    assert_eq!(record.timestamp.timestamp_subsec_nanos() % 1_000, 0);
    assert!((Utc::now() - record.timestamp).num_seconds() < 5);
}

#[test]
fn empty_required_fields_are_named() {
    let cases = [
        (
            CommandRecord::new("", "oscilloscope", "*IDN?"),
            "equipment_id",
        ),
        (
            CommandRecord::new("   ", "oscilloscope", "*IDN?"),
            "equipment_id",
        ),
        (CommandRecord::new("scope-1", "", "*IDN?"), "equipment_type"),
        (
            CommandRecord::new("scope-1", "oscilloscope", "\t"),
            "command",
        ),
    ];
    for (record, field) in cases {
        let error = record.validate().unwrap_err();
        assert_eq!(error, ValidationError::EmptyField { field });
        assert_eq!(error.to_string(), format!("{field} must not be empty"));
    }
}

#[test]
fn over_long_fields_report_their_limit() {
    let mut long_id = record();
    long_id.equipment_id = "x".repeat(MAX_EQUIPMENT_ID_BYTES + 1);
    assert_eq!(
        long_id.validate(),
        Err(ValidationError::FieldTooLong {
            field: "equipment_id",
            limit: 128,
            length: 129
        })
    );
    assert_eq!(
        long_id.validate().unwrap_err().to_string(),
        "equipment_id is 129 bytes long; the limit is 128 bytes"
    );

    let mut at_limit = record();
    at_limit.equipment_id = "x".repeat(MAX_EQUIPMENT_ID_BYTES);
    at_limit.equipment_type = "t".repeat(MAX_EQUIPMENT_TYPE_BYTES);
    at_limit.command = "c".repeat(MAX_COMMAND_BYTES);
    at_limit.response = Some("r".repeat(MAX_RESPONSE_BYTES));
    at_limit.error = Some("e".repeat(MAX_ERROR_BYTES));
    assert_eq!(at_limit.validate(), Ok(()));

    type Spoiler = fn(&mut CommandRecord);
    let fields: [(&str, Spoiler); 4] = [
        ("equipment_type", |r| {
            r.equipment_type = "t".repeat(MAX_EQUIPMENT_TYPE_BYTES + 1)
        }),
        ("command", |r| r.command = "c".repeat(MAX_COMMAND_BYTES + 1)),
        ("response", |r| {
            r.response = Some("r".repeat(MAX_RESPONSE_BYTES + 1))
        }),
        ("error", |r| r.error = Some("e".repeat(MAX_ERROR_BYTES + 1))),
    ];
    for (field, spoil) in fields {
        let mut spoiled = record();
        spoil(&mut spoiled);
        assert!(
            matches!(spoiled.validate(), Err(ValidationError::FieldTooLong { field: f, .. }) if f == field),
            "{field}"
        );
    }
}

#[test]
fn bad_execution_times_are_refused() {
    for value in [-0.001, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let error = record()
            .with_execution_time_ms(value)
            .validate()
            .unwrap_err();
        assert!(
            matches!(error, ValidationError::InvalidExecutionTime { value: v } if v.to_bits() == value.to_bits()),
            "{value}"
        );
    }
    assert_eq!(record().with_execution_time_ms(0.0).validate(), Ok(()));
}

#[test]
fn nul_characters_are_refused() {
    let error = record().with_response("a\0b").validate().unwrap_err();
    assert_eq!(error, ValidationError::ContainsNul { field: "response" });
}

#[test]
fn config_validation() {
    assert_eq!(DatabaseConfig::new("/tmp/x.db").validate(), Ok(()));
    assert_eq!(
        DatabaseConfig::new("").validate(),
        Err(ValidationError::EmptyField { field: "db_path" })
    );
    let mut slow = DatabaseConfig::new("/tmp/x.db");
    slow.busy_timeout_ms = MAX_BUSY_TIMEOUT_MS + 1;
    assert_eq!(
        slow.validate(),
        Err(ValidationError::ValueTooLarge {
            field: "busy_timeout_ms",
            value: 60_001,
            limit: 60_000
        })
    );
}

#[test]
fn serde_round_trips() {
    let original = record()
        .with_timestamp(DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap())
        .with_error("boom");
    let json = serde_json::to_string(&original).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["equipment_id"], "scope-1");
    assert_eq!(value["execution_time_ms"], 42.5);
    assert_eq!(value["success"], false);
    assert_eq!(value["timestamp"], "2023-11-14T22:13:20.123456Z");
    assert_eq!(
        serde_json::from_str::<CommandRecord>(&json).unwrap(),
        original
    );

    let config: DatabaseConfig =
        serde_json::from_str(r#"{"db_path": "/data/lablink.db"}"#).unwrap();
    assert_eq!(config, DatabaseConfig::new("/data/lablink.db"));
    let json = serde_json::to_string(&config).unwrap();
    assert_eq!(
        serde_json::from_str::<DatabaseConfig>(&json).unwrap(),
        config
    );
}
