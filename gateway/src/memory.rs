//! The gateway process's use of the C allocator (glibc malloc), set once at start by the
//! binaries that run the gateway, before any thread exists.
//!
//! **Large allocations are returned to the system when freed.** glibc maps an allocation of
//! 128 KiB or more on its own (`mmap`), so freeing it gives the memory back — but by default
//! it then raises that threshold to the size of the largest block freed so far (up to
//! 32 MiB). The box UI's login verifies an argon2id hash with 7 MiB of memory
//! (`ui::account`); after the first login, each later one took its 7 MiB from the heap of the
//! blocking thread that ran it, and the heap kept it: five logins took the gateway with 32
//! ports from 19.8 MiB to 40.7 MiB RSS, for good (docs/benchmarks.md, box UI). A bulk upload's
//! buffers did the same. Fixing the threshold at glibc's own starting value (setting it turns
//! the adjustment off) keeps each such block mapped on its own and unmapped when freed; the
//! cost is one `mmap`/`munmap` pair per large allocation, which the gateway makes a few times
//! a minute at most (logins, uploads, support bundles).

/// Allocations from this size on are mapped on their own and unmapped when freed (glibc's
/// initial threshold, held there).
pub const MAP_FROM_BYTES: i32 = 128 * 1024;

/// The allocator refused a setting.
#[derive(Debug, thiserror::Error)]
#[error("the C allocator refused M_MMAP_THRESHOLD = {0} bytes")]
pub struct TuneError(pub i32);

/// Applies the settings above (glibc only; elsewhere nothing to do). Call it first in `main`.
pub fn tune_allocator() -> Result<(), TuneError> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes a parameter of the allocator; glibc allows it at any
        // time from any thread, and M_MMAP_THRESHOLD with a value under its 32 MiB maximum is
        // a documented, valid setting. No pointer is passed.
        #[allow(unsafe_code)]
        let set = unsafe { nix::libc::mallopt(nix::libc::M_MMAP_THRESHOLD, MAP_FROM_BYTES) };
        if set != 1 {
            return Err(TuneError(MAP_FROM_BYTES));
        }
    }
    Ok(())
}

/// A run of pages in the process's address space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRange {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Of which resident when read (bytes).
    pub resident: u64,
}

/// What [`release_startup_pages`] gave back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Released {
    /// Mappings dropped from the resident set.
    pub mappings: usize,
    /// Their resident bytes before (what the process's RSS fell by, before any page is used again).
    pub bytes: u64,
}

