//! Filters for reading the command history, and the rows it returns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::CommandRecord;

/// Which commands [`DatabaseManager::get_commands`](super::DatabaseManager::get_commands) returns.
///
/// All filters are optional and combine with AND. Results come newest first.
///
/// ```
/// use lablink_core::database::CommandQuery;
///
/// let query = CommandQuery::all().equipment("scope-1").limit(10);
/// assert_eq!(query.equipment_id.as_deref(), Some("scope-1"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandQuery {
    /// Only this instrument.
    pub equipment_id: Option<String>,
    /// Only commands at or after this time (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// Only commands before this time (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// At most this many rows (the newest).
    pub limit: Option<usize>,
}

impl CommandQuery {
    /// A query without filters.
    pub fn all() -> Self {
        Self::default()
    }

    /// Restricts to one instrument.
    pub fn equipment(mut self, equipment_id: impl Into<String>) -> Self {
        self.equipment_id = Some(equipment_id.into());
        self
    }

    /// Restricts to commands at or after `since`.
    pub fn since(mut self, since: DateTime<Utc>) -> Self {
        self.since = Some(since);
        self
    }

    /// Restricts to commands before `until`.
    pub fn until(mut self, until: DateTime<Utc>) -> Self {
        self.until = Some(until);
        self
    }

    /// Returns at most `limit` rows.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// A record as stored, with its row id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCommand {
    /// The row id, increasing in insertion order.
    pub id: i64,
    /// The stored record.
    pub record: CommandRecord,
}
