//! # LabLink core
//!
//! The core of LabLink, a server that lets a lab drive its instruments (oscilloscopes, power
//! supplies, multimeters) remotely: user authentication with multi-factor login, SCPI command
//! execution with a persistent command history, and backups of the server's data. This crate
//! is a Rust port of the Python original's `server/security`, `server/database`,
//! `server/equipment` and `server/backup` packages, without the HTTP layer.
//!
//! ## The three critical paths
//!
//! The Python original's profiling guide names three flows whose speed matters. Each step is
//! an ordinary function whose body does one step per statement, so a line-level profile of it
//! shows where the time goes.
//!
//! The functions of the three paths below (and their steps: bcrypt hashing, the TOTP
//! functions, `log_commands_batch`, the backup's `collect_files`, `create_archive`,
//! `compress`, `sha256` and `verify_backup`) carry `#[lablink_prof::line_profile]`. Run a
//! program with `LABLINK_PROFILING=1` and their line tables are printed when it exits; with
//! the variable unset each costs one predictable branch per call. The examples
//! `login_flow`, `command_execution`, `backup_creation` and `profile_critical_paths` of the
//! `lablink-prof` package run the flows of the Python profiling guide.
//!
//! ### 1. User login
//!
//! | step | function |
//! | --- | --- |
//! | password verification (bcrypt, slow on purpose: ~250 ms at cost 12) | [`security::auth::verify_password`] |
//! | TOTP verification (±1 step, replay-protected with [`security::mfa::TotpVerifier`]) | [`security::mfa::verify_totp_token`] |
//! | session creation | [`security::auth::SessionManager::create_session`] |
//! | access token (JWT, HS256) | [`security::auth::create_access_token`] |
//!
//! ```
//! use std::time::Duration;
//! use lablink_core::security::auth::{
//!     SessionConfig, SessionManager, TokenConfig, create_access_token, hash_password_with_cost,
//!     verify_password,
//! };
//! use lablink_core::security::mfa::{generate_totp_secret, get_current_totp_token, verify_totp_token};
//!
//! let hashed = hash_password_with_cost("TestPassword123!", 4)?; // production: hash_password (cost 12)
//! assert!(verify_password("TestPassword123!", &hashed)?);
//!
//! let secret = generate_totp_secret()?;
//! let token = get_current_totp_token(&secret)?;
//! assert!(verify_totp_token(&secret, &token)?);
//!
//! let sessions = SessionManager::new(SessionConfig::default());
//! let session = sessions.create_session("testuser")?;
//!
//! let config = TokenConfig::new("change-me-to-a-long-random-secret!!", Duration::from_secs(900), "lablink");
//! let mut claims = serde_json::Map::new();
//! claims.insert("role".into(), "admin".into());
//! let access_token = create_access_token(&config, &session.user, claims)?;
//! assert_eq!(access_token.split('.').count(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ### 2. Command execution
//!
//! [`execution::execute_command`] builds and validates a [`database::CommandRecord`], executes
//! the command on an [`equipment::Equipment`] (timed), logs it with
//! [`database::DatabaseManager::log_command`] (SQLite in WAL mode) and serializes the response
//! to JSON. To read the history of many instruments, use
//! [`database::DatabaseManager::get_commands_batch`]: one query instead of one per instrument
//! (the guide's N+1 fix). Bulk imports go through
//! [`database::DatabaseManager::log_commands_batch`], one transaction.
//!
//! ### 3. Backup creation
//!
//! [`backup::BackupManager::create_backup`] validates the [`backup::BackupRequest`], then
//! calls [`backup::collect_files`], [`backup::create_archive`] (tar), [`backup::compress`]
//! (gzip, bzip2 or xz), [`backup::sha256`], writes a JSON manifest and optionally verifies the
//! result. In async code use [`backup::BackupManager::create_backup_async`], which runs the
//! blocking work on tokio's blocking pool instead of stalling the event loop.
//!
//! ## Errors
//!
//! Each area has one error enum: [`security::auth::AuthError`] (plus
//! [`security::auth::PasswordPolicyError`], which lists every broken rule),
//! [`security::mfa::MfaError`], [`database::DatabaseError`] (with
//! [`database::ValidationError`] for models), [`equipment::ScpiError`],
//! [`execution::ExecutionError`] and [`backup::BackupError`]. Library code does not panic on
//! error paths; it has no `unsafe` code.
//!
//! ## Testing support
//!
//! Time-dependent code takes an injectable [`clock::Clock`] (sessions) or has an `_at`
//! variant taking the time explicitly (tokens, TOTP).

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::panic)]

pub mod backup;
pub mod clock;
pub mod database;
pub mod equipment;
pub mod execution;
pub mod security;
