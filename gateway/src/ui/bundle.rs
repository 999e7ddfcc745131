//! The support bundle: one JSON file a technician downloads and sends to support — the
//! configuration with every secret masked, the override file, the port states, the spool's
//! counts and the box's facts. Secrets are masked by key, whatever section they are in.

use serde_json::{Value, json};

/// What replaces a secret.
pub const MASK: &str = "********";

/// Whether a configuration key holds a secret.
pub fn is_secret_key(key: &str) -> bool {
    // An override key names its field last (`ports.3.pin`).
    let k = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    k == "pin" || k.contains("password") || k.contains("token") || k.contains("secret")
}

/// `v` with every secret value replaced by [`MASK`] (and passwords in URLs too).
pub fn mask(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let masked = if is_secret_key(k) && !v.is_null() {
                        Value::String(MASK.into())
                    } else {
                        mask(v)
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(mask).collect()),
        Value::String(s) => Value::String(mask_url_password(s)),
        other => other.clone(),
    }
}

/// `scheme://user:password@host` → `scheme://user:********@host`.
pub fn mask_url_password(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once("://") else {
        return s.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            if userinfo.contains(':') {
                format!("{scheme}://{user}:{MASK}@{host}{tail}")
            } else {
                format!("{scheme}://{MASK}@{host}{tail}")
            }
        }
        None => s.to_owned(),
    }
}

/// The bundle's facts section.
pub fn facts(version: &str, uptime_s: u64, generated_at: chrono::DateTime<chrono::Utc>) -> Value {
    json!({"version": version, "uptime_s": uptime_s, "generated_at": generated_at})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_key_and_url_password_is_masked_and_the_rest_kept() {
        let v = json!({
            "api": {"listen": "127.0.0.1:8080", "token": "tok-123456789012345"},
            "ports": [{"id": 0, "pin": "1234", "device": "/dev/ttyUSB0"}],
            "dinstar_http": [{"password": "dpw", "push_token": "ptok", "url": "http://admin:dpw@10.0.0.5/"}],
            "cloud": {"password": "mqttpw", "url": "mqtts://hub.example:8883"},
            "ussd": {"balance_code": "*100#"},
            "overrides": {"ports.3.pin": "8642", "ports.3.baud": 9600},
        });
        let m = mask(&v).to_string();
        for secret in [
            "tok-123456789012345",
            "1234\"",
            "dpw",
            "ptok",
            "mqttpw",
            "8642",
        ] {
            assert!(!m.contains(secret), "{secret} in {m}");
        }
        for kept in [
            "127.0.0.1:8080",
            "/dev/ttyUSB0",
            "*100#",
            "mqtts://hub.example:8883",
            "http://admin:",
        ] {
            assert!(m.contains(kept), "{kept} not in {m}");
        }
    }
}
