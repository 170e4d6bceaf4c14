//! Whole-path overhead on LabLink: each critical path profiled (recording on) against the same
//! code unprofiled (recording off: the attribute's plain copy), in the same run.
//!
//! `cargo bench --bench lablink_paths`. Groups: the command execution flow with 1,000 records,
//! a backup of about 20 MB (gzip), and the login flow (bcrypt at cost 4).

use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lablink_core::backup::{
    BackupConfig, BackupManager, BackupRequest, BackupType, CompressionType,
};
use lablink_core::security::auth::{
    SessionConfig, SessionManager, TokenConfig, create_access_token, hash_password_with_cost,
    verify_password,
};
use lablink_core::security::mfa::{
    generate_totp_secret, get_current_totp_token, verify_totp_token,
};

mod lablink_flow;
use lablink_flow::{command_flow, database_places, flow_database, profiled, with_recording};

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();

fn login_flow() {
    let hashed = hash_password_with_cost("TestPassword123!", 4).expect("hash");
    assert!(verify_password("TestPassword123!", &hashed).expect("verify"));
    let secret = generate_totp_secret().expect("secret");
    let token = get_current_totp_token(&secret).expect("token");
    assert!(verify_totp_token(&secret, &token).expect("verify totp"));
    let session = SessionManager::new(SessionConfig::default())
        .create_session("testuser")
        .expect("session");
    let config = TokenConfig::new(
        "bench-secret-0123456789abcdef-0123456789",
        Duration::from_secs(900),
        "lablink",
    );
    create_access_token(&config, &session.user, serde_json::Map::new()).expect("jwt");
}

/// About 20 MB of log text that compresses like a real server log.
fn write_backup_sources(dir: &Path) {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).expect("logs dir");
    let mut noise: u64 = 0x2545_f491_4f6c_dd1d;
    for file in 0..4 {
        let text: String = (0..50_000)
            .map(|n| {
                noise = noise
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                format!(
                    "2025-11-14T12:{:02}:{:02}Z INFO scope-{} :MEAS:VPP? CHAN1 -> {:.6e}\n",
                    n / 6000 % 60,
                    n / 100 % 60,
                    n % 10,
                    3.0 + (noise >> 40) as f64 * 1e-9
                )
            })
            .collect();
        std::fs::write(logs.join(format!("server-{file}.log")), text).expect("log file");
    }
}

fn paths(c: &mut Criterion) {
    for (place, place_dir) in database_places() {
        let mut g = c.benchmark_group(format!("command execution, 1000 records, database {place}"));
        g.sample_size(10);
        for on in [false, true] {
            let manager = flow_database(place_dir.path(), on);
            with_recording(on);
            g.bench_function(BenchmarkId::from_parameter(profiled(on)), |b| {
                b.iter(|| command_flow(&manager))
            });
        }
        g.finish();
    }

    let dir = tempfile::tempdir().expect("temp dir");
    write_backup_sources(dir.path());
    let backups = BackupManager::new(
        BackupConfig::new(dir.path().join("backups")).with_logs_dir(dir.path().join("logs")),
    )
    .expect("backup manager");
    let mut g = c.benchmark_group("backup of 20 MB, gzip");
    g.sample_size(10);
    for on in [false, true] {
        with_recording(on);
        g.bench_function(BenchmarkId::from_parameter(profiled(on)), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let request = BackupRequest::new(BackupType::Logs, CompressionType::Gzip);
                    let start = std::time::Instant::now();
                    let result = backups.create_backup(&request).expect("backup");
                    total += start.elapsed();
                    // Keep the disk from filling: the archive is not part of what is timed.
                    let _ = std::fs::remove_file(&result.archive_path);
                    let _ = std::fs::remove_file(&result.manifest_path);
                }
                total
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("login flow, bcrypt cost 4");
    for on in [false, true] {
        with_recording(on);
        g.bench_function(BenchmarkId::from_parameter(profiled(on)), |b| {
            b.iter(login_flow)
        });
    }
    g.finish();
    with_recording(false);
}

criterion_group!(benches, paths);
criterion_main!(benches);
