//! Behaviour of `database::manager`: logging, queries, statistics, errors, threads.

// Tests unwrap and panic on purpose: a failure is the point.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::thread;

use chrono::{DateTime, TimeDelta, Utc};
use lablink_core::database::{
    CommandQuery, CommandRecord, DatabaseConfig, DatabaseError, DatabaseManager, StoredCommand,
    ValidationError,
};
use tempfile::TempDir;

fn open(dir: &TempDir, name: &str) -> DatabaseManager {
    let manager = DatabaseManager::new(DatabaseConfig::new(dir.path().join(name))).unwrap();
    manager.initialize().unwrap();
    manager
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

/// Record `i` of the guide's profile script, with a fixed timestamp `base + i` seconds.
fn sample(i: i64) -> CommandRecord {
    CommandRecord::new(format!("scope-{}", i % 3), "oscilloscope", "*IDN?")
        .with_response(format!("RIGOL TECHNOLOGIES DS1054Z {i}"))
        .with_execution_time_ms(42.5 + i as f64)
        .with_timestamp(at(1_700_000_000 + i))
}

fn all(manager: &DatabaseManager) -> Vec<StoredCommand> {
    manager.get_commands(&CommandQuery::all()).unwrap()
}

#[test]
fn initialize_uses_wal_and_is_idempotent() {
    let dir = TempDir::new().unwrap();
    let manager = open(&dir, "history.db");
    assert_eq!(manager.journal_mode().unwrap(), "wal");
    manager.initialize().unwrap();
    assert!(all(&manager).is_empty());
}

#[test]
fn logged_record_reads_back_identical() {
    let dir = TempDir::new().unwrap();
    let manager = open(&dir, "history.db");
    let record = CommandRecord::new("scope-1", "oscilloscope", ":MEAS:VPP? CHAN1")
        .with_response("3.000000e+00")
        .with_execution_time_ms(1.25);
    let failed = CommandRecord::new("scope-1", "oscilloscope", ":FOO?")
        .with_error("-113,\"Undefined header\"")
        .with_timestamp(record.timestamp + TimeDelta::microseconds(1));
    let first = manager.log_command(&record).unwrap();
    let second = manager.log_command(&failed).unwrap();
    assert_eq!(second, first + 1);
    let rows = all(&manager);
    assert_eq!(
        rows,
        [
            StoredCommand {
                id: second,
                record: failed
            },
            StoredCommand { id: first, record }
        ]
    );
}

#[test]
fn operations_before_initialize_fail() {
    let dir = TempDir::new().unwrap();
    let manager = DatabaseManager::new(DatabaseConfig::new(dir.path().join("h.db"))).unwrap();
    assert!(matches!(
        manager.log_command(&sample(1)),
        Err(DatabaseError::NotInitialized)
    ));
    assert!(matches!(
        manager.get_commands(&CommandQuery::all()),
        Err(DatabaseError::NotInitialized)
    ));
    assert!(matches!(
        manager.statistics(),
        Err(DatabaseError::NotInitialized)
    ));
}

#[test]
fn invalid_records_are_not_written() {
    let dir = TempDir::new().unwrap();
    let manager = open(&dir, "history.db");
    let invalid = CommandRecord::new("", "oscilloscope", "*IDN?");
    assert!(matches!(
        manager.log_command(&invalid),
        Err(DatabaseError::InvalidRecord(ValidationError::EmptyField {
            field: "equipment_id"
        }))
    ));
    let mut batch: Vec<CommandRecord> = (0..5).map(sample).collect();
    batch[2].execution_time_ms = f64::NAN;
    match manager.log_commands_batch(&batch) {
        Err(DatabaseError::InvalidBatchRecord { index, source }) => {
            assert_eq!(index, 2);
            assert!(matches!(
                source,
                ValidationError::InvalidExecutionTime { .. }
            ));
        }
        other => panic!("expected InvalidBatchRecord, got {other:?}"),
    }
    assert!(all(&manager).is_empty());
}

#[test]
fn batch_and_single_inserts_give_the_same_rows() {
    let dir = TempDir::new().unwrap();
    let single = open(&dir, "single.db");
    let batch = open(&dir, "batch.db");
    let records: Vec<CommandRecord> = (0..100).map(sample).collect();
    let single_ids: Vec<i64> = records
        .iter()
        .map(|record| single.log_command(record).unwrap())
        .collect();
    let batch_ids = batch.log_commands_batch(&records).unwrap();
    assert_eq!(single_ids, batch_ids);
    assert_eq!(single_ids, (1..=100).collect::<Vec<i64>>());
    let single_rows = all(&single);
    assert_eq!(single_rows.len(), 100);
    assert_eq!(single_rows, all(&batch));
    assert_eq!(single.statistics().unwrap(), batch.statistics().unwrap());
}

#[test]
fn get_commands_filters_and_orders() {
    let dir = TempDir::new().unwrap();
    let manager = open(&dir, "history.db");
    manager
        .log_commands_batch(&(0..30).map(sample).collect::<Vec<_>>())
        .unwrap();

    let scope1 = manager
        .get_commands(&CommandQuery::all().equipment("scope-1"))
        .unwrap();
    let offsets: Vec<i64> = scope1
        .iter()
        .map(|row| row.record.timestamp.timestamp() - 1_700_000_000)
        .collect();
    assert_eq!(offsets, [28, 25, 22, 19, 16, 13, 10, 7, 4, 1]);
    assert!(
        scope1
            .iter()
            .all(|row| row.record.equipment_id == "scope-1")
    );

    let newest_three = manager
        .get_commands(&CommandQuery::all().equipment("scope-1").limit(3))
        .unwrap();
    assert_eq!(newest_three, scope1[..3]);

    // since is inclusive, until exclusive.
    let window = manager
        .get_commands(
            &CommandQuery::all()
                .since(at(1_700_000_010))
                .until(at(1_700_000_015)),
        )
        .unwrap();
    let offsets: Vec<i64> = window
        .iter()
        .map(|row| row.record.timestamp.timestamp() - 1_700_000_000)
        .collect();
    assert_eq!(offsets, [14, 13, 12, 11, 10]);

    let combined = manager
        .get_commands(
            &CommandQuery::all()
                .equipment("scope-2")
                .since(at(1_700_000_010))
                .limit(2),
        )
        .unwrap();
    let offsets: Vec<i64> = combined
        .iter()
        .map(|row| row.record.timestamp.timestamp() - 1_700_000_000)
        .collect();
    assert_eq!(offsets, [29, 26]);

    assert!(
        manager
            .get_commands(&CommandQuery::all().equipment("unknown"))
            .unwrap()
            .is_empty()
    );
    assert!(
        manager
            .get_commands(&CommandQuery::all().limit(0))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn batch_query_matches_per_equipment_queries() {
    let dir = TempDir::new().unwrap();
    let manager = open(&dir, "history.db");
    manager
        .log_commands_batch(&(0..30).map(sample).collect::<Vec<_>>())
        .unwrap();
    let ids = ["scope-0", "scope-2", "missing"];
    let batch = manager.get_commands_batch(&ids).unwrap();
    let mut expected = BTreeMap::new();
    for id in ids {
        expected.insert(
            id.to_owned(),
            manager
                .get_commands(&CommandQuery::all().equipment(id))
                .unwrap(),
        );
    }
    assert_eq!(batch, expected);
    assert_eq!(batch["scope-0"].len(), 10);
    assert!(batch["missing"].is_empty());
    assert!(manager.get_commands_batch::<&str>(&[]).unwrap().is_empty());
    // Ids with quotes or SQL are data, not syntax.
    let odd = ["a\"b", "x' OR 1=1 --"];
    assert!(
        manager
            .get_commands_batch(&odd)
            .unwrap()
            .values()
            .all(Vec::is_empty)
    );
}

#[test]
fn statistics_are_exact() {
    let dir = TempDir::new().unwrap();
    let manager = open(&dir, "history.db");
    let records = [
        CommandRecord::new("dmm-1", "multimeter", "MEAS:VOLT:DC?").with_execution_time_ms(10.0),
        CommandRecord::new("dmm-1", "multimeter", "MEAS:RES?").with_execution_time_ms(20.0),
        CommandRecord::new("dmm-1", "multimeter", "BOGUS?")
            .with_execution_time_ms(30.0)
            .with_error("-113,\"Undefined header\""),
        CommandRecord::new("scope-1", "oscilloscope", "*IDN?").with_execution_time_ms(0.5),
    ];
    manager.log_commands_batch(&records).unwrap();
    let stats = manager.statistics().unwrap();
    assert_eq!(stats.len(), 2);
    let dmm = &stats[0];
    assert_eq!(dmm.equipment_id, "dmm-1");
    assert_eq!(dmm.command_count, 3);
    assert_eq!(dmm.success_count, 2);
    assert_eq!(dmm.failure_count(), 1);
    assert_eq!(dmm.avg_execution_time_ms, 20.0);
    assert_eq!(dmm.min_execution_time_ms, 10.0);
    assert_eq!(dmm.max_execution_time_ms, 30.0);
    assert!((dmm.success_rate() - 2.0 / 3.0).abs() < 1e-12);
    let scope = &stats[1];
    assert_eq!(
        (
            scope.equipment_id.as_str(),
            scope.command_count,
            scope.success_count
        ),
        ("scope-1", 1, 1)
    );
    assert_eq!(scope.avg_execution_time_ms, 0.5);
}

#[test]
fn cleanup_deletes_only_older_commands() {
    let dir = TempDir::new().unwrap();
    let manager = open(&dir, "history.db");
    manager
        .log_commands_batch(&(0..10).map(sample).collect::<Vec<_>>())
        .unwrap();
    assert_eq!(manager.cleanup_older_than(at(1_700_000_004)).unwrap(), 4);
    let remaining = all(&manager);
    assert_eq!(remaining.len(), 6);
    assert!(
        remaining
            .iter()
            .all(|row| row.record.timestamp >= at(1_700_000_004))
    );
    assert_eq!(manager.cleanup_older_than(at(1_700_000_004)).unwrap(), 0);
}

#[test]
fn data_survives_reopening() {
    let dir = TempDir::new().unwrap();
    {
        let manager = open(&dir, "history.db");
        manager.log_command(&sample(7)).unwrap();
    }
    let manager = open(&dir, "history.db");
    let rows = all(&manager);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].record, sample(7));
}

#[test]
fn corrupt_file_is_an_error() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("corrupt.db");
    // Deterministic pseudo-random bytes (a linear congruential generator).
    let mut state: u32 = 12345;
    let bytes: Vec<u8> = (0..8192)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect();
    std::fs::write(&path, bytes).unwrap();
    let error = DatabaseManager::new(DatabaseConfig::new(&path)).unwrap_err();
    assert!(matches!(error, DatabaseError::Corrupt { .. }), "{error:?}");
    assert!(error.to_string().contains("corrupt.db"));
}

