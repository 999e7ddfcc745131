//! The power-cut filesystem mounted for real (FUSE, /dev/fuse, root): what survives a cut.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use smsgate_powercut::{CutMode, Mount};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

struct Lab {
    _dir: tempfile::TempDir,
    backing: PathBuf,
    mnt: PathBuf,
    mount: Option<Mount>,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let backing = dir.path().join("disk");
        let mnt = dir.path().join("mnt");
        fs::create_dir(&backing).unwrap();
        fs::create_dir(&mnt).unwrap();
        let mount = Mount::new(&backing, &mnt)
            .expect("mounting the power-cut filesystem (needs /dev/fuse and root)");
        Lab {
            _dir: dir,
            backing,
            mnt,
            mount: Some(mount),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.mnt.join(name)
    }

    fn mount(&self) -> &Mount {
        self.mount.as_ref().unwrap()
    }

    /// Cuts the power, unmounts and mounts the same disk again.
    fn cut_and_remount(&mut self, mode: CutMode) -> smsgate_powercut::CutReport {
        let report = self.mount().cut(mode).unwrap();
        self.mount.take().unwrap().unmount().unwrap();
        self.mount = Some(Mount::new(&self.backing, &self.mnt).unwrap());
        report
    }
}

fn fsync_dir(p: &Path) {
    File::open(p).unwrap().sync_all().unwrap();
}

fn write_file(p: &Path, data: &[u8], sync: bool) {
    let mut f = File::create(p).unwrap();
    f.write_all(data).unwrap();
    if sync {
        f.sync_all().unwrap();
    }
}

#[test]
fn a_write_that_was_not_fsynced_is_gone_after_a_cut() {
    let mut lab = Lab::new();
    write_file(&lab.path("a"), b"first", true);
    fsync_dir(&lab.mnt);
    let mut f = OpenOptions::new().append(true).open(lab.path("a")).unwrap();
    f.write_all(b" second").unwrap();
    drop(f); // close is not a sync
    assert_eq!(fs::read(lab.path("a")).unwrap(), b"first second");
    let r = lab.cut_and_remount(CutMode::DiscardAll);
    assert_eq!(r.pages_lost, 1);
    assert_eq!(fs::read(lab.path("a")).unwrap(), b"first");
}

#[test]
fn a_write_that_was_fsynced_stays_after_a_cut() {
    let mut lab = Lab::new();
    write_file(&lab.path("a"), &[7u8; 20_000], true);
    fsync_dir(&lab.mnt);
    let f = OpenOptions::new().write(true).open(lab.path("a")).unwrap();
    f.set_len(5).unwrap();
    f.sync_data().unwrap(); // fdatasync covers the length too
    lab.cut_and_remount(CutMode::DiscardAll);
    assert_eq!(fs::read(lab.path("a")).unwrap(), [7u8; 5]);
}

#[test]
fn a_new_file_fsynced_in_a_directory_never_fsynced_is_gone_after_a_cut() {
    let mut lab = Lab::new();
    write_file(&lab.path("orphan"), b"data", true);
    lab.mount().cut(CutMode::DiscardAll).unwrap();
    assert!(
        fs::read_dir(&lab.backing).unwrap().next().is_none(),
        "the disk holds nothing, not even the scratch folder"
    );
    lab.cut_and_remount(CutMode::DiscardAll);
    assert!(!lab.path("orphan").exists());
}

#[test]
fn a_file_named_by_a_directory_fsync_but_never_fsynced_itself_is_empty_after_a_cut() {
    let mut lab = Lab::new();
    write_file(&lab.path("zero"), b"never synced", false);
    fsync_dir(&lab.mnt);
    lab.cut_and_remount(CutMode::DiscardAll);
    assert_eq!(fs::read(lab.path("zero")).unwrap(), b"");
}

#[test]
fn a_rename_over_a_file_is_durable_only_after_its_directory_is_fsynced() {
    let mut lab = Lab::new();
    write_file(&lab.path("config"), b"old", true);
    fsync_dir(&lab.mnt);
    // The classic atomic replace: write a temp file, fsync it, rename it over the old one.
    write_file(&lab.path("config.tmp"), b"new", true);
    fs::rename(lab.path("config.tmp"), lab.path("config")).unwrap();
    assert_eq!(fs::read(lab.path("config")).unwrap(), b"new");
    lab.cut_and_remount(CutMode::DiscardAll);
    assert_eq!(
        fs::read(lab.path("config")).unwrap(),
        b"old",
        "no directory fsync"
    );
    assert!(!lab.path("config.tmp").exists());

    write_file(&lab.path("config.tmp"), b"new", true);
    fs::rename(lab.path("config.tmp"), lab.path("config")).unwrap();
    fsync_dir(&lab.mnt);
    lab.cut_and_remount(CutMode::DiscardAll);
    assert_eq!(fs::read(lab.path("config")).unwrap(), b"new");
    assert!(!lab.path("config.tmp").exists());
}

