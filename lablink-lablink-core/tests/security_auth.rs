//! Behaviour of `security::auth`: password hashing and policy, access tokens, sessions.

// Tests unwrap and panic on purpose: a failure is the point.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use lablink_core::clock::ManualClock;
use lablink_core::security::auth::{
    AuthError, DEFAULT_BCRYPT_COST, PasswordPolicy, PasswordRuleViolation, SessionConfig,
    SessionManager, TokenConfig, create_access_token, create_access_token_at, hash_password,
    hash_password_with_cost, verify_access_token, verify_access_token_at, verify_password,
};
use serde_json::{Map, Value, json};

/// Low bcrypt cost for tests; the real default is exercised once.
const TEST_COST: u32 = 4;
const SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";

fn token_config() -> TokenConfig {
    TokenConfig::new(SECRET, Duration::from_secs(3600), "lablink")
}

fn role_claims() -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("role".into(), json!("admin"));
    claims
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

// ---- password hashing ----

#[test]
fn hash_and_verify_at_low_cost() {
    let hash = hash_password_with_cost("TestPassword123!", TEST_COST).unwrap();
    assert!(hash.starts_with("$2b$04$"));
    assert_eq!(hash.len(), 60);
    assert!(verify_password("TestPassword123!", &hash).unwrap());
    assert!(!verify_password("TestPassword123?", &hash).unwrap());
    assert!(!verify_password("", &hash).unwrap());
}

#[test]
fn hash_password_uses_the_default_cost_12() {
    assert_eq!(DEFAULT_BCRYPT_COST, 12);
    let hash = hash_password("TestPassword123!").unwrap();
    assert!(hash.starts_with("$2b$12$"), "{hash}");
    assert!(verify_password("TestPassword123!", &hash).unwrap());
}

#[test]
fn cost_outside_range_is_refused() {
    for cost in [0, 3, 32] {
        let error = hash_password_with_cost("pw", cost).unwrap_err();
        assert!(
            matches!(error, AuthError::InvalidCost { cost: c } if c == cost),
            "{error}"
        );
    }
}

#[test]
fn over_long_passwords_are_refused_not_truncated() {
    let limit = "a".repeat(72);
    let hash = hash_password_with_cost(&limit, TEST_COST).unwrap();
    assert!(verify_password(&limit, &hash).unwrap());
    let too_long = "a".repeat(73);
    assert!(matches!(
        hash_password_with_cost(&too_long, TEST_COST),
        Err(AuthError::PasswordTooLong { length: 73 })
    ));
    assert!(matches!(
        verify_password(&too_long, &hash),
        Err(AuthError::PasswordTooLong { length: 73 })
    ));
}

#[test]
fn malformed_hash_is_an_error() {
    let error = verify_password("pw", "not-a-bcrypt-hash").unwrap_err();
    assert!(matches!(error, AuthError::MalformedHash { .. }), "{error}");
}

// ---- password policy ----

#[test]
fn policy_accepts_a_strong_password() {
    assert_eq!(
        PasswordPolicy::default().validate("TestPassword123!"),
        Ok(())
    );
}

#[test]
fn policy_names_every_violated_rule() {
    let error = PasswordPolicy::default().validate("short").unwrap_err();
    assert_eq!(
        error.violations(),
        [
            PasswordRuleViolation::TooShort {
                min_length: 12,
                length: 5
            },
            PasswordRuleViolation::MissingUppercase,
            PasswordRuleViolation::MissingDigit,
            PasswordRuleViolation::MissingSpecial,
        ]
    );
    assert_eq!(
        error.to_string(),
        "password does not meet the policy: it must be at least 12 characters long (has 5); \
         it must contain an uppercase letter; it must contain a digit; \
         it must contain a special character"
    );
}

