//! The SQLite spool: durable outbound queue, inbound store, delivery reports, per-SIM counters,
//! blocklist and the events outbox.
//!
//! - [`lifecycle`]: the pure message state machine.
//! - [`evidence`]: the pure rule matching a delivery report to a sent part (and settling an
//!   `unknown` message only without ambiguity); [`reports`]: reports in the spool, the report
//!   window (`no_report`).
//! - [`opt_outs`]: the tenants' opt-outs the hub pushed (`down/opt_outs`), honoured at
//!   submission.
//! - [`events`]: the events outbox's rows as one typed enum, written and read in one place.
//! - [`outbox`]: the events outbox as the cloud link reads it (in id order, after a cursor) and
//!   acknowledges it (by prefix).
//! - [`campaigns`]: campaign slices the hub handed over, held and released at their pace.
//! - [`migrations`]: versioned schema (`PRAGMA user_version`).
//! - [`store`]: [`SpoolDb`], the synchronous API (one connection, one transaction per call).
//! - [`types`]: rows in and out.
//!
//! Durability: WAL journal with `synchronous=FULL`, so a transaction is on disk (WAL fsynced)
//! before `commit` returns, and every API returns only after its commit. A message found
//! `sending` at open becomes `unknown` and is not sent again until an operator requeues it.
//!
//! Async use: [`Spool`] moves the `SpoolDb` onto one dedicated OS thread and sends it closures
//! over a channel. SQLite allows one writer at a time anyway; a single owner serialises the
//! writes without lock contention or `SQLITE_BUSY` retries, keeps prepared statements cached
//! on one connection, never blocks a tokio worker, and keeps the calls in submission order.
//! Reads that must answer even while a long write runs (`/health`, `/metrics`) go to a second,
//! `query_only` connection on its own thread ([`read`], [`Spool::read`]): WAL readers never
//! wait for the writer.

pub mod browse;
pub mod campaigns;
pub mod events;
pub mod evidence;
pub mod lifecycle;
pub mod lock;
pub mod migrations;
pub mod opt_outs;
pub mod outbox;
pub mod read;
pub mod reports;
pub mod retention;
pub mod routed_parts;
pub mod store;
pub mod types;

pub use events::{CampaignItemState, SpoolEvent};
pub use lifecycle::{InvalidTransition, MessageEvent, MessageState};
pub use store::SpoolDb;
pub use types::*;

use crate::clock::{Clock, SystemClock};
use std::path::Path;
use std::sync::Arc;

/// Statements each spool connection keeps prepared (rusqlite's default is 16, fewer than the
/// writer cycles through while it sends and feeds the link: past it, every statement was parsed
/// again on each use).
pub const STATEMENT_CACHE: usize = 128;

/// `execute` through the connection's statement cache: a fixed statement is parsed once per
/// connection, not on every call (rusqlite's `Connection::execute` prepares each time).
pub(crate) trait ExecCached {
    fn exec_cached<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
}

impl ExecCached for rusqlite::Connection {
    fn exec_cached<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }
}

/// Spool failures.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// SQLite said no.
    #[error("spool database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The spool file could not be created.
    #[error("cannot create the spool file {path}: {source}")]
    Create {
        /// The file.
        path: std::path::PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file was written by a newer build.
    #[error("spool schema version {found} is newer than this build knows ({known})")]
    SchemaTooNew {
        /// Version in the file.
        found: usize,
        /// Versions this build has.
        known: usize,
    },
    /// No such message.
    #[error("message {0} not found")]
    NotFound(i64),
    /// The event is not allowed in the message's state.
    #[error("message {id}: {source}")]
    Transition {
        /// Message id.
        id: i64,
        /// Which transition was refused.
        #[source]
        source: InvalidTransition,
    },
    /// A static transition of the lifecycle was refused (a programming error).
    #[error(transparent)]
    Lifecycle(#[from] InvalidTransition),
    /// Stored data is not what this build wrote.
    #[error("spool data is inconsistent: {0}")]
    Corrupt(String),
    /// The spool thread has stopped.
    #[error("the spool thread has stopped")]
    Closed,
}

type Job = Box<dyn FnOnce(&mut SpoolDb) + Send>;
type ReadJob = Box<dyn FnOnce(&read::ReadDb) + Send>;

/// Async handle to the spool (cheap to clone); all calls run on the spool's own thread, reads
/// through [`Spool::read`] on the read thread.
#[derive(Clone)]
pub struct Spool {
    tx: std::sync::mpsc::Sender<Job>,
    reads: std::sync::mpsc::Sender<ReadJob>,
    recovered: Arc<[i64]>,
    news: tokio::sync::watch::Sender<SpoolNews>,
    path: Arc<Path>,
}

/// What the spool thread publishes after a call that changed what its waiters wait for
/// ([`Spool::news`]): every consumer sees the latest value, several changes in a row may
/// reach a waiter as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpoolNews {
    /// The newest outbox event: it moves when a call committed an event (every message
    /// state change commits one), `None` once the outbox is empty.
    pub newest_event: Option<i64>,
    /// How many calls stored a campaign batch or halt since the spool opened.
    pub campaigns: u64,
}

