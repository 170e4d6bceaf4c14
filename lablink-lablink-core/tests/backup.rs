//! Behaviour of `backup`: round trips, verification, path traversal, retention, async API.

// Tests unwrap and panic on purpose: a failure is the point.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use lablink_core::backup::{
    BackupConfig, BackupError, BackupManager, BackupManifest, BackupRequest, BackupType,
    CompressionType, MANIFEST_FORMAT_VERSION, extract_archive, read_manifest, sha256,
    write_manifest,
};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

const ALL_COMPRESSIONS: [CompressionType; 4] = [
    CompressionType::None,
    CompressionType::Gzip,
    CompressionType::Bzip2,
    CompressionType::Xz,
];

/// A lab server's data: nested config with an empty directory, a binary database, logs.
struct Fixture {
    root: TempDir,
}

impl Fixture {
    fn new() -> Self {
        let root = TempDir::new().unwrap();
        let config = root.path().join("config");
        fs::create_dir_all(config.join("devices/scopes")).unwrap();
        fs::create_dir_all(config.join("empty")).unwrap();
        for i in 0..10 {
            fs::write(
                config.join(format!("settings_{i}.json")),
                r#"{"test": true}"#.repeat(1000),
            )
            .unwrap();
        }
        fs::write(
            config.join("devices/scopes/ds1054z.toml"),
            "ip = \"10.0.0.5\"\n",
        )
        .unwrap();
        fs::write(config.join("devices/zero-length"), b"").unwrap();
        let database = root.path().join("database");
        fs::create_dir_all(&database).unwrap();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let binary: Vec<u8> = (0..200_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        fs::write(database.join("lablink.db"), binary).unwrap();
        let logs = root.path().join("logs");
        fs::create_dir_all(&logs).unwrap();
        fs::write(logs.join("server.log"), "INFO started\n".repeat(500)).unwrap();
        Self { root }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn config(&self) -> BackupConfig {
        BackupConfig::new(self.path("backups"))
            .with_config_dir(self.path("config"))
            .with_database_dir(self.path("database"))
            .with_logs_dir(self.path("logs"))
    }

    fn manager(&self) -> BackupManager {
        BackupManager::new(self.config()).unwrap()
    }
}

/// Every file and directory under `root`, relative, with file contents (`None` for directories).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            if path.is_dir() {
                out.insert(relative, None);
                walk(root, &path, out);
            } else {
                out.insert(relative, Some(fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn full_request(compression: CompressionType) -> BackupRequest {
    BackupRequest::new(BackupType::Full, compression)
        .with_description("round trip")
        .with_verification(true)
}

#[test]
fn round_trip_is_byte_identical_for_every_compression() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    for compression in ALL_COMPRESSIONS {
        let result = manager.create_backup(&full_request(compression)).unwrap();
        assert!(result.verified);
        let manifest = &result.manifest;
        assert_eq!(manifest.format_version, MANIFEST_FORMAT_VERSION);
        assert_eq!(manifest.compression, compression);
        assert_eq!(manifest.backup_type, BackupType::Full);
        assert_eq!(manifest.description.as_deref(), Some("round trip"));
        assert!(manifest.backup_id.starts_with("full-"));
        assert!(
            result
                .archive_path
                .to_string_lossy()
                .ends_with(compression.extension())
        );
        assert_eq!(manifest.files.len(), 14);
        assert_eq!(manifest.files[0], "config/devices/scopes/ds1054z.toml");
        assert!(manifest.files.contains(&"database/lablink.db".to_owned()));
        assert!(manifest.files.contains(&"logs/server.log".to_owned()));

        let bytes = fs::read(&result.archive_path).unwrap();
        assert_eq!(manifest.size_bytes, bytes.len() as u64);
        let digest = data_encoding::HEXLOWER.encode(&Sha256::digest(&bytes));
        assert_eq!(manifest.sha256, digest);
        assert_eq!(read_manifest(&result.manifest_path).unwrap(), *manifest);

        let target = fixture.path(&format!("restored-{compression:?}"));
        let restored = manager
            .restore_backup(&manifest.backup_id, &target)
            .unwrap();
        assert_eq!(restored.files_restored, 14);
        assert_eq!(restored.bytes_restored, 10 * 14_000 + 16 + 200_000 + 6_500);
        for source in ["config", "database", "logs"] {
            assert_eq!(
                snapshot(&target.join(source)),
                snapshot(&fixture.path(source)),
                "{source} with {compression:?}"
            );
        }
    }
    // No staging files are left behind: 4 archives and 4 manifests.
    assert_eq!(fs::read_dir(fixture.path("backups")).unwrap().count(), 8);
}

#[test]
fn compressions_really_compress() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let size = |compression| {
        manager
            .create_backup(&BackupRequest::new(BackupType::Config, compression))
            .unwrap()
            .manifest
            .size_bytes
    };
    let plain = size(CompressionType::None);
    assert!(plain >= 140_000);
    for compression in [
        CompressionType::Gzip,
        CompressionType::Bzip2,
        CompressionType::Xz,
    ] {
        assert!(size(compression) * 10 < plain, "{compression:?}");
    }
}

#[test]
fn typed_backups_hold_only_their_source() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let config = manager
        .create_backup(&BackupRequest::new(
            BackupType::Config,
            CompressionType::Gzip,
        ))
        .unwrap();
    assert!(
        config
            .manifest
            .files
            .iter()
            .all(|f| f.starts_with("config/"))
    );
    assert_eq!(config.manifest.files.len(), 12);
    assert!(!config.verified);
    let logs = manager
        .create_backup(&BackupRequest::new(BackupType::Logs, CompressionType::Xz))
        .unwrap();
    assert_eq!(logs.manifest.files, ["logs/server.log"]);
    let database = manager
        .create_backup(&BackupRequest::new(
            BackupType::Database,
            CompressionType::Bzip2,
        ))
        .unwrap();
    assert_eq!(database.manifest.files, ["database/lablink.db"]);
}

#[test]
fn missing_sources_and_bad_requests_are_errors() {
    let fixture = Fixture::new();
    let only_config = BackupManager::new(
        BackupConfig::new(fixture.path("backups")).with_config_dir(fixture.path("config")),
    )
    .unwrap();
    assert!(matches!(
        only_config.create_backup(&BackupRequest::new(BackupType::Logs, CompressionType::None)),
        Err(BackupError::SourceNotConfigured { kind: "logs" })
    ));
    let full = only_config
        .create_backup(&BackupRequest::new(BackupType::Full, CompressionType::None))
        .unwrap();
    assert!(full.manifest.files.iter().all(|f| f.starts_with("config/")));

    let nothing = BackupManager::new(BackupConfig::new(fixture.path("backups"))).unwrap();
    assert!(matches!(
        nothing.create_backup(&BackupRequest::new(BackupType::Full, CompressionType::None)),
        Err(BackupError::NoSources)
    ));

    let gone = BackupManager::new(
        BackupConfig::new(fixture.path("backups")).with_logs_dir(fixture.path("no-such-dir")),
    )
    .unwrap();
    assert!(matches!(
        gone.create_backup(&BackupRequest::new(BackupType::Logs, CompressionType::None)),
        Err(BackupError::SourceMissing { .. })
    ));

    let long = BackupRequest::new(BackupType::Config, CompressionType::None)
        .with_description("x".repeat(501));
    assert!(matches!(
        fixture.manager().create_backup(&long),
        Err(BackupError::InvalidRequest { .. })
    ));
    assert!(matches!(
        BackupManager::new(fixture.config().with_retention_count(0)),
        Err(BackupError::InvalidConfig { .. })
    ));
    // Failed attempts leave no files behind (one successful full backup = 2 files).
    assert_eq!(fs::read_dir(fixture.path("backups")).unwrap().count(), 2);
}

#[test]
fn corrupt_archive_is_detected() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    for compression in ALL_COMPRESSIONS {
        let result = manager
            .create_backup(&BackupRequest::new(BackupType::Config, compression))
            .unwrap();
        let id = &result.manifest.backup_id;
        assert!(manager.verify_backup(id).is_ok());

        let mut bytes = fs::read(&result.archive_path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        fs::write(&result.archive_path, &bytes).unwrap();
        match manager.verify_backup(id) {
            Err(BackupError::ChecksumMismatch {
                expected, actual, ..
            }) => {
                assert_eq!(expected, result.manifest.sha256);
                assert_ne!(actual, expected);
            }
            other => panic!("{compression:?}: expected ChecksumMismatch, got {other:?}"),
        }
        let target = fixture.path(&format!("restore-corrupt-{compression:?}"));
        assert!(matches!(
            manager.restore_backup(id, &target),
            Err(BackupError::ChecksumMismatch { .. })
        ));
        assert!(
            !target.exists(),
            "nothing may be restored from a corrupt backup"
        );
    }
}

#[test]
fn truncated_archive_with_matching_checksum_is_still_detected() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    for compression in [
        CompressionType::Gzip,
        CompressionType::Bzip2,
        CompressionType::Xz,
    ] {
        let result = manager
            .create_backup(&BackupRequest::new(BackupType::Config, compression))
            .unwrap();
        let bytes = fs::read(&result.archive_path).unwrap();
        fs::write(&result.archive_path, &bytes[..bytes.len() - 20]).unwrap();
        let mut manifest = result.manifest.clone();
        manifest.sha256 = sha256(&result.archive_path).unwrap();
        write_manifest(&result.manifest_path, &manifest).unwrap();
        let error = manager.verify_backup(&manifest.backup_id).unwrap_err();
        assert!(
            matches!(error, BackupError::CorruptArchive { .. }),
            "{compression:?}: {error:?}"
        );
    }
}

