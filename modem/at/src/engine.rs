//! The async engine: one task per modem connection that owns the stream, runs one command at a time and
//! routes URCs to their own bounded channel.
//!
//! Life of a command: the caller's [`EngineHandle`] queues a [`Request`]; the task tells the digester what is in
//! flight, writes `line + CR`, and collects information lines until a final result (or the deadline). Prompt
//! commands wait for `>` (prompt timeout), then write payload + Ctrl-Z and wait for the result (result timeout);
//! a prompt timeout — or a caller that gave up before the payload went out — writes ESC so the modem leaves the
//! prompt.
//!
//! After a timeout the engine **resynchronises** before the next command, so a late answer of the timed-out
//! command is never taken as the next command's answer. With [`EngineConfig::resync_probe`] (the default) it
//! writes the V.250 register query `ATS3?`, whose answer `013` (S3 = the CR character) cannot be confused with
//! any late answer, and discards everything up to the final result that follows `013` (a modem that answers
//! the probe with `ERROR`: two final results, or one followed by [`EngineConfig::drain_quiet`] of silence).
//! Without the probe it
//! discards lines until a final result arrives or the line has been quiet for [`EngineConfig::drain_quiet`].
//! Either way it gives up after [`EngineConfig::drain_max`] (a modem that does not answer at all).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::command::{AtCommand, Request, Response, Urc, decode_line};
use crate::digest::{Digested, Digester, FinalResult, trim};
use crate::error::AtError;
use crate::throttle::Throttle;

/// Receives the URCs of one engine.
pub type UrcReceiver = mpsc::Receiver<Urc>;

/// Ctrl-Z: ends a prompt payload.
const CTRL_Z: u8 = 0x1A;
/// ESC: leaves the prompt without sending.
const ESC: u8 = 0x1B;

/// Engine settings. `Default` gives sensible values; set `label` to the port name for the logs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Port label shown in every log line (`ttyUSB2`, `dinstar-1:5`).
    pub label: String,
    /// Capacity of the URC channel; when full, new URCs are dropped with a warning and counted.
    pub urc_capacity: usize,
    /// Capacity of the command queue shared by all handles.
    pub queue_capacity: usize,
    /// After a timeout, resynchronise with the `ATS3?` probe (see the module docs). On by default.
    pub resync_probe: bool,
    /// After a timeout without the probe: how long the line must stay quiet before the next command may start.
    pub drain_quiet: Duration,
    /// After a timeout: the longest the engine drains before starting the next command anyway.
    pub drain_max: Duration,
    /// For `final_on_info` commands: how long to wait for a real final result after the decisive line.
    pub final_grace: Duration,
    /// Extra URC names for this modem (vendor profiles), e.g. `"+QIND"` or a bare `"READY"`.
    pub extra_urcs: Vec<String>,
    /// Slow writers (old Siemens, Nokia phones): write in chunks with a pause between them.
    pub write_pacing: Option<WritePacing>,
    /// Pause between the end of one command and the start of the next (smstools3 `communication_delay`).
    pub command_gap: Duration,
    /// URC lines that announce a modem restart (`RDY`, `^SYSSTART`, `+WIND: 3`; compared as line prefixes,
    /// ignoring case). One arriving while a command is in flight fails that command at once with
    /// [`AtError::Interrupted`] (a rebooted modem never answers it); the line still goes out as a URC.
    pub interrupt_on: Vec<String>,
    /// Repeated warnings (URCs dropped on a full channel) are logged once, then at most once per this
    /// interval with a count ([`crate::Throttle`]).
    pub warn_interval: Duration,
    /// Cancel to stop the engine; pending and queued commands fail with [`AtError::Closed`].
    pub cancel: CancellationToken,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            label: "modem".to_string(),
            urc_capacity: 64,
            queue_capacity: 32,
            resync_probe: true,
            drain_quiet: Duration::from_millis(500),
            drain_max: Duration::from_secs(5),
            final_grace: Duration::from_millis(300),
            extra_urcs: Vec::new(),
            write_pacing: None,
            command_gap: Duration::ZERO,
            interrupt_on: Vec::new(),
            warn_interval: Duration::from_secs(30),
            cancel: CancellationToken::new(),
        }
    }
}

