//! What every simulated instrument shares: the error queue and the common commands.

use std::collections::VecDeque;

use super::scpi::{ScpiCommand, ScpiError};

/// Most errors an instrument keeps before dropping new ones.
const ERROR_QUEUE_CAPACITY: usize = 20;

/// The SCPI error queue read by `:SYSTem:ERRor?`, oldest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct ErrorQueue {
    errors: VecDeque<ScpiError>,
}

impl ErrorQueue {
    /// Queues an error; when full, the new error is dropped (the oldest are the interesting ones).
    pub(crate) fn push(&mut self, error: ScpiError) {
        if self.errors.len() < ERROR_QUEUE_CAPACITY {
            self.errors.push_back(error);
        }
    }

    /// Removes and formats the oldest error, or `0,"No error"`.
    pub(crate) fn pop_formatted(&mut self) -> String {
        self.errors
            .pop_front()
            .map_or_else(|| "0,\"No error\"".to_owned(), |error| error.to_string())
    }

    /// Empties the queue.
    pub(crate) fn clear(&mut self) {
        self.errors.clear();
    }
}

/// Handles `*IDN?`, `*CLS`, `*OPC?` and `:SYSTem:ERRor[:NEXT]?`; `None` for any other command.
pub(crate) fn execute_common_command(
    command: &ScpiCommand,
    identity: &str,
    errors: &mut ErrorQueue,
) -> Option<Result<String, ScpiError>> {
    let answer = if command.matches("*IDN?").is_some() {
        identity.to_owned()
    } else if command.matches("*CLS").is_some() {
        errors.clear();
        String::new()
    } else if command.matches("*OPC?").is_some() {
        "1".to_owned()
    } else if command.matches(":SYSTem:ERRor[:NEXT]?").is_some() {
        errors.pop_formatted()
    } else {
        return None;
    };
    Some(command.expect_no_arguments().map(|()| answer))
}

/// Parses a command, runs it through the common commands and then `specific`, and queues any
/// error for `:SYSTem:ERRor?`.
pub(crate) fn run_command(
    text: &str,
    identity: &str,
    errors: &mut ErrorQueue,
    specific: impl FnOnce(&ScpiCommand) -> Result<String, ScpiError>,
) -> Result<String, ScpiError> {
    let result = ScpiCommand::parse(text).and_then(|command| {
        execute_common_command(&command, identity, errors).unwrap_or_else(|| specific(&command))
    });
    if let Err(error) = result {
        errors.push(error);
    }
    result
}

/// Checks a numeric setting against its inclusive range.
pub(crate) fn check_range(value: f64, min: f64, max: f64) -> Result<f64, ScpiError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ScpiError::DataOutOfRange)
    }
}
