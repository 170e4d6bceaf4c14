//! The three critical paths of LabLink's core (login, command execution, backup creation),
//! profiled by the `#[line_profile]` attributes on `lablink_core`'s functions: the figures say
//! what LabLink's profiling guide expects them to say, and the paths leak nothing.
//!
//! Its own binary: it installs the counting allocator. The profile is process-wide, so the tests
//! take turns (`serial`) and each starts from zeroed figures.

mod common;

use std::fs;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use common::{function, record};
use lablink_core::backup::{
    BackupConfig, BackupManager, BackupRequest, BackupType, CompressionType,
};
use lablink_core::database::{CommandQuery, CommandRecord, DatabaseConfig, DatabaseManager};
use lablink_core::security::auth::{
    SessionConfig, SessionManager, TokenConfig, create_access_token, hash_password_with_cost,
    verify_password,
};
use lablink_prof::{CountingAlloc, FunctionProfile};
use tempfile::TempDir;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::system();

/// bcrypt cost for tests that do not measure bcrypt itself (the cheapest bcrypt allows).
const CHEAP_COST: u32 = 4;

/// Serialises the tests of this file: each reads or resets the process-wide profile.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Takes this test's turn, turns recording on (without an exit report) and zeroes the figures.
fn start() -> MutexGuard<'static, ()> {
    let turn = serial();
    record();
    lablink_prof::reset();
    turn
}

/// The time of the line of `f` whose source contains `tag`.
fn line_ns(f: &FunctionProfile, tag: &str) -> u64 {
    let line = f
        .line_containing(tag)
        .unwrap_or_else(|| panic!("{} has no line containing {tag:?}", f.name));
    f.line(line).map_or(0, |l| l.time_ns)
}

/// The line of `f` with the most time, as its source text.
fn slowest_line(f: &FunctionProfile) -> &str {
    let slowest = f
        .lines
        .iter()
        .max_by_key(|l| l.time_ns)
        .unwrap_or_else(|| panic!("{} recorded no line", f.name));
    f.source_line(slowest.line).unwrap_or_default().trim()
}

fn database(dir: &TempDir, name: &str) -> DatabaseManager {
    let db = DatabaseManager::new(DatabaseConfig::new(dir.path().join(name))).unwrap();
    db.initialize().unwrap();
    db
}

/// The guide's records: ten scopes answering `*IDN?`.
fn guide_records(n: usize) -> Vec<CommandRecord> {
    (0..n)
        .map(|i| {
            CommandRecord::new(format!("scope-{}", i % 10), "oscilloscope", "*IDN?")
                .with_response(format!("RIGOL TECHNOLOGIES DS1054Z {i}"))
                .with_execution_time_ms(42.5 + i as f64)
        })
        .collect()
}

/// A server's data to back up: ten JSON settings files and `log_lines` lines of server log
/// (about 100 bytes each: repetitive structure, varying values, so mostly compressible).
fn server_data(log_lines: usize) -> (TempDir, BackupManager) {
    let root = TempDir::new().unwrap();
    let config = root.path().join("config");
    let logs = root.path().join("logs");
    fs::create_dir_all(&config).unwrap();
    fs::create_dir_all(&logs).unwrap();
    for i in 0..10 {
        let settings = serde_json::json!({
            "server": { "host": "0.0.0.0", "port": 8000 + i, "workers": 4 },
            "equipment": (0..40).map(|n| serde_json::json!({
                "id": format!("scope-{n}"),
                "address": format!("TCPIP0::10.0.{i}.{n}::INSTR"),
                "calibration": { "gain": 1.0 + n as f64 * 1e-4, "offset_v": 0.0 },
            })).collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&settings).unwrap();
        fs::write(config.join(format!("settings_{i}.json")), text).unwrap();
    }
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut log = String::with_capacity(log_lines * 100);
    for n in 0..log_lines {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        log += &format!(
            "2025-11-14T12:{:02}:{:02}.{:03}Z INFO  lablink.execution scope-{} \
             :MEAS:VPP? CHAN1 -> {:.6e} ({} us)\n",
            n / 6000,
            (n / 100) % 60,
            (n * 7) % 1000,
            n % 10,
            3.0 + (state % 1000) as f64 * 1e-6,
            200 + state % 800,
        );
    }
    fs::write(logs.join("server.log"), log).unwrap();
    let manager = BackupManager::new(
        BackupConfig::new(root.path().join("backups"))
            .with_config_dir(&config)
            .with_logs_dir(&logs),
    )
    .unwrap();
    (root, manager)
}

fn bytes_under(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            if path.is_dir() {
                bytes_under(&path)
            } else {
                fs::metadata(&path).unwrap().len()
            }
        })
        .sum()
}

