//! Behaviour of the simulated instruments and their SCPI errors.

// Tests unwrap and panic on purpose: a failure is the point.
#![allow(clippy::unwrap_used, clippy::panic)]

use lablink_core::equipment::{
    Equipment, Multimeter, MultimeterInputs, Oscilloscope, PowerSupply, ScpiError, SimulatedSignal,
    Waveform,
};

fn run(equipment: &mut dyn Equipment, command: &str) -> String {
    equipment
        .execute(command)
        .unwrap_or_else(|error| panic!("{command}: {error}"))
}

#[test]
fn oscilloscope_identifies_itself() {
    let mut scope = Oscilloscope::new("scope-1");
    assert_eq!(scope.id(), "scope-1");
    assert_eq!(scope.equipment_type(), "oscilloscope");
    for command in ["*IDN?", "*idn?", "  *IDN?  "] {
        assert_eq!(
            run(&mut scope, command),
            "RIGOL TECHNOLOGIES,DS1054Z,DS1ZA000000001,00.04.04.SP3"
        );
    }
    assert_eq!(run(&mut scope, "*OPC?"), "1");
}

#[test]
fn oscilloscope_measurements_are_computed() {
    let mut scope = Oscilloscope::new("scope-1");
    let expected = [
        (":MEASure:VPP? CHAN1", "3.000000e+00"),
        (":MEAS:VPP?", "3.000000e+00"),
        (":measure:vmax? channel1", "3.000000e+00"),
        (":MEAS:VMIN? CHAN1", "0.000000e+00"),
        (":MEAS:VAVG? CHAN1", "1.500000e+00"),
        (":MEAS:VRMS? CHAN1", "2.121320e+00"),
        (":MEASure:FREQuency? CHAN1", "1.000000e+03"),
        (":MEAS:PER? CHAN1", "1.000000e-03"),
    ];
    for (command, answer) in expected {
        assert_eq!(run(&mut scope, command), answer, "{command}");
    }
}

#[test]
fn hidden_channels_and_missing_signals_give_invalid_values() {
    let mut scope = Oscilloscope::new("scope-1");
    assert_eq!(run(&mut scope, ":MEAS:FREQ? CHAN2"), "9.9E37");
    run(&mut scope, ":CHANnel2:DISPlay ON");
    assert_eq!(run(&mut scope, ":CHAN2:DISP?"), "1");
    assert_eq!(run(&mut scope, ":MEAS:FREQ? CHAN2"), "1.000000e+04");
    assert_eq!(run(&mut scope, ":MEAS:VRMS? CHAN2"), "7.071068e-01");
    run(&mut scope, ":CHAN3:DISP 1");
    assert_eq!(run(&mut scope, ":MEAS:VPP? CHAN3"), "0.000000e+00");
    assert_eq!(run(&mut scope, ":MEAS:FREQ? CHAN3"), "9.9E37");

    scope
        .set_input(
            3,
            Some(SimulatedSignal {
                waveform: Waveform::Sine,
                amplitude_vpp: 10.0,
                offset_v: -1.0,
                frequency_hz: 50.0,
            }),
        )
        .unwrap();
    assert_eq!(run(&mut scope, ":MEAS:VMIN? CHAN3"), "-6.000000e+00");
    assert_eq!(run(&mut scope, ":MEAS:PER? CHAN3"), "2.000000e-02");
    assert_eq!(
        scope.set_input(5, None),
        Err(ScpiError::HeaderSuffixOutOfRange)
    );
}

#[test]
fn timebase_set_query_and_reset() {
    let mut scope = Oscilloscope::new("scope-1");
    assert_eq!(run(&mut scope, ":TIMebase:MAIN:SCALe?"), "1.000000e-06");
    assert_eq!(run(&mut scope, ":TIMebase:MAIN:SCALe 0.001"), "");
    assert_eq!(run(&mut scope, ":TIM:SCAL?"), "1.000000e-03");
    assert_eq!(run(&mut scope, ":tim:scal 2e-8"), "");
    assert_eq!(run(&mut scope, ":TIMEBASE:SCALE?"), "2.000000e-08");
    assert_eq!(
        scope.execute(":TIM:SCAL 100"),
        Err(ScpiError::DataOutOfRange)
    );
    assert_eq!(
        scope.execute(":TIM:SCAL fast"),
        Err(ScpiError::DataTypeError)
    );
    assert_eq!(scope.execute(":TIM:SCAL"), Err(ScpiError::MissingParameter));
    run(&mut scope, ":STOP");
    assert_eq!(run(&mut scope, ":TRIGger:STATus?"), "STOP");
    assert_eq!(run(&mut scope, "*RST"), "");
    assert_eq!(run(&mut scope, ":TIM:SCAL?"), "1.000000e-06");
    assert_eq!(run(&mut scope, ":TRIG:STAT?"), "RUN");
}

