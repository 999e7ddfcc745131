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

//!
//! **Before each password hash, the heap's free pages go back to the system**
//! ([`release_free_heap`], glibc's `malloc_trim(0)`): small blocks freed in the middle of a
//! thread's heap stay resident until then (about 1.5 MiB on a box with 32 working ports), and
//! the 7 MiB of the hash come on top of whatever is resident at that instant.

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

/// Returns the free pages of every heap of the C allocator to the system (glibc's
/// `malloc_trim(0)`: whole free pages inside the heaps too, not only at their tops). Costs a walk
/// over the heaps (well under a millisecond for the gateway's few MiB), so it is called at rare,
/// memory-hungry moments: before a password hash. Returns whether anything was released
/// (always `false` off glibc).
pub fn release_free_heap() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim takes no pointer and only changes the allocator's own mappings
        // of memory no live allocation uses; glibc allows it from any thread at any time.
        #[allow(unsafe_code)]
        let released = unsafe { nix::libc::malloc_trim(0) };
        released == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn resident_kib() -> u64 {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
        let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
        pages * 4
    }

    #[test]
    fn free_pages_in_the_middle_of_a_heap_go_back_to_the_system() {
        // 32 MiB of small blocks, then all but one in 64 freed: the heap is full of holes no
        // allocation uses, which glibc keeps resident because a live block sits above them.
        let mut blocks: Vec<Vec<u8>> = (0..32 * 1024).map(|_| vec![1u8; 1000]).collect();
        let kept: Vec<Vec<u8>> = blocks
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| i % 64 == 63)
            .map(|(_, b)| std::mem::take(b))
            .collect();
        drop(blocks);
        let before = resident_kib();
        assert!(release_free_heap(), "something was released");
        let after = resident_kib();
        assert!(
            before.saturating_sub(after) > 16 * 1024,
            "at least 16 MiB released (RSS {before} KiB -> {after} KiB)"
        );
        assert_eq!(kept.len(), 512);
        assert!(
            kept.iter().all(|b| b.iter().all(|x| *x == 1)),
            "live blocks intact"
        );
    }
}