/// Writes a tar whose single entry has the given raw path, bypassing `tar::Builder`'s checks.
fn malicious_tar(entry_path: &str, entry_type: tar::EntryType) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    let name = &mut header.as_gnu_mut().unwrap().name;
    name[..entry_path.len()].copy_from_slice(entry_path.as_bytes());
    header.set_entry_type(entry_type);
    header.set_mode(0o644);
    let data = b"owned\n";
    header.set_size(if entry_type == tar::EntryType::Regular {
        data.len() as u64
    } else {
        0
    });
    if entry_type == tar::EntryType::Symlink {
        header.set_link_name("/etc/passwd").unwrap();
    }
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    let body: &[u8] = if entry_type == tar::EntryType::Regular {
        data
    } else {
        &[]
    };
    builder.append(&header, body).unwrap();
    builder.into_inner().unwrap()
}

/// Plants a hand-made archive and a matching manifest in the backup directory.
fn plant_backup(
    manager: &BackupManager,
    id: &str,
    tar_bytes: &[u8],
    compression: CompressionType,
    files: Vec<String>,
) {
    let backup_dir = &manager.config().backup_dir;
    let archive_file = format!("{id}.{}", compression.extension());
    let archive_path = backup_dir.join(&archive_file);
    let encoded = match compression {
        CompressionType::None => tar_bytes.to_vec(),
        CompressionType::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(tar_bytes).unwrap();
            encoder.finish().unwrap()
        }
        other => unimplemented!("{other:?}"),
    };
    fs::write(&archive_path, &encoded).unwrap();
    let manifest = BackupManifest {
        format_version: MANIFEST_FORMAT_VERSION,
        backup_id: id.to_owned(),
        backup_type: BackupType::Config,
        compression,
        description: Some("planted".to_owned()),
        created_at: Utc::now(),
        archive_file,
        size_bytes: encoded.len() as u64,
        sha256: sha256(&archive_path).unwrap(),
        files,
    };
    write_manifest(&backup_dir.join(format!("{id}.manifest.json")), &manifest).unwrap();
}