#[test]
fn policy_single_violations() {
    let policy = PasswordPolicy::default();
    let only = |password: &str| policy.validate(password).unwrap_err().violations().to_vec();
    assert_eq!(
        only("ALLUPPERCASE123!"),
        [PasswordRuleViolation::MissingLowercase]
    );
    assert_eq!(
        only("NoDigitsHere!!"),
        [PasswordRuleViolation::MissingDigit]
    );
    assert_eq!(
        only("NoSpecials1234"),
        [PasswordRuleViolation::MissingSpecial]
    );
    let long = format!("Aa1!{}", "x".repeat(70));
    assert_eq!(
        only(&long),
        [PasswordRuleViolation::TooLong {
            max_bytes: 72,
            bytes: 74
        }]
    );
}

#[test]
fn policy_counts_characters_not_bytes() {
    let policy = PasswordPolicy {
        min_length: 4,
        ..PasswordPolicy::default()
    };
    // Four characters in eight bytes: long enough.
    assert_eq!(policy.validate("Éé1€"), Ok(()));
    // Three characters in five bytes: too short.
    assert_eq!(
        policy.validate("Éé1").unwrap_err().violations(),
        [
            PasswordRuleViolation::TooShort {
                min_length: 4,
                length: 3
            },
            PasswordRuleViolation::MissingSpecial,
        ]
    );
}

// ---- access tokens ----

#[test]
fn token_round_trip_carries_claims() {
    let config = token_config();
    let token = create_access_token(&config, "testuser", role_claims()).unwrap();
    let claims = verify_access_token(&config, &token).unwrap();
    assert_eq!(claims.sub, "testuser");
    assert_eq!(claims.iss, "lablink");
    assert_eq!(claims.exp - claims.iat, 3600);
    assert_eq!(claims.additional.get("role"), Some(&json!("admin")));
    assert_eq!(claims.additional.len(), 1);
}

#[test]
fn tampered_payload_is_rejected() {
    let config = token_config();
    let token = create_access_token(&config, "testuser", role_claims()).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value = serde_json::from_slice(
        &data_encoding::BASE64URL_NOPAD
            .decode(parts[1].as_bytes())
            .unwrap(),
    )
    .unwrap();
    claims["role"] = json!("superuser");
    let forged_payload =
        data_encoding::BASE64URL_NOPAD.encode(serde_json::to_string(&claims).unwrap().as_bytes());
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert!(matches!(
        verify_access_token(&config, &forged),
        Err(AuthError::InvalidSignature)
    ));
}

#[test]
fn tampered_signature_is_rejected() {
    let config = token_config();
    let token = create_access_token(&config, "testuser", Map::new()).unwrap();
    let (body, signature) = token.rsplit_once('.').unwrap();
    let mut signature = signature.as_bytes().to_vec();
    signature[0] = if signature[0] == b'A' { b'B' } else { b'A' };
    let forged = format!("{body}.{}", String::from_utf8(signature).unwrap());
    assert!(matches!(
        verify_access_token(&config, &forged),
        Err(AuthError::InvalidSignature)
    ));
}

#[test]
fn token_signed_with_another_secret_is_rejected() {
    let other = TokenConfig::new(
        "another-secret-that-is-at-least-32-bytes",
        Duration::from_secs(3600),
        "lablink",
    );
    let token = create_access_token(&other, "testuser", Map::new()).unwrap();
    assert!(matches!(
        verify_access_token(&token_config(), &token),
        Err(AuthError::InvalidSignature)
    ));
}

#[test]
fn expired_token_is_rejected_with_its_expiry() {
    let config = token_config();
    let issued = Utc::now() - TimeDelta::hours(2);
    let token = create_access_token_at(&config, "testuser", Map::new(), issued).unwrap();
    match verify_access_token(&config, &token) {
        Err(AuthError::TokenExpired { expired_at }) => {
            assert_eq!(expired_at.timestamp(), issued.timestamp() + 3600);
        }
        other => panic!("expected TokenExpired, got {other:?}"),
    }
}

