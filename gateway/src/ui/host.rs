//! What the box's dashboard says about the machine it runs on: the space of the file system
//! holding the spool (`statvfs`) and the gateway process's resident memory (`/proc/self/status`).

use std::path::Path;

/// Space on one file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskSpace {
    /// Bytes an unprivileged process may still write (`f_bavail × f_frsize`).
    pub free: u64,
    /// Size of the file system (`f_blocks × f_frsize`).
    pub total: u64,
}

/// The space of the file system that holds `path` (the spool file, or its directory when the
/// file is not there yet). `None` when neither can be examined.
// `c_ulong` and `fsblkcnt_t` are u64 on 64-bit Linux but u32 on 32-bit ARM boxes.
#[allow(clippy::useless_conversion)]
pub fn disk_space(path: &Path) -> Option<DiskSpace> {
    let probe = if path.exists() {
        path
    } else {
        path.parent().filter(|p| !p.as_os_str().is_empty())?
    };
    let s = nix::sys::statvfs::statvfs(probe).ok()?;
    let unit = u64::from(s.fragment_size());
    let (avail, blocks) = (u64::from(s.blocks_available()), u64::from(s.blocks()));
    Some(DiskSpace {
        free: avail.saturating_mul(unit),
        total: blocks.saturating_mul(unit),
    })
}

/// Resident memory of this process in bytes (`VmRSS` of `/proc/self/status`, given in KiB).
/// `None` off Linux.
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spool_directory_has_a_free_and_total_size_with_free_below_total() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool.sqlite");
        let before = disk_space(&spool).expect("the directory's file system");
        assert!(
            before.total > 0 && before.free <= before.total,
            "{before:?}"
        );
        std::fs::write(&spool, b"x").unwrap();
        let after = disk_space(&spool).expect("the file's file system");
        assert_eq!(after.total, before.total, "same file system");
    }

    #[test]
    fn a_path_with_no_existing_directory_has_no_disk_space() {
        assert_eq!(disk_space(Path::new("/no/such/dir/spool.sqlite")), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn resident_memory_is_known_and_grows_when_memory_is_touched() {
        let before = rss_bytes().expect("Linux has /proc/self/statm");
        assert!(before > 1024 * 1024, "{before}");
        let block = vec![1u8; 64 * 1024 * 1024];
        let after = rss_bytes().unwrap();
        assert!(std::hint::black_box(&block).iter().all(|b| *b == 1));
        // The touched block alone is resident, whatever other tests free meanwhile.
        assert!(after >= 64 * 1024 * 1024, "{before} -> {after}");
    }
}