#[test]
fn path_traversal_is_refused() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let cases = [
        ("dotdot", "../evil.txt", CompressionType::None),
        (
            "nested-dotdot",
            "config/../../evil.txt",
            CompressionType::Gzip,
        ),
        ("absolute", "/tmp/lablink-evil.txt", CompressionType::None),
    ];
    for (id, entry_path, compression) in cases {
        let tar_bytes = malicious_tar(entry_path, tar::EntryType::Regular);
        plant_backup(
            &manager,
            id,
            &tar_bytes,
            compression,
            vec![entry_path.to_owned()],
        );
        let target = fixture.path(&format!("restore-{id}"));
        match manager.restore_backup(id, &target) {
            Err(BackupError::UnsafeEntryPath { path }) => assert_eq!(path, entry_path),
            other => panic!("{id}: expected UnsafeEntryPath, got {other:?}"),
        }
        assert!(matches!(
            manager.verify_backup(id),
            Err(BackupError::UnsafeEntryPath { .. })
        ));
        let archive = manager
            .config()
            .backup_dir
            .join(format!("{id}.{}", compression.extension()));
        fs::create_dir_all(&target).unwrap();
        assert!(matches!(
            extract_archive(&archive, compression, &target),
            Err(BackupError::UnsafeEntryPath { .. })
        ));
        assert_eq!(
            fs::read_dir(&target).unwrap().count(),
            0,
            "{id}: nothing restored"
        );
    }
    assert!(!fixture.root.path().join("evil.txt").exists());
    assert!(!Path::new("/tmp/lablink-evil.txt").exists());
}

#[test]
fn links_in_archives_are_refused() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let tar_bytes = malicious_tar("config/passwd", tar::EntryType::Symlink);
    plant_backup(
        &manager,
        "symlink",
        &tar_bytes,
        CompressionType::None,
        vec![],
    );
    let target = fixture.path("restore-symlink");
    assert!(matches!(
        manager.restore_backup("symlink", &target),
        Err(BackupError::UnsupportedEntryType { .. })
    ));
    assert!(!target.join("config/passwd").exists());
}

#[test]
fn backup_ids_are_checked() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    for id in ["../backups/x", "a/b", "", "x.y"] {
        assert!(
            matches!(
                manager.verify_backup(id),
                Err(BackupError::InvalidBackupId { .. })
            ),
            "{id:?}"
        );
    }
    assert!(matches!(
        manager.verify_backup("no-such-backup"),
        Err(BackupError::NotFound { .. })
    ));
}