impl Spool {
    /// Opens the spool at `path` with the system clock.
    pub fn open(path: &Path) -> Result<Spool, SpoolError> {
        Self::open_with_clock(path, Arc::new(SystemClock))
    }

    /// Opens the spool at `path` (migrations and crash recovery run before this returns) and
    /// starts its thread; the thread ends when the last handle is dropped.
    pub fn open_with_clock(path: &Path, clock: Arc<dyn Clock>) -> Result<Spool, SpoolError> {
        let mut db = SpoolDb::open(path, clock)?;
        let reader = read::ReadDb::open(path)?;
        let recovered: Arc<[i64]> = db.recovered_at_open().into();
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let news = tokio::sync::watch::Sender::new(SpoolNews {
            newest_event: db.newest_event_id()?,
            campaigns: db.campaign_changes(),
        });
        let publish = news.clone();
        std::thread::Builder::new()
            .name("smsgate-spool".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job(&mut db);
                    // A job that commits an event moves the newest event id; one that stores
                    // a campaign batch or halt moves the campaign count.
                    let newest_event = match db.newest_event_id() {
                        Ok(id) => id,
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot read the newest outbox event id");
                            continue;
                        }
                    };
                    let now = SpoolNews {
                        newest_event,
                        campaigns: db.campaign_changes(),
                    };
                    publish.send_if_modified(|n| {
                        let moved = *n != now;
                        *n = now;
                        moved
                    });
                }
            })
            .map_err(|e| SpoolError::Corrupt(format!("cannot start the spool thread: {e}")))?;
        let (reads, read_rx) = std::sync::mpsc::channel::<ReadJob>();
        std::thread::Builder::new()
            .name("smsgate-spool-read".into())
            .spawn(move || {
                while let Ok(job) = read_rx.recv() {
                    job(&reader);
                }
            })
            .map_err(|e| SpoolError::Corrupt(format!("cannot start the spool read thread: {e}")))?;
        Ok(Spool {
            tx,
            reads,
            recovered,
            news,
            path: path.into(),
        })
    }

    /// Runs the read `f` on the read thread (its own `query_only` connection): it does not
    /// wait for writes in progress and sees the last commit.
    pub async fn read<R, F>(&self, f: F) -> Result<R, SpoolError>
    where
        R: Send + 'static,
        F: FnOnce(&read::ReadDb) -> Result<R, SpoolError> + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        self.reads
            .send(Box::new(move |db| {
                let _ = done.send(f(db));
            }))
            .map_err(|_| SpoolError::Closed)?;
        result.await.map_err(|_| SpoolError::Closed)?
    }

    /// The directory of the spool file (where its journal lives, on the box's disk).
    pub fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        }
    }

    /// The spool's news ([`SpoolNews`]), for any number of waiters: the cloud link wakes when
    /// an outbox event was committed, the campaign runner when a message changed state or a
    /// campaign batch or halt arrived — instead of polling. A change made before a waiter
    /// looks is kept (the receiver sees the value as changed); a waiter reads everything
    /// pending when woken.
    pub fn news(&self) -> tokio::sync::watch::Receiver<SpoolNews> {
        self.news.subscribe()
    }

    /// Ids turned from `sending` into `unknown` at open.
    pub fn recovered_at_open(&self) -> &[i64] {
        &self.recovered
    }

    /// Runs `f` on the spool thread and returns its result.
    pub async fn call<R, F>(&self, f: F) -> Result<R, SpoolError>
    where
        R: Send + 'static,
        F: FnOnce(&mut SpoolDb) -> Result<R, SpoolError> + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        self.tx
            .send(Box::new(move |db| {
                let _ = done.send(f(db));
            }))
            .map_err(|_| SpoolError::Closed)?;
        result.await.map_err(|_| SpoolError::Closed)?
    }
}
