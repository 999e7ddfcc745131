//! HTTP authentication against a Dinstar, as a state machine without I/O ([`AuthState`]).
//!
//! Dinstar devices answer an unauthenticated request with `401` and
//! `WWW-Authenticate: Digest realm="Web Server", qop="auth", algorithm="MD5", nonce=…` (the
//! vendor's examples use `curl --anyauth`; moucester/Dinstar-UC-API `dinstar/base.py` uses
//! `HTTPDigestAuth`); some firmware ask for Basic (playsms/plugin-dinstar `fn.php`). So:
//!
//! - the scheme is learnt from the device's challenge (Digest preferred when both are offered),
//!   never guessed: no credentials go out before the device asked for them;
//! - Digest follows RFC 7616/2617 with the `digest_auth` crate: MD5 (or what the challenge
//!   names), `qop=auth`, a fresh `cnonce` per request, and the nonce reused with an increasing
//!   `nc` until the device says `stale=true`, which is answered at once with the fresh nonce;
//! - a `401` to credentials made from the current challenge means the device refused them: the
//!   login backs off (doubling from `[supervision] bench_backoff_ms` to `bench_backoff_max_ms`)
//!   and until then no request is sent at all, so a wrong password never becomes a retry storm
//!   (devices may lock an account after repeated failures).

use digest_auth::{AuthContext, HttpMethod, WwwAuthenticateHeader};
use std::time::Duration;
use tokio::time::Instant;

/// The scheme the device asked for.
#[derive(Debug, Clone)]
enum Scheme {
    /// No challenge seen yet: requests go out without credentials.
    Unknown,
    /// `WWW-Authenticate: Basic`.
    Basic,
    /// `WWW-Authenticate: Digest …`, with its nonce count.
    Digest(Box<WwwAuthenticateHeader>),
}

/// What a request carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The `Authorization` value, if any.
    pub header: Option<String>,
    /// The challenge generation it was made from.
    generation: u64,
}

/// What to do after a `401`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Send the request again (a first challenge, a stale nonce, a newer challenge).
    Retry,
    /// The device refused the credentials: say why; nothing is sent before `retry_in`.
    Refused {
        /// What happened.
        reason: String,
        /// Back-off before the next login attempt.
        retry_in: Duration,
    },
}

/// Authentication state of one device (shared by all its ports' requests).
#[derive(Clone)]
pub struct AuthState {
    user: String,
    password: String,
    scheme: Scheme,
    generation: u64,
    failures: u32,
    blocked_until: Option<Instant>,
    reason: String,
    backoff_min: Duration,
    backoff_max: Duration,
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthState")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("scheme", &self.scheme_name())
            .field("failures", &self.failures)
            .finish()
    }
}

/// The `(scheme, parameters)` of one challenge.
fn split_scheme(challenge: &str) -> (String, &str) {
    let c = challenge.trim();
    match c.split_once(char::is_whitespace) {
        Some((s, rest)) => (s.to_ascii_lowercase(), rest.trim()),
        None => (c.to_ascii_lowercase(), ""),
    }
}

impl AuthState {
    /// A state for `user`/`password`; a refused login waits `backoff_min`, doubling up to
    /// `backoff_max`.
    pub fn new(user: &str, password: &str, backoff_min: Duration, backoff_max: Duration) -> Self {
        Self {
            user: user.to_owned(),
            password: password.to_owned(),
            scheme: Scheme::Unknown,
            generation: 0,
            failures: 0,
            blocked_until: None,
            reason: String::new(),
            backoff_min: backoff_min.max(Duration::from_millis(1)),
            backoff_max: backoff_max.max(backoff_min),
        }
    }