/// Why the start-up pages could not be released.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// `/proc/self/smaps` could not be read.
    #[error("reading /proc/self/smaps: {0}")]
    Smaps(#[source] std::io::Error),
    /// The kernel refused the advice for one mapping.
    #[error("madvise(MADV_DONTNEED) on {start:#x}-{end:#x}: {source}")]
    Advise {
        /// First byte.
        start: usize,
        /// One past the last.
        end: usize,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// The mappings of `smaps` (the text of `/proc/<pid>/smaps`) whose pages can be dropped from
/// the resident set with nothing lost: private mappings of a file that are not writable and
/// hold no page of their own (`Anonymous: 0 kB` — a page copied on write, such as the
/// relocated `.data.rel.ro`, would be lost; those are left alone), not locked, with pages
/// resident. A dropped page of such a mapping is read again from the page cache (the file's
/// own bytes, unchanged) the next time it is used.
pub fn droppable(smaps: &str) -> Vec<PageRange> {
    struct Open {
        range: PageRange,
        eligible: bool,
        anonymous: u64,
        locked: u64,
    }
    fn close(open: Option<Open>, out: &mut Vec<PageRange>) {
        if let Some(o) = open
            && o.eligible
            && o.anonymous == 0
            && o.locked == 0
            && o.range.resident > 0
        {
            out.push(o.range);
        }
    }
    fn kib(rest: &str) -> u64 {
        rest.split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(u64::MAX / 1024)
            * 1024
    }
    let mut out = Vec::new();
    let mut open: Option<Open> = None;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if let Some((a, b)) = first.split_once('-')
            && let (Ok(start), Ok(end)) =
                (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
        {
            close(open.take(), &mut out);
            let perms = fields.next().unwrap_or("");
            // offset, device, inode, then the path (absent for anonymous mappings).
            let path = fields.nth(3).unwrap_or("");
            let deleted = line.ends_with("(deleted)");
            let p = perms.as_bytes();
            let eligible = p.len() == 4
                && p[0] == b'r'
                && p[1] == b'-'
                && p[3] == b'p'
                && path.starts_with('/')
                && !deleted;
            open = Some(Open {
                range: PageRange {
                    start,
                    end,
                    resident: 0,
                },
                eligible,
                anonymous: 0,
                locked: 0,
            });
            continue;
        }
        let Some(o) = open.as_mut() else { continue };
        let rest = line[first.len()..].trim();
        match first {
            "Rss:" => o.range.resident = kib(rest),
            "Anonymous:" => o.anonymous = kib(rest),
            "Locked:" => o.locked = kib(rest),
            _ => {}
        }
    }
    close(open, &mut out);
    out
}

/// Drops from the resident set the file-backed read-only pages the process faulted in so far
/// ([`droppable`]), and returns the heap's free pages to the system (`malloc_trim`).
///
/// Called once the ports are up: what start-up alone used (configuration parsing, database
/// migrations, the command line, each modem's initialisation) then stops counting in the
/// gateway's RSS, and what it keeps using is faulted in again from the page cache — a minor
/// fault, no disk read while the file stays cached. docs/benchmarks.md ("box UI") measures it.
pub fn release_startup_pages() -> Result<Released, ReleaseError> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").map_err(ReleaseError::Smaps)?;
    let mut released = Released::default();
    for r in droppable(&smaps) {
        // SAFETY: the range is a whole mapping of this process as the kernel listed it a
        // moment ago: private, not writable, file-backed and without a page of its own, so
        // no byte in it differs from the file. MADV_DONTNEED on such a mapping only unmaps
        // its pages; the next access reads the same bytes from the file again. No Rust
        // reference is invalidated, since the contents do not change.
        #[allow(unsafe_code)]
        let rc = unsafe {
            nix::libc::madvise(
                r.start as *mut nix::libc::c_void,
                r.end - r.start,
                nix::libc::MADV_DONTNEED,
            )
        };
        if rc != 0 {
            return Err(ReleaseError::Advise {
                start: r.start,
                end: r.end,
                source: std::io::Error::last_os_error(),
            });
        }
        released.mappings += 1;
        released.bytes += r.resident;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only returns free memory of the allocator's heaps to the system.
        #[allow(unsafe_code)]
        unsafe {
            nix::libc::malloc_trim(0);
        }
    }
    Ok(released)
}

/// Waits until every port of `board` is available (or `grace` has passed, for boxes with an
/// absent modem), then [`release_startup_pages`] once, logging what it gave back.
pub async fn release_after_start(
    board: crate::ports::Board,
    grace: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let mut changed = board.subscribe();
    let deadline = tokio::time::Instant::now() + grace;
    loop {
        if board.snapshot().values().all(|s| s.available) {
            break;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep_until(deadline) => break,
            r = changed.changed() => if r.is_err() { break },
        }
    }
    match release_startup_pages() {
        Ok(r) => tracing::info!(
            mappings = r.mappings,
            kib = r.bytes / 1024,
            "start-up pages released from memory"
        ),
        Err(e) => tracing::warn!(error = %e, "start-up pages not released"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0c0000000-55d0c0100000 r--p 00000000 fe:01 1234 /usr/bin/smsgate-gateway
Size:               1024 kB
Rss:                 512 kB
Anonymous:             0 kB
Locked:                0 kB
55d0c0100000-55d0c0800000 r-xp 00100000 fe:01 1234 /usr/bin/smsgate-gateway
Size:               7168 kB
Rss:                6500 kB
Anonymous:             0 kB
Locked:                0 kB
55d0c0800000-55d0c0900000 r--p 00800000 fe:01 1234 /usr/bin/smsgate-gateway
Size:               1024 kB
Rss:                1024 kB
Anonymous:          1000 kB
Locked:                0 kB
55d0c0900000-55d0c0a00000 rw-p 00900000 fe:01 1234 /usr/bin/smsgate-gateway
Rss:                  64 kB
Anonymous:            64 kB
55d0c1000000-55d0c2000000 rw-p 00000000 00:00 0 [heap]
Rss:                4000 kB
Anonymous:          4000 kB
7f0000000000-7f0000100000 r--s 00000000 fe:01 99 /var/lib/smsgate/spool.sqlite-shm
Rss:                   4 kB
Anonymous:             0 kB
7f0000200000-7f0000300000 r-xp 00000000 fe:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                1600 kB
Anonymous:             0 kB
Locked:                0 kB
7f0000300000-7f0000400000 r-xp 00000000 fe:01 78 /usr/lib/gone.so (deleted)
Rss:                  16 kB
Anonymous:             0 kB
7f0000400000-7f0000500000 r-xp 00000000 fe:01 79 /usr/lib/pinned.so
Rss:                  16 kB
Anonymous:             0 kB
Locked:               16 kB
7f0000500000-7f0000600000 r-xp 00000000 fe:01 80 /usr/lib/cold.so
Rss:                   0 kB
Anonymous:             0 kB
7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0 [vdso]
Rss:                   8 kB
Anonymous:             0 kB
";

    #[test]
    fn only_unwritten_private_file_mappings_with_resident_pages_are_dropped() {
        let got = droppable(SMAPS);
        let starts: Vec<usize> = got.iter().map(|r| r.start).collect();
        assert_eq!(
            starts,
            vec![0x55d0c0000000, 0x55d0c0100000, 0x7f0000200000],
            "{got:?}"
        );
        assert_eq!(got[1].end, 0x55d0c0800000);
        assert_eq!(got[1].resident, 6500 * 1024);
    }

    #[test]
    fn a_relocated_read_only_mapping_is_kept_because_its_copied_pages_would_be_lost() {
        assert!(!droppable(SMAPS).iter().any(|r| r.start == 0x55d0c0800000));
    }

    #[test]
    fn an_unreadable_size_counts_the_mapping_as_holding_pages_of_its_own() {
        let smaps = "00400000-00500000 r-xp 00000000 fe:01 1 /bin/x\nRss: 8 kB\nAnonymous: ? kB\n";
        assert!(droppable(smaps).is_empty());
    }

    #[test]
    fn releasing_the_start_up_pages_of_this_process_keeps_it_running_correctly() {
        let before: Vec<u8> = (0..=255u8).collect();
        let released = release_startup_pages().expect("released");
        assert!(released.mappings > 0, "{released:?}");
        // Code and read-only data dropped above are read back when used again.
        let after: Vec<u8> = (0..=255u8).collect();
        assert_eq!(before, after);
        assert_eq!(format!("{:?}", Some(42)), "Some(42)");
    }
}
