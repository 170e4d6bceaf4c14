//! A simulated single-output programmable power supply (RIGOL DP832 command set, channel 1).

use super::Equipment;
use super::instrument_common::{ErrorQueue, check_range, run_command};
use super::scpi::{ScpiCommand, ScpiError, parse_bool, parse_number};

/// The `*IDN?` answer of the simulated power supply.
pub const POWER_SUPPLY_IDENTITY: &str = "RIGOL TECHNOLOGIES,DP832,DP8A000000001,00.01.16";
/// Highest voltage setpoint in volts.
pub const MAX_VOLTAGE_V: f64 = 30.0;
/// Highest current limit in amperes.
pub const MAX_CURRENT_A: f64 = 3.0;

/// Settings restored by `*RST`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SupplySettings {
    voltage_v: f64,
    current_limit_a: f64,
    output_on: bool,
}

impl Default for SupplySettings {
    fn default() -> Self {
        Self {
            voltage_v: 0.0,
            current_limit_a: 1.0,
            output_on: false,
        }
    }
}

/// The simulated output: what a meter on the terminals would read.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OutputReading {
    voltage_v: f64,
    current_a: f64,
    constant_current: bool,
}

/// A simulated power supply driving a resistive load (10 Ω unless changed).
///
/// With the output on, it regulates the voltage (CV) until the load would draw more than the
/// current limit, then regulates the current (CC).
///
/// ```
/// use lablink_core::equipment::{Equipment, PowerSupply};
///
/// let mut supply = PowerSupply::new("psu-1");
/// supply.execute(":VOLTage 5")?;
/// supply.execute(":OUTPut ON")?;
/// assert_eq!(supply.execute(":MEASure:VOLTage?")?, "5.0000");
/// assert_eq!(supply.execute(":MEASure:CURRent?")?, "0.5000");
/// # Ok::<(), lablink_core::equipment::ScpiError>(())
/// ```
///
/// Commands: `*IDN?`, `*RST`, `*CLS`, `*OPC?`, `:SYSTem:ERRor?`,
/// `[:SOURce]:VOLTage[:LEVel][?]` (0 to 30 V), `[:SOURce]:CURRent[:LEVel][?]` (0 to 3 A),
/// `:OUTPut[:STATe][?]`, `:OUTPut:MODE?` (`CV`/`CC`),
/// `:MEASure[:VOLTage][:DC]?`, `:MEASure:CURRent[:DC]?`, `:MEASure:POWEr[:DC]?`.
#[derive(Debug, Clone)]
pub struct PowerSupply {
    id: String,
    settings: SupplySettings,
    load_ohms: f64,
    errors: ErrorQueue,
}

impl PowerSupply {
    /// Creates a supply in its reset state (0 V, 1 A limit, output off) with a 10 Ω load.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            settings: SupplySettings::default(),
            load_ohms: 10.0,
            errors: ErrorQueue::default(),
        }
    }

    /// Replaces the simulated load; non-positive or non-finite values mean an open circuit.
    pub fn set_load_resistance(&mut self, ohms: f64) {
        self.load_ohms = ohms;
    }

    /// What the output terminals carry now.
    fn reading(&self) -> OutputReading {
        let settings = self.settings;
        if !settings.output_on {
            return OutputReading {
                voltage_v: 0.0,
                current_a: 0.0,
                constant_current: false,
            };
        }
        if !(self.load_ohms.is_finite() && self.load_ohms > 0.0) {
            return OutputReading {
                voltage_v: settings.voltage_v,
                current_a: 0.0,
                constant_current: false,
            };
        }
        let demanded_a = settings.voltage_v / self.load_ohms;
        if demanded_a <= settings.current_limit_a {
            OutputReading {
                voltage_v: settings.voltage_v,
                current_a: demanded_a,
                constant_current: false,
            }
        } else {
            OutputReading {
                voltage_v: settings.current_limit_a * self.load_ohms,
                current_a: settings.current_limit_a,
                constant_current: true,
            }
        }
    }

    /// Executes a command that is not one of the common commands.
    fn execute_specific(&mut self, command: &ScpiCommand) -> Result<String, ScpiError> {
        if command.matches("*RST").is_some() {
            command.expect_no_arguments()?;
            self.settings = SupplySettings::default();
            return Ok(String::new());
        }
        if command.matches("[:SOURce]:VOLTage[:LEVel]").is_some() {
            let value = parse_number(command.single_argument()?)?;
            self.settings.voltage_v = check_range(value, 0.0, MAX_VOLTAGE_V)?;
            return Ok(String::new());
        }
        if command.matches("[:SOURce]:VOLTage[:LEVel]?").is_some() {
            command.expect_no_arguments()?;
            return Ok(format!("{:.3}", self.settings.voltage_v));
        }
        if command.matches("[:SOURce]:CURRent[:LEVel]").is_some() {
            let value = parse_number(command.single_argument()?)?;
            self.settings.current_limit_a = check_range(value, 0.0, MAX_CURRENT_A)?;
            return Ok(String::new());
        }
        if command.matches("[:SOURce]:CURRent[:LEVel]?").is_some() {
            command.expect_no_arguments()?;
            return Ok(format!("{:.3}", self.settings.current_limit_a));
        }
        if command.matches(":OUTPut[:STATe]").is_some() {
            self.settings.output_on = parse_bool(command.single_argument()?)?;
            return Ok(String::new());
        }
        if command.matches(":OUTPut[:STATe]?").is_some() {
            command.expect_no_arguments()?;
            let state = if self.settings.output_on { "ON" } else { "OFF" };
            return Ok(state.to_owned());
        }
        if command.matches(":OUTPut:MODE?").is_some() {
            command.expect_no_arguments()?;
            let mode = if self.reading().constant_current {
                "CC"
            } else {
                "CV"
            };
            return Ok(mode.to_owned());
        }
        if command.matches(":MEASure[:VOLTage][:DC]?").is_some() {
            command.expect_no_arguments()?;
            return Ok(format!("{:.4}", self.reading().voltage_v));
        }
        if command.matches(":MEASure:CURRent[:DC]?").is_some() {
            command.expect_no_arguments()?;
            return Ok(format!("{:.4}", self.reading().current_a));
        }
        if command.matches(":MEASure:POWEr[:DC]?").is_some() {
            command.expect_no_arguments()?;
            let reading = self.reading();
            return Ok(format!("{:.4}", reading.voltage_v * reading.current_a));
        }
        Err(ScpiError::UndefinedHeader)
    }
}

impl Equipment for PowerSupply {
    fn id(&self) -> &str {
        &self.id
    }

    fn equipment_type(&self) -> &str {
        "power_supply"
    }

    fn execute(&mut self, command: &str) -> Result<String, ScpiError> {
        let mut errors = std::mem::take(&mut self.errors);
        let result = run_command(command, POWER_SUPPLY_IDENTITY, &mut errors, |parsed| {
            self.execute_specific(parsed)
        });
        self.errors = errors;
        result
    }
}