#[test]
fn an_unlink_without_a_directory_fsync_comes_back_after_a_cut() {
    let mut lab = Lab::new();
    write_file(&lab.path("journal"), b"j", true);
    fsync_dir(&lab.mnt);
    fs::remove_file(lab.path("journal")).unwrap();
    lab.cut_and_remount(CutMode::DiscardAll);
    assert_eq!(fs::read(lab.path("journal")).unwrap(), b"j");
    fs::remove_file(lab.path("journal")).unwrap();
    fsync_dir(&lab.mnt);
    lab.cut_and_remount(CutMode::DiscardAll);
    assert!(!lab.path("journal").exists());
}

#[test]
fn a_new_directory_and_its_file_need_both_directory_fsyncs() {
    let mut lab = Lab::new();
    fs::create_dir(lab.path("d")).unwrap();
    write_file(&lab.path("d/f"), b"x", true);
    fsync_dir(&lab.path("d"));
    lab.cut_and_remount(CutMode::DiscardAll);
    assert!(!lab.path("d").exists(), "the parent was never fsynced");

    fs::create_dir(lab.path("d")).unwrap();
    write_file(&lab.path("d/f"), b"x", true);
    fsync_dir(&lab.path("d"));
    fsync_dir(&lab.mnt);
    lab.cut_and_remount(CutMode::DiscardAll);
    assert_eq!(fs::read(lab.path("d/f")).unwrap(), b"x");
}

#[test]
fn every_call_fails_with_an_io_error_after_a_cut() {
    let lab = Lab::new();
    write_file(&lab.path("a"), b"a", true);
    let open = File::open(lab.path("a")).unwrap();
    lab.mount().cut(CutMode::DiscardAll).unwrap();
    let e = fs::read(lab.path("a")).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EIO), "{e}");
    assert_eq!(open.sync_all().unwrap_err().raw_os_error(), Some(libc::EIO));
    let e = File::create(lab.path("b")).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EIO), "{e}");
}

#[test]
fn a_random_writeback_cut_keeps_some_unsynced_pages_and_tears_some() {
    let mut lab = Lab::new();
    let page = |i: u8| vec![i; 4096];
    let mut data = Vec::new();
    for i in 0..64u8 {
        data.extend(page(1));
        let _ = i;
    }
    write_file(&lab.path("f"), &data, true);
    fsync_dir(&lab.mnt);
    let mut f = OpenOptions::new().write(true).open(lab.path("f")).unwrap();
    let mut new = Vec::new();
    for _ in 0..64 {
        new.extend(page(2));
    }
    f.write_all(&new).unwrap();
    drop(f);
    let r = lab.cut_and_remount(CutMode::Random {
        seed: 42,
        writeback: 0.5,
        torn: true,
        names: true,
    });
    assert_eq!(r.pages_lost + r.pages_written_back, 64);
    assert!(
        r.pages_lost > 0 && r.pages_written_back > 0 && r.pages_torn > 0,
        "{r:?}"
    );
    let got = fs::read(lab.path("f")).unwrap();
    assert_eq!(got.len(), data.len());
    let (old, new) = got.iter().fold((0, 0), |(o, n), b| match b {
        1 => (o + 1, n),
        2 => (o, n + 1),
        _ => panic!("a byte that was never written: {b}"),
    });
    assert!(old > 0 && new > 0);
    assert_eq!(old % 512, 0, "torn at sector boundaries");
}

const ROWS_PER_TX: u64 = 3;

fn open_db(path: &Path, synchronous: &str) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(path).unwrap();
    let mode: String = c
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    c.pragma_update(None, "synchronous", synchronous).unwrap();
    c
}

/// Commits transactions on a thread until the power is cut under it; returns how many commits
/// returned Ok (`acked`) and how many were tried.
fn commit_until_cut(
    lab: &Lab,
    synchronous: &str,
    cut_after: Duration,
    mode: CutMode,
) -> (u64, u64) {
    let db = lab.path("spool.sqlite");
    {
        let c = open_db(&db, synchronous);
        c.execute_batch("CREATE TABLE IF NOT EXISTS t (tx INTEGER, k INTEGER, v TEXT)")
            .unwrap();
    }
    let acked = Arc::new(AtomicU64::new(0));
    let tried = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (acked, tried, stop) = (acked.clone(), tried.clone(), stop.clone());
        let synchronous = synchronous.to_owned();
        std::thread::spawn(move || {
            let mut c = open_db(&db, &synchronous);
            if synchronous == "NORMAL" {
                // No checkpoint (which would sync) during the run: what NORMAL loses is then
                // every commit since the start, not a timing-dependent tail.
                c.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
            }
            let start: u64 = c
                .query_row("SELECT COALESCE(MAX(tx), 0) FROM t", [], |r| r.get(0))
                .unwrap_or(0);
            let mut n = start;
            tried.store(start, Ordering::SeqCst);
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                tried.fetch_add(1, Ordering::SeqCst);
                let r = (|| -> rusqlite::Result<()> {
                    let tx = c.transaction()?;
                    for k in 0..ROWS_PER_TX {
                        tx.execute(
                            "INSERT INTO t (tx, k, v) VALUES (?1, ?2, ?3)",
                            rusqlite::params![n, k, "x".repeat(300)],
                        )?;
                    }
                    tx.commit()
                })();
                match r {
                    Ok(()) => {
                        acked.store(n, Ordering::SeqCst);
                    }
                    Err(_) => break,
                }
            }
        })
    };
    std::thread::sleep(cut_after);
    lab.mount().cut(mode).unwrap();
    stop.store(true, Ordering::SeqCst);
    worker.join().unwrap();
    (acked.load(Ordering::SeqCst), tried.load(Ordering::SeqCst))
}

