//! A simulated Keysight 34461A digital multimeter.

use super::Equipment;
use super::instrument_common::{ErrorQueue, run_command};
use super::scpi::{ScpiCommand, ScpiError, format_scientific, parse_number};

/// The `*IDN?` answer of the simulated multimeter.
pub const MULTIMETER_IDENTITY: &str =
    "Keysight Technologies,34461A,MY53220001,A.03.01-03.15-03.01-00.52-03-02";

/// What Keysight meters answer for an overload (e.g. an open circuit on a resistance range).
const OVERLOAD: f64 = 9.9e37;

/// The quantities present at the meter's terminals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MultimeterInputs {
    /// DC voltage in volts.
    pub dc_voltage_v: f64,
    /// AC (RMS) voltage in volts.
    pub ac_voltage_v: f64,
    /// DC current in amperes.
    pub dc_current_a: f64,
    /// AC (RMS) current in amperes.
    pub ac_current_a: f64,
    /// Resistance in ohms; infinite for an open circuit.
    pub resistance_ohm: f64,
    /// Frequency of the AC voltage in hertz.
    pub frequency_hz: f64,
}

impl Default for MultimeterInputs {
    /// A 5.0012 V DC rail, 0.7075 V AC at 1 kHz, 12.5 mA DC, and a 1000.25 Ω resistor.
    fn default() -> Self {
        Self {
            dc_voltage_v: 5.0012,
            ac_voltage_v: 0.7075,
            dc_current_a: 0.0125,
            ac_current_a: 0.0,
            resistance_ohm: 1000.25,
            frequency_hz: 1000.0,
        }
    }
}

/// The measurement function selected by `CONFigure` and read by `READ?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum MeasurementFunction {
    #[default]
    DcVoltage,
    AcVoltage,
    DcCurrent,
    AcCurrent,
    Resistance,
    FourWireResistance,
    Frequency,
}

/// Header patterns (without `MEASure`/`CONFigure` and `?`) of each function.
const FUNCTIONS: [(&str, MeasurementFunction); 7] = [
    (":VOLTage[:DC]", MeasurementFunction::DcVoltage),
    (":VOLTage:AC", MeasurementFunction::AcVoltage),
    (":CURRent[:DC]", MeasurementFunction::DcCurrent),
    (":CURRent:AC", MeasurementFunction::AcCurrent),
    (":RESistance", MeasurementFunction::Resistance),
    (":FRESistance", MeasurementFunction::FourWireResistance),
    (":FREQuency", MeasurementFunction::Frequency),
];

/// A simulated Keysight 34461A reading fixed, configurable inputs.
///
/// ```
/// use lablink_core::equipment::{Equipment, Multimeter};
///
/// let mut meter = Multimeter::new("dmm-1");
/// assert_eq!(meter.execute("MEASure:VOLTage:DC?")?, "+5.00120000E+00");
/// assert_eq!(meter.execute("MEAS:RES?")?, "+1.00025000E+03");
/// # Ok::<(), lablink_core::equipment::ScpiError>(())
/// ```
///
/// Commands: `*IDN?`, `*RST`, `*CLS`, `*OPC?`, `:SYSTem:ERRor?`, and for each function
/// `VOLTage[:DC]`, `VOLTage:AC`, `CURRent[:DC]`, `CURRent:AC`, `RESistance`, `FRESistance`,
/// `FREQuency`: `MEASure:<function>? [range[,resolution]]`, `CONFigure:<function>
/// [range[,resolution]]`, then `READ?`. Range and resolution must be numbers or
/// `AUTO`/`DEF`/`MIN`/`MAX`; the simulation reads the same value on every range.
#[derive(Debug, Clone)]
pub struct Multimeter {
    id: String,
    inputs: MultimeterInputs,
    function: MeasurementFunction,
    errors: ErrorQueue,
}

impl Multimeter {
    /// Creates a meter reading [`MultimeterInputs::default`], configured for DC volts.
    pub fn new(id: impl Into<String>) -> Self {
        Self::with_inputs(id, MultimeterInputs::default())
    }

    /// Creates a meter reading the given inputs.
    pub fn with_inputs(id: impl Into<String>, inputs: MultimeterInputs) -> Self {
        Self {
            id: id.into(),
            inputs,
            function: MeasurementFunction::default(),
            errors: ErrorQueue::default(),
        }
    }

    /// Replaces the simulated inputs.
    pub fn set_inputs(&mut self, inputs: MultimeterInputs) {
        self.inputs = inputs;
    }

    /// The reading of a function, formatted like the 34461A (`+5.00120000E+00`).
    fn read(&self, function: MeasurementFunction) -> String {
        let inputs = self.inputs;
        let value = match function {
            MeasurementFunction::DcVoltage => inputs.dc_voltage_v,
            MeasurementFunction::AcVoltage => inputs.ac_voltage_v,
            MeasurementFunction::DcCurrent => inputs.dc_current_a,
            MeasurementFunction::AcCurrent => inputs.ac_current_a,
            MeasurementFunction::Resistance | MeasurementFunction::FourWireResistance => {
                inputs.resistance_ohm
            }
            MeasurementFunction::Frequency => inputs.frequency_hz,
        };
        let value = if value.is_finite() { value } else { OVERLOAD };
        format_scientific(value, 8, true, true)
    }

    /// Executes a command that is not one of the common commands.
    fn execute_specific(&mut self, command: &ScpiCommand) -> Result<String, ScpiError> {
        if command.matches("*RST").is_some() {
            command.expect_no_arguments()?;
            self.function = MeasurementFunction::default();
            return Ok(String::new());
        }
        if command.matches("READ?").is_some() {
            command.expect_no_arguments()?;
            return Ok(self.read(self.function));
        }
        for (pattern, function) in FUNCTIONS {
            if command.matches(&format!("MEASure{pattern}?")).is_some() {
                check_range_arguments(command)?;
                return Ok(self.read(function));
            }
            if command.matches(&format!("CONFigure{pattern}")).is_some() {
                check_range_arguments(command)?;
                self.function = function;
                return Ok(String::new());
            }
        }
        Err(ScpiError::UndefinedHeader)
    }
}

/// Checks the optional range and resolution parameters of `MEASure`/`CONFigure`.
fn check_range_arguments(command: &ScpiCommand) -> Result<(), ScpiError> {
    if command.arguments().len() > 2 {
        return Err(ScpiError::ParameterNotAllowed);
    }
    for argument in command.arguments() {
        let keyword = matches!(
            argument.to_ascii_uppercase().as_str(),
            "AUTO" | "DEF" | "DEFAULT" | "MIN" | "MINIMUM" | "MAX" | "MAXIMUM"
        );
        if !keyword {
            parse_number(argument)?;
        }
    }
    Ok(())
}

impl Equipment for Multimeter {
    fn id(&self) -> &str {
        &self.id
    }

    fn equipment_type(&self) -> &str {
        "multimeter"
    }

    fn execute(&mut self, command: &str) -> Result<String, ScpiError> {
        let mut errors = std::mem::take(&mut self.errors);
        let result = run_command(command, MULTIMETER_IDENTITY, &mut errors, |parsed| {
            self.execute_specific(parsed)
        });
        self.errors = errors;
        result
    }
}
