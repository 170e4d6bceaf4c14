//! All three critical paths of LabLink's profiling guide (`../shared/lablink-profiling-guide.md`)
//! in one run, saved as a JSON profile: the Rust counterpart of the guide's
//! `scripts/profile_critical_paths.py`.
//!
//! ```sh
//! cargo run --release --example profile_critical_paths                   # writes profile.json
//! cargo run --release --example profile_critical_paths -- /tmp/lablink.json
//! ```
//!
//! The profile is written with `lablink_prof::report::write_json` (what `LABLINK_PROFILE_OUT`
//! does at exit) and can be read back with `lablink_prof::report::read_json`; the line tables
//! are printed on stderr at exit as well. The login uses bcrypt at `LABLINK_BCRYPT_COST`
//! (default 12). For the flows one at a time, see the examples `login_flow`,
//! `command_execution` and `backup_creation`.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lablink_core::backup::{
    BackupConfig, BackupManager, BackupRequest, BackupType, CompressionType,
};
use lablink_core::database::{CommandRecord, DatabaseConfig, DatabaseManager};
use lablink_core::equipment::Oscilloscope;
use lablink_core::execution::execute_command;
use lablink_core::security::auth::{
    DEFAULT_BCRYPT_COST, SessionConfig, SessionManager, TokenConfig, create_access_token,
    hash_password_with_cost, verify_password,
};
use lablink_core::security::mfa::{
    generate_totp_secret, get_current_totp_token, verify_totp_token,
};

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();

fn main() -> Result<(), Box<dyn Error>> {
    // One command prints the tables; `LABLINK_PROFILING=0` still turns recording off.
    if std::env::var_os("LABLINK_PROFILING").is_none() {
        lablink_prof::enable();
    }
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("profile.json"), PathBuf::from);
    let workspace = tempfile::tempdir()?;

    login()?;
    command_execution(workspace.path())?;
    backup_creation(workspace.path())?;

    let profile = lablink_prof::snapshot();
    lablink_prof::report::write_json(&profile, &out)?;
    println!(
        "profile of {} functions written to {}",
        profile.functions.len(),
        out.display()
    );
    Ok(())
}

/// Path 1, user login: password, TOTP, session, access token.
fn login() -> Result<(), Box<dyn Error>> {
    let cost = match std::env::var("LABLINK_BCRYPT_COST") {
        Ok(text) => text.parse()?,
        Err(_) => DEFAULT_BCRYPT_COST,
    };
    let password = "TestPassword123!";
    let hashed = hash_password_with_cost(password, cost)?;
    assert!(verify_password(password, &hashed)?);
    let secret = generate_totp_secret()?;
    let token = get_current_totp_token(&secret)?;
    assert!(verify_totp_token(&secret, &token)?);
    let session = SessionManager::new(SessionConfig::default()).create_session("testuser")?;
    let config = TokenConfig::new(
        "lablink-example-signing-secret-0123456789",
        Duration::from_secs(15 * 60),
        "lablink",
    );
    let mut claims = serde_json::Map::new();
    claims.insert("role".into(), "admin".into());
    create_access_token(&config, &session.user, claims)?;
    println!("1. login flow done (bcrypt cost {cost})");
    Ok(())
}

/// Path 2, command execution: the guide's 100 records one by one and as one batch, and 100
/// commands executed on the simulated oscilloscope.
fn command_execution(workspace: &Path) -> Result<(), Box<dyn Error>> {
    let manager = DatabaseManager::new(DatabaseConfig::new(workspace.join("profile.db")))?;
    manager.initialize()?;
    let records: Vec<CommandRecord> = (0..100)
        .map(|i| {
            CommandRecord::new(format!("scope-{}", i % 10), "oscilloscope", "*IDN?")
                .with_response(format!("RIGOL TECHNOLOGIES DS1054Z {i}"))
                .with_execution_time_ms(42.5 + f64::from(i))
        })
        .collect();
    for record in &records {
        manager.log_command(record)?;
    }
    manager.log_commands_batch(&records)?;
    let mut scope = Oscilloscope::new("scope-1");
    for command in [
        "*IDN?",
        ":MEAS:VPP? CHAN1",
        ":MEAS:FREQ? CHAN1",
        ":TIM:SCAL?",
    ]
    .iter()
    .cycle()
    .take(100)
    {
        execute_command(&mut scope, &manager, command)?;
    }
    println!("2. command execution done (300 rows logged)");
    Ok(())
}

/// Path 3, backup creation: ten JSON settings files and a server log, backed up with gzip,
/// bzip2 and xz, each verified.
fn backup_creation(workspace: &Path) -> Result<(), Box<dyn Error>> {
    let config_dir = workspace.join("config");
    let logs_dir = workspace.join("logs");
    fs::create_dir_all(&config_dir)?;
    fs::create_dir_all(&logs_dir)?;
    for i in 0..10 {
        let settings = serde_json::json!({
            "server": { "host": "0.0.0.0", "port": 8000 + i, "workers": 4 },
            "equipment": (0..40).map(|n| serde_json::json!({
                "id": format!("scope-{n}"),
                "address": format!("TCPIP0::10.0.{i}.{n}::INSTR"),
                "calibration": { "gain": 1.0 + f64::from(n) * 1e-4, "offset_v": 0.0 },
            })).collect::<Vec<_>>(),
        });
        fs::write(
            config_dir.join(format!("settings_{i}.json")),
            serde_json::to_string_pretty(&settings)?,
        )?;
    }
    let mut noise: u64 = 0x2545_f491_4f6c_dd1d;
    let log: String = (0..20_000)
        .map(|n| {
            // A linear congruential generator: measured values vary like real ones.
            noise = noise
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            format!(
                "2025-11-14T12:{:02}:{:02}.{:03}Z INFO  lablink.execution scope-{} \
                 :MEAS:VPP? CHAN1 -> {:.6e} ({} us)\n",
                n / 6000,
                (n / 100) % 60,
                (n * 7) % 1000,
                n % 10,
                3.0 + (noise >> 54) as f64 * 1e-6,
                200 + (noise >> 33) % 800,
            )
        })
        .collect();
    fs::write(logs_dir.join("server.log"), log)?;
    let manager = BackupManager::new(
        BackupConfig::new(workspace.join("backups"))
            .with_config_dir(&config_dir)
            .with_logs_dir(&logs_dir),
    )?;
    for compression in [
        CompressionType::Gzip,
        CompressionType::Bzip2,
        CompressionType::Xz,
    ] {
        let request = BackupRequest::new(BackupType::Full, compression)
            .with_description("Profile test")
            .with_verification(true);
        let result = manager.create_backup(&request)?;
        println!(
            "3. backup {:<7} {:>9} bytes in {:7.1} ms",
            compression.extension(),
            result.manifest.size_bytes,
            result.duration.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