fn verified_backup(compression: CompressionType) -> BackupRequest {
    BackupRequest::new(BackupType::Full, compression)
        .with_description("Profile test")
        .with_verification(true)
}

#[test]
fn bcrypt_is_at_least_90_percent_of_hashing_at_cost_10() {
    let _turn = start();
    let hash = hash_password_with_cost("TestPassword123!", 10).unwrap();
    assert!(hash.starts_with("$2b$10$"));

    let f = function("hash_password_with_cost");
    assert_eq!(f.calls, 1);
    let bcrypt = line_ns(&f, "bcrypt::hash_with_salt");
    let share = bcrypt as f64 / f.total_ns as f64;
    eprintln!(
        "bcrypt line: {:.2} ms of {:.2} ms ({:.2}%)",
        bcrypt as f64 / 1e6,
        f.total_ns as f64 / 1e6,
        100.0 * share
    );
    assert!(
        share >= 0.90,
        "bcrypt is only {:.1}% of hashing",
        100.0 * share
    );
}

#[test]
fn one_batch_of_200_records_is_faster_than_200_single_inserts() {
    let _turn = start();
    let dir = TempDir::new().unwrap();
    let single = database(&dir, "single.db");
    let batched = database(&dir, "batched.db");
    let records = guide_records(200);

    for record in &records {
        single.log_command(record).unwrap();
    }
    let ids = batched.log_commands_batch(&records).unwrap();

    assert_eq!(ids.len(), 200);
    for db in [&single, &batched] {
        assert_eq!(db.get_commands(&CommandQuery::all()).unwrap().len(), 200);
    }
    let one_by_one = function("log_command");
    let batch = function("log_commands_batch");
    assert_eq!((one_by_one.calls, batch.calls), (200, 1));
    eprintln!(
        "200 log_command calls: {:.2} ms; one log_commands_batch of 200: {:.2} ms",
        one_by_one.total_ns as f64 / 1e6,
        batch.total_ns as f64 / 1e6
    );
    assert!(
        batch.total_ns < one_by_one.total_ns,
        "batch {} ns, single inserts {} ns",
        batch.total_ns,
        one_by_one.total_ns
    );
    assert_eq!(common::hits(&batch, "ids.push("), 200);
}

#[test]
fn compression_dominates_a_2_mb_backup_and_the_algorithms_differ() {
    let _turn = start();
    let (root, manager) = server_data(20_000);
    let input = bytes_under(&root.path().join("config")) + bytes_under(&root.path().join("logs"));
    assert!((1_800_000..3_000_000).contains(&input), "{input} bytes");

    let mut compress_ns = Vec::new();
    for compression in [
        CompressionType::Gzip,
        CompressionType::Bzip2,
        CompressionType::Xz,
    ] {
        lablink_prof::reset();
        let result = manager
            .create_backup(&verified_backup(compression))
            .unwrap();
        assert!(result.verified);
        assert!(
            result.manifest.size_bytes * 3 < input,
            "{compression:?} barely compressed"
        );

        let backup = function("create_backup");
        let compress = function("compress");
        let compress_line = line_ns(&backup, "compress(&paths.staging");
        let encode_line = line_ns(&compress, "encode(&mut reader");
        eprintln!(
            "{compression:?}: create_backup {:.1} ms, compress line {:.1} ms, \
             create_archive line {:.1} ms, verify line {:.1} ms",
            backup.total_ns as f64 / 1e6,
            compress_line as f64 / 1e6,
            line_ns(&backup, "create_archive(") as f64 / 1e6,
            line_ns(&backup, "self.verify_backup(") as f64 / 1e6,
        );
        assert_eq!(
            slowest_line(&compress),
            "encode(&mut reader, writer, compression)"
        );
        assert!(encode_line * 2 > compress.total_ns, "{compress:#?}");
        // gzip compresses 2 MB in about 15 ms, close enough to the few milliseconds the
        // staging tar's fsync takes (`create_archive`) that a busy disk could overtake it; in
        // `create_backup` as a whole, compression is checked for the two slow algorithms.
        if compression != CompressionType::Gzip {
            assert!(
                slowest_line(&backup).starts_with("let size_bytes = compress("),
                "{compression:?}: the slowest line of create_backup is {:?}",
                slowest_line(&backup)
            );
        }
        compress_ns.push(compress.total_ns);
    }
    let [gzip, bzip2, xz] = compress_ns[..] else {
        unreachable!()
    };
    assert!(
        bzip2 > gzip && xz > gzip,
        "gzip {gzip} ns, bzip2 {bzip2} ns, xz {xz} ns"
    );
}