/// Write `chunk` bytes at a time with `pause` between chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WritePacing {
    /// Bytes per write (at least 1).
    pub chunk: usize,
    /// Pause between two writes.
    pub pause: Duration,
}

/// Why an engine stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitReason {
    /// The stream ended (modem unplugged, TCP peer closed).
    Eof,
    /// Reading or writing failed (the message is the I/O error).
    Io(String),
    /// The cancellation token fired.
    Cancelled,
    /// Every [`EngineHandle`] was dropped.
    HandlesDropped,
}

#[derive(Debug)]
struct Shared {
    label: String,
    dropped_urcs: AtomicU64,
    echoes: AtomicU64,
    exit: Mutex<Option<ExitReason>>,
}

struct Job {
    request: Request,
    reply: oneshot::Sender<Result<Response, AtError>>,
}

/// A cloneable handle to one engine. Commands from all clones queue and run one at a time.
#[derive(Debug, Clone)]
pub struct EngineHandle {
    jobs: mpsc::Sender<Job>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("request", &self.request.display())
            .finish()
    }
}

impl EngineHandle {
    /// Runs a typed command: `OK` → `command.parse(..)`, any other final result → its [`AtError`].
    pub async fn run<C: AtCommand + ?Sized>(&self, command: &C) -> Result<C::Output, AtError> {
        let response = self
            .request(Request::from_command(command))
            .await?
            .into_result()?;
        command.parse(&response)
    }

    /// Runs a request and returns the whole response, whatever its final result (errors are only timeouts,
    /// I/O and a closed engine).
    pub async fn request(&self, request: Request) -> Result<Response, AtError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { request, reply })
            .await
            .map_err(|_| AtError::Closed {
                payload_sent: false,
            })?;
        answer.await.unwrap_or(Err(AtError::Closed {
            payload_sent: false,
        }))
    }

    /// The raw escape hatch: send `line` (no CR), wait up to `timeout`, treat lines named in `expects` as the
    /// answer; returns info lines + final result as they came.
    pub async fn raw(
        &self,
        line: &str,
        timeout: Duration,
        expects: &[&str],
    ) -> Result<Response, AtError> {
        let mut request = Request::new(line).timeout(timeout);
        request.expects = expects.iter().map(|e| e.to_string()).collect();
        self.request(request).await
    }

    /// The port label.
    pub fn label(&self) -> &str {
        &self.shared.label
    }

    /// How many URCs were dropped because the URC channel was full.
    pub fn dropped_urcs(&self) -> u64 {
        self.shared.dropped_urcs.load(Ordering::Relaxed)
    }

    /// How many of our command lines the modem has echoed back since the engine started. A modem set to
    /// `ATE0` that echoes again has lost its settings (a silent reboot): supervisors compare this count
    /// before and after a command.
    pub fn echoes_seen(&self) -> u64 {
        self.shared.echoes.load(Ordering::Relaxed)
    }

    /// True once the engine task has stopped.
    pub fn is_closed(&self) -> bool {
        self.jobs.is_closed()
    }

    /// Waits until the engine stops and tells why (supervisors reopen the port on `Eof`/`Io`).
    pub async fn closed(&self) -> ExitReason {
        self.jobs.closed().await;
        self.exit_reason().unwrap_or(ExitReason::HandlesDropped)
    }

    /// Why the engine stopped, once it has.
    pub fn exit_reason(&self) -> Option<ExitReason> {
        self.shared.exit.lock().map(|e| e.clone()).unwrap_or(None)
    }
}

/// Starts engines.
#[derive(Debug)]
pub struct Engine;

