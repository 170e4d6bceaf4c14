//! A simulated RIGOL DS1054Z four-channel oscilloscope.

use super::Equipment;
use super::instrument_common::{ErrorQueue, check_range, run_command};
use super::scpi::{ScpiCommand, ScpiError, format_scientific, parse_bool, parse_number};

/// The `*IDN?` answer of the simulated oscilloscope.
pub const OSCILLOSCOPE_IDENTITY: &str = "RIGOL TECHNOLOGIES,DS1054Z,DS1ZA000000001,00.04.04.SP3";

/// What RIGOL scopes answer for a measurement that cannot be made.
const INVALID_MEASUREMENT: &str = "9.9E37";
/// Number of analogue channels.
const CHANNEL_COUNT: usize = 4;
/// Accepted main timebase scale, seconds per division.
const TIMEBASE_RANGE_S: (f64, f64) = (5e-9, 50.0);
/// Accepted vertical scale, volts per division.
const VERTICAL_SCALE_RANGE_V: (f64, f64) = (1e-3, 10.0);

/// Shape of a simulated input signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waveform {
    /// A 50 % duty-cycle square wave.
    Square,
    /// A sine wave.
    Sine,
}

/// A periodic signal connected to one channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulatedSignal {
    /// Shape of the signal.
    pub waveform: Waveform,
    /// Peak-to-peak amplitude in volts.
    pub amplitude_vpp: f64,
    /// DC offset (the mean) in volts.
    pub offset_v: f64,
    /// Frequency in hertz.
    pub frequency_hz: f64,
}

impl SimulatedSignal {
    /// Highest voltage.
    fn maximum(&self) -> f64 {
        self.offset_v + self.amplitude_vpp / 2.0
    }

    /// Lowest voltage.
    fn minimum(&self) -> f64 {
        self.offset_v - self.amplitude_vpp / 2.0
    }

    /// True RMS voltage over whole periods.
    fn rms(&self) -> f64 {
        let half = self.amplitude_vpp / 2.0;
        let ac_power = match self.waveform {
            Waveform::Square => half * half,
            Waveform::Sine => half * half / 2.0,
        };
        (self.offset_v * self.offset_v + ac_power).sqrt()
    }
}

/// Front-panel settings restored by `*RST`.
#[derive(Debug, Clone, PartialEq)]
struct ScopeSettings {
    running: bool,
    timebase_scale_s: f64,
    channel_display: [bool; CHANNEL_COUNT],
    channel_scale_v: [f64; CHANNEL_COUNT],
}

impl Default for ScopeSettings {
    fn default() -> Self {
        Self {
            running: true,
            timebase_scale_s: 1e-6,
            channel_display: [true, false, false, false],
            channel_scale_v: [1.0; CHANNEL_COUNT],
        }
    }
}

/// A simulated RIGOL DS1054Z.
///
/// Channel 1 sees the probe-compensation signal (1 kHz square, 0 V to 3 V), channel 2 a 10 kHz
/// sine of 2 Vpp, channels 3 and 4 nothing. Measurements are computed from those signals:
///
/// ```
/// use lablink_core::equipment::{Equipment, Oscilloscope};
///
/// let mut scope = Oscilloscope::new("scope-1");
/// assert_eq!(scope.execute(":MEASure:VPP? CHAN1")?, "3.000000e+00");
/// assert_eq!(scope.execute(":MEAS:FREQ? CHAN1")?, "1.000000e+03");
/// assert_eq!(scope.execute(":FOO?").unwrap_err().to_string(), "-113,\"Undefined header\"");
/// # Ok::<(), lablink_core::equipment::ScpiError>(())
/// ```
///
/// Commands: `*IDN?`, `*RST`, `*CLS`, `*OPC?`, `:SYSTem:ERRor?`, `:RUN`, `:STOP`,
/// `:TRIGger:STATus?`, `:TIMebase[:MAIN]:SCALe[?]`, `:CHANnel<n>:DISPlay[?]`,
/// `:CHANnel<n>:SCALe[?]`, and `:MEASure:{VPP|VMAX|VMIN|VAVG|VRMS|FREQuency|PERiod}? [CHAN<n>]`
/// (source defaults to channel 1; a hidden channel or a missing signal gives `9.9E37`).
#[derive(Debug, Clone)]
pub struct Oscilloscope {
    id: String,
    settings: ScopeSettings,
    inputs: [Option<SimulatedSignal>; CHANNEL_COUNT],
    errors: ErrorQueue,
}

