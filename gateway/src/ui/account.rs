//! The box's local admin account: one login and its argon2id hash, in a small JSON file beside
//! the spool (`admin.json`, mode 0600, written atomically).
//!
//! It is set at install (`smsgate-gateway admin password`, or `smsgate demo init`), changed from
//! the UI (the current password is asked again). The hash is a PHC string, so its parameters
//! travel with it; new hashes use [`BOX_COST`].

use super::fsutil::write_atomic;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// argon2id cost of new hashes: 7 MiB, 5 passes, 1 lane — one of OWASP's equivalent argon2id
/// settings, the one with the least memory, so a login stays within the box's RSS budget
/// (one hash at a time, see `ui::Ui`).
pub const BOX_COST: (u32, u32, u32) = (7 * 1024, 5, 1);

/// Shortest accepted password.
pub const MIN_PASSWORD: usize = 8;
/// Longest accepted password (refused before hashing).
pub const MAX_PASSWORD: usize = 256;

/// The file name of the account, in the spool's directory.
pub const FILE_NAME: &str = "admin.json";

/// Account file problems.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not an account this build wrote.
    #[error("{path}: not an admin account file: {reason}")]
    Corrupt {
        /// File.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A refused login or password (names the field).
    #[error("{field}: {message}")]
    Invalid {
        /// `login` or `password`.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// argon2 failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// The stored account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Login name.
    pub login: String,
    /// argon2id PHC string.
    pub hash: String,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("login", &self.login)
            .field("hash", &"<redacted>")
            .finish()
    }
}

/// Where the account of a gateway whose spool is `spool_path` lives.
pub fn path_for(spool_path: &Path) -> PathBuf {
    match spool_path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.join(FILE_NAME),
        _ => PathBuf::from(FILE_NAME),
    }
}

fn argon() -> Result<Argon2<'static>, AccountError> {
    let (m, t, p) = BOX_COST;
    let params = Params::new(m, t, p, None).map_err(|e| AccountError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks a login name: 1–64 letters, digits, `.`, `_`, `-`.
pub fn check_login(login: &str) -> Result<(), AccountError> {
    let ok = (1..=64).contains(&login.len())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid {
            field: "login",
            message: "a login is 1 to 64 letters, digits, '.', '_' or '-'".into(),
        })
    }
}

/// Checks a new password's length.
pub fn check_password(field: &'static str, password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(AccountError::Invalid {
            field,
            message: format!("must be at least {MIN_PASSWORD} characters"),
        });
    }
    if password.len() > MAX_PASSWORD {
        return Err(AccountError::Invalid {
            field,
            message: format!("must be at most {MAX_PASSWORD} bytes"),
        });
    }
    Ok(())
}