#[test]
fn unwritable_paths_are_errors() {
    let dir = TempDir::new().unwrap();
    let missing_parent = dir.path().join("no/such/dir/history.db");
    let error = DatabaseManager::new(DatabaseConfig::new(&missing_parent)).unwrap_err();
    assert!(matches!(error, DatabaseError::Open { .. }), "{error:?}");

    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let under_file = file.join("history.db");
    let error = DatabaseManager::new(DatabaseConfig::new(&under_file)).unwrap_err();
    assert!(matches!(error, DatabaseError::Open { .. }), "{error:?}");

    let error = DatabaseManager::new(DatabaseConfig::new("")).unwrap_err();
    assert!(
        matches!(error, DatabaseError::InvalidConfig(_)),
        "{error:?}"
    );
}

#[test]
fn manager_is_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<DatabaseManager>();

    let dir = TempDir::new().unwrap();
    let manager = Arc::new(open(&dir, "history.db"));
    let handles: Vec<_> = (0..4)
        .map(|worker| {
            let manager = Arc::clone(&manager);
            thread::spawn(move || {
                for i in 0..25 {
                    let record =
                        CommandRecord::new(format!("psu-{worker}"), "power_supply", "VOLT?")
                            .with_execution_time_ms(f64::from(i));
                    manager.log_command(&record).unwrap();
                }
                manager
                    .get_commands(&CommandQuery::all().equipment(format!("psu-{worker}")))
                    .unwrap()
                    .len()
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), 25);
    }
    let stats = manager.statistics().unwrap();
    assert_eq!(stats.len(), 4);
    for stat in stats {
        assert_eq!(stat.command_count, 25);
        assert_eq!(stat.avg_execution_time_ms, 12.0);
        assert_eq!(stat.max_execution_time_ms, 24.0);
    }
}
