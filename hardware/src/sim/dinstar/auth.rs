//! The simulated Dinstar's web login: HTTP Digest (RFC 7616/2617 with MD5 and `qop="auth"`, checked with
//! the `digest_auth` crate by recomputing the response) or HTTP Basic, as the device is configured.
//!
//! Digest nonces live `nonce_ttl_ms`; a correct answer to an expired nonce gets a fresh challenge with
//! `stale=true` (RFC 7616 §3.3), a nonce count used twice is refused (replay), a wrong password gets a fresh
//! challenge without `stale`. Every refused login counts in `auth_failures`.

use std::time::{Duration, Instant};

use digest_auth::{AuthContext, AuthorizationHeader, HttpMethod};
use rand::Rng;

use super::GatewayStore;
use crate::sim::config::DinstarAuth;

/// The realm Dinstar units present.
pub const REALM: &str = "Web Server";

/// The login check of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Let it through.
    Ok,
    /// Answer 401 with this `WWW-Authenticate` value.
    Challenge(String),
}

fn new_nonce(g: &mut GatewayStore) -> String {
    let n: [u8; 16] = rand::rng().random();
    let nonce = hex::encode(n);
    g.nonces
        .insert(nonce.clone(), (Instant::now(), Default::default()));
    nonce
}

fn digest_challenge(g: &mut GatewayStore, stale: bool) -> String {
    let nonce = new_nonce(g);
    let stale = if stale { ", stale=true" } else { "" };
    format!(r#"Digest realm="{REALM}", qop="auth", algorithm="MD5", nonce="{nonce}"{stale}"#)
}

/// Checks the `Authorization` header of a `method` request to `uri` (path and query as sent).
pub fn check(g: &mut GatewayStore, method: &str, uri: &str, authorization: Option<&str>) -> Check {
    let cfg = g.cfg().clone();
    match cfg.auth {
        DinstarAuth::None => Check::Ok,
        DinstarAuth::Basic => {
            use base64::Engine as _;
            let want = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", cfg.http_user, cfg.http_password));
            match authorization.and_then(|a| a.strip_prefix("Basic ")) {
                Some(b) if b.trim() == want => Check::Ok,
                Some(_) => {
                    g.auth_failures += 1;
                    Check::Challenge(format!(r#"Basic realm="{REALM}""#))
                }
                None => Check::Challenge(format!(r#"Basic realm="{REALM}""#)),
            }
        }
        DinstarAuth::Digest => {
            let Some(a) = authorization.filter(|a| a.starts_with("Digest ")) else {
                if authorization.is_some() {
                    g.auth_failures += 1;
                }
                return Check::Challenge(digest_challenge(g, false));
            };
            let Ok(h) = AuthorizationHeader::parse(a) else {
                g.auth_failures += 1;
                return Check::Challenge(digest_challenge(g, false));
            };
            let mut expected = h.clone();
            expected.digest(&AuthContext::new_with_method(
                cfg.http_user.as_str(),
                cfg.http_password.as_str(),
                h.uri.as_str(),
                Option::<&[u8]>::None,
                HttpMethod::from(method.to_owned()),
            ));
            let right = h.username == cfg.http_user
                && h.realm == REALM
                && h.uri == uri
                && expected.response == h.response;
            if !right {
                g.auth_failures += 1;
                return Check::Challenge(digest_challenge(g, false));
            }
            let ttl = Duration::from_millis(cfg.nonce_ttl_ms);
            match g.nonces.get_mut(&h.nonce) {
                Some((born, _)) if born.elapsed() > ttl => {
                    Check::Challenge(digest_challenge(g, true))
                }
                Some((_, used)) => {
                    if used.insert(h.nc) {
                        Check::Ok
                    } else {
                        g.auth_failures += 1;
                        Check::Challenge(digest_challenge(g, false))
                    }
                }
                // A nonce this device never gave (or forgot after a restart).
                None => Check::Challenge(digest_challenge(g, true)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::config::DinstarConfig;

    fn store(ttl_ms: u64) -> GatewayStore {
        GatewayStore::new(Some(DinstarConfig {
            http_password: "pw".into(),
            nonce_ttl_ms: ttl_ms,
            ..DinstarConfig::default()
        }))
    }

    fn answer(challenge: &str, pass: &str, uri: &str, nc: u32) -> String {
        let mut prompt = digest_auth::parse(challenge).unwrap();
        prompt.nc = nc - 1;
        let ctx = AuthContext::new_with_method(
            "admin",
            pass,
            uri,
            Option::<&[u8]>::None,
            HttpMethod::from("GET".to_owned()),
        );
        prompt.respond(&ctx).unwrap().to_header_string()
    }

    #[test]
    fn digest_only_asks_then_accepts_a_right_answer_once_per_nonce_count() {
        let mut g = store(60_000);
        let Check::Challenge(c) = check(&mut g, "GET", "/api/x", None) else {
            panic!()
        };
        assert!(
            c.starts_with(r#"Digest realm="Web Server", qop="auth", algorithm="MD5""#),
            "{c}"
        );
        assert_eq!(g.auth_failures, 0, "asking is not a failure");
        let a1 = answer(&c, "pw", "/api/x", 1);
        assert_eq!(check(&mut g, "GET", "/api/x", Some(&a1)), Check::Ok);
        assert!(
            matches!(
                check(&mut g, "GET", "/api/x", Some(&a1)),
                Check::Challenge(_)
            ),
            "replay"
        );
        let a2 = answer(&c, "pw", "/api/x", 2);
        assert_eq!(check(&mut g, "GET", "/api/x", Some(&a2)), Check::Ok);
        let wrong = answer(&c, "nope", "/api/x", 3);
        assert!(
            matches!(check(&mut g, "GET", "/api/x", Some(&wrong)), Check::Challenge(c) if !c.contains("stale"))
        );
        assert_eq!(g.auth_failures, 2);
        // Basic credentials to a Digest-only device are a failed login.
        assert!(matches!(
            check(&mut g, "GET", "/api/x", Some("Basic YWRtaW46cHc=")),
            Check::Challenge(_)
        ));
        assert_eq!(g.auth_failures, 3);
    }

    #[test]
    fn an_expired_nonce_gets_a_stale_challenge() {
        let mut g = store(0);
        let Check::Challenge(c) = check(&mut g, "GET", "/api/x", None) else {
            panic!()
        };
        std::thread::sleep(Duration::from_millis(5));
        let a = answer(&c, "pw", "/api/x", 1);
        assert!(
            matches!(check(&mut g, "GET", "/api/x", Some(&a)), Check::Challenge(c) if c.ends_with("stale=true"))
        );
        assert_eq!(g.auth_failures, 0);
    }
}
