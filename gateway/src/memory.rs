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
