//! Browser sessions of the local admin: random 256-bit tokens in an HttpOnly, SameSite=Strict
//! cookie; only their SHA-256 is kept, in memory (a restart logs everyone out). A session ends
//! after [`IDLE`] without a request, [`MAX_AGE`] after login, at logout, and — all of them —
//! when the password changes.

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// Name of the session cookie.
pub const COOKIE: &str = "smsgate_box_session";
/// A session unused this long ends.
pub const IDLE: Duration = Duration::minutes(30);
/// A session ends this long after its login, used or not.
pub const MAX_AGE: Duration = Duration::hours(12);
/// Most sessions kept at once (the oldest is ended to make room).
pub const MAX_SESSIONS: usize = 64;

#[derive(Debug, Clone)]
struct Session {
    login: String,
    created: DateTime<Utc>,
    seen: DateTime<Utc>,
}

/// The live sessions.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], Session>>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts a session for `login`; returns its token (the cookie value).
    pub fn create(&self, login: &str, now: DateTime<Utc>) -> String {
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let mut map = self.lock();
        map.retain(|_, s| alive(s, now));
        while map.len() >= MAX_SESSIONS {
            let Some(oldest) = map.iter().min_by_key(|(_, s)| s.seen).map(|(k, _)| *k) else {
                break;
            };
            map.remove(&oldest);
        }
        map.insert(
            digest(&token),
            Session {
                login: login.to_owned(),
                created: now,
                seen: now,
            },
        );
        token
    }

    /// The login of a live session (and marks it used), `None` for an unknown or ended one.
    pub fn check(&self, token: &str, now: DateTime<Utc>) -> Option<String> {
        let key = digest(token);
        let mut map = self.lock();
        let s = map.get_mut(&key)?;
        if !alive(s, now) {
            map.remove(&key);
            return None;
        }
        s.seen = now;
        Some(s.login.clone())
    }

    /// Ends one session.
    pub fn end(&self, token: &str) {
        self.lock().remove(&digest(token));
    }

    /// Ends every session (password changed).
    pub fn end_all(&self) {
        self.lock().clear();
    }
}

fn alive(s: &Session, now: DateTime<Utc>) -> bool {
    now - s.seen < IDLE && now - s.created < MAX_AGE
}

/// The value of a `Set-Cookie` header starting a session.
pub fn set_cookie(token: &str) -> String {
    format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        MAX_AGE.num_seconds()
    )
}

/// The value of a `Set-Cookie` header ending the session in the browser.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// The session token in a `Cookie` header, if any.
pub fn token_in(cookie_header: &str) -> Option<&str> {
    cookie_header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn a_session_lives_while_used_and_ends_when_idle_or_too_old() {
        let s = Sessions::default();
        let tok = s.create("tech", t0());
        assert_eq!(
            s.check(&tok, t0() + Duration::minutes(29)).as_deref(),
            Some("tech")
        );
        assert_eq!(
            s.check(&tok, t0() + Duration::minutes(58)).as_deref(),
            Some("tech")
        );
        assert!(s.check(&tok, t0() + Duration::minutes(89)).is_none());

        let tok = s.create("tech", t0());
        let mut t = t0();
        for _ in 0..24 {
            t += Duration::minutes(29);
            if t - t0() >= MAX_AGE {
                break;
            }
            assert!(s.check(&tok, t).is_some());
        }
        assert!(s.check(&tok, t0() + MAX_AGE).is_none());
    }

    #[test]
    fn a_logged_out_or_unknown_token_is_refused_and_a_password_change_ends_every_session() {
        let s = Sessions::default();
        let a = s.create("tech", t0());
        let b = s.create("tech", t0());
        assert!(s.check("made-up", t0()).is_none());
        s.end(&a);
        assert!(s.check(&a, t0()).is_none());
        assert!(s.check(&b, t0()).is_some());
        s.end_all();
        assert!(s.check(&b, t0()).is_none());
    }

    #[test]
    fn the_cookie_is_http_only_and_strict_and_is_found_among_others() {
        let c = set_cookie("abc");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict"));
        assert_eq!(token_in("a=1; smsgate_box_session=abc; b=2"), Some("abc"));
        assert_eq!(token_in("a=1"), None);
    }
}