/// Transactions whose every row is present after the restart (and a check that no transaction
/// is half there).
fn surviving(lab: &Lab) -> u64 {
    let db = lab.path("spool.sqlite");
    if !db.exists() {
        return 0;
    }
    let c = open_db(&db, "FULL");
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let Ok(rows) = c
        .prepare("SELECT tx, COUNT(*) FROM t GROUP BY tx ORDER BY tx")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, u64>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
    else {
        return 0;
    };
    for (i, (tx, n)) in rows.iter().enumerate() {
        assert_eq!(*n, ROWS_PER_TX, "transaction {tx} is torn");
        assert_eq!(*tx, i as u64 + 1, "transactions survive as a prefix");
    }
    rows.len() as u64
}

#[test]
fn sqlite_in_wal_mode_with_synchronous_full_keeps_every_committed_transaction_across_cuts() {
    let mut lab = Lab::new();
    let modes = [
        CutMode::DiscardAll,
        CutMode::Random {
            seed: 1,
            writeback: 0.5,
            torn: true,
            names: true,
        },
        CutMode::Random {
            seed: 2,
            writeback: 0.9,
            torn: true,
            names: true,
        },
        CutMode::Random {
            seed: 3,
            writeback: 0.1,
            torn: false,
            names: true,
        },
    ];
    let mut before = 0;
    for (i, mode) in modes.into_iter().cycle().take(8).enumerate() {
        let (acked, tried) = commit_until_cut(
            &lab,
            "FULL",
            Duration::from_millis(60 + 37 * i as u64),
            mode,
        );
        lab.mount.take().unwrap().unmount().unwrap();
        lab.mount = Some(Mount::new(&lab.backing, &lab.mnt).unwrap());
        let kept = surviving(&lab);
        assert!(acked > before, "cut {i}: no commit went through ({acked})");
        assert!(
            kept >= acked && kept <= tried,
            "cut {i} ({mode:?}): {acked} acknowledged, {tried} tried, {kept} survived"
        );
        before = kept;
    }
}

#[test]
fn sqlite_with_synchronous_off_loses_acknowledged_transactions_at_a_cut() {
    let mut lab = Lab::new();
    let (acked, _) = commit_until_cut(&lab, "OFF", Duration::from_millis(300), CutMode::DiscardAll);
    lab.mount.take().unwrap().unmount().unwrap();
    lab.mount = Some(Mount::new(&lab.backing, &lab.mnt).unwrap());
    let kept = surviving(&lab);
    assert!(acked > 10, "{acked}");
    assert!(
        kept < acked,
        "the model must bite: {acked} acknowledged, {kept} kept"
    );
}

#[test]
fn sqlite_wal_with_synchronous_normal_loses_commits_made_since_the_last_checkpoint() {
    let mut lab = Lab::new();
    let (acked, _) = commit_until_cut(
        &lab,
        "NORMAL",
        Duration::from_millis(300),
        CutMode::DiscardAll,
    );
    lab.mount.take().unwrap().unmount().unwrap();
    lab.mount = Some(Mount::new(&lab.backing, &lab.mnt).unwrap());
    let kept = surviving(&lab);
    assert!(kept < acked, "{acked} acknowledged, {kept} kept");
}

#[test]
fn a_clean_unmount_syncs_everything_like_a_shutdown() {
    let mut lab = Lab::new();
    fs::create_dir(lab.path("d")).unwrap();
    write_file(&lab.path("d/f"), b"kept", false);
    lab.mount.take().unwrap().unmount().unwrap();
    assert_eq!(fs::read(lab.backing.join("d/f")).unwrap(), b"kept");
    lab.mount = Some(Mount::new(&lab.backing, &lab.mnt).unwrap());
    assert_eq!(fs::read(lab.path("d/f")).unwrap(), b"kept");
}
