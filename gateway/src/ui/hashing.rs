//! One password hash at a time: the box UI's argon2id work (a login's check, a password
//! change) runs on the blocking pool behind a semaphore of one permit, so N logins at once
//! never hold N × 7 MiB (`account::BOX_COST`). The permit travels into the blocking task and
//! is released when the hash ends — also when the request that asked for it is dropped (a
//! client that disconnects cannot let a second hash start beside one still running).
//!
//! Before each job the allocator's free heap pages are given back to the system
//! (`memory::release_free_heap`), so the box's peak at a login is what it uses plus the hash.
//!
//! How many hashes run and wait is counted here ([`HashStats`]); `/metrics` shows it as
//! `smsgate_login_hashes{state="running"|"waiting"}` and `smsgate_login_hashes_total`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What the gate has seen (a snapshot).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashStats {
    /// Hashing now (0 or 1).
    pub running: u64,
    /// Waiting for the permit now.
    pub waiting: u64,
    /// Most hashing at once since start (1 once anything was hashed: never more).
    pub most_running: u64,
    /// Hashing jobs finished since start.
    pub done: u64,
}

#[derive(Debug, Default)]
struct Counters {
    running: AtomicU64,
    waiting: AtomicU64,
    most_running: AtomicU64,
    done: AtomicU64,
}

/// The gate (one per running gateway, held by `ui::Ui`).
#[derive(Debug, Clone)]
pub struct HashGate {
    permits: Arc<Semaphore>,
    counters: Arc<Counters>,
}

impl Default for HashGate {
    fn default() -> Self {
        Self::new()
    }
}

/// The gate did not open in time (or was closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("another password check is running; try again")]
pub struct Busy;

/// Why a gated job gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// No permit within the wait.
    #[error(transparent)]
    Busy(#[from] Busy),
    /// The blocking task panicked or was cancelled.
    #[error("password hashing task stopped: {0}")]
    Stopped(String),
}

/// Decrements a counter when dropped (so a cancelled wait or a panicking hash is counted out).
struct Count<'a>(&'a AtomicU64);

impl<'a> Count<'a> {
    fn up(c: &'a AtomicU64) -> Self {
        c.fetch_add(1, Ordering::SeqCst);
        Self(c)
    }
}

impl Drop for Count<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl HashGate {
    /// A gate of one permit.
    pub fn new() -> Self {
        Self {
            permits: Arc::new(Semaphore::new(1)),
            counters: Arc::new(Counters::default()),
        }
    }

    /// What runs and waits now.
    pub fn stats(&self) -> HashStats {
        let c = &self.counters;
        HashStats {
            running: c.running.load(Ordering::SeqCst),
            waiting: c.waiting.load(Ordering::SeqCst),
            most_running: c.most_running.load(Ordering::SeqCst),
            done: c.done.load(Ordering::SeqCst),
        }
    }

    /// Takes the permit (waiting at most `wait`, or as long as it takes with `None`). Holding
    /// it keeps every gated job from starting: the tests use it to line logins up.
    pub async fn permit(&self, wait: Option<Duration>) -> Result<OwnedSemaphorePermit, Busy> {
        let _waiting = Count::up(&self.counters.waiting);
        let acquire = self.permits.clone().acquire_owned();
        let permit = match wait {
            Some(w) => tokio::time::timeout(w, acquire).await.map_err(|_| Busy)?,
            None => acquire.await,
        };
        permit.map_err(|_| Busy)
    }

    /// Runs `job` on the blocking pool once the permit is taken (waiting at most `wait`), the
    /// permit held until `job` returns.
    pub async fn run<T: Send + 'static>(
        &self,
        wait: Option<Duration>,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, GateError> {
        let permit = self.permit(wait).await?;
        self.run_with(permit, job).await
    }

    /// Runs `job` on the blocking pool under a permit already taken with [`HashGate::permit`].
    pub async fn run_with<T: Send + 'static>(
        &self,
        permit: OwnedSemaphorePermit,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, GateError> {
        let counters = self.counters.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            // The hash's memory comes on top of what is resident: free heap pages go first.
            crate::memory::release_free_heap();
            let out = {
                let _running = Count::up(&counters.running);
                counters
                    .most_running
                    .fetch_max(counters.running.load(Ordering::SeqCst), Ordering::SeqCst);
                job()
            };
            counters.done.fetch_add(1, Ordering::SeqCst);
            out
        })
        .await
        .map_err(|e| GateError::Stopped(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_queued_behind_a_held_permit_run_one_at_a_time_and_are_counted() {
        let gate = HashGate::new();
        let held = gate.permit(None).await.unwrap();
        let jobs: Vec<_> = (0..4)
            .map(|i| {
                let g = gate.clone();
                tokio::spawn(async move { g.run(None, move || i * 10).await.unwrap() })
            })
            .collect();
        while gate.stats().waiting < 4 {
            tokio::task::yield_now().await;
        }
        assert_eq!(gate.stats().running, 0);
        drop(held);
        let mut out = Vec::new();
        for j in jobs {
            out.push(j.await.unwrap());
        }
        out.sort_unstable();
        assert_eq!(out, [0, 10, 20, 30]);
        assert_eq!(
            gate.stats(),
            HashStats {
                running: 0,
                waiting: 0,
                most_running: 1,
                done: 4
            }
        );
    }

    #[tokio::test]
    async fn a_wait_that_runs_out_is_busy_and_no_longer_counted_as_waiting() {
        let gate = HashGate::new();
        let _held = gate.permit(None).await.unwrap();
        let r = gate.run(Some(Duration::from_millis(20)), || ()).await;
        assert!(matches!(r, Err(GateError::Busy(Busy))), "{r:?}");
        assert_eq!(gate.stats().waiting, 0);
        assert_eq!(gate.stats().done, 0);
    }
}
