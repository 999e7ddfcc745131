//! The disk model: what the page cache shows (visible) and what the disk holds (durable).
//!
//! - **File data.** The durable content of a file is its backing file; everything written
//!   since the file's last `fsync`/`fdatasync` lives in memory as dirty 4 KiB pages (plus a
//!   visible length and a "zeroed from" mark for truncations). `fsync` writes the dirty pages
//!   and the length to the backing file. Reads see the dirty pages over the backing content.
//! - **Names.** Every directory keeps a log of the name changes (create, link, unlink,
//!   rename, mkdir, rmdir) made since its last `fsync`; only a directory `fsync` applies its log
//!   to the backing directory. A file that was created and fsynced but whose directory was
//!   never fsynced has durable data and no durable name: it is gone after a cut.
//! - **Inodes.** Each file keeps one hard link in a hidden scratch folder of the backing
//!   directory (`.powercut-scratch/f<ino>`); durable names are hard links to it, so the data
//!   written by `fsync` reaches every durable name of the file. The scratch folder is removed
//!   at a cut and at every mount, like orphans a file system check throws away.
//!
//! Pages and lengths are in `data.rs`, the cut in `cut.rs`. Everything here is synchronous and single-owner (the FUSE layer holds it in a mutex).

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Page size of the model (the kernel's page cache granularity).
pub const PAGE: u64 = 4096;
/// Sector size used for torn pages (what a disk writes atomically).
pub const SECTOR: u64 = 512;
/// The hidden folder holding one hard link per live file inode.
pub const SCRATCH: &str = ".powercut-scratch";
/// Inode number of the root directory.
pub const ROOT: u64 = 1;

/// An errno value.
pub type Errno = i32;
type R<T> = Result<T, Errno>;

fn io_errno(e: &io::Error) -> Errno {
    e.raw_os_error().unwrap_or(libc::EIO)
}

/// What survives a power cut besides everything that was synced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CutMode {
    /// Every unsynced write and name change is lost (the page cache never wrote anything back).
    DiscardAll,
    /// The kernel may have written some of it back before the power went: each dirty page
    /// survives with probability `writeback` (torn at 512-byte sectors when `torn`), and each
    /// directory's unsynced name changes survive as a random prefix of their order (as a
    /// journal commit would have left them) when `names` is set.
    Random {
        /// Seed of the choices (a cut is reproducible).
        seed: u64,
        /// Probability that a dirty page (or a pending truncation) reached the disk.
        writeback: f64,
        /// A page that reached the disk may have reached it only in part (a random subset of
        /// its 512-byte sectors).
        torn: bool,
        /// Unsynced name changes may have been committed (a prefix of each directory's log).
        names: bool,
    },
}

/// What a cut threw away and kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CutReport {
    /// Dirty pages lost.
    pub pages_lost: u64,
    /// Dirty pages that reached the disk (in part when torn).
    pub pages_written_back: u64,
    /// Pages that reached the disk only in part.
    pub pages_torn: u64,
    /// Unsynced name changes lost.
    pub names_lost: u64,
    /// Unsynced name changes that reached the disk.
    pub names_kept: u64,
}

/// Counters of what the model did (for tests and reports).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// `write` calls.
    pub writes: u64,
    /// File `fsync`/`fdatasync` calls.
    pub fsyncs: u64,
    /// Directory `fsync` calls.
    pub dir_fsyncs: u64,
    /// Dirty pages at this moment.
    pub dirty_pages: u64,
    /// Unsynced name changes at this moment.
    pub pending_names: u64,
}

/// Kind of an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
}

/// Attributes the FUSE layer reports.
#[derive(Debug, Clone, Copy)]
pub struct Attr {
    /// Inode number.
    pub ino: u64,
    /// Kind.
    pub kind: Kind,
    /// Visible size.
    pub size: u64,
    /// Permission bits.
    pub perm: u16,
    /// Visible links.
    pub nlink: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Access time.
    pub atime: SystemTime,
    /// Modification time.
    pub mtime: SystemTime,
    /// Change time.
    pub ctime: SystemTime,
}