impl Oscilloscope {
    /// Creates a scope in its reset state with the default input signals.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            settings: ScopeSettings::default(),
            inputs: [
                Some(SimulatedSignal {
                    waveform: Waveform::Square,
                    amplitude_vpp: 3.0,
                    offset_v: 1.5,
                    frequency_hz: 1_000.0,
                }),
                Some(SimulatedSignal {
                    waveform: Waveform::Sine,
                    amplitude_vpp: 2.0,
                    offset_v: 0.0,
                    frequency_hz: 10_000.0,
                }),
                None,
                None,
            ],
            errors: ErrorQueue::default(),
        }
    }

    /// Connects a signal to channel `channel` (1 to 4) or disconnects it with `None`.
    ///
    /// # Errors
    ///
    /// [`ScpiError::HeaderSuffixOutOfRange`] for a channel outside 1 to 4.
    pub fn set_input(
        &mut self,
        channel: u32,
        signal: Option<SimulatedSignal>,
    ) -> Result<(), ScpiError> {
        let index = channel_index(channel)?;
        self.inputs[index] = signal;
        Ok(())
    }

    /// Executes a command that is not one of the common commands.
    fn execute_specific(&mut self, command: &ScpiCommand) -> Result<String, ScpiError> {
        if command.matches("*RST").is_some() {
            command.expect_no_arguments()?;
            self.settings = ScopeSettings::default();
            return Ok(String::new());
        }
        if command.matches(":RUN").is_some() {
            command.expect_no_arguments()?;
            self.settings.running = true;
            return Ok(String::new());
        }
        if command.matches(":STOP").is_some() {
            command.expect_no_arguments()?;
            self.settings.running = false;
            return Ok(String::new());
        }
        if command.matches(":TRIGger:STATus?").is_some() {
            command.expect_no_arguments()?;
            let status = if self.settings.running { "RUN" } else { "STOP" };
            return Ok(status.to_owned());
        }
        if command.matches(":TIMebase[:MAIN]:SCALe").is_some() {
            let value = parse_number(command.single_argument()?)?;
            let (min, max) = TIMEBASE_RANGE_S;
            self.settings.timebase_scale_s = check_range(value, min, max)?;
            return Ok(String::new());
        }
        if command.matches(":TIMebase[:MAIN]:SCALe?").is_some() {
            command.expect_no_arguments()?;
            return Ok(format_scientific(
                self.settings.timebase_scale_s,
                6,
                false,
                false,
            ));
        }
        if let Some(suffixes) = command.matches(":CHANnel#:DISPlay") {
            let index = channel_index(first_suffix(&suffixes))?;
            self.settings.channel_display[index] = parse_bool(command.single_argument()?)?;
            return Ok(String::new());
        }
        if let Some(suffixes) = command.matches(":CHANnel#:DISPlay?") {
            let index = channel_index(first_suffix(&suffixes))?;
            command.expect_no_arguments()?;
            let shown = if self.settings.channel_display[index] {
                "1"
            } else {
                "0"
            };
            return Ok(shown.to_owned());
        }
        if let Some(suffixes) = command.matches(":CHANnel#:SCALe") {
            let index = channel_index(first_suffix(&suffixes))?;
            let value = parse_number(command.single_argument()?)?;
            let (min, max) = VERTICAL_SCALE_RANGE_V;
            self.settings.channel_scale_v[index] = check_range(value, min, max)?;
            return Ok(String::new());
        }
        if let Some(suffixes) = command.matches(":CHANnel#:SCALe?") {
            let index = channel_index(first_suffix(&suffixes))?;
            command.expect_no_arguments()?;
            return Ok(format_scientific(
                self.settings.channel_scale_v[index],
                6,
                false,
                false,
            ));
        }
        self.measure(command)
    }

    /// Executes a `:MEASure:<item>? [source]` query.
    fn measure(&self, command: &ScpiCommand) -> Result<String, ScpiError> {
        let item = MEASUREMENTS
            .iter()
            .find(|(pattern, _)| command.matches(pattern).is_some())
            .map(|(_, item)| *item)
            .ok_or(ScpiError::UndefinedHeader)?;
        let index = match command.optional_argument()? {
            Some(source) => parse_channel_source(source)?,
            None => 0,
        };
        if !self.settings.channel_display[index] {
            return Ok(INVALID_MEASUREMENT.to_owned());
        }
        let value = match (self.inputs[index], item) {
            (None, Measurement::Frequency | Measurement::Period) => None,
            (None, _) => Some(0.0),
            (Some(signal), Measurement::PeakToPeak) => Some(signal.amplitude_vpp),
            (Some(signal), Measurement::Maximum) => Some(signal.maximum()),
            (Some(signal), Measurement::Minimum) => Some(signal.minimum()),
            (Some(signal), Measurement::Average) => Some(signal.offset_v),
            (Some(signal), Measurement::Rms) => Some(signal.rms()),
            (Some(signal), Measurement::Frequency) => Some(signal.frequency_hz),
            (Some(signal), Measurement::Period) => Some(1.0 / signal.frequency_hz),
        };
        Ok(value.map_or_else(
            || INVALID_MEASUREMENT.to_owned(),
            |value| format_scientific(value, 6, false, false),
        ))
    }
}

