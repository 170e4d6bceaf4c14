//! The SQL schema and statements of the command history.

/// Creates the table and its indexes; idempotent.
pub(crate) const CREATE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS command_history (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    equipment_id      TEXT    NOT NULL,
    equipment_type    TEXT    NOT NULL,
    command           TEXT    NOT NULL,
    response          TEXT,
    execution_time_ms REAL    NOT NULL,
    timestamp_us      INTEGER NOT NULL,
    success           INTEGER NOT NULL CHECK (success IN (0, 1)),
    error             TEXT
);
CREATE INDEX IF NOT EXISTS idx_command_history_equipment_time
    ON command_history (equipment_id, timestamp_us);
CREATE INDEX IF NOT EXISTS idx_command_history_time
    ON command_history (timestamp_us);
";

/// Inserts one record; parameters in [`crate::database::manager`]'s `record_params` order.
pub(crate) const INSERT_COMMAND: &str = "
INSERT INTO command_history
    (equipment_id, equipment_type, command, response, execution_time_ms, timestamp_us, success, error)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// The columns read back into a [`crate::database::StoredCommand`], in order.
pub(crate) const SELECT_COLUMNS: &str = "id, equipment_id, equipment_type, command, response, \
     execution_time_ms, timestamp_us, success, error";

/// Per-equipment statistics.
pub(crate) const SELECT_STATISTICS: &str = "
SELECT equipment_id, COUNT(*), SUM(success), AVG(execution_time_ms),
       MIN(execution_time_ms), MAX(execution_time_ms)
FROM command_history
GROUP BY equipment_id
ORDER BY equipment_id";
