//! Sub-millisecond wake-ups for pacing deadlines.
//!
//! tokio's timer has a resolution of 1 ms and rounds a deadline up to its next tick, so a port
//! woken by it starts its next submission 0–1 ms (plus scheduling) after the deadline. That is
//! the floor of the pacing error measured in docs/benchmarks.md: a bare tokio sleep loop has the
//! same error as the gateway. [`PreciseTimer`] is one thread for the whole process (`run` makes
//! it and hands it to the port workers): it keeps the deadlines in a heap, waits for the
//! earliest with `recv_timeout` (a futex wait on the kernel's high-resolution timers, tens of
//! microseconds late), and wakes the task waiting on it.
//!
//! [`PreciseTimer::sleep_until`] waits for whichever comes first of this thread and tokio's own
//! timer, and never returns before the deadline by tokio's clock: the thread only makes the
//! wake-up earlier, never the submission, and a test on tokio's paused clock sees tokio's timer.

use std::collections::BinaryHeap;
use std::sync::mpsc;
use tokio::sync::oneshot;
use tokio::time::Instant;

struct Entry {
    at: std::time::Instant,
    seq: u64,
    wake: oneshot::Sender<()>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed: the heap's top is the earliest deadline.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Handle to the process's precise timer thread (cheap to clone). The thread ends when the
/// last handle is dropped and no deadline is left.
#[derive(Clone, Debug)]
pub struct PreciseTimer {
    tx: Option<mpsc::Sender<(std::time::Instant, oneshot::Sender<()>)>>,
}

impl PreciseTimer {
    /// Starts the timer thread.
    pub fn start() -> std::io::Result<PreciseTimer> {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("smsgate-timer".into())
            .spawn(move || run(&rx))?;
        Ok(PreciseTimer { tx: Some(tx) })
    }

    /// A timer without its thread: [`Self::sleep_until`] is tokio's alone (tests, tools).
    pub fn tokio_only() -> PreciseTimer {
        PreciseTimer { tx: None }
    }

    /// Waits until `t` (see the module rule): woken by the timer thread within tens of
    /// microseconds of `t`, or by tokio's timer, whichever comes first; never before `t` on
    /// tokio's clock.
    pub async fn sleep_until(&self, t: Instant) {
        if Instant::now() >= t {
            return;
        }
        let precise = self.tx.as_ref().and_then(|tx| {
            let (wake, woken) = oneshot::channel();
            tx.send((t.into_std(), wake)).ok().map(|()| woken)
        });
        let tokio_timer = tokio::time::sleep_until(t);
        tokio::pin!(tokio_timer);
        if let Some(woken) = precise {
            tokio::select! {
                _ = &mut tokio_timer => return,
                r = woken => if r.is_ok() && Instant::now() >= t { return },
            }
        }
        tokio_timer.await;
    }
}

fn run(rx: &mpsc::Receiver<(std::time::Instant, oneshot::Sender<()>)>) {
    #[cfg(target_os = "linux")]
    {
        // The kernel may delay a timed wait by the thread's timer slack (50 µs by default) to
        // batch wake-ups; this thread's waits are the deadlines themselves, so 1 µs.
        // SAFETY: PR_SET_TIMERSLACK takes an integer and changes only this thread's slack.
        #[allow(unsafe_code)]
        unsafe {
            nix::libc::prctl(nix::libc::PR_SET_TIMERSLACK, 1u64, 0u64, 0u64, 0u64);
        }
    }
    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    let mut open = true;
    loop {
        let now = std::time::Instant::now();
        while heap.peek().is_some_and(|e: &Entry| e.at <= now) {
            if let Some(e) = heap.pop() {
                let _ = e.wake.send(());
            }
        }
        let next = match heap.peek() {
            Some(e) => Some(e.at.saturating_duration_since(now)),
            None if open => None,
            None => return,
        };
        let got = match next {
            Some(d) if open => rx.recv_timeout(d),
            Some(d) => {
                std::thread::sleep(d);
                continue;
            }
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        match got {
            Ok((at, wake)) => {
                seq += 1;
                heap.push(Entry { at, seq, wake });
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => open = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_wait_ends_at_its_deadline_never_before_it() {
        let timer = PreciseTimer::start().unwrap();
        for i in 0..50u64 {
            let t = Instant::now() + Duration::from_micros(2_000 + 97 * i);
            timer.sleep_until(t).await;
            let now = Instant::now();
            assert!(now >= t, "woken {:?} early", t - now);
        }
    }

    #[tokio::test]
    async fn deadlines_registered_out_of_order_each_wake_their_own_waiter() {
        let timer = PreciseTimer::start().unwrap();
        let base = Instant::now() + Duration::from_millis(5);
        let waits = [7u64, 2, 5, 0, 3].map(|ms| {
            let timer = timer.clone();
            let t = base + Duration::from_millis(ms);
            tokio::spawn(async move {
                timer.sleep_until(t).await;
                assert!(Instant::now() >= t);
                ms
            })
        });
        for w in waits {
            w.await.unwrap();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn on_a_paused_clock_the_wait_follows_tokios_time_not_the_thread() {
        let timer = PreciseTimer::start().unwrap();
        let t = Instant::now() + Duration::from_secs(3600);
        timer.sleep_until(t).await;
        assert!(Instant::now() >= t);
    }

    #[tokio::test]
    async fn without_its_thread_the_timer_is_tokios() {
        let timer = PreciseTimer::tokio_only();
        let t = Instant::now() + Duration::from_millis(3);
        timer.sleep_until(t).await;
        assert!(Instant::now() >= t);
    }
}