impl Engine {
    /// Spawns the engine task on the current tokio runtime over `io` (serial port, TCP stream, duplex…).
    /// Returns the command handle and the URC receiver.
    pub fn spawn<T>(io: T, config: EngineConfig) -> (EngineHandle, UrcReceiver)
    where
        T: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (jobs_tx, jobs_rx) = mpsc::channel(config.queue_capacity.max(1));
        let (urc_tx, urc_rx) = mpsc::channel(config.urc_capacity.max(1));
        let shared = Arc::new(Shared {
            label: config.label.clone(),
            dropped_urcs: AtomicU64::new(0),
            echoes: AtomicU64::new(0),
            exit: Mutex::new(None),
        });
        let (reader, writer) = tokio::io::split(io);
        let task = Task {
            digester: Digester::with_extra_urcs(config.extra_urcs.clone()),
            dropped: Throttle::new(config.warn_interval),
            flush_drops_at: None,
            config,
            reader,
            writer,
            jobs: jobs_rx,
            urcs: urc_tx,
            shared: shared.clone(),
            active: None,
            drain: None,
            ready_at: None,
        };
        tokio::spawn(task.run());
        (
            EngineHandle {
                jobs: jobs_tx,
                shared,
            },
            urc_rx,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the final result of an ordinary command.
    Command,
    /// Waiting for `>`.
    Prompt,
    /// Payload written; waiting for the result.
    Result,
}

struct Active {
    job: Job,
    phase: Phase,
    deadline: Instant,
    lines: Vec<String>,
    /// Set when a `final_on_info` line arrived: complete with OK at the deadline.
    grace: bool,
}

struct Drain {
    /// Probe mode: waiting for `013`, then the final result after it. Otherwise quiet-period mode.
    probe: bool,
    probe_answered: bool,
    /// Final results seen while waiting for `013` (late answer and/or the probe's own `ERROR`).
    finals: u8,
    quiet_until: Instant,
    hard_until: Instant,
}

/// The resync probe and its unmistakable answer.
const PROBE: &[u8] = b"ATS3?";

struct Task<T> {
    config: EngineConfig,
    digester: Digester,
    reader: ReadHalf<T>,
    writer: WriteHalf<T>,
    jobs: mpsc::Receiver<Job>,
    urcs: mpsc::Sender<Urc>,
    shared: Arc<Shared>,
    active: Option<Active>,
    drain: Option<Drain>,
    /// Earliest start of the next command (`command_gap`).
    ready_at: Option<Instant>,
    /// URCs dropped on a full channel: one warning per interval, with a count.
    dropped: Throttle,
    /// When to log the drops not logged yet.
    flush_drops_at: Option<Instant>,
}

enum Wake {
    Cancelled,
    Read(std::io::Result<usize>),
    Deadline,
    CallerGone,
    Job(Option<Job>),
    FlushDrops,
}

impl<T: AsyncRead + AsyncWrite + Send + 'static> Task<T> {
    async fn run(mut self) {
        let mut buf = vec![0u8; 1024];
        let reason = loop {
            let deadline = self.deadline();
            let idle = self.active.is_none() && self.drain.is_none();
            let prompt_wait = self
                .active
                .as_ref()
                .is_some_and(|a| a.phase == Phase::Prompt);
            let wake = tokio::select! {
                biased;
                _ = self.config.cancel.cancelled() => Wake::Cancelled,
                read = self.reader.read(&mut buf) => Wake::Read(read),
                _ = sleep_until(deadline), if deadline.is_some() => Wake::Deadline,
                _ = caller_gone(&mut self.active), if prompt_wait => Wake::CallerGone,
                job = self.jobs.recv(), if idle => Wake::Job(job),
                _ = sleep_until(self.flush_drops_at), if self.flush_drops_at.is_some() => Wake::FlushDrops,
            };
            let step = match wake {
                Wake::Cancelled => Err(ExitReason::Cancelled),
                Wake::Read(Ok(0)) => Err(ExitReason::Eof),
                Wake::Read(Ok(n)) => self.on_bytes(&buf[..n]).await,
                Wake::Read(Err(e)) => Err(ExitReason::Io(e.to_string())),
                Wake::Deadline => self.on_deadline().await,
                Wake::CallerGone => self.abandon_prompt("caller gave up").await,
                Wake::Job(Some(job)) => self.start(job).await,
                Wake::Job(None) => Err(ExitReason::HandlesDropped),
                Wake::FlushDrops => {
                    self.flush_drops_at = None;
                    self.report_dropped_urcs_end();
                    Ok(())
                }
            };
            if let Err(reason) = step {
                break reason;
            }
        };
        self.shutdown(reason);
    }