#[derive(Debug)]
enum DirOp {
    /// `name` now points at `ino` (create, link, mkdir, the target side of a rename).
    Link { name: OsString, ino: u64 },
    /// `name` is gone (unlink, rmdir, the source side of a cross-directory rename).
    Unlink { name: OsString },
    /// `from` became `to` in this directory, atomically (ext4 journals a rename as one).
    Rename {
        from: OsString,
        to: OsString,
        ino: u64,
    },
}

#[derive(Debug)]
struct FileData {
    /// The inode's scratch link.
    scratch: PathBuf,
    file: File,
    len: u64,
    durable_len: u64,
    /// Backing bytes at or after this offset are not visible (a truncation since the last sync).
    zero_from: Option<u64>,
    dirty: BTreeMap<u64, Vec<u8>>,
}

#[derive(Debug)]
struct DirData {
    entries: BTreeMap<OsString, u64>,
    /// Where this directory's durable entries live (a scratch folder until its parent links it).
    backing: PathBuf,
    pending: Vec<DirOp>,
}

#[derive(Debug)]
enum Body {
    File(FileData),
    Dir(DirData),
}

#[derive(Debug)]
struct Inode {
    body: Body,
    perm: u16,
    nlink: u32,
    uid: u32,
    gid: u32,
    atime: SystemTime,
    mtime: SystemTime,
    ctime: SystemTime,
}

#[derive(Debug)]
struct Handle {
    ino: u64,
    append: bool,
}

/// The whole model.
#[derive(Debug)]
pub struct Disk {
    root: PathBuf,
    inodes: HashMap<u64, Inode>,
    handles: HashMap<u64, Handle>,
    next_ino: u64,
    next_fh: u64,
    frozen: bool,
    stats: Stats,
}

fn scratch_dir(root: &Path) -> PathBuf {
    root.join(SCRATCH)
}

impl Disk {
    /// Loads the durable state of `root` (a backing directory): every file and directory in it
    /// becomes visible as it is; a leftover scratch folder is removed first.
    pub fn load(root: &Path) -> io::Result<Self> {
        let root = root.canonicalize()?;
        let scratch = scratch_dir(&root);
        if scratch.exists() {
            fs::remove_dir_all(&scratch)?;
        }
        fs::create_dir(&scratch)?;
        let mut disk = Disk {
            root: root.clone(),
            inodes: HashMap::new(),
            handles: HashMap::new(),
            next_ino: ROOT + 1,
            next_fh: 1,
            frozen: false,
            stats: Stats::default(),
        };
        let meta = fs::metadata(&root)?;
        disk.inodes.insert(
            ROOT,
            Inode {
                body: Body::Dir(DirData {
                    entries: BTreeMap::new(),
                    backing: root.clone(),
                    pending: Vec::new(),
                }),
                perm: (meta.mode() & 0o7777) as u16,
                nlink: 2,
                uid: meta.uid(),
                gid: meta.gid(),
                atime: SystemTime::now(),
                mtime: SystemTime::now(),
                ctime: SystemTime::now(),
            },
        );
        let mut by_backing_ino: HashMap<(u64, u64), u64> = HashMap::new();
        disk.scan(ROOT, &root, &mut by_backing_ino)?;
        Ok(disk)
    }

