//! Box UI logins and the memory they cost: the argon2id check (7 MiB) runs one at a time, so
//! logins sent together are hashed in turn, each still answered; failures recorded while a
//! login waited count before it is hashed; a stored hash with older parameters is rehashed by
//! a right login and never touched by a wrong one. Through the gateway's router, real account
//! file. Serialisation is read from the hashing gate's counters and `/metrics`, not timed.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod box_support;
use argon2::password_hash::{PasswordHasher, SaltString};
use box_support::*;

async fn metrics(app: &axum::Router) -> String {
    let (s, _, b) = send(app, json_req("GET", "/metrics", None, None)).await;
    assert_eq!(s, StatusCode::OK);
    String::from_utf8(b).unwrap()
}

fn series(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
}

/// Starts `n` logins at once and waits until all of them wait for the hashing permit, which
/// the caller holds.
async fn line_up(
    f: &Fixture,
    n: u64,
    password: &'static str,
) -> Vec<tokio::task::JoinHandle<StatusCode>> {
    let jobs: Vec<_> = (0..n)
        .map(|_| {
            let app = f.app.clone();
            tokio::spawn(async move { login(&app, "tech", password).await.0 })
        })
        .collect();
    while f.ui.hashing.stats().waiting < n {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    jobs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_logins_sent_together_are_hashed_one_at_a_time_and_each_is_let_in() {
    let f = fixture();
    let held = f.ui.hashing.permit(None).await.unwrap();
    let jobs = line_up(&f, 4, PASSWORD).await;
    let m = metrics(&f.app).await;
    assert_eq!(
        series(&m, "smsgate_login_hashes{state=\"waiting\"}"),
        Some(4.0),
        "{m}"
    );
    assert_eq!(
        series(&m, "smsgate_login_hashes{state=\"running\"}"),
        Some(0.0)
    );
    drop(held);
    for j in jobs {
        assert_eq!(j.await.unwrap(), StatusCode::OK);
    }
    let stats = f.ui.hashing.stats();
    assert_eq!(stats.most_running, 1, "never two hashes at once: {stats:?}");
    assert_eq!((stats.done, stats.running, stats.waiting), (4, 0, 0));
    let m = metrics(&f.app).await;
    assert_eq!(series(&m, "smsgate_login_hashes_total"), Some(4.0), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_logins_sent_together_are_throttled_after_five_without_hashing_the_rest() {
    let f = fixture();
    let held = f.ui.hashing.permit(None).await.unwrap();
    let jobs = line_up(&f, 8, "not the password").await;
    drop(held);
    let mut answers = Vec::new();
    for j in jobs {
        answers.push(j.await.unwrap());
    }
    answers.sort_unstable();
    let mut expected = vec![StatusCode::UNAUTHORIZED; 5];
    expected.extend([StatusCode::TOO_MANY_REQUESTS; 3]);
    assert_eq!(answers, expected);
    assert_eq!(
        f.ui.hashing.stats().done,
        5,
        "the throttled three were never hashed"
    );
}

/// A hash of `password` with OWASP's first argon2id setting (19 MiB, t = 2): heavier in memory
/// than the box's 7 MiB, what an older build might have stored.
fn old_hash(password: &str) -> String {
    let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap();
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

#[cfg(unix)]
fn inode(p: &std::path::Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap())
}

#[tokio::test]
async fn an_old_parameter_hash_is_rehashed_by_a_right_login_and_never_by_a_wrong_one() {
    let f = fixture();
    let path = f.ui.account_path.clone();
    let old = account::Account {
        login: "tech".into(),
        hash: old_hash(PASSWORD),
    };
    account::store(&path, &old).unwrap();
    let before = std::fs::read(&path).unwrap();
    let ino = inode(&path);
    for (user, pw) in [("tech", "not the password"), ("nobody", PASSWORD)] {
        let (s, cookie, _) = login(&f.app, user, pw).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(cookie.is_none());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "{user}: not rewritten"
        );
        assert_eq!(inode(&path), ino, "{user}: not replaced");
    }
    let (s, cookie, _) = login(&f.app, "tech", PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
    assert!(cookie.is_some());
    let now = account::load(&path).unwrap().unwrap();
    assert!(
        now.hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
        "{}",
        now.hash
    );
    assert!(account::verify_password(&now.hash, PASSWORD));
    assert!(!account::verify_password(&now.hash, "not the password"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "still private");
    }
    // The upgraded hash lets the technician in again, and is not rewritten again.
    let (s, _, _) = login(&f.app, "tech", PASSWORD).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(account::load(&path).unwrap().unwrap(), now);
}