#[test]
fn expiry_boundary_is_exact() {
    let config = token_config();
    let token = create_access_token_at(&config, "u", Map::new(), at(1_700_000_000)).unwrap();
    assert!(verify_access_token_at(&config, &token, at(1_700_003_599)).is_ok());
    assert!(matches!(
        verify_access_token_at(&config, &token, at(1_700_003_600)),
        Err(AuthError::TokenExpired { .. })
    ));
}

#[test]
fn wrong_issuer_and_algorithm_and_garbage_are_rejected() {
    let config = token_config();
    let foreign = TokenConfig::new(SECRET, Duration::from_secs(3600), "someone-else");
    let token = create_access_token(&foreign, "u", Map::new()).unwrap();
    assert!(matches!(
        verify_access_token(&config, &token),
        Err(AuthError::WrongIssuer)
    ));

    let now = Utc::now().timestamp();
    let claims = json!({"sub": "u", "iss": "lablink", "iat": now, "exp": now + 60});
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert!(matches!(
        verify_access_token(&config, &hs512),
        Err(AuthError::AlgorithmMismatch)
    ));

    assert!(matches!(
        verify_access_token(&config, "not.a.jwt"),
        Err(AuthError::MalformedToken { .. })
    ));
}

#[test]
fn token_configuration_and_claims_are_checked() {
    let weak = TokenConfig::new("short", Duration::from_secs(60), "lablink");
    assert!(matches!(
        create_access_token(&weak, "u", Map::new()),
        Err(AuthError::WeakSecret {
            length: 5,
            minimum: 32
        })
    ));
    let no_issuer = TokenConfig::new(SECRET, Duration::from_secs(60), "");
    assert!(matches!(
        create_access_token(&no_issuer, "u", Map::new()),
        Err(AuthError::EmptyIssuer)
    ));
    assert!(matches!(
        create_access_token(&token_config(), "", Map::new()),
        Err(AuthError::EmptySubject)
    ));
    let mut sneaky = Map::new();
    sneaky.insert("sub".into(), json!("admin"));
    assert!(matches!(
        create_access_token(&token_config(), "u", sneaky),
        Err(AuthError::ReservedClaim { name }) if name == "sub"
    ));
}

// ---- sessions ----

fn session_manager(limit: usize) -> (Arc<ManualClock>, SessionManager) {
    let clock = Arc::new(ManualClock::at_unix_seconds(1_700_000_000));
    let config = SessionConfig {
        lifetime: Duration::from_secs(600),
        max_sessions_per_user: NonZeroUsize::new(limit).unwrap(),
    };
    let manager = SessionManager::with_clock(config, clock.clone());
    (clock, manager)
}

#[test]
fn session_lifecycle() {
    let (_, sessions) = session_manager(5);
    let session = sessions.create_session("alice").unwrap();
    assert_eq!(session.id.len(), 43);
    assert_eq!(session.created_at, at(1_700_000_000));
    assert_eq!(session.expires_at, at(1_700_000_600));
    assert_eq!(sessions.validate_session(&session.id).unwrap(), session);
    assert!(sessions.revoke_session(&session.id));
    assert!(!sessions.revoke_session(&session.id));
    assert!(matches!(
        sessions.validate_session(&session.id),
        Err(AuthError::SessionNotFound)
    ));
    assert!(matches!(
        sessions.create_session(""),
        Err(AuthError::EmptySubject)
    ));
}

#[test]
fn expired_session_is_rejected_and_removed() {
    let (clock, sessions) = session_manager(5);
    let session = sessions.create_session("alice").unwrap();
    clock.advance(Duration::from_secs(599));
    assert!(sessions.validate_session(&session.id).is_ok());
    clock.advance(Duration::from_secs(1));
    match sessions.validate_session(&session.id) {
        Err(AuthError::SessionExpired { expired_at }) => assert_eq!(expired_at, at(1_700_000_600)),
        other => panic!("expected SessionExpired, got {other:?}"),
    }
    assert!(matches!(
        sessions.validate_session(&session.id),
        Err(AuthError::SessionNotFound)
    ));
    assert_eq!(sessions.session_count(), 0);
}