    fn deadline(&self) -> Option<Instant> {
        if let Some(active) = &self.active {
            return Some(active.deadline);
        }
        self.drain.as_ref().map(|d| {
            if d.probe && d.finals == 0 {
                d.hard_until
            } else {
                d.quiet_until.min(d.hard_until)
            }
        })
    }

    fn shutdown(&mut self, reason: ExitReason) {
        self.report_dropped_urcs_end();
        match &reason {
            ExitReason::Io(e) => {
                tracing::warn!(port = %self.config.label, error = %e, "AT engine stopped on I/O error")
            }
            other => {
                tracing::debug!(port = %self.config.label, reason = ?other, "AT engine stopped")
            }
        }
        if let Some(active) = self.active.take() {
            let payload_sent = active.phase == Phase::Result;
            let error = match &reason {
                ExitReason::Io(message) => AtError::Io {
                    source: std::io::Error::other(message.clone()),
                    payload_sent,
                },
                _ => AtError::Closed { payload_sent },
            };
            let _ = active.job.reply.send(Err(error));
        }
        if let Ok(mut exit) = self.shared.exit.lock() {
            *exit = Some(reason);
        }
        // Dropping the receiver fails every queued job (their callers get `Closed`).
        self.jobs.close();
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), ExitReason> {
        let pacing = self.config.write_pacing.filter(|p| p.chunk > 0);
        let result = async {
            match pacing {
                Some(pacing) => {
                    for (i, chunk) in bytes.chunks(pacing.chunk).enumerate() {
                        if i > 0 {
                            tokio::time::sleep(pacing.pause).await;
                        }
                        self.writer.write_all(chunk).await?;
                        self.writer.flush().await?;
                    }
                    Ok(())
                }
                None => {
                    self.writer.write_all(bytes).await?;
                    self.writer.flush().await
                }
            }
        }
        .await;
        result.map_err(|e| ExitReason::Io(e.to_string()))
    }

    fn command_done(&mut self) {
        if !self.config.command_gap.is_zero() {
            self.ready_at = Some(Instant::now() + self.config.command_gap);
        }
    }

    async fn start(&mut self, job: Job) -> Result<(), ExitReason> {
        let request = &job.request;
        if job.reply.is_closed() {
            tracing::debug!(port = %self.config.label, command = %request.display(), "caller gone before start; skipped");
            return Ok(());
        }
        if let Some(at) = self.ready_at.take() {
            tokio::time::sleep_until(at).await;
        }
        let expects: Vec<&str> = request.expects.iter().map(String::as_str).collect();
        self.digester
            .begin(&request.line, &expects, request.payload.is_some());
        tracing::debug!(port = %self.config.label, "> {}", request.display());
        let (phase, wait) = match request.payload {
            Some(_) => (Phase::Prompt, request.prompt_timeout),
            None => (Phase::Command, request.timeout),
        };
        let mut bytes = Vec::with_capacity(request.line.len() + 1);
        bytes.extend_from_slice(&request.line);
        bytes.push(b'\r');
        self.active = Some(Active {
            job,
            phase,
            deadline: Instant::now() + wait,
            lines: Vec::new(),
            grace: false,
        });
        self.write(&bytes).await
    }

