//! The signature scheme (docs/webhooks.md). Each request carries
//!
//! - `Webhook-Id`: the event's id (the same on every retry: receivers deduplicate on it);
//! - `Webhook-Timestamp`: Unix seconds when this attempt was signed;
//! - `Webhook-Signature`: `v1=` and the lowercase hex HMAC-SHA256, keyed with the endpoint's
//!   secret (its full text, `whsec_…`, as bytes), of `{timestamp}.{body}`.
//!
//! A receiver recomputes the HMAC over the raw body, compares in constant time, and refuses a
//! timestamp further than its replay window (five minutes, [`DEFAULT_TOLERANCE_SECS`]) from
//! its own clock, so a captured request cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// The replay window the documentation recommends.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length.
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The `Webhook-Signature` value for `body` signed at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "v1={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Why a request fails the receiver's check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the timestamp header is missing or not a number")]
    BadTimestamp,
    #[error("the timestamp is outside the replay window")]
    Stale,
    #[error("no v1 signature matches")]
    Mismatch,
}

/// The receiver's check: the signature header (one or more space-separated `v1=…` values,
/// as during a secret rotation) must hold the HMAC of `timestamp.body`, and the timestamp must
/// lie within `tolerance_secs` of `now` (Unix seconds).
pub fn verify(
    secret: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    if (now - ts).abs() > tolerance_secs {
        return Err(VerifyError::Stale);
    }
    for part in signature_header.split_whitespace() {
        let Some(hex_sig) = part.strip_prefix("v1=") else {
            continue;
        };
        let Ok(bytes) = hex::decode(hex_sig) else {
            continue;
        };
        // `verify_slice` compares in constant time.
        if mac(secret, ts, body).verify_slice(&bytes).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_within_the_window_only_with_the_same_secret_and_body() {
        let body = br#"{"id":"x"}"#;
        let sig = signature("whsec_a", 1_000, body);
        assert!(sig.starts_with("v1="));
        assert_eq!(verify("whsec_a", "1000", &sig, body, 1_100, 300), Ok(()));
        assert_eq!(
            verify("whsec_b", "1000", &sig, body, 1_100, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("whsec_a", "1000", &sig, b"{}", 1_100, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("whsec_a", "1001", &sig, body, 1_100, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("whsec_a", "1000", &sig, body, 1_301, 300),
            Err(VerifyError::Stale)
        );
        assert_eq!(
            verify("whsec_a", "soon", &sig, body, 1_000, 300),
            Err(VerifyError::BadTimestamp)
        );
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body_in_hex() {
        // Computed independently (Python's hmac module) for docs/webhooks.md's example.
        assert_eq!(
            signature("whsec_test", 1_700_000_000, br#"{"id":1}"#),
            "v1=2f441ba4b3b2d50d28a9ab9d9fd8880376ecd1eb5d0435401553f5d8d0a5dcf8"
        );
    }
}
