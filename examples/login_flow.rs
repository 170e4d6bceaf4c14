//! LabLink's user login flow, profiled line by line: the first critical path of LabLink's
//! profiling guide (`../shared/lablink-profiling-guide.md`, "1. User Login Flow").
//!
//! ```sh
//! cargo run --release --example login_flow                        # bcrypt cost 12
//! LABLINK_BCRYPT_COST=10 cargo run --release --example login_flow
//! ```
//!
//! The line tables of `hash_password`, `verify_password`, the TOTP functions,
//! `SessionManager::create_session` and `create_access_token` are printed on stderr at exit.
//! The guide expects bcrypt to dominate (about 250 ms at cost 12, on purpose), TOTP verification
//! to take well under a millisecond, and token generation to confirm under 1 ms.

use std::error::Error;
use std::time::{Duration, Instant};

use lablink_core::security::auth::{
    DEFAULT_BCRYPT_COST, SessionConfig, SessionManager, TokenConfig, create_access_token,
    hash_password, hash_password_with_cost, verify_access_token, verify_password,
};
use lablink_core::security::mfa::{
    TotpVerifier, generate_totp_secret, get_current_totp_token, verify_totp_token,
};

#[global_allocator]
static ALLOC: lablink_prof::CountingAlloc = lablink_prof::CountingAlloc::system();

fn main() -> Result<(), Box<dyn Error>> {
    // One command prints the tables; `LABLINK_PROFILING=0` still turns recording off.
    if std::env::var_os("LABLINK_PROFILING").is_none() {
        lablink_prof::enable();
    }
    let cost = match std::env::var("LABLINK_BCRYPT_COST") {
        Ok(text) => text.parse()?,
        Err(_) => DEFAULT_BCRYPT_COST,
    };
    let started = Instant::now();

    // Password: hashing (account creation) and verification (login).
    let password = "TestPassword123!";
    let hashed = if cost == DEFAULT_BCRYPT_COST {
        hash_password(password)?
    } else {
        hash_password_with_cost(password, cost)?
    };
    let verified = verify_password(password, &hashed)?;
    assert!(verified, "the password must verify against its own hash");

    // MFA: enrolment, the authenticator's code, and its verification (stateless, then with
    // replay protection as the login path does).
    let secret = generate_totp_secret()?;
    let token = get_current_totp_token(&secret)?;
    let mfa_verified = verify_totp_token(&secret, &token)?;
    assert!(mfa_verified, "the current code must verify");
    let verifier = TotpVerifier::default();
    verifier.verify("testuser", &secret, &token)?;

    // Session and access token.
    let sessions = SessionManager::new(SessionConfig::default());
    let session = sessions.create_session("testuser")?;
    let config = TokenConfig::new(
        "lablink-example-signing-secret-0123456789",
        Duration::from_secs(15 * 60),
        "lablink",
    );
    let mut claims = serde_json::Map::new();
    claims.insert("role".into(), "admin".into());
    let access_token = create_access_token(&config, &session.user, claims)?;
    let decoded = verify_access_token(&config, &access_token)?;

    println!(
        "login flow at bcrypt cost {cost}: {:.1} ms in all; session {}…, token for {} ({} bytes)",
        started.elapsed().as_secs_f64() * 1000.0,
        &session.id[..8],
        decoded.sub,
        access_token.len()
    );
    if lablink_prof::enabled() {
        println!("line tables follow on stderr");
    }
    Ok(())
}