#[test]
fn retention_keeps_the_newest() {
    let fixture = Fixture::new();
    let manager = BackupManager::new(fixture.config().with_retention_count(2)).unwrap();
    let mut ids = Vec::new();
    for _ in 0..4 {
        let result = manager
            .create_backup(&BackupRequest::new(BackupType::Logs, CompressionType::Gzip))
            .unwrap();
        ids.push(result.manifest.backup_id);
        std::thread::sleep(Duration::from_millis(2));
    }
    let listed: Vec<String> = manager
        .list_backups()
        .unwrap()
        .into_iter()
        .map(|m| m.backup_id)
        .collect();
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(listed, newest_first);

    let removed = manager.cleanup_old_backups().unwrap();
    assert_eq!(removed, [ids[1].clone(), ids[0].clone()]);
    let listed: Vec<String> = manager
        .list_backups()
        .unwrap()
        .into_iter()
        .map(|m| m.backup_id)
        .collect();
    assert_eq!(listed, [ids[3].clone(), ids[2].clone()]);
    assert_eq!(fs::read_dir(fixture.path("backups")).unwrap().count(), 4);
    assert!(manager.cleanup_old_backups().unwrap().is_empty());
}

#[test]
fn damaged_manifest_is_reported() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let result = manager
        .create_backup(&BackupRequest::new(BackupType::Logs, CompressionType::None))
        .unwrap();
    fs::write(&result.manifest_path, b"{ not json").unwrap();
    assert!(matches!(
        manager.list_backups(),
        Err(BackupError::InvalidManifest { .. })
    ));
    assert!(matches!(
        manager.verify_backup(&result.manifest.backup_id),
        Err(BackupError::InvalidManifest { .. })
    ));
}

#[test]
fn golden_manifest_v1_still_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/manifest_v1.json");
    let manifest = read_manifest(&path).unwrap();
    assert_eq!(manifest.backup_id, "config-20251114T120000123Z-1a2b3c4d");
    assert_eq!(manifest.backup_type, BackupType::Config);
    assert_eq!(manifest.compression, CompressionType::Gzip);
    assert_eq!(
        manifest.created_at,
        Utc.with_ymd_and_hms(2025, 11, 14, 12, 0, 0).unwrap()
            + chrono::TimeDelta::nanoseconds(123_456_789)
    );
    assert_eq!(manifest.size_bytes, 1234);
    assert_eq!(
        manifest.files,
        ["config/settings_0.json", "config/settings_1.json"]
    );
}

// ---- async API ----

#[tokio::test(flavor = "current_thread")]
async fn async_backup_does_not_block_the_runtime() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let done = AtomicBool::new(false);
    let backup = async {
        let result = manager
            .create_backup_async(full_request(CompressionType::Xz))
            .await;
        done.store(true, Ordering::SeqCst);
        result
    };
    let heartbeat = async {
        let mut beats = 0_u32;
        while !done.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(1)).await;
            beats += 1;
        }
        beats
    };
    let (result, beats) = tokio::join!(backup, heartbeat);
    let result = result.unwrap();
    assert!(result.verified);
    assert!(
        beats >= 1,
        "the event loop must keep running while the backup works"
    );

    let id = result.manifest.backup_id.clone();
    assert_eq!(
        manager.verify_backup_async(&id).await.unwrap(),
        result.manifest
    );
    let target = fixture.path("restored-async");
    let restored = manager
        .restore_backup_async(&id, target.clone())
        .await
        .unwrap();
    assert_eq!(restored.files_restored, 14);
    assert_eq!(
        snapshot(&target.join("logs")),
        snapshot(&fixture.path("logs"))
    );
    assert_eq!(manager.list_backups_async().await.unwrap().len(), 1);
    assert!(
        manager
            .cleanup_old_backups_async()
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_async_backups_are_distinct() {
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let (first, second) = tokio::join!(
        manager.create_backup_async(BackupRequest::new(
            BackupType::Config,
            CompressionType::Gzip
        )),
        manager.create_backup_async(BackupRequest::new(
            BackupType::Config,
            CompressionType::Gzip
        )),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_ne!(first.manifest.backup_id, second.manifest.backup_id);
    assert_eq!(first.manifest.files, second.manifest.files);
}

#[test]
fn async_api_outside_a_runtime_is_an_error() {
    struct NoopWaker;
    impl Wake for NoopWaker {
        fn wake(self: Arc<Self>) {}
    }
    let fixture = Fixture::new();
    let manager = fixture.manager();
    let waker = Waker::from(Arc::new(NoopWaker));
    let mut context = Context::from_waker(&waker);
    let mut future = Box::pin(manager.list_backups_async());
    match future.as_mut().poll(&mut context) {
        Poll::Ready(Err(BackupError::NoRuntime)) => {}
        other => panic!("expected NoRuntime, got {other:?}"),
    }
}
