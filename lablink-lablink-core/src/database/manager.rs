//! [`DatabaseManager`]: the SQLite command history, shareable between threads.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lablink_prof::line_profile;
use rusqlite::types::Value;
use rusqlite::{Connection, ErrorCode, Row, params_from_iter};

use super::schema::{CREATE_SCHEMA, INSERT_COMMAND, SELECT_COLUMNS, SELECT_STATISTICS};
use super::{
    CommandQuery, CommandRecord, DatabaseConfig, DatabaseError, EquipmentStatistics, StoredCommand,
};

/// The command history in one SQLite file (WAL mode), safe to share between threads.
///
/// One connection is kept behind a mutex; SQLite serialises writers anyway, and WAL lets other
/// processes read while this one writes. Every record is validated before it is written.
///
/// ```
/// use lablink_core::database::{CommandQuery, CommandRecord, DatabaseConfig, DatabaseManager};
///
/// let dir = std::env::temp_dir().join(format!("lablink-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let manager = DatabaseManager::new(DatabaseConfig::new(dir.join("history.db")))?;
/// manager.initialize()?;
/// let record = CommandRecord::new("scope-1", "oscilloscope", "*IDN?").with_execution_time_ms(1.5);
/// let id = manager.log_command(&record)?;
/// let rows = manager.get_commands(&CommandQuery::all().equipment("scope-1"))?;
/// assert_eq!(rows[0].id, id);
/// # drop(manager);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), lablink_core::database::DatabaseError>(())
/// ```
#[derive(Debug)]
pub struct DatabaseManager {
    config: DatabaseConfig,
    connection: Mutex<Connection>,
    initialized: AtomicBool,
}

impl DatabaseManager {
    /// Opens (or creates) the database file and checks that it is a readable SQLite database.
    ///
    /// # Errors
    ///
    /// [`DatabaseError::InvalidConfig`]; [`DatabaseError::Open`] if the file cannot be opened or
    /// created; [`DatabaseError::Corrupt`] if it is not an SQLite database.
    pub fn new(config: DatabaseConfig) -> Result<Self, DatabaseError> {
        config.validate().map_err(DatabaseError::InvalidConfig)?;
        let connection =
            Connection::open(&config.db_path).map_err(|source| DatabaseError::Open {
                path: config.db_path.clone(),
                source,
            })?;
        connection
            .busy_timeout(Duration::from_millis(config.busy_timeout_ms))
            .map_err(|source| DatabaseError::Open {
                path: config.db_path.clone(),
                source,
            })?;
        let manager = Self {
            connection: Mutex::new(connection),
            config,
            initialized: AtomicBool::new(false),
        };
        manager.check_readable()?;
        Ok(manager)
    }

    /// The configuration in use.
    pub fn config(&self) -> &DatabaseConfig {
        &self.config
    }

    /// Creates the schema and indexes if missing and switches the journal to WAL; idempotent.
    ///
    /// # Errors
    ///
    /// [`DatabaseError::Corrupt`] for a damaged file, [`DatabaseError::Open`] if the file cannot
    /// be written, [`DatabaseError::Sqlite`] otherwise.
    pub fn initialize(&self) -> Result<(), DatabaseError> {
        let connection = self.lock_connection();
        connection
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(|error| self.classify(error))?;
        connection
            .execute_batch(CREATE_SCHEMA)
            .map_err(|error| self.classify(error))?;
        self.initialized.store(true, Ordering::Release);
        Ok(())
    }

    /// The journal mode SQLite reports (`"wal"` after [`initialize`](Self::initialize) on a file).
    ///
    /// # Errors
    ///
    /// [`DatabaseError::Sqlite`] or [`DatabaseError::Corrupt`].
    pub fn journal_mode(&self) -> Result<String, DatabaseError> {
        let connection = self.lock_connection();
        connection
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .map_err(|error| self.classify(error))
    }

    /// Validates and stores one record; returns its row id.
    ///
    /// # Errors
    ///
    /// [`DatabaseError::InvalidRecord`] (nothing is written), [`DatabaseError::NotInitialized`],
    /// or an SQLite error.
    #[line_profile]
    pub fn log_command(&self, record: &CommandRecord) -> Result<i64, DatabaseError> {
        record.validate()?;
        let connection = self.initialized_connection()?;
        let mut statement = connection
            .prepare_cached(INSERT_COMMAND)
            .map_err(|error| self.classify(error))?;
        statement
            .execute(record_params(record))
            .map_err(|error| self.classify(error))?;
        let id = connection.last_insert_rowid();
        Ok(id)
    }