#[test]
fn unknown_commands_give_scpi_errors_and_fill_the_queue() {
    let mut scope = Oscilloscope::new("scope-1");
    let error = scope.execute(":FOO:BAR?").unwrap_err();
    assert_eq!(error, ScpiError::UndefinedHeader);
    assert_eq!(error.to_string(), "-113,\"Undefined header\"");
    assert_eq!(error.code(), -113);
    assert_eq!(
        scope.execute(":CHAN5:SCAL?"),
        Err(ScpiError::HeaderSuffixOutOfRange)
    );
    assert_eq!(
        scope.execute(":MEAS:VPP? CHAN9"),
        Err(ScpiError::IllegalParameterValue)
    );
    assert_eq!(
        scope.execute("*IDN? extra"),
        Err(ScpiError::ParameterNotAllowed)
    );
    assert_eq!(scope.execute(""), Err(ScpiError::SyntaxError));
    let queue: Vec<String> = (0..6).map(|_| run(&mut scope, ":SYSTem:ERRor?")).collect();
    assert_eq!(
        queue,
        [
            "-113,\"Undefined header\"",
            "-114,\"Header suffix out of range\"",
            "-224,\"Illegal parameter value\"",
            "-108,\"Parameter not allowed\"",
            "-102,\"Syntax error\"",
            "0,\"No error\"",
        ]
    );
    scope.execute(":NOPE").unwrap_err();
    run(&mut scope, "*CLS");
    assert_eq!(run(&mut scope, ":SYST:ERR:NEXT?"), "0,\"No error\"");
}

#[test]
fn instruments_are_deterministic() {
    let script = [
        "*IDN?",
        ":MEAS:VRMS? CHAN1",
        ":CHAN2:DISP ON",
        ":MEAS:VPP? CHAN2",
        ":BAD?",
    ];
    let first: Vec<_> = {
        let mut scope = Oscilloscope::new("a");
        script.iter().map(|c| scope.execute(c)).collect()
    };
    let second: Vec<_> = {
        let mut scope = Oscilloscope::new("b");
        script.iter().map(|c| scope.execute(c)).collect()
    };
    assert_eq!(first, second);
}

#[test]
fn power_supply_regulates_voltage_then_current() {
    let mut supply = PowerSupply::new("psu-1");
    assert_eq!(supply.equipment_type(), "power_supply");
    assert_eq!(
        run(&mut supply, "*IDN?"),
        "RIGOL TECHNOLOGIES,DP832,DP8A000000001,00.01.16"
    );
    run(&mut supply, ":SOURce:VOLTage 5");
    assert_eq!(run(&mut supply, "VOLT?"), "5.000");
    assert_eq!(run(&mut supply, ":OUTPut?"), "OFF");
    assert_eq!(run(&mut supply, ":MEASure:VOLTage?"), "0.0000");
    run(&mut supply, ":OUTP ON");
    assert_eq!(run(&mut supply, ":OUTPut:STATe?"), "ON");
    assert_eq!(run(&mut supply, ":MEASure:VOLTage?"), "5.0000");
    assert_eq!(run(&mut supply, ":MEAS:CURR?"), "0.5000");
    assert_eq!(run(&mut supply, ":MEAS:POWE?"), "2.5000");
    assert_eq!(run(&mut supply, ":OUTP:MODE?"), "CV");

    run(&mut supply, ":CURRent:LEVel 0.2");
    assert_eq!(run(&mut supply, ":CURR?"), "0.200");
    assert_eq!(run(&mut supply, ":MEAS:VOLT:DC?"), "2.0000");
    assert_eq!(run(&mut supply, ":MEAS:CURR:DC?"), "0.2000");
    assert_eq!(run(&mut supply, ":OUTP:MODE?"), "CC");

    supply.set_load_resistance(100.0);
    assert_eq!(run(&mut supply, ":MEAS?"), "5.0000");
    assert_eq!(run(&mut supply, ":MEAS:CURR?"), "0.0500");

    run(&mut supply, ":OUTP OFF");
    assert_eq!(run(&mut supply, ":MEAS:CURR?"), "0.0000");
    run(&mut supply, "*RST");
    assert_eq!(run(&mut supply, "VOLT?"), "0.000");
}