    fn scan(
        &mut self,
        dir_ino: u64,
        dir: &Path,
        seen: &mut HashMap<(u64, u64), u64>,
    ) -> io::Result<()> {
        let mut names: Vec<(OsString, PathBuf)> = fs::read_dir(dir)?
            .map(|e| e.map(|e| (e.file_name(), e.path())))
            .collect::<Result<_, _>>()?;
        names.sort();
        for (name, path) in names {
            if dir_ino == ROOT && name == SCRATCH {
                continue;
            }
            let meta = fs::symlink_metadata(&path)?;
            let ino = if meta.is_dir() {
                let ino = self.alloc_ino();
                self.inodes.insert(
                    ino,
                    Inode {
                        body: Body::Dir(DirData {
                            entries: BTreeMap::new(),
                            backing: path.clone(),
                            pending: Vec::new(),
                        }),
                        perm: (meta.mode() & 0o7777) as u16,
                        nlink: 2,
                        uid: meta.uid(),
                        gid: meta.gid(),
                        atime: SystemTime::now(),
                        mtime: meta.modified().unwrap_or_else(|_| SystemTime::now()),
                        ctime: SystemTime::now(),
                    },
                );
                self.scan(ino, &path, seen)?;
                ino
            } else if meta.is_file() {
                if let Some(ino) = seen.get(&(meta.dev(), meta.ino())) {
                    if let Some(i) = self.inodes.get_mut(ino) {
                        i.nlink += 1;
                    }
                    *ino
                } else {
                    let ino = self.alloc_ino();
                    let scratch = scratch_dir(&self.root).join(format!("f{ino}"));
                    fs::hard_link(&path, &scratch)?;
                    let file = OpenOptions::new().read(true).write(true).open(&scratch)?;
                    self.inodes.insert(
                        ino,
                        Inode {
                            body: Body::File(FileData {
                                scratch,
                                file,
                                len: meta.len(),
                                durable_len: meta.len(),
                                zero_from: None,
                                dirty: BTreeMap::new(),
                            }),
                            perm: (meta.mode() & 0o7777) as u16,
                            nlink: 1,
                            uid: meta.uid(),
                            gid: meta.gid(),
                            atime: SystemTime::now(),
                            mtime: meta.modified().unwrap_or_else(|_| SystemTime::now()),
                            ctime: SystemTime::now(),
                        },
                    );
                    seen.insert((meta.dev(), meta.ino()), ino);
                    ino
                }
            } else {
                // Symlinks, sockets, devices: not modelled (the spool and the hub store use
                // regular files and directories only).
                continue;
            };
            if let Some(Body::Dir(d)) = self.inodes.get_mut(&dir_ino).map(|i| &mut i.body) {
                d.entries.insert(name, ino);
            }
        }
        Ok(())
    }

    fn alloc_ino(&mut self) -> u64 {
        let i = self.next_ino;
        self.next_ino += 1;
        i
    }

    fn check(&self) -> R<()> {
        if self.frozen { Err(libc::EIO) } else { Ok(()) }
    }

    /// Whether a cut happened (every call then fails with `EIO`).
    pub fn frozen(&self) -> bool {
        self.frozen
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        let mut s = self.stats;
        s.dirty_pages = 0;
        s.pending_names = 0;
        for i in self.inodes.values() {
            match &i.body {
                Body::File(f) => s.dirty_pages += f.dirty.len() as u64,
                Body::Dir(d) => s.pending_names += d.pending.len() as u64,
            }
        }
        s
    }

    fn inode(&self, ino: u64) -> R<&Inode> {
        self.inodes.get(&ino).ok_or(libc::ENOENT)
    }

    fn inode_mut(&mut self, ino: u64) -> R<&mut Inode> {
        self.inodes.get_mut(&ino).ok_or(libc::ENOENT)
    }

    fn dir(&self, ino: u64) -> R<&DirData> {
        match &self.inode(ino)?.body {
            Body::Dir(d) => Ok(d),
            Body::File(_) => Err(libc::ENOTDIR),
        }
    }

    fn dir_mut(&mut self, ino: u64) -> R<&mut DirData> {
        match &mut self.inode_mut(ino)?.body {
            Body::Dir(d) => Ok(d),
            Body::File(_) => Err(libc::ENOTDIR),
        }
    }

    fn file_mut(&mut self, ino: u64) -> R<&mut FileData> {
        match &mut self.inode_mut(ino)?.body {
            Body::File(f) => Ok(f),
            Body::Dir(_) => Err(libc::EISDIR),
        }
    }

    /// Attributes of `ino`.
    pub fn getattr(&self, ino: u64) -> R<Attr> {
        self.check()?;
        let i = self.inode(ino)?;
        let (kind, size) = match &i.body {
            Body::File(f) => (Kind::File, f.len),
            Body::Dir(d) => (Kind::Dir, d.entries.len() as u64),
        };
        Ok(Attr {
            ino,
            kind,
            size,
            perm: i.perm,
            nlink: i.nlink,
            uid: i.uid,
            gid: i.gid,
            atime: i.atime,
            mtime: i.mtime,
            ctime: i.ctime,
        })
    }

