//! A clean sync of everything, and the power cut.

use super::*;
use rand::{Rng, SeedableRng};

impl Disk {
    /// A clean shutdown (`sync` then unmount): every file and every directory is synced.
    pub fn sync_all(&mut self) -> io::Result<()> {
        if self.frozen {
            return Ok(());
        }
        let mut inos: Vec<u64> = self.inodes.keys().copied().collect();
        inos.sort_unstable();
        for ino in &inos {
            if matches!(self.inodes.get(ino).map(|i| &i.body), Some(Body::File(_))) {
                self.fsync(*ino).map_err(io::Error::from_raw_os_error)?;
            }
        }
        // Parents before children, so a new directory exists before its entries move in.
        for ino in &inos {
            if matches!(self.inodes.get(ino).map(|i| &i.body), Some(Body::Dir(_))) {
                self.fsyncdir(*ino).map_err(io::Error::from_raw_os_error)?;
            }
        }
        Ok(())
    }

    /// The power goes: everything not synced is lost (or partly kept, per `mode`), the scratch
    /// folder is removed, and every later call fails with `EIO`. The backing directory then
    /// holds exactly what the disk held.
    pub fn cut(&mut self, mode: CutMode) -> io::Result<CutReport> {
        let mut report = CutReport::default();
        if self.frozen {
            return Ok(report);
        }
        self.frozen = true;
        let (mut rng, writeback, torn, names) = match mode {
            CutMode::DiscardAll => (rand::rngs::StdRng::seed_from_u64(0), 0.0, false, false),
            CutMode::Random {
                seed,
                writeback,
                torn,
                names,
            } => (
                rand::rngs::StdRng::seed_from_u64(seed),
                writeback,
                torn,
                names,
            ),
        };
        let mut inos: Vec<u64> = self.inodes.keys().copied().collect();
        inos.sort_unstable();
        for ino in &inos {
            let Some(Body::File(f)) = self.inodes.get_mut(ino).map(|i| &mut i.body) else {
                continue;
            };
            if writeback > 0.0 && f.zero_from.is_some() && rng.random_bool(writeback) {
                f.file.set_len(f.len)?;
                f.durable_len = f.len;
            }
            for (page, data) in &f.dirty {
                let start = page * PAGE;
                if writeback > 0.0 && start < f.len && rng.random_bool(writeback) {
                    let n = (f.len - start).min(PAGE);
                    let sectors = n.div_ceil(SECTOR);
                    let mut wrote_all = true;
                    for s in 0..sectors {
                        if torn && rng.random_bool(0.5) {
                            wrote_all = false;
                            continue;
                        }
                        let a = s * SECTOR;
                        let b = ((s + 1) * SECTOR).min(n);
                        f.file
                            .write_all_at(&data[a as usize..b as usize], start + a)?;
                    }
                    report.pages_written_back += 1;
                    if !wrote_all {
                        report.pages_torn += 1;
                    }
                    let file_len = f.file.metadata()?.len();
                    if file_len > f.len.max(f.durable_len) {
                        f.file.set_len(f.len.max(f.durable_len))?;
                    }
                } else {
                    report.pages_lost += 1;
                }
            }
            f.dirty.clear();
        }
        for ino in &inos {
            let ops = match self.inodes.get_mut(ino).map(|i| &mut i.body) {
                Some(Body::Dir(d)) => std::mem::take(&mut d.pending),
                _ => continue,
            };
            let keep = if names && !ops.is_empty() {
                rng.random_range(0..=ops.len())
            } else {
                0
            };
            report.names_kept += keep as u64;
            report.names_lost += (ops.len() - keep) as u64;
            for op in ops.into_iter().take(keep) {
                self.apply(*ino, op)?;
            }
        }
        self.handles.clear();
        let scratch = scratch_dir(&self.root);
        if scratch.exists() {
            fs::remove_dir_all(&scratch)?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk() -> (tempfile::TempDir, Disk) {
        let dir = tempfile::tempdir().unwrap();
        let d = Disk::load(dir.path()).unwrap();
        (dir, d)
    }

    #[test]
    fn a_truncation_then_an_extension_reads_zeros_not_the_old_bytes() {
        let (_t, mut d) = disk();
        let a = d.create_file(ROOT, OsStr::new("f"), 0o644, 0, 0).unwrap();
        let fh = d.open(a.ino, false).unwrap();
        d.write(fh, a.ino, 0, &[7u8; 10_000]).unwrap();
        d.fsync(a.ino).unwrap();
        d.truncate(a.ino, 100).unwrap();
        d.truncate(a.ino, 9_000).unwrap();
        let got = d.read(a.ino, 0, 9_000).unwrap();
        assert!(got[..100].iter().all(|b| *b == 7));
        assert!(got[100..].iter().all(|b| *b == 0));
    }

    #[test]
    fn a_random_cut_with_no_writeback_keeps_nothing_unsynced() {
        let (t, mut d) = disk();
        let a = d.create_file(ROOT, OsStr::new("f"), 0o644, 0, 0).unwrap();
        d.fsyncdir(ROOT).unwrap();
        let fh = d.open(a.ino, false).unwrap();
        d.write(fh, a.ino, 0, b"hello").unwrap();
        let r = d
            .cut(CutMode::Random {
                seed: 1,
                writeback: 0.0,
                torn: true,
                names: false,
            })
            .unwrap();
        assert_eq!(r.pages_lost, 1);
        assert_eq!(fs::read(t.path().join("f")).unwrap(), b"");
        assert_eq!(d.read(a.ino, 0, 5), Err(libc::EIO));
    }
}
