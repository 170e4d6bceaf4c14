//! LabLink's backup creation flow, profiled line by line: the third critical path of LabLink's
//! profiling guide (`../shared/lablink-profiling-guide.md`, "3. Backup Creation Flow").
//!
//! ```sh
//! cargo run --release --example backup_creation
//! ```
//!
//! Writes a server's data into a temporary directory (ten JSON settings files like the guide's,
//! and about 3 MB of server log, so that compression has real work), then backs it up with
//! gzip, bzip2 and xz, each verified after writing. A comparison line per algorithm goes to
//! stdout; the line tables of `create_backup` and its steps (`collect_files`, `create_archive`,
//! `compress`, `sha256`, `verify_backup`) go to stderr at exit.

use std::error::Error;
use std::fs;
use std::path::Path;

use lablink_core::backup::{
    BackupConfig, BackupManager, BackupRequest, BackupType, CompressionType,
};
use serde_json::json;

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();

/// Lines of server log to write (about 3 MB).
const LOG_LINES: usize = 30_000;

fn main() -> Result<(), Box<dyn Error>> {
    // One command prints the tables; `LABLINK_PROFILING=0` still turns recording off.
    if std::env::var_os("LABLINK_PROFILING").is_none() {
        lablink_prof::enable();
    }
    let root = tempfile::tempdir()?;
    let input_bytes = write_server_data(root.path())?;
    let config = BackupConfig::new(root.path().join("backups"))
        .with_config_dir(root.path().join("config"))
        .with_logs_dir(root.path().join("logs"));
    let manager = BackupManager::new(config)?;

    println!("backing up {} (config + logs)", megabytes(input_bytes));
    for compression in [
        CompressionType::Gzip,
        CompressionType::Bzip2,
        CompressionType::Xz,
    ] {
        let compress_before = profiled_ns("compress");
        let request = BackupRequest::new(BackupType::Full, compression)
            .with_description("Profile test")
            .with_verification(true);
        let result = manager.create_backup(&request)?;
        let compress_ns = profiled_ns("compress") - compress_before;
        let size = result.manifest.size_bytes;
        let total_ms = result.duration.as_secs_f64() * 1000.0;
        let mut line = format!(
            "{:<5} {} -> {} ({:4.1}x smaller) in {total_ms:7.1} ms, verified: {}",
            compression.extension().trim_start_matches("tar."),
            megabytes(input_bytes),
            megabytes(size),
            input_bytes as f64 / size as f64,
            result.verified,
        );
        if lablink_prof::enabled() {
            let compress_ms = compress_ns as f64 / 1e6;
            line += &format!(
                "; compress step {compress_ms:7.1} ms ({:.0}%)",
                100.0 * compress_ms / total_ms
            );
        }
        println!("{line}");
    }
    if lablink_prof::enabled() {
        println!("line tables follow on stderr (times include the profiler's own cost)");
    }
    Ok(())
}

/// The total time recorded so far for the profiled function `name` (0 when not recording).
fn profiled_ns(name: &str) -> u64 {
    let suffix = format!("::{name}");
    lablink_prof::snapshot()
        .functions
        .iter()
        .filter(|f| f.name.ends_with(&suffix))
        .map(|f| f.total_ns)
        .sum()
}

/// Writes `config/settings_{0..10}.json` and `logs/server.log`; returns the bytes written.
fn write_server_data(root: &Path) -> Result<u64, Box<dyn Error>> {
    let config = root.join("config");
    let logs = root.join("logs");
    fs::create_dir_all(&config)?;
    fs::create_dir_all(&logs)?;
    let mut random = XorShift(0x2545_f491_4f6c_dd1d);
    let mut written = 0;
    for i in 0..10 {
        let settings = settings_json(i, &mut random);
        let text = serde_json::to_string_pretty(&settings)?;
        fs::write(config.join(format!("settings_{i}.json")), &text)?;
        written += text.len() as u64;
    }
    let log = server_log(&mut random);
    fs::write(logs.join("server.log"), &log)?;
    written += log.len() as u64;
    Ok(written)
}

/// One settings file: server options and forty instruments with their channel calibrations.
fn settings_json(index: usize, random: &mut XorShift) -> serde_json::Value {
    let equipment: Vec<_> = (0..40)
        .map(|n| {
            let kind = ["oscilloscope", "power_supply", "multimeter"][n % 3];
            let channels: Vec<_> = (1..=4)
                .map(|channel| {
                    json!({
                        "channel": channel,
                        "gain": 1.0 + random.unit() * 1e-3,
                        "offset_v": random.unit() * 1e-4,
                        "enabled": channel <= 2,
                    })
                })
                .collect();
            json!({
                "id": format!("{kind}-{n}"),
                "type": kind,
                "address": format!("TCPIP0::10.0.{index}.{n}::INSTR"),
                "timeout_ms": 5000,
                "calibration": { "date": "2025-11-14", "channels": channels },
            })
        })
        .collect();
    json!({
        "server": { "host": "0.0.0.0", "port": 8000 + index, "workers": 4, "debug": false },
        "security": { "bcrypt_cost": 12, "session_hours": 8, "mfa_required": true },
        "equipment": equipment,
    })
}

/// `LOG_LINES` lines of command log: repetitive structure, varying values.
fn server_log(random: &mut XorShift) -> String {
    let commands = [
        ":MEAS:VPP? CHAN1",
        ":MEAS:FREQ? CHAN1",
        "*IDN?",
        ":SOUR1:VOLT 5.0",
        ":MEAS:VOLT:DC?",
    ];
    let mut log = String::with_capacity(LOG_LINES * 110);
    for n in 0..LOG_LINES {
        let (minute, second, milli) = (n / 6000, (n / 100) % 60, (n * 7) % 1000);
        let command = commands[n % commands.len()];
        log += &format!(
            "2025-11-14T12:{minute:02}:{second:02}.{milli:03}Z INFO  lablink.execution \
             scope-{} {command} -> {:.6e} ({:.2} ms)\n",
            n % 10,
            random.unit() * 3.3,
            0.2 + random.unit(),
        );
    }
    log
}

/// A small deterministic pseudo-random generator (xorshift64), so runs are comparable.
struct XorShift(u64);

impl XorShift {
    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// "3.14 MB".
fn megabytes(bytes: u64) -> String {
    format!("{:6.2} MB", bytes as f64 / 1e6)
}
