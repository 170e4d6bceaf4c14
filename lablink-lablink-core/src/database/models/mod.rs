//! The validated data models of the command history: records and database configuration.
//!
//! Models are plain structs with public fields and serde support; call `validate()` before
//! trusting one that came from outside (deserialization does not validate).

mod command_record;
mod database_config;
mod validation_error;

pub use command_record::{
    CommandRecord, MAX_COMMAND_BYTES, MAX_EQUIPMENT_ID_BYTES, MAX_EQUIPMENT_TYPE_BYTES,
    MAX_ERROR_BYTES, MAX_RESPONSE_BYTES,
};
pub use database_config::{DEFAULT_BUSY_TIMEOUT_MS, DatabaseConfig, MAX_BUSY_TIMEOUT_MS};
pub use validation_error::ValidationError;