    /// The inode `name` points at in `parent`.
    pub fn lookup(&self, parent: u64, name: &OsStr) -> R<Attr> {
        self.check()?;
        let d = self.dir(parent)?;
        if parent == ROOT && name == SCRATCH {
            return Err(libc::ENOENT);
        }
        let ino = *d.entries.get(name).ok_or(libc::ENOENT)?;
        self.getattr(ino)
    }

    /// Entries of a directory (without `.` and `..`).
    pub fn readdir(&self, ino: u64) -> R<Vec<(OsString, u64, Kind)>> {
        self.check()?;
        let d = self.dir(ino)?;
        d.entries
            .iter()
            .map(|(n, i)| {
                let kind = match self.inode(*i)?.body {
                    Body::File(_) => Kind::File,
                    Body::Dir(_) => Kind::Dir,
                };
                Ok((n.clone(), *i, kind))
            })
            .collect()
    }

    fn valid_name(parent: u64, name: &OsStr) -> R<()> {
        if parent == ROOT && name == SCRATCH {
            return Err(libc::EPERM);
        }
        if name.len() > 255 {
            return Err(libc::ENAMETOOLONG);
        }
        Ok(())
    }

    /// Creates an empty file `name` in `parent` (not durable until `parent` is fsynced).
    pub fn create_file(
        &mut self,
        parent: u64,
        name: &OsStr,
        perm: u16,
        uid: u32,
        gid: u32,
    ) -> R<Attr> {
        self.check()?;
        Self::valid_name(parent, name)?;
        if self.dir(parent)?.entries.contains_key(name) {
            return Err(libc::EEXIST);
        }
        let ino = self.alloc_ino();
        let scratch = scratch_dir(&self.root).join(format!("f{ino}"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&scratch)
            .map_err(|e| io_errno(&e))?;
        let _ = fs::set_permissions(&scratch, fs::Permissions::from_mode(u32::from(perm)));
        let now = SystemTime::now();
        self.inodes.insert(
            ino,
            Inode {
                body: Body::File(FileData {
                    scratch,
                    file,
                    len: 0,
                    durable_len: 0,
                    zero_from: None,
                    dirty: BTreeMap::new(),
                }),
                perm,
                nlink: 1,
                uid,
                gid,
                atime: now,
                mtime: now,
                ctime: now,
            },
        );
        let d = self.dir_mut(parent)?;
        d.entries.insert(name.to_owned(), ino);
        d.pending.push(DirOp::Link {
            name: name.to_owned(),
            ino,
        });
        self.touch(parent);
        self.getattr(ino)
    }

    /// Creates a directory (not durable until `parent` is fsynced).
    pub fn mkdir(&mut self, parent: u64, name: &OsStr, perm: u16, uid: u32, gid: u32) -> R<Attr> {
        self.check()?;
        Self::valid_name(parent, name)?;
        if self.dir(parent)?.entries.contains_key(name) {
            return Err(libc::EEXIST);
        }
        let ino = self.alloc_ino();
        let backing = scratch_dir(&self.root).join(format!("d{ino}"));
        fs::create_dir(&backing).map_err(|e| io_errno(&e))?;
        let _ = fs::set_permissions(&backing, fs::Permissions::from_mode(u32::from(perm)));
        let now = SystemTime::now();
        self.inodes.insert(
            ino,
            Inode {
                body: Body::Dir(DirData {
                    entries: BTreeMap::new(),
                    backing,
                    pending: Vec::new(),
                }),
                perm,
                nlink: 2,
                uid,
                gid,
                atime: now,
                mtime: now,
                ctime: now,
            },
        );
        let d = self.dir_mut(parent)?;
        d.entries.insert(name.to_owned(), ino);
        d.pending.push(DirOp::Link {
            name: name.to_owned(),
            ino,
        });
        self.touch(parent);
        self.getattr(ino)
    }

    fn touch(&mut self, ino: u64) {
        if let Some(i) = self.inodes.get_mut(&ino) {
            let now = SystemTime::now();
            i.mtime = now;
            i.ctime = now;
        }
    }

    /// Removes the file `name` from `parent`.
    pub fn unlink(&mut self, parent: u64, name: &OsStr) -> R<()> {
        self.check()?;
        let ino = *self.dir(parent)?.entries.get(name).ok_or(libc::ENOENT)?;
        if matches!(self.inode(ino)?.body, Body::Dir(_)) {
            return Err(libc::EISDIR);
        }
        let d = self.dir_mut(parent)?;
        d.entries.remove(name);
        d.pending.push(DirOp::Unlink {
            name: name.to_owned(),
        });
        let i = self.inode_mut(ino)?;
        i.nlink = i.nlink.saturating_sub(1);
        self.touch(parent);
        Ok(())
    }

    /// Removes the empty directory `name` from `parent`.
    pub fn rmdir(&mut self, parent: u64, name: &OsStr) -> R<()> {
        self.check()?;
        let ino = *self.dir(parent)?.entries.get(name).ok_or(libc::ENOENT)?;
        if !self.dir(ino)?.entries.is_empty() {
            return Err(libc::ENOTEMPTY);
        }
        let d = self.dir_mut(parent)?;
        d.entries.remove(name);
        d.pending.push(DirOp::Unlink {
            name: name.to_owned(),
        });
        self.inode_mut(ino)?.nlink = 0;
        self.touch(parent);
        Ok(())
    }

    /// Renames a file (directories are not renamed: `EXDEV`, so tools fall back to a copy).
    /// `noreplace`: fail with `EEXIST` when the target exists.
    pub fn rename(
        &mut self,
        parent: u64,
        name: &OsStr,
        newparent: u64,
        newname: &OsStr,
        noreplace: bool,
    ) -> R<()> {
        self.check()?;
        Self::valid_name(newparent, newname)?;
        let ino = *self.dir(parent)?.entries.get(name).ok_or(libc::ENOENT)?;
        if matches!(self.inode(ino)?.body, Body::Dir(_)) {
            return Err(libc::EXDEV);
        }
        self.dir(newparent)?;
        if parent == newparent && name == newname {
            return Ok(());
        }
        if let Some(old) = self.dir(newparent)?.entries.get(newname).copied() {
            if noreplace {
                return Err(libc::EEXIST);
            }
            if matches!(self.inode(old)?.body, Body::Dir(_)) {
                return Err(libc::EISDIR);
            }
            if old != ino {
                let o = self.inode_mut(old)?;
                o.nlink = o.nlink.saturating_sub(1);
            }
        }
        if parent == newparent {
            let d = self.dir_mut(parent)?;
            d.entries.remove(name);
            d.entries.insert(newname.to_owned(), ino);
            d.pending.push(DirOp::Rename {
                from: name.to_owned(),
                to: newname.to_owned(),
                ino,
            });
        } else {
            let d = self.dir_mut(newparent)?;
            d.entries.insert(newname.to_owned(), ino);
            d.pending.push(DirOp::Link {
                name: newname.to_owned(),
                ino,
            });
            let d = self.dir_mut(parent)?;
            d.entries.remove(name);
            d.pending.push(DirOp::Unlink {
                name: name.to_owned(),
            });
        }
        self.touch(parent);
        self.touch(newparent);
        Ok(())
    }

    /// A new name for a file.
    pub fn link(&mut self, ino: u64, newparent: u64, newname: &OsStr) -> R<Attr> {
        self.check()?;
        Self::valid_name(newparent, newname)?;
        if matches!(self.inode(ino)?.body, Body::Dir(_)) {
            return Err(libc::EPERM);
        }
        if self.dir(newparent)?.entries.contains_key(newname) {
            return Err(libc::EEXIST);
        }
        let d = self.dir_mut(newparent)?;
        d.entries.insert(newname.to_owned(), ino);
        d.pending.push(DirOp::Link {
            name: newname.to_owned(),
            ino,
        });
        self.inode_mut(ino)?.nlink += 1;
        self.touch(newparent);
        self.getattr(ino)
    }

    /// Opens a handle (`append`: every write goes to the end).
    pub fn open(&mut self, ino: u64, append: bool) -> R<u64> {
        self.check()?;
        self.inode(ino)?;
        let fh = self.next_fh;
        self.next_fh += 1;
        self.handles.insert(fh, Handle { ino, append });
        Ok(fh)
    }

    /// Closes a handle (allowed after a cut too).
    pub fn release(&mut self, fh: u64) {
        self.handles.remove(&fh);
    }

    /// Changes permission bits (applied to the backing file at once: metadata durability is
    /// not modelled).
    pub fn chmod(&mut self, ino: u64, perm: u16) -> R<()> {
        self.check()?;
        let i = self.inode_mut(ino)?;
        i.perm = perm;
        i.ctime = SystemTime::now();
        let path = match &i.body {
            Body::File(f) => f.scratch.clone(),
            Body::Dir(d) => d.backing.clone(),
        };
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(u32::from(perm)));
        Ok(())
    }