    async fn on_bytes(&mut self, mut input: &[u8]) -> Result<(), ExitReason> {
        if let Some(drain) = &mut self.drain {
            drain.quiet_until = Instant::now() + self.config.drain_quiet;
        }
        loop {
            let (item, used) = self.digester.feed(input);
            input = &input[used..];
            // `None`: all input used (an item may come with nothing used, so loop on the item).
            let Some(item) = item else { break };
            match item {
                Digested::Echo(line) => {
                    // Our command line echoed (the payload echo after `>` is hex, never `AT…`).
                    if line.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"AT")) {
                        self.shared.echoes.fetch_add(1, Ordering::Relaxed);
                    }
                    tracing::debug!(port = %self.config.label, "< (echo) {}", decode_line(line));
                }
                Digested::Prompt => {
                    tracing::debug!(port = %self.config.label, "< >");
                    self.on_prompt().await?;
                }
                Digested::Info(line) => {
                    let text = decode_line(line);
                    tracing::debug!(port = %self.config.label, "< {text}");
                    let grace = self.config.final_grace;
                    match &mut self.active {
                        Some(active) => {
                            let echo = active.phase == Phase::Result
                                && active
                                    .job
                                    .request
                                    .payload
                                    .as_deref()
                                    .is_some_and(|p| trim(line) == trim(p));
                            if !echo {
                                if active.job.request.final_on_info
                                    && !active.grace
                                    && is_expected(&active.job.request, &text)
                                {
                                    active.grace = true;
                                    active.deadline = Instant::now() + grace;
                                }
                                active.lines.push(text);
                            }
                        }
                        None => {
                            if let Some(drain) = &mut self.drain
                                && drain.probe
                                && text.trim().trim_start_matches('0') == "13"
                            {
                                drain.probe_answered = true;
                            }
                            tracing::debug!(port = %self.config.label, line = %text, "late line discarded");
                        }
                    }
                }
                Digested::Final(result) => {
                    tracing::debug!(port = %self.config.label, "< {result:?}");
                    self.on_final(result);
                }
                Digested::Urc { header, data } => {
                    let urc = Urc {
                        line: decode_line(header),
                        data: data.map(decode_line),
                    };
                    tracing::debug!(port = %self.config.label, urc = %urc.line, data = ?urc.data, "< URC");
                    if self.announces_restart(&urc.line) {
                        self.interrupted(&urc.line);
                    }
                    self.route_urc(urc);
                }
                Digested::Stray(line) => {
                    tracing::debug!(port = %self.config.label, line = %decode_line(line), "stray line ignored");
                }
                Digested::Garbage(line) => {
                    tracing::debug!(port = %self.config.label, bytes = line.len(), "garbage line ignored");
                }
            }
        }
        Ok(())
    }

    async fn on_prompt(&mut self) -> Result<(), ExitReason> {
        let Some(active) = &mut self.active else {
            return Ok(());
        };
        if active.phase != Phase::Prompt {
            return Ok(());
        }
        if active.job.reply.is_closed() {
            return self.abandon_prompt("caller gave up").await;
        }
        let mut bytes = active.job.request.payload.clone().unwrap_or_default();
        bytes.push(CTRL_Z);
        active.phase = Phase::Result;
        active.deadline = Instant::now() + active.job.request.timeout;
        tracing::debug!(port = %self.config.label, "> (payload, {} bytes) + Ctrl-Z", bytes.len() - 1);
        self.write(&bytes).await
    }

    fn on_final(&mut self, result: FinalResult) {
        if let Some(active) = self.active.take() {
            self.digester.end();
            let response = Response {
                lines: active.lines,
                result,
            };
            let _ = active.job.reply.send(Ok(response));
            self.command_done();
        } else if let Some(drain) = &mut self.drain {
            // Waiting for `013`: a final result is the timed-out command's late answer, or the probe's own
            // `ERROR` on a modem without S3 queries. Two of them mean both came; one means "wait for quiet".
            if drain.probe && !drain.probe_answered && drain.finals == 0 {
                drain.finals += 1;
                tracing::debug!(port = %self.config.label, ?result, "final result while resynchronising discarded");
            } else {
                tracing::debug!(port = %self.config.label, "resynchronised after a timeout");
                self.drain = None;
                self.digester.end();
            }
        } else {
            tracing::debug!(port = %self.config.label, "stray final result ignored");
        }
    }

    fn announces_restart(&self, line: &str) -> bool {
        self.config.interrupt_on.iter().any(|p| {
            line.trim_start()
                .get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p))
        })
    }

    /// The modem restarted: the command in flight (and any resynchronisation) will never be answered.
    fn interrupted(&mut self, line: &str) {
        self.drain = None;
        let Some(active) = self.active.take() else {
            self.digester.end();
            return;
        };
        self.digester.end();
        let payload_sent = active.phase == Phase::Result;
        let command = active.job.request.display();
        tracing::warn!(port = %self.config.label, %command, line, payload_sent, "the modem restarted during a command");
        let _ = active.job.reply.send(Err(AtError::Interrupted {
            command,
            line: line.to_owned(),
            payload_sent,
        }));
        self.command_done();
    }

    /// Logs what the drop throttle still holds (the storm is over or the engine stops).
    fn report_dropped_urcs_end(&mut self) {
        if let Some(n) = self.dropped.flush() {
            let total = self.shared.dropped_urcs.load(Ordering::Relaxed);
            tracing::warn!(port = %self.config.label, dropped = n, total, "URC channel full: {n} more URCs dropped");
        }
    }

    fn route_urc(&mut self, urc: Urc) {
        match self.urcs.try_send(urc) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(urc)) => {
                let total = self.shared.dropped_urcs.fetch_add(1, Ordering::Relaxed) + 1;
                // The last count is logged one interval after the last drop.
                self.flush_drops_at = Some(Instant::now() + self.config.warn_interval);
                if let Some(n) = self.dropped.hit(Instant::now().into_std()) {
                    tracing::warn!(port = %self.config.label, urc = %urc.line, dropped = n, total,
                        "URC channel full (the modem sends faster than it is read): {n} URCs dropped");
                }
            }
            Err(mpsc::error::TrySendError::Closed(urc)) => {
                tracing::debug!(port = %self.config.label, urc = %urc.line, "no URC receiver; URC dropped");
            }
        }
    }

    async fn on_deadline(&mut self) -> Result<(), ExitReason> {
        let now = Instant::now();
        let Some(active) = &self.active else {
            if self.drain.as_ref().is_some_and(|d| {
                ((!d.probe || d.finals > 0) && now >= d.quiet_until) || now >= d.hard_until
            }) {
                tracing::debug!(port = %self.config.label, "drain finished on a quiet line or its time limit");
                self.drain = None;
                self.digester.end();
            }
            return Ok(());
        };
        if now < active.deadline {
            return Ok(());
        }
        if active.grace {
            self.on_final(FinalResult::Ok);
            return Ok(());
        }
        match active.phase {
            Phase::Prompt => self.abandon_prompt("prompt timeout").await,
            Phase::Command | Phase::Result => {
                let payload_sent = active.phase == Phase::Result;
                let after = active.job.request.timeout;
                let command = active.job.request.display();
                tracing::warn!(port = %self.config.label, %command, ?after, payload_sent, "command timed out");
                self.fail_and_drain(AtError::Timeout {
                    command,
                    after,
                    payload_sent,
                })
                .await
            }
        }
    }

    /// Leaves the prompt with ESC (nothing is sent) and fails the command.
    async fn abandon_prompt(&mut self, why: &str) -> Result<(), ExitReason> {
        let Some(active) = &self.active else {
            return Ok(());
        };
        let command = active.job.request.display();
        let after = active.job.request.prompt_timeout;
        tracing::warn!(port = %self.config.label, %command, why, "leaving the prompt with ESC");
        self.write(&[ESC]).await?;
        self.fail_and_drain(AtError::PromptTimeout { command, after })
            .await
    }

    async fn fail_and_drain(&mut self, error: AtError) -> Result<(), ExitReason> {
        if let Some(active) = self.active.take() {
            let _ = active.job.reply.send(Err(error));
        }
        let now = Instant::now();
        let probe = self.config.resync_probe;
        self.drain = Some(Drain {
            probe,
            probe_answered: false,
            finals: 0,
            quiet_until: now + self.config.drain_quiet,
            hard_until: now + self.config.drain_max,
        });
        if probe {
            // From now on every line is the probe's (or the timed-out command's) answer: nothing is expected.
            self.digester.begin(PROBE, &[], false);
            tracing::debug!(port = %self.config.label, "> ATS3? (resync)");
            let mut bytes = PROBE.to_vec();
            bytes.push(b'\r');
            self.write(&bytes).await?;
        }
        // Without the probe the digester keeps its view of the timed-out command while its answer drains.
        Ok(())
    }
}

fn is_expected(request: &Request, line: &str) -> bool {
    request.expects.iter().any(|e| {
        let e = e.trim().trim_end_matches(':');
        line.trim_start()
            .get(..e.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(e))
    })
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Resolves when the caller of the active command dropped its future.
async fn caller_gone(active: &mut Option<Active>) {
    match active {
        Some(active) => active.job.reply.closed().await,
        None => std::future::pending().await,
    }
}
