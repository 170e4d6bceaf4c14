//! LabLink's command execution flow, profiled line by line: the second critical path of
//! LabLink's profiling guide (`../shared/lablink-profiling-guide.md`, "2. Command Execution
//! Flow").
//!
//! ```sh
//! cargo run --release --example command_execution
//! ```
//!
//! Logs the guide's 100 command records one by one with `log_command` (one SQLite transaction
//! each), then the same 100 with `log_commands_batch` (one transaction), and runs 100 commands
//! on the simulated oscilloscope through `execute_command` (validate, execute, log, serialize).
//! The two insert styles' times are printed on stdout, the line tables on stderr at exit.

use std::error::Error;
use std::time::{Duration, Instant};

use lablink_core::database::{CommandQuery, CommandRecord, DatabaseConfig, DatabaseManager};
use lablink_core::equipment::Oscilloscope;
use lablink_core::execution::execute_command;

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();

/// How many records each insert style writes, and how many commands are executed.
const RECORDS: usize = 100;

/// A mix of the queries a client sends a scope: identity, measurements, settings.
const SCOPE_COMMANDS: [&str; 5] = [
    "*IDN?",
    ":MEASure:VPP? CHAN1",
    ":MEAS:FREQ? CHAN1",
    ":MEASure:VRMS? CHAN1",
    ":TIMebase:MAIN:SCALe?",
];

fn main() -> Result<(), Box<dyn Error>> {
    // One command prints the tables; `LABLINK_PROFILING=0` still turns recording off.
    if std::env::var_os("LABLINK_PROFILING").is_none() {
        lablink_prof::enable();
    }
    let dir = tempfile::tempdir()?;
    let manager = DatabaseManager::new(DatabaseConfig::new(dir.path().join("profile.db")))?;
    manager.initialize()?;

    // The guide's records: ten scopes answering *IDN?.
    let records: Vec<CommandRecord> = (0..RECORDS)
        .map(|i| {
            CommandRecord::new(format!("scope-{}", i % 10), "oscilloscope", "*IDN?")
                .with_response(format!("RIGOL TECHNOLOGIES DS1054Z {i}"))
                .with_execution_time_ms(42.5 + i as f64)
        })
        .collect();

    let started = Instant::now();
    for record in &records {
        manager.log_command(record)?;
    }
    let one_by_one = started.elapsed();

    let started = Instant::now();
    let ids = manager.log_commands_batch(&records)?;
    let batched = started.elapsed();
    assert_eq!(ids.len(), RECORDS);

    let mut scope = Oscilloscope::new("scope-1");
    let started = Instant::now();
    for command in SCOPE_COMMANDS.iter().cycle().take(RECORDS) {
        let response = execute_command(&mut scope, &manager, command)?;
        assert!(
            response.payload.success,
            "{command}: {:?}",
            response.payload
        );
    }
    let executed = started.elapsed();

    let stored = manager.get_commands(&CommandQuery::all())?.len();
    assert_eq!(stored, 3 * RECORDS);
    println!(
        "{RECORDS} records, log_command one by one: {}",
        per_record(one_by_one)
    );
    println!(
        "{RECORDS} records, one log_commands_batch:  {} ({:.1}x faster)",
        per_record(batched),
        one_by_one.as_secs_f64() / batched.as_secs_f64()
    );
    println!(
        "{RECORDS} execute_command calls:           {}",
        per_record(executed)
    );
    if lablink_prof::enabled() {
        println!("line tables follow on stderr (times include the profiler's own cost)");
    }
    Ok(())
}

/// "12.3 ms (123.4 µs per record)".
fn per_record(elapsed: Duration) -> String {
    let ms = elapsed.as_secs_f64() * 1000.0;
    format!(
        "{ms:8.2} ms ({:7.1} µs per record)",
        ms * 1000.0 / RECORDS as f64
    )
}