    /// Validates every record, then stores them all in one transaction; returns their row ids.
    ///
    /// Either every record is written or none is.
    ///
    /// # Errors
    ///
    /// [`DatabaseError::InvalidBatchRecord`] naming the first invalid record (nothing is written),
    /// [`DatabaseError::NotInitialized`], or an SQLite error (the transaction is rolled back).
    #[line_profile]
    pub fn log_commands_batch(&self, records: &[CommandRecord]) -> Result<Vec<i64>, DatabaseError> {
        for (index, record) in records.iter().enumerate() {
            record
                .validate()
                .map_err(|source| DatabaseError::InvalidBatchRecord { index, source })?;
        }
        let mut connection = self.initialized_connection()?;
        let transaction = connection
            .transaction()
            .map_err(|error| self.classify(error))?;
        let mut ids = Vec::with_capacity(records.len());
        {
            let mut statement = transaction
                .prepare_cached(INSERT_COMMAND)
                .map_err(|error| self.classify(error))?;
            for record in records {
                statement
                    .execute(record_params(record))
                    .map_err(|error| self.classify(error))?;
                ids.push(transaction.last_insert_rowid());
            }
        }
        transaction.commit().map_err(|error| self.classify(error))?;
        Ok(ids)
    }

    /// Reads commands matching the query, newest first (ties broken by newest row id).
    ///
    /// # Errors
    ///
    /// [`DatabaseError::NotInitialized`], [`DatabaseError::TimestampOutOfRange`], or an SQLite
    /// error.
    pub fn get_commands(&self, query: &CommandQuery) -> Result<Vec<StoredCommand>, DatabaseError> {
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        if let Some(equipment_id) = &query.equipment_id {
            conditions.push("equipment_id = ?");
            values.push(Value::Text(equipment_id.clone()));
        }
        if let Some(since) = query.since {
            conditions.push("timestamp_us >= ?");
            values.push(Value::Integer(since.timestamp_micros()));
        }
        if let Some(until) = query.until {
            conditions.push("timestamp_us < ?");
            values.push(Value::Integer(until.timestamp_micros()));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let limit = query
            .limit
            .map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX));
        values.push(Value::Integer(limit));
        let sql = format!(
            "SELECT {SELECT_COLUMNS} FROM command_history {filter} \
             ORDER BY timestamp_us DESC, id DESC LIMIT ?"
        );
        let connection = self.initialized_connection()?;
        let mut statement = connection
            .prepare_cached(&sql)
            .map_err(|error| self.classify(error))?;
        let rows = statement
            .query_map(params_from_iter(values), read_row)
            .map_err(|error| self.classify(error))?;
        collect_rows(rows, |error| self.classify(error))
    }

    /// Reads the commands of several instruments with **one** query (the fix for N+1 queries).
    ///
    /// Every requested id is a key of the result, with an empty list if it has no commands; each
    /// list is newest first, like [`get_commands`](Self::get_commands).
    ///
    /// # Errors
    ///
    /// As for [`get_commands`](Self::get_commands).
    pub fn get_commands_batch<S: AsRef<str>>(
        &self,
        equipment_ids: &[S],
    ) -> Result<BTreeMap<String, Vec<StoredCommand>>, DatabaseError> {
        let ids: Vec<&str> = equipment_ids.iter().map(AsRef::as_ref).collect();
        let ids_json = serde_json::to_string(&ids)?;
        let sql = format!(
            "SELECT {SELECT_COLUMNS} FROM command_history \
             WHERE equipment_id IN (SELECT value FROM json_each(?1)) \
             ORDER BY timestamp_us DESC, id DESC"
        );
        let connection = self.initialized_connection()?;
        let mut statement = connection
            .prepare_cached(&sql)
            .map_err(|error| self.classify(error))?;
        let rows = statement
            .query_map([ids_json], read_row)
            .map_err(|error| self.classify(error))?;
        let commands = collect_rows(rows, |error| self.classify(error))?;
        let mut by_equipment: BTreeMap<String, Vec<StoredCommand>> = ids
            .iter()
            .map(|id| ((*id).to_owned(), Vec::new()))
            .collect();
        for command in commands {
            by_equipment
                .entry(command.record.equipment_id.clone())
                .or_default()
                .push(command);
        }
        Ok(by_equipment)
    }

    /// Counts and execution-time figures per instrument, ordered by equipment id.
    ///
    /// # Errors
    ///
    /// [`DatabaseError::NotInitialized`] or an SQLite error.
    pub fn statistics(&self) -> Result<Vec<EquipmentStatistics>, DatabaseError> {
        let connection = self.initialized_connection()?;
        let mut statement = connection
            .prepare_cached(SELECT_STATISTICS)
            .map_err(|error| self.classify(error))?;
        let rows = statement
            .query_map([], |row| {
                Ok(EquipmentStatistics {
                    equipment_id: row.get(0)?,
                    command_count: count(row.get(1)?),
                    success_count: count(row.get(2)?),
                    avg_execution_time_ms: row.get(3)?,
                    min_execution_time_ms: row.get(4)?,
                    max_execution_time_ms: row.get(5)?,
                })
            })
            .map_err(|error| self.classify(error))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|error| self.classify(error))
    }

    /// Deletes every command logged before `cutoff`; returns how many were deleted.
    ///
    /// # Errors
    ///
    /// [`DatabaseError::NotInitialized`] or an SQLite error.
    pub fn cleanup_older_than(&self, cutoff: DateTime<Utc>) -> Result<usize, DatabaseError> {
        let connection = self.initialized_connection()?;
        connection
            .execute(
                "DELETE FROM command_history WHERE timestamp_us < ?1",
                [cutoff.timestamp_micros()],
            )
            .map_err(|error| self.classify(error))
    }

    /// Reads the schema version, which fails on a file that is not an SQLite database.
    fn check_readable(&self) -> Result<(), DatabaseError> {
        let connection = self.lock_connection();
        connection
            .query_row("PRAGMA schema_version", [], |row| row.get::<_, i64>(0))
            .map_err(|error| self.classify(error))?;
        Ok(())
    }

    /// Locks the connection; a poisoned lock is recovered (an interrupted transaction rolls back
    /// when dropped, so the connection stays usable).
    fn lock_connection(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks the connection after checking that [`initialize`](Self::initialize) ran.
    fn initialized_connection(&self) -> Result<MutexGuard<'_, Connection>, DatabaseError> {
        if !self.initialized.load(Ordering::Acquire) {
            return Err(DatabaseError::NotInitialized);
        }
        Ok(self.lock_connection())
    }

    /// Sorts an SQLite error into corrupt file, unopenable file, or other.
    fn classify(&self, error: rusqlite::Error) -> DatabaseError {
        match error.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => DatabaseError::Corrupt {
                path: self.config.db_path.clone(),
                source: error,
            },
            Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
                DatabaseError::Open {
                    path: self.config.db_path.clone(),
                    source: error,
                }
            }
            _ => DatabaseError::Sqlite(error),
        }
    }
}

