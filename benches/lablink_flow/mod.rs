//! What the LabLink benchmarks share: the command execution flow, and turning recording on or
//! off.

use std::path::Path;

use tempfile::TempDir;

use lablink_core::database::{DatabaseConfig, DatabaseManager};
use lablink_core::equipment::Oscilloscope;
use lablink_core::execution::execute_command;

/// Turns recording on (the profiled run) or off (the attribute's plain copy runs).
pub fn with_recording(on: bool) {
    if on {
        lablink_prof::enable();
    } else {
        lablink_prof::disable();
    }
    lablink_prof::skip_exit_report();
}

/// The name of a run with recording `on` or off.
pub fn profiled(on: bool) -> &'static str {
    if on { "profiled" } else { "unprofiled" }
}

/// The name of the place on disk in [`database_places`].
pub const ON_DISK: &str = "on disk";

/// The name of the place in memory in [`database_places`].
pub const IN_MEMORY: &str = "in memory";

/// Where the flow's databases go: on disk, as LabLink runs; and in memory (tmpfs) where the
/// system has one, where, without the disk's writes and their noise, the profiler's share of the
/// time is the largest it can be.
pub fn database_places() -> Vec<(&'static str, TempDir)> {
    let mut places = vec![(ON_DISK, tempfile::tempdir().expect("temp dir"))];
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        places.push((
            IN_MEMORY,
            tempfile::tempdir_in(shm).expect("temp dir in /dev/shm"),
        ));
    }
    places
}

/// A database of its own for the runs with recording `on` or off, in `dir`: the command log
/// grows with every run, and the second of two kinds of run on one database would insert into
/// a bigger table.
pub fn flow_database(dir: &Path, on: bool) -> DatabaseManager {
    let db = dir.join(format!("bench-{}.db", profiled(on)));
    let manager = DatabaseManager::new(DatabaseConfig::new(db)).expect("db");
    manager.initialize().expect("schema");
    manager
}

/// The command execution flow: 1,000 SCPI commands to an oscilloscope, each logged.
pub fn command_flow(manager: &DatabaseManager) {
    run_commands(manager, 1000);
}

/// `count` commands of the flow: four SCPI queries to an oscilloscope in turn, each logged.
pub fn run_commands(manager: &DatabaseManager, count: usize) {
    let mut scope = Oscilloscope::new("scope-1");
    let commands = [
        "*IDN?",
        ":MEAS:VPP? CHAN1",
        ":MEAS:FREQ? CHAN1",
        ":TIM:SCAL?",
    ];
    for command in commands.iter().cycle().take(count) {
        execute_command(&mut scope, manager, command).expect("command runs");
    }
}