    /// Sets the times.
    pub fn set_times(
        &mut self,
        ino: u64,
        atime: Option<SystemTime>,
        mtime: Option<SystemTime>,
    ) -> R<()> {
        self.check()?;
        let i = self.inode_mut(ino)?;
        if let Some(t) = atime {
            i.atime = t;
        }
        if let Some(t) = mtime {
            i.mtime = t;
        }
        i.ctime = SystemTime::now();
        Ok(())
    }

    /// Changes the owner.
    pub fn chown(&mut self, ino: u64, uid: Option<u32>, gid: Option<u32>) -> R<()> {
        self.check()?;
        let i = self.inode_mut(ino)?;
        if let Some(u) = uid {
            i.uid = u;
        }
        if let Some(g) = gid {
            i.gid = g;
        }
        Ok(())
    }

    /// `fsync` of a directory: its name changes are on disk when this returns.
    pub fn fsyncdir(&mut self, ino: u64) -> R<()> {
        self.check()?;
        self.stats.dir_fsyncs += 1;
        let ops = std::mem::take(&mut self.dir_mut(ino)?.pending);
        for op in ops {
            self.apply(ino, op).map_err(|e| io_errno(&e))?;
        }
        Ok(())
    }

    /// Applies one name change of directory `dir` to the backing directory.
    fn apply(&mut self, dir: u64, op: DirOp) -> io::Result<()> {
        let base = match self.dir(dir) {
            Ok(d) => d.backing.clone(),
            Err(_) => return Ok(()),
        };
        match op {
            DirOp::Link { name, ino } => {
                let target = base.join(&name);
                remove_any(&target)?;
                match self.inodes.get_mut(&ino).map(|i| &mut i.body) {
                    Some(Body::File(f)) => fs::hard_link(&f.scratch, &target)?,
                    Some(Body::Dir(d)) => {
                        // A directory's durable entries move along with it.
                        if d.backing.exists() {
                            fs::rename(&d.backing, &target)?;
                        } else {
                            fs::create_dir(&target)?;
                        }
                        d.backing = target;
                    }
                    None => {}
                }
            }
            DirOp::Unlink { name } => remove_any(&base.join(&name))?,
            DirOp::Rename { from, to, ino } => {
                let (from, to) = (base.join(&from), base.join(&to));
                if fs::symlink_metadata(&from).is_ok() {
                    fs::rename(&from, &to)?;
                } else if let Some(Body::File(f)) = self.inodes.get(&ino).map(|i| &i.body) {
                    // The source name never became durable (it came from another directory):
                    // the target now names the inode.
                    remove_any(&to)?;
                    fs::hard_link(&f.scratch, &to)?;
                }
            }
        }
        Ok(())
    }
}

fn remove_any(p: &Path) -> io::Result<()> {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(p),
        Ok(_) => fs::remove_file(p),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

mod cut;
mod data;
