//! Command history in SQLite: record models, the [`DatabaseManager`], queries and statistics.
//!
//! This is the storage half of the command execution flow: every command sent to an instrument
//! becomes a [`CommandRecord`], is validated, and is logged by [`DatabaseManager::log_command`].

mod database_error;
pub mod manager;
pub mod models;
pub mod query;
mod schema;
pub mod statistics;

pub use database_error::DatabaseError;
pub use manager::DatabaseManager;
pub use models::{CommandRecord, DatabaseConfig, ValidationError};
pub use query::{CommandQuery, StoredCommand};
pub use statistics::EquipmentStatistics;
