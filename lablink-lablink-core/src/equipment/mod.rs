//! Instruments: the [`Equipment`] trait, a small SCPI toolkit and three simulated instruments.
//!
//! The simulators answer like the real models they imitate (a RIGOL DS1054Z oscilloscope, a
//! RIGOL DP832 power supply, a Keysight 34461A multimeter), with values computed from a
//! configurable simulated input, so their output is deterministic. Unknown or malformed
//! commands fail with the standard SCPI error, e.g. `-113,"Undefined header"`, which is also
//! queued for `:SYSTem:ERRor?`.
//!
//! Headers follow SCPI rules: case-insensitive, short or long form (`:MEAS:FREQ?` or
//! `:MEASure:FREQuency?`), leading colon optional, optional nodes may be left out.

mod instrument_common;
mod multimeter;
mod oscilloscope;
mod power_supply;
pub mod scpi;

pub use multimeter::{MULTIMETER_IDENTITY, Multimeter, MultimeterInputs};
pub use oscilloscope::{OSCILLOSCOPE_IDENTITY, Oscilloscope, SimulatedSignal, Waveform};
pub use power_supply::{MAX_CURRENT_A, MAX_VOLTAGE_V, POWER_SUPPLY_IDENTITY, PowerSupply};
pub use scpi::ScpiError;

/// An instrument that executes SCPI commands.
pub trait Equipment: Send {
    /// The instrument's id in this installation, e.g. `"scope-1"`.
    fn id(&self) -> &str;

    /// The kind of instrument, e.g. `"oscilloscope"`.
    fn equipment_type(&self) -> &str;

    /// Executes one SCPI command; queries return their answer, settings return an empty string.
    ///
    /// # Errors
    ///
    /// The SCPI error the instrument raises, e.g. [`ScpiError::UndefinedHeader`].
    fn execute(&mut self, command: &str) -> Result<String, ScpiError>;
}