/// The insert parameters of a record, in [`INSERT_COMMAND`] order.
fn record_params(record: &CommandRecord) -> impl rusqlite::Params + '_ {
    (
        record.equipment_id.as_str(),
        record.equipment_type.as_str(),
        record.command.as_str(),
        record.response.as_deref(),
        record.execution_time_ms,
        record.timestamp.timestamp_micros(),
        record.success,
        record.error.as_deref(),
    )
}

/// Converts an SQL count (never negative) to `u64`.
fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// A row of [`SELECT_COLUMNS`], with the timestamp still in microseconds.
struct RawRow {
    id: i64,
    record: CommandRecord,
    timestamp_us: i64,
}

/// Reads one row of [`SELECT_COLUMNS`].
fn read_row(row: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: row.get(0)?,
        record: CommandRecord {
            equipment_id: row.get(1)?,
            equipment_type: row.get(2)?,
            command: row.get(3)?,
            response: row.get(4)?,
            execution_time_ms: row.get(5)?,
            timestamp: DateTime::UNIX_EPOCH,
            success: row.get(7)?,
            error: row.get(8)?,
        },
        timestamp_us: row.get(6)?,
    })
}

/// Collects raw rows into stored commands, converting timestamps.
fn collect_rows(
    rows: impl Iterator<Item = rusqlite::Result<RawRow>>,
    classify: impl Fn(rusqlite::Error) -> DatabaseError,
) -> Result<Vec<StoredCommand>, DatabaseError> {
    let mut commands = Vec::new();
    for row in rows {
        let RawRow {
            id,
            mut record,
            timestamp_us,
        } = row.map_err(&classify)?;
        record.timestamp = DateTime::from_timestamp_micros(timestamp_us).ok_or(
            DatabaseError::TimestampOutOfRange {
                micros: timestamp_us,
            },
        )?;
        commands.push(StoredCommand { id, record });
    }
    Ok(commands)
}
