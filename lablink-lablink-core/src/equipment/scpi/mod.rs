//! A small SCPI toolkit: command parsing, header matching, argument parsing, number formatting.

mod scpi_command;
mod scpi_error;
mod scpi_number;

pub use scpi_command::{ScpiCommand, parse_bool, parse_number};
pub use scpi_error::ScpiError;
pub use scpi_number::format_scientific;