#[test]
fn session_create_and_revoke_cycles_leak_nothing() {
    let _turn = start();
    let sessions = SessionManager::new(SessionConfig::default());
    let cycle = || {
        for _ in 0..100 {
            let session = sessions.create_session("testuser").unwrap();
            assert!(sessions.revoke_session(&session.id));
        }
    };
    // The first cycle grows the store's maps to their working size and allocates the
    // profiler's tables for this thread: neither is a leak of a session.
    cycle();
    let stats = lablink_prof::assert_no_leaks!(cycle());
    assert!(stats.allocs >= 100, "{stats}");
    assert_eq!(sessions.session_count(), 0);
    assert_eq!(function("create_session").calls, 200);
}

#[test]
fn ten_thousand_logged_commands_leak_nothing() {
    let _turn = start();
    let dir = TempDir::new().unwrap();
    let db = database(&dir, "history.db");
    let record = CommandRecord::new("scope-1", "oscilloscope", "*IDN?")
        .with_response("RIGOL TECHNOLOGIES,DS1054Z,DS1ZA000000001,00.04.04.SP3")
        .with_execution_time_ms(1.5);
    let log = |n: usize| {
        for _ in 0..n {
            db.log_command(&record).unwrap();
        }
    };
    // Warm up: the first call fills rusqlite's prepared-statement cache and allocates the
    // profiler's tables for this thread. After that, each `prepare_cached` takes the statement
    // out of the cache, frees its key and keys it with a fresh copy of the SQL (an `Arc<str>`
    // of 192 bytes) that stays in the cache until the next call: one such block is always
    // live, which balances only once it existed before the measured calls. SQLite's own page
    // cache grows with the file, but SQLite allocates with C's malloc, outside the counted
    // Rust heap.
    log(100);
    let stats = lablink_prof::assert_no_leaks!(log(10_000));
    assert!(stats.allocs >= 10_000, "{stats}");
    assert_eq!(function("log_command").calls, 10_100);
}

#[test]
fn a_verified_backup_leaks_nothing() {
    let _turn = start();
    let (_root, manager) = server_data(1_000);
    let backup = || {
        let result = manager
            .create_backup(&verified_backup(CompressionType::Gzip))
            .unwrap();
        manager.verify_backup(&result.manifest.backup_id).unwrap();
    };
    backup();
    let stats = lablink_prof::assert_no_leaks!(backup());
    assert!(stats.alloc_bytes > 100_000, "{stats}");
    assert_eq!(function("create_backup").calls, 2);
}

#[test]
fn the_login_flow_is_recorded_step_by_step() {
    let _turn = start();
    let hashed = hash_password_with_cost("TestPassword123!", CHEAP_COST).unwrap();
    assert!(verify_password("TestPassword123!", &hashed).unwrap());
    let sessions = SessionManager::new(SessionConfig::default());
    let session = sessions.create_session("testuser").unwrap();
    let config = TokenConfig::new(
        "lablink-test-signing-secret-0123456789",
        Duration::from_secs(900),
        "lablink",
    );
    let token = create_access_token(&config, &session.user, serde_json::Map::new()).unwrap();
    assert_eq!(token.split('.').count(), 3);

    for name in [
        "hash_password_with_cost",
        "verify_password",
        "create_session",
        "create_access_token",
    ] {
        let f = function(name);
        assert_eq!(f.calls, 1, "{name}");
        common::assert_adds_up(&f);
    }
    let verify = function("verify_password");
    assert_eq!(
        slowest_line(&verify),
        "let matches = bcrypt::verify(password, hash).map_err(AuthError::from_bcrypt)?;"
    );
}