#[test]
fn power_supply_rejects_bad_settings() {
    let mut supply = PowerSupply::new("psu-1");
    assert_eq!(supply.execute("VOLT 31"), Err(ScpiError::DataOutOfRange));
    assert_eq!(supply.execute("VOLT -1"), Err(ScpiError::DataOutOfRange));
    assert_eq!(supply.execute("CURR 3.5"), Err(ScpiError::DataOutOfRange));
    assert_eq!(
        supply.execute("OUTP MAYBE"),
        Err(ScpiError::IllegalParameterValue)
    );
    assert_eq!(
        supply.execute("VOLT 1,2"),
        Err(ScpiError::ParameterNotAllowed)
    );
    assert_eq!(supply.execute("VOLT NaN"), Err(ScpiError::DataTypeError));
    assert_eq!(
        supply.execute("APPLy CH1,5,1").unwrap_err().to_string(),
        "-113,\"Undefined header\""
    );
    assert_eq!(run(&mut supply, "VOLT?"), "0.000");
}

#[test]
fn multimeter_measures_each_function() {
    let mut meter = Multimeter::new("dmm-1");
    assert_eq!(meter.equipment_type(), "multimeter");
    assert_eq!(
        run(&mut meter, "*IDN?"),
        "Keysight Technologies,34461A,MY53220001,A.03.01-03.15-03.01-00.52-03-02"
    );
    let expected = [
        ("MEASure:VOLTage:DC?", "+5.00120000E+00"),
        ("MEAS:VOLT?", "+5.00120000E+00"),
        ("MEAS:VOLT:AC?", "+7.07500000E-01"),
        ("MEAS:CURR:DC?", "+1.25000000E-02"),
        ("MEAS:CURR:AC?", "+0.00000000E+00"),
        ("MEASure:RESistance?", "+1.00025000E+03"),
        ("MEAS:FRES?", "+1.00025000E+03"),
        ("MEAS:FREQ?", "+1.00000000E+03"),
        ("MEAS:VOLT:DC? AUTO,DEF", "+5.00120000E+00"),
        ("MEAS:VOLT:DC? 10,0.001", "+5.00120000E+00"),
    ];
    for (command, answer) in expected {
        assert_eq!(run(&mut meter, command), answer, "{command}");
    }
}

#[test]
fn multimeter_configure_read_and_errors() {
    let mut meter = Multimeter::with_inputs(
        "dmm-1",
        MultimeterInputs {
            dc_voltage_v: -0.0123,
            resistance_ohm: f64::INFINITY,
            ..MultimeterInputs::default()
        },
    );
    assert_eq!(run(&mut meter, "READ?"), "-1.23000000E-02");
    run(&mut meter, "CONFigure:RESistance");
    assert_eq!(run(&mut meter, "READ?"), "+9.90000000E+37");
    run(&mut meter, "*RST");
    assert_eq!(run(&mut meter, "READ?"), "-1.23000000E-02");
    assert_eq!(
        meter.execute("MEAS:VOLT:DC? fast"),
        Err(ScpiError::DataTypeError)
    );
    assert_eq!(
        meter.execute("MEAS:VOLT:DC? 1,2,3"),
        Err(ScpiError::ParameterNotAllowed)
    );
    assert_eq!(meter.execute("MEAS:TEMP?"), Err(ScpiError::UndefinedHeader));
    meter.set_inputs(MultimeterInputs::default());
    assert_eq!(run(&mut meter, "MEAS:VOLT?"), "+5.00120000E+00");
}

#[test]
fn instruments_work_as_trait_objects() {
    let mut bench: Vec<Box<dyn Equipment>> = vec![
        Box::new(Oscilloscope::new("scope-1")),
        Box::new(PowerSupply::new("psu-1")),
        Box::new(Multimeter::new("dmm-1")),
    ];
    let identities: Vec<String> = bench
        .iter_mut()
        .map(|equipment| run(equipment.as_mut(), "*IDN?"))
        .collect();
    assert!(identities[0].contains("DS1054Z"));
    assert!(identities[1].contains("DP832"));
    assert!(identities[2].contains("34461A"));
    let kinds: Vec<&str> = bench.iter().map(|e| e.equipment_type()).collect();
    assert_eq!(kinds, ["oscilloscope", "power_supply", "multimeter"]);
}