#[test]
fn refresh_extends_a_live_session_only() {
    let (clock, sessions) = session_manager(5);
    let session = sessions.create_session("alice").unwrap();
    clock.advance(Duration::from_secs(500));
    let refreshed = sessions.refresh_session(&session.id).unwrap();
    assert_eq!(refreshed.expires_at, at(1_700_001_100));
    clock.advance(Duration::from_secs(200)); // past the original expiry
    assert!(sessions.validate_session(&session.id).is_ok());
    clock.advance(Duration::from_secs(400));
    assert!(matches!(
        sessions.refresh_session(&session.id),
        Err(AuthError::SessionExpired { .. })
    ));
}

#[test]
fn expire_removes_only_expired_sessions() {
    let (clock, sessions) = session_manager(5);
    sessions.create_session("alice").unwrap();
    sessions.create_session("bob").unwrap();
    clock.advance(Duration::from_secs(300));
    let fresh = sessions.create_session("carol").unwrap();
    clock.advance(Duration::from_secs(300));
    assert_eq!(sessions.expire(), 2);
    assert_eq!(sessions.session_count(), 1);
    assert!(sessions.validate_session(&fresh.id).is_ok());
    assert_eq!(sessions.expire(), 0);
}

#[test]
fn revoke_all_for_user_leaves_others() {
    let (_, sessions) = session_manager(5);
    for _ in 0..3 {
        sessions.create_session("alice").unwrap();
    }
    let bob = sessions.create_session("bob").unwrap();
    assert_eq!(sessions.revoke_all_for_user("alice"), 3);
    assert_eq!(sessions.revoke_all_for_user("alice"), 0);
    assert!(sessions.sessions_for_user("alice").is_empty());
    assert!(sessions.validate_session(&bob.id).is_ok());
}

#[test]
fn per_user_limit_evicts_the_oldest() {
    let (clock, sessions) = session_manager(2);
    let first = sessions.create_session("alice").unwrap();
    clock.advance(Duration::from_secs(1));
    let second = sessions.create_session("alice").unwrap();
    clock.advance(Duration::from_secs(1));
    let third = sessions.create_session("alice").unwrap();
    let other = sessions.create_session("bob").unwrap();
    assert!(matches!(
        sessions.validate_session(&first.id),
        Err(AuthError::SessionNotFound)
    ));
    let remaining: Vec<String> = sessions
        .sessions_for_user("alice")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(remaining, [second.id, third.id]);
    assert!(sessions.validate_session(&other.id).is_ok());
}

#[test]
fn session_manager_is_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SessionManager>();

    let sessions = Arc::new(SessionManager::new(SessionConfig {
        lifetime: Duration::from_secs(600),
        max_sessions_per_user: NonZeroUsize::new(100).unwrap(),
    }));
    let handles: Vec<_> = (0..8)
        .map(|worker| {
            let sessions = Arc::clone(&sessions);
            thread::spawn(move || {
                let user = format!("user-{worker}");
                let mut ids = Vec::new();
                for _ in 0..50 {
                    let session = sessions.create_session(&user).unwrap();
                    assert_eq!(sessions.validate_session(&session.id).unwrap().user, user);
                    ids.push(session.id);
                }
                for id in ids.iter().step_by(2) {
                    assert!(sessions.revoke_session(id));
                }
                ids
            })
        })
        .collect();
    let mut all_ids = Vec::new();
    for handle in handles {
        all_ids.extend(handle.join().unwrap());
    }
    all_ids.sort();
    all_ids.dedup();
    assert_eq!(all_ids.len(), 400, "session ids must be unique");
    assert_eq!(sessions.session_count(), 200);
}