/// The measurement items of `:MEASure`.
#[derive(Debug, Clone, Copy)]
enum Measurement {
    PeakToPeak,
    Maximum,
    Minimum,
    Average,
    Rms,
    Frequency,
    Period,
}

/// Header pattern of each measurement item.
const MEASUREMENTS: [(&str, Measurement); 7] = [
    (":MEASure:VPP?", Measurement::PeakToPeak),
    (":MEASure:VMAX?", Measurement::Maximum),
    (":MEASure:VMIN?", Measurement::Minimum),
    (":MEASure:VAVG?", Measurement::Average),
    (":MEASure:VRMS?", Measurement::Rms),
    (":MEASure:FREQuency?", Measurement::Frequency),
    (":MEASure:PERiod?", Measurement::Period),
];

/// The first numeric suffix of a match (1 if none).
fn first_suffix(suffixes: &[u32]) -> u32 {
    suffixes.first().copied().unwrap_or(1)
}

/// Converts a 1-based channel number into an index.
fn channel_index(channel: u32) -> Result<usize, ScpiError> {
    match channel {
        1..=4 => Ok(channel as usize - 1),
        _ => Err(ScpiError::HeaderSuffixOutOfRange),
    }
}

/// Parses a measurement source such as `CHAN2` or `CHANnel2`.
fn parse_channel_source(source: &str) -> Result<usize, ScpiError> {
    let upper = source.to_ascii_uppercase();
    let number = upper
        .strip_prefix("CHANNEL")
        .or_else(|| upper.strip_prefix("CHAN"))
        .ok_or(ScpiError::IllegalParameterValue)?;
    let channel: u32 = number
        .parse()
        .map_err(|_| ScpiError::IllegalParameterValue)?;
    channel_index(channel).map_err(|_| ScpiError::IllegalParameterValue)
}

impl Equipment for Oscilloscope {
    fn id(&self) -> &str {
        &self.id
    }

    fn equipment_type(&self) -> &str {
        "oscilloscope"
    }

    fn execute(&mut self, command: &str) -> Result<String, ScpiError> {
        let mut errors = std::mem::take(&mut self.errors);
        let result = run_command(command, OSCILLOSCOPE_IDENTITY, &mut errors, |parsed| {
            self.execute_specific(parsed)
        });
        self.errors = errors;
        result
    }
}
