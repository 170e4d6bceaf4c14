//! Behaviour of `security::mfa`: TOTP codes, RFC test vectors, verification and replays.

// Tests unwrap and panic on purpose: a failure is the point.
#![allow(clippy::unwrap_used, clippy::panic)]

use lablink_core::security::mfa::{
    MfaError, TotpSettings, TotpVerifier, decode_secret, generate_totp_secret,
    get_current_totp_token, provisioning_uri, totp_at, totp_at_with, unix_time_now,
    verify_totp_token, verify_totp_token_at,
};

/// Base32 of the ASCII secret "12345678901234567890" used by RFC 4226 and RFC 6238.
const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

#[test]
fn rfc_secret_decodes_to_the_ascii_key() {
    assert_eq!(decode_secret(RFC_SECRET).unwrap(), b"12345678901234567890");
}

#[test]
fn rfc6238_sha1_test_vectors() {
    let settings = TotpSettings {
        digits: 8,
        time_step_seconds: 30,
    };
    let vectors = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];
    for (time, expected) in vectors {
        assert_eq!(
            totp_at_with(RFC_SECRET, time, &settings).unwrap(),
            expected,
            "T = {time}"
        );
    }
}

#[test]
fn six_digit_codes_are_the_low_digits_of_the_eight_digit_ones() {
    assert_eq!(totp_at(RFC_SECRET, 59).unwrap(), "287082");
    assert_eq!(totp_at(RFC_SECRET, 1_111_111_109).unwrap(), "081804");
}

#[test]
fn generated_secrets_are_160_bit_base32_without_padding() {
    let first = generate_totp_secret().unwrap();
    let second = generate_totp_secret().unwrap();
    assert_ne!(first, second);
    for secret in [&first, &second] {
        assert_eq!(secret.len(), 32);
        assert!(
            secret
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        );
        assert_eq!(decode_secret(secret).unwrap().len(), 20);
    }
}

#[test]
fn current_token_verifies() {
    let secret = generate_totp_secret().unwrap();
    let token = get_current_totp_token(&secret).unwrap();
    assert_eq!(token.len(), 6);
    assert!(verify_totp_token(&secret, &token).unwrap());
    assert!(unix_time_now().unwrap() > 1_700_000_000);
}

#[test]
fn window_accepts_one_step_either_side() {
    // 1_111_111_110 is the first second of step 37_037_037.
    let step_start = 1_111_111_110;
    let token = totp_at(RFC_SECRET, step_start).unwrap();
    assert!(verify_totp_token_at(RFC_SECRET, &token, step_start).unwrap());
    assert!(verify_totp_token_at(RFC_SECRET, &token, step_start + 29).unwrap());
    assert!(verify_totp_token_at(RFC_SECRET, &token, step_start + 30).unwrap());
    assert!(verify_totp_token_at(RFC_SECRET, &token, step_start + 59).unwrap());
    assert!(!verify_totp_token_at(RFC_SECRET, &token, step_start + 60).unwrap());
    assert!(verify_totp_token_at(RFC_SECRET, &token, step_start - 30).unwrap());
    assert!(!verify_totp_token_at(RFC_SECRET, &token, step_start - 31).unwrap());
}

#[test]
fn wrong_and_malformed_tokens() {
    let time = 1_234_567_890;
    let token = totp_at(RFC_SECRET, time).unwrap();
    let wrong = format!("{:06}", (token.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert!(!verify_totp_token_at(RFC_SECRET, &wrong, time).unwrap());
    for malformed in ["12345", "1234567", "abcdef", "12 456", ""] {
        assert!(
            matches!(
                verify_totp_token_at(RFC_SECRET, malformed, time),
                Err(MfaError::MalformedToken { digits: 6 })
            ),
            "{malformed:?}"
        );
    }
    assert!(matches!(
        verify_totp_token_at("!!!", &token, time),
        Err(MfaError::InvalidSecret { .. })
    ));
}

#[test]
fn verifier_rejects_wrong_and_replayed_tokens() {
    let verifier = TotpVerifier::default();
    let time = 1_700_000_000; // step 56_666_666
    let token = totp_at(RFC_SECRET, time).unwrap();

    let wrong = format!("{:06}", (token.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert!(matches!(
        verifier.verify_at("alice", RFC_SECRET, &wrong, time),
        Err(MfaError::InvalidToken)
    ));

    assert_eq!(
        verifier
            .verify_at("alice", RFC_SECRET, &token, time)
            .unwrap(),
        56_666_666
    );
    assert!(matches!(
        verifier.verify_at("alice", RFC_SECRET, &token, time + 10),
        Err(MfaError::TokenReplayed)
    ));

    // The previous step's code is still inside the window but older than the accepted one.
    let previous = totp_at(RFC_SECRET, time - 30).unwrap();
    assert!(matches!(
        verifier.verify_at("alice", RFC_SECRET, &previous, time),
        Err(MfaError::TokenReplayed)
    ));

    // Another account is independent; the next step is accepted.
    assert!(verifier.verify_at("bob", RFC_SECRET, &token, time).is_ok());
    let next = totp_at(RFC_SECRET, time + 30).unwrap();
    assert_eq!(
        verifier
            .verify_at("alice", RFC_SECRET, &next, time + 30)
            .unwrap(),
        56_666_667
    );

    verifier.forget("alice");
    assert!(
        verifier
            .verify_at("alice", RFC_SECRET, &token, time)
            .is_ok()
    );
}

#[test]
fn provisioning_uri_is_percent_encoded() {
    let uri = provisioning_uri(RFC_SECRET, "alice smith@lab", "Lab:Link").unwrap();
    assert_eq!(
        uri,
        "otpauth://totp/Lab%3ALink:alice%20smith%40lab?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
         &issuer=Lab%3ALink&algorithm=SHA1&digits=6&period=30"
    );
    assert!(matches!(
        provisioning_uri(RFC_SECRET, "", "LabLink"),
        Err(MfaError::EmptyLabel { field: "account" })
    ));
    assert!(matches!(
        provisioning_uri(RFC_SECRET, "alice", ""),
        Err(MfaError::EmptyLabel { field: "issuer" })
    ));
    assert!(matches!(
        provisioning_uri("GEZDGNBV", "alice", "LabLink"),
        Err(MfaError::SecretTooShort {
            bytes: 5,
            minimum: 16
        })
    ));
}

#[test]
fn invalid_settings_are_refused() {
    let five_digits = TotpSettings {
        digits: 5,
        time_step_seconds: 30,
    };
    assert!(matches!(
        totp_at_with(RFC_SECRET, 0, &five_digits),
        Err(MfaError::InvalidSettings { .. })
    ));
    let zero_step = TotpSettings {
        digits: 6,
        time_step_seconds: 0,
    };
    assert!(matches!(
        totp_at_with(RFC_SECRET, 0, &zero_step),
        Err(MfaError::InvalidSettings { .. })
    ));
}