    /// `none`, `basic` or `digest`.
    pub fn scheme_name(&self) -> &'static str {
        match self.scheme {
            Scheme::Unknown => "none",
            Scheme::Basic => "basic",
            Scheme::Digest(_) => "digest",
        }
    }

    /// While a refused login backs off: how long still, and why.
    pub fn blocked(&self, now: Instant) -> Option<(Duration, &str)> {
        let until = self.blocked_until?;
        (until > now).then(|| (until - now, self.reason.as_str()))
    }

    /// The credentials for a request `method uri` (`uri` = path and query as sent).
    pub fn prepare(&mut self, method: &str, uri: &str) -> Prepared {
        let header = match &mut self.scheme {
            Scheme::Unknown => None,
            Scheme::Basic => {
                use base64::Engine as _;
                let raw = format!("{}:{}", self.user, self.password);
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                ))
            }
            Scheme::Digest(prompt) => {
                let ctx = AuthContext::new_with_method(
                    self.user.as_str(),
                    self.password.as_str(),
                    uri,
                    Option::<&[u8]>::None,
                    HttpMethod::from(method.to_owned()),
                );
                match prompt.respond(&ctx) {
                    Ok(h) => Some(h.to_header_string()),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot answer the Dinstar's Digest challenge");
                        None
                    }
                }
            }
        };
        Prepared {
            header,
            generation: self.generation,
        }
    }

    /// The device answered `401` with these `WWW-Authenticate` values to a request that
    /// carried `sent`.
    pub fn unauthorized(
        &mut self,
        challenges: &[String],
        sent: &Prepared,
        now: Instant,
    ) -> Verdict {
        let digest = challenges.iter().find_map(|c| {
            let (scheme, params) = split_scheme(c);
            (scheme == "digest").then(|| WwwAuthenticateHeader::parse(params))
        });
        let basic = challenges.iter().any(|c| split_scheme(c).0 == "basic");
        let (next, stale) = match digest {
            Some(Ok(h)) => {
                let stale = h.stale;
                (Scheme::Digest(Box::new(h)), stale)
            }
            Some(Err(e)) if !basic => {
                return self.refuse(
                    format!("the Dinstar's Digest challenge is malformed ({e})"),
                    now,
                );
            }
            _ if basic => (Scheme::Basic, false),
            _ => {
                return self.refuse(
                    "the Dinstar answered HTTP 401 without a Digest or Basic challenge".into(),
                    now,
                );
            }
        };
        let fresh_challenge = sent.generation != self.generation;
        let sent_nothing = sent.header.is_none();
        let switched = std::mem::discriminant(&next) != std::mem::discriminant(&self.scheme);
        if stale || fresh_challenge || sent_nothing || switched {
            // A stale nonce, a challenge answered meanwhile by another request, the first
            // challenge, or another scheme: answer it once.
            if !fresh_challenge || stale || switched {
                self.scheme = next;
                self.generation += 1;
            }
            return Verdict::Retry;
        }
        self.scheme = next;
        self.generation += 1;
        self.refuse(
            format!(
                "the Dinstar refused the login of user {:?} ({} authentication, HTTP 401): check the user and password",
                self.user,
                self.scheme_name()
            ),
            now,
        )
    }

    /// The device keeps challenging a request that already answered a challenge: stop.
    pub fn give_up(&mut self, now: Instant) -> Verdict {
        self.refuse(
            format!(
                "the Dinstar keeps refusing the login of user {:?} ({} authentication)",
                self.user,
                self.scheme_name()
            ),
            now,
        )
    }

    fn refuse(&mut self, reason: String, now: Instant) -> Verdict {
        self.failures = self.failures.saturating_add(1);
        let shift = self.failures.saturating_sub(1).min(20);
        let retry_in = self
            .backoff_min
            .saturating_mul(1u32 << shift)
            .min(self.backoff_max);
        self.blocked_until = Some(now + retry_in);
        self.reason = reason.clone();
        Verdict::Refused { reason, retry_in }
    }

    /// A request got through: the login works.
    pub fn succeeded(&mut self) {
        self.failures = 0;
        self.blocked_until = None;
        self.reason.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str =
        r#"Digest realm="Web Server", qop="auth", algorithm="MD5", nonce="abc123""#;

    fn state() -> AuthState {
        AuthState::new(
            "admin",
            "secret",
            Duration::from_secs(30),
            Duration::from_secs(600),
        )
    }

    fn field<'a>(h: &'a str, key: &str) -> &'a str {
        let start = h.find(&format!("{key}=")).unwrap() + key.len() + 1;
        let rest = &h[start..];
        let rest = rest.strip_prefix('"').unwrap_or(rest);
        let end = rest.find(['"', ',']).unwrap_or(rest.len());
        &rest[..end]
    }

    #[test]
    fn no_credentials_go_out_before_the_device_asks_for_them() {
        let mut a = state();
        assert_eq!(a.prepare("GET", "/api/x").header, None);
    }

    #[test]
    fn a_digest_challenge_is_answered_with_md5_qop_auth_and_an_increasing_nonce_count() {
        let mut a = state();
        let now = Instant::now();
        let first = a.prepare("POST", "/api/send_sms");
        assert_eq!(
            a.unauthorized(&[DIGEST.into()], &first, now),
            Verdict::Retry
        );
        let h1 = a.prepare("POST", "/api/send_sms").header.unwrap();
        let h2 = a
            .prepare("GET", "/api/query_ussd_reply?port=1")
            .header
            .unwrap();
        assert!(h1.starts_with("Digest "), "{h1}");
        assert_eq!(field(&h1, "username"), "admin");
        assert_eq!(field(&h1, "realm"), "Web Server");
        assert_eq!(field(&h1, "nonce"), "abc123");
        assert_eq!(field(&h1, "qop"), "auth");
        assert_eq!(field(&h1, "nc"), "00000001");
        assert_eq!(field(&h2, "nc"), "00000002", "the nonce is reused");
        assert_eq!(field(&h2, "uri"), "/api/query_ussd_reply?port=1");
        assert_ne!(field(&h1, "cnonce"), field(&h2, "cnonce"));
        // The response is RFC 2617's MD5(HA1:nonce:nc:cnonce:qop:HA2): recompute it as a server.
        let mut parsed = digest_auth::AuthorizationHeader::parse(&h1).unwrap();
        let sent = parsed.response.clone();
        parsed.digest(&AuthContext::new_post(
            "admin",
            "secret",
            "/api/send_sms",
            Option::<&[u8]>::None,
        ));
        assert_eq!(parsed.response, sent);
        assert!(!format!("{a:?}").contains("secret"));
    }

    #[test]
    fn a_stale_nonce_gets_one_fresh_challenge_and_no_back_off() {
        let mut a = state();
        let now = Instant::now();
        let p = a.prepare("GET", "/");
        a.unauthorized(&[DIGEST.into()], &p, now);
        let used = a.prepare("GET", "/");
        let stale =
            r#"Digest realm="Web Server", qop="auth", algorithm="MD5", nonce="new", stale=true"#;
        assert_eq!(a.unauthorized(&[stale.into()], &used, now), Verdict::Retry);
        let h = a.prepare("GET", "/").header.unwrap();
        assert_eq!(field(&h, "nonce"), "new");
        assert_eq!(field(&h, "nc"), "00000001");
        assert!(a.blocked(now).is_none());
    }

    #[test]
    fn refused_credentials_back_off_doubling_and_a_success_clears_it() {
        let mut a = state();
        let t0 = Instant::now();
        let p = a.prepare("GET", "/");
        assert_eq!(a.unauthorized(&[DIGEST.into()], &p, t0), Verdict::Retry);
        let used = a.prepare("GET", "/");
        let Verdict::Refused { reason, retry_in } = a.unauthorized(&[DIGEST.into()], &used, t0)
        else {
            panic!()
        };
        assert!(
            reason.contains("refused the login") && reason.contains("admin"),
            "{reason}"
        );
        assert_eq!(retry_in, Duration::from_secs(30));
        assert!(a.blocked(t0 + Duration::from_secs(29)).is_some());
        assert!(a.blocked(t0 + Duration::from_secs(31)).is_none());
        let used = a.prepare("GET", "/");
        let again = a.unauthorized(&[DIGEST.into()], &used, t0 + Duration::from_secs(31));
        assert!(
            matches!(again, Verdict::Refused { retry_in, .. } if retry_in == Duration::from_secs(60))
        );
        for _ in 0..10 {
            let used = a.prepare("GET", "/");
            a.unauthorized(&[DIGEST.into()], &used, t0);
        }
        assert_eq!(
            a.blocked(t0).map(|b| b.0),
            Some(Duration::from_secs(600)),
            "capped"
        );
        a.succeeded();
        assert!(a.blocked(t0).is_none());
    }

    #[test]
    fn basic_is_used_when_the_device_asks_for_basic_and_digest_wins_when_both_are_offered() {
        let mut a = state();
        let p = a.prepare("GET", "/");
        a.unauthorized(&[r#"Basic realm="Web Server""#.into()], &p, Instant::now());
        assert_eq!(
            a.prepare("GET", "/").header.as_deref(),
            Some("Basic YWRtaW46c2VjcmV0")
        );
        let mut b = state();
        let p = b.prepare("GET", "/");
        b.unauthorized(
            &[r#"Basic realm="x""#.into(), DIGEST.into()],
            &p,
            Instant::now(),
        );
        assert_eq!(b.scheme_name(), "digest");
    }

    #[test]
    fn a_401_without_a_usable_challenge_is_a_refusal() {
        let mut a = state();
        let p = a.prepare("GET", "/");
        assert!(matches!(
            a.unauthorized(&[], &p, Instant::now()),
            Verdict::Refused { .. }
        ));
    }

    #[test]
    fn a_challenge_already_answered_by_a_concurrent_request_is_retried_not_refused() {
        let mut a = state();
        let now = Instant::now();
        let p = a.prepare("GET", "/");
        a.unauthorized(&[DIGEST.into()], &p, now);
        let old = a.prepare("GET", "/");
        let stale = r#"Digest realm="Web Server", qop="auth", nonce="n2", stale=true"#;
        let other = a.prepare("GET", "/");
        assert_eq!(a.unauthorized(&[stale.into()], &other, now), Verdict::Retry);
        // `old` was made from the previous nonce: its 401 is not a refused login.
        assert_eq!(a.unauthorized(&[DIGEST.into()], &old, now), Verdict::Retry);
        assert!(a.blocked(now).is_none());
    }
}