/// An argon2id PHC string of `password` with a fresh salt (slow: run it off the async threads).
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Whether `password` matches `phc` (slow: run it off the async threads). A malformed hash
/// never matches.
pub fn verify_password(phc: &str, password: &str) -> bool {
    if password.len() > MAX_PASSWORD {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Whether `phc` is an argon2id hash with exactly the parameters new hashes get ([`BOX_COST`],
/// version 0x13, the default output length). Anything else (an older, heavier setting; another
/// argon2 variant) is rehashed at the next successful login ([`verify_and_upgrade`]).
pub fn has_current_params(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let (m, t, p) = BOX_COST;
    parsed.algorithm == argon2::ARGON2ID_IDENT
        && parsed.version == Some(Version::V0x13 as u32)
        && (params.m_cost(), params.t_cost(), params.p_cost()) == (m, t, p)
        && params
            .output_len()
            .is_none_or(|n| n == Params::DEFAULT_OUTPUT_LEN)
}

/// The outcome of [`verify_and_upgrade`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// Wrong login or password; nothing was written.
    Refused,
    /// The right password; the stored hash already had the current parameters.
    Accepted,
    /// The right password; its hash had other parameters and was rewritten with the current
    /// ones (atomically, the same file write as [`store`]).
    Upgraded,
}

/// Checks `login`/`password` against the account file at `path` (slow: one or two argon2id
/// hashes; run it off the async threads, under the UI's hashing permit). An unknown login (or
/// no account) is checked against `dummy()` so it costs the same and is refused. When the
/// password is right but its hash has parameters other than the current ones, the account is
/// rehashed with [`BOX_COST`] and stored atomically — unless the file changed meanwhile (a
/// password change won). A wrong password never writes the file.
pub fn verify_and_upgrade<'d>(
    path: &Path,
    login: &str,
    password: &str,
    dummy: impl FnOnce() -> &'d str,
) -> Result<Login, AccountError> {
    let account = match load(path)? {
        Some(a) if a.login == login => a,
        _ => {
            let _ = verify_password(dummy(), password);
            return Ok(Login::Refused);
        }
    };
    if !verify_password(&account.hash, password) {
        return Ok(Login::Refused);
    }
    if has_current_params(&account.hash) {
        return Ok(Login::Accepted);
    }
    match rehash_over(path, &account, password) {
        Ok(true) => Ok(Login::Upgraded),
        Ok(false) => Ok(Login::Accepted),
        Err(e) => {
            // The password was right: the login stands; the old hash keeps working.
            tracing::warn!(error = %e, "box UI: the admin password's hash could not be rehashed with the current parameters");
            Ok(Login::Accepted)
        }
    }
}

/// Stores `password` hashed with the current parameters over `checked`, if the file still
/// holds `checked` (a password changed in between stays). `Ok(false)`: it did not.
fn rehash_over(path: &Path, checked: &Account, password: &str) -> Result<bool, AccountError> {
    let upgraded = Account {
        login: checked.login.clone(),
        hash: hash_password(password)?,
    };
    if load(path)?.as_ref() != Some(checked) {
        return Ok(false);
    }
    store(path, &upgraded)?;
    Ok(true)
}

/// Reads the account; `None` when none was set yet.
pub fn load(path: &Path) -> Result<Option<Account>, AccountError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(AccountError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    let a: Account = serde_json::from_slice(&bytes).map_err(|e| AccountError::Corrupt {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    PasswordHash::new(&a.hash).map_err(|e| AccountError::Corrupt {
        path: path.to_owned(),
        reason: format!("hash: {e}"),
    })?;
    Ok(Some(a))
}

/// Sets (or replaces) the account: validates, hashes, writes atomically (0600).
pub fn set(path: &Path, login: &str, password: &str) -> Result<Account, AccountError> {
    check_login(login)?;
    check_password("password", password)?;
    let a = Account {
        login: login.to_owned(),
        hash: hash_password(password)?,
    };
    store(path, &a)?;
    Ok(a)
}

/// `smsgate[-gateway] admin password`: sets the account of the gateway whose spool is at
/// `spool_path` to `login` and the first line of `input` (without its line ending); returns the
/// account file written.
pub fn set_from_line(
    spool_path: &Path,
    login: &str,
    mut input: impl std::io::BufRead,
) -> Result<PathBuf, AccountError> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .map_err(|source| AccountError::Io {
            path: PathBuf::from("<standard input>"),
            source,
        })?;
    let file = path_for(spool_path);
    set(&file, login, line.trim_end_matches(['\r', '\n']))?;
    Ok(file)
}

/// Writes `a` atomically (0600).
pub fn store(path: &Path, a: &Account) -> Result<(), AccountError> {
    let json = serde_json::to_vec_pretty(a).map_err(|e| AccountError::Hash(e.to_string()))?;
    write_atomic(path, &json, true).map_err(|source| AccountError::Io {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_password_verifies_and_a_wrong_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = path_for(&dir.path().join("spool.sqlite"));
        assert!(load(&p).unwrap().is_none());
        set(&p, "tech", "correct horse").unwrap();
        let a = load(&p).unwrap().unwrap();
        assert_eq!(a.login, "tech");
        assert!(a.hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"));
        assert!(verify_password(&a.hash, "correct horse"));
        assert!(!verify_password(&a.hash, "correct horsf"));
        assert!(!format!("{a:?}").contains("argon2"));
    }

    #[test]
    fn a_short_password_or_a_bad_login_is_refused_naming_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        let e = set(&p, "tech", "short").unwrap_err();
        assert_eq!(e.to_string(), "password: must be at least 8 characters");
        let e = set(&p, "te ch", "long enough").unwrap_err();
        assert!(e.to_string().starts_with("login: "));
        assert!(!p.exists());
    }

    /// A hash of `password` with OWASP's first argon2id setting (19 MiB, t = 2), heavier in
    /// memory than [`BOX_COST`] — what an older build might have stored.
    fn old_hash(password: &str) -> String {
        let params = Params::new(19 * 1024, 2, 1, None).unwrap();
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)
            .unwrap()
            .to_string()
    }

    #[test]
    fn only_an_argon2id_hash_with_the_box_cost_has_the_current_parameters() {
        assert!(has_current_params(&hash_password("correct horse").unwrap()));
        assert!(!has_current_params(&old_hash("correct horse")));
        assert!(!has_current_params("plain"));
    }

    #[test]
    fn a_right_password_with_an_old_hash_is_rehashed_and_a_wrong_one_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        let old = Account {
            login: "tech".into(),
            hash: old_hash("correct horse"),
        };
        store(&p, &old).unwrap();
        let dummy = hash_password("dummy").unwrap();
        let before = std::fs::read(&p).unwrap();
        for (login, pw) in [("tech", "wrong horse"), ("nobody", "correct horse")] {
            let r = verify_and_upgrade(&p, login, pw, || &dummy).unwrap();
            assert_eq!(r, Login::Refused, "{login}");
            assert_eq!(
                std::fs::read(&p).unwrap(),
                before,
                "{login}: file untouched"
            );
        }
        let r = verify_and_upgrade(&p, "tech", "correct horse", || &dummy).unwrap();
        assert_eq!(r, Login::Upgraded);
        let now = load(&p).unwrap().unwrap();
        assert!(has_current_params(&now.hash), "{}", now.hash);
        assert!(verify_password(&now.hash, "correct horse"));
        let r = verify_and_upgrade(&p, "tech", "correct horse", || &dummy).unwrap();
        assert_eq!(r, Login::Accepted, "already current: not rewritten again");
        assert_eq!(load(&p).unwrap().unwrap(), now);
    }

    #[test]
    fn a_corrupt_account_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(&p, "{\"login\":\"tech\",\"hash\":\"plain\"}").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("admin.json") && e.contains("hash"), "{e}");
    }
}
