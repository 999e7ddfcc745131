//! Opening the byte stream an engine runs over: serial ports, plain TCP (ser2net) and Dinstar AT mode over
//! TCP — behind the [`Opener`] trait, with the real [`SystemOpener`] and the recording [`FakeOpener`].
//!
//! Dinstar "API work mode: AT" (Dinstar GSM Gateway AT commands V1.1): per TCP connection the client logs in with
//! `Password:<password>` → `OK`/`FAIL`, then picks a GSM module with `Port:<n>` → `OK`/`FAIL`/`NOT READY`; after
//! that raw AT commands go to that module. Some firmware greets with a bare `Password:` prompt first and expects
//! only the password; [`dinstar_login`] handles both.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::AtError;

/// Any byte stream an engine can run over.
pub trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for T {}

/// A boxed stream, as returned by an [`Opener`].
pub type BoxedStream = Box<dyn AsyncStream>;

/// Serial flow control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlowControl {
    /// None (most USB dongles).
    #[default]
    None,
    /// RTS/CTS.
    Hardware,
    /// XON/XOFF.
    Software,
}

/// A serial port to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialConfig {
    /// Device path, e.g. `/dev/ttyUSB2`.
    pub path: String,
    /// Baud rate (USB dongles ignore it; real UARTs do not).
    pub baud: u32,
    /// Flow control.
    pub flow: FlowControl,
}

impl SerialConfig {
    /// `path` at 115200 baud without flow control.
    pub fn new(path: impl Into<String>) -> Self {
        SerialConfig {
            path: path.into(),
            baud: 115_200,
            flow: FlowControl::None,
        }
    }
}

/// Opens a serial port (8N1, raw mode) as an async stream.
pub fn open_serial(config: &SerialConfig) -> Result<tokio_serial::SerialStream, AtError> {
    if config.path.is_empty() {
        return Err(AtError::Invalid {
            field: "serial path",
            reason: "empty".into(),
        });
    }
    if config.baud == 0 {
        return Err(AtError::Invalid {
            field: "baud",
            reason: "must be greater than 0".into(),
        });
    }
    let flow = match config.flow {
        FlowControl::None => tokio_serial::FlowControl::None,
        FlowControl::Hardware => tokio_serial::FlowControl::Hardware,
        FlowControl::Software => tokio_serial::FlowControl::Software,
    };
    let builder = tokio_serial::new(&config.path, config.baud)
        .flow_control(flow)
        .data_bits(tokio_serial::DataBits::Eight)
        .parity(tokio_serial::Parity::None)
        .stop_bits(tokio_serial::StopBits::One);
    tokio_serial::SerialStream::open(&builder).map_err(|e| AtError::Io {
        source: std::io::Error::other(format!("{}: {e}", config.path)),
        payload_sent: false,
    })
}

/// Dinstar AT-mode credentials: password and GSM module (port) number.
#[derive(Clone, PartialEq, Eq)]
pub struct DinstarLogin {
    /// API password configured on the gateway.
    pub password: String,
    /// GSM module number (0-based, as the gateway numbers them).
    pub port: u16,
}

impl fmt::Debug for DinstarLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DinstarLogin")
            .field("password", &"<redacted>")
            .field("port", &self.port)
            .finish()
    }
}

/// Where a modem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A local serial device.
    Serial(SerialConfig),
    /// A raw TCP byte stream (ser2net): `host:port`.
    Tcp(String),
    /// A Dinstar gateway in AT mode: `host:port` plus login.
    Dinstar {
        /// `host:port` of the gateway's AT listener.
        addr: String,
        /// Password and module.
        login: DinstarLogin,
    },
}

impl Endpoint {
    /// Parses `tcp://host:port`, `dinstar://PASSWORD@host:port/MODULE`, or a device path
    /// (`/dev/ttyUSB0`, optionally `serial:///dev/ttyUSB0`) at 115200 baud.
    pub fn parse(text: &str) -> Result<Endpoint, AtError> {
        let text = text.trim();
        if let Some(addr) = text.strip_prefix("tcp://") {
            check_host_port(addr)?;
            return Ok(Endpoint::Tcp(addr.to_string()));
        }
        if let Some(rest) = text.strip_prefix("dinstar://") {
            let (password, rest) = rest.rsplit_once('@').ok_or_else(|| AtError::Invalid {
                field: "endpoint",
                reason: format!("{text:?}: expected dinstar://PASSWORD@host:port/MODULE"),
            })?;
            let (addr, module) = rest.split_once('/').ok_or_else(|| AtError::Invalid {
                field: "endpoint",
                reason: format!("{text:?}: missing /MODULE after host:port"),
            })?;
            check_host_port(addr)?;
            let port = module.parse::<u16>().map_err(|_| AtError::Invalid {
                field: "dinstar module",
                reason: format!("{module:?} is not a module number"),
            })?;
            let login = DinstarLogin {
                password: password.to_string(),
                port,
            };
            return Ok(Endpoint::Dinstar {
                addr: addr.to_string(),
                login,
            });
        }
        let path = text.strip_prefix("serial://").unwrap_or(text);
        if path.is_empty() || !path.starts_with('/') {
            return Err(AtError::Invalid {
                field: "endpoint",
                reason: format!(
                    "{text:?}: expected a device path, tcp://host:port or dinstar://PASSWORD@host:port/MODULE"
                ),
            });
        }
        Ok(Endpoint::Serial(SerialConfig::new(path)))
    }

    /// A label for logs (never shows the Dinstar password).
    pub fn label(&self) -> String {
        match self {
            Endpoint::Serial(config) => config.path.clone(),
            Endpoint::Tcp(addr) => format!("tcp://{addr}"),
            Endpoint::Dinstar { addr, login } => format!("dinstar://{addr}/{}", login.port),
        }
    }
}

fn check_host_port(addr: &str) -> Result<(), AtError> {
    match addr.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(AtError::Invalid {
            field: "endpoint",
            reason: format!("{addr:?} is not host:port"),
        }),
    }
}

/// Logs in to a Dinstar gateway's AT mode on an open stream and selects the module.
///
/// Waits up to `greeting` for a `Password:` prompt: if one comes, answers with the bare password, otherwise sends
/// `Password:<password>`. Then `Port:<n>`. Every answer must arrive within `timeout`.
/// Errors: `FAIL` → [`AtError::LoginFailed`], `NOT READY` → [`AtError::NotReady`].
pub async fn dinstar_login<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    login: &DinstarLogin,
    greeting: Duration,
    timeout: Duration,
) -> Result<(), AtError> {
    let io_err = |source| AtError::Io {
        source,
        payload_sent: false,
    };
    let prompted = match tokio::time::timeout(greeting, read_line(stream)).await {
        Ok(line) => {
            let line = line.map_err(io_err)?;
            line.trim().eq_ignore_ascii_case("Password:")
        }
        Err(_) => false,
    };
    let mut password = if prompted {
        Vec::new()
    } else {
        b"Password:".to_vec()
    };
    password.extend_from_slice(login.password.as_bytes());
    password.extend_from_slice(b"\r\n");
    stream.write_all(&password).await.map_err(io_err)?;
    expect_ok(stream, "Password", timeout).await?;
    stream
        .write_all(format!("Port:{}\r\n", login.port).as_bytes())
        .await
        .map_err(io_err)?;
    expect_ok(stream, "Port", timeout).await
}

async fn expect_ok<S: AsyncRead + Unpin>(
    stream: &mut S,
    step: &'static str,
    timeout: Duration,
) -> Result<(), AtError> {
    loop {
        let line = tokio::time::timeout(timeout, read_line(stream))
            .await
            .map_err(|_| AtError::Timeout {
                command: format!("Dinstar {step}"),
                after: timeout,
                payload_sent: false,
            })?
            .map_err(|source| AtError::Io {
                source,
                payload_sent: false,
            })?;
        let line = line.trim();
        match line {
            "" => continue,
            l if l.eq_ignore_ascii_case("OK") => return Ok(()),
            l if l.eq_ignore_ascii_case("NOT READY") => return Err(AtError::NotReady),
            // Echo of what we sent, or a repeated prompt.
            l if l.starts_with("Password:") || l.starts_with("Port:") => continue,
            other => {
                return Err(AtError::LoginFailed {
                    step,
                    answer: other.to_string(),
                });
            }
        }
    }
}

/// Reads one non-empty line byte by byte (so nothing after it is consumed); a bare `Password:` prompt without a
/// line end also counts as a line.
async fn read_line<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<String> {
    let mut line = Vec::new();
    loop {
        let mut byte = [0u8; 1];
        if stream.read(&mut byte).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed during login",
            ));
        }
        match byte[0] {
            b'\r' | b'\n' if line.is_empty() => {}
            b'\r' | b'\n' => break,
            other => line.push(other),
        }
        if line.eq_ignore_ascii_case(b"Password:") || line.len() > 256 {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Opens endpoints. The gateway's supervisor holds one and reopens a port when its engine closes.
pub trait Opener: Send + Sync {
    /// Opens `endpoint`, logging in first where the endpoint needs it.
    fn open(
        &self,
        endpoint: &Endpoint,
    ) -> impl Future<Output = Result<BoxedStream, AtError>> + Send;
}

/// The real opener: serial devices, TCP connections, Dinstar login.
#[derive(Debug, Clone)]
pub struct SystemOpener {
    /// Connect timeout for TCP.
    pub connect_timeout: Duration,
    /// How long to wait for a Dinstar `Password:` greeting before sending `Password:<pw>` unprompted.
    pub dinstar_greeting: Duration,
    /// Time for each Dinstar login answer.
    pub dinstar_timeout: Duration,
}

impl Default for SystemOpener {
    fn default() -> Self {
        SystemOpener {
            connect_timeout: Duration::from_secs(10),
            dinstar_greeting: Duration::from_millis(500),
            dinstar_timeout: Duration::from_secs(10),
        }
    }
}

impl SystemOpener {
    async fn connect(&self, addr: &str) -> Result<TcpStream, AtError> {
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| AtError::Timeout {
                command: format!("connect {addr}"),
                after: self.connect_timeout,
                payload_sent: false,
            })?
            .map_err(|e| AtError::Io {
                source: std::io::Error::new(e.kind(), format!("{addr}: {e}")),
                payload_sent: false,
            })?;
        // Commands are small and latency matters more than throughput.
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }
}

impl Opener for SystemOpener {
    async fn open(&self, endpoint: &Endpoint) -> Result<BoxedStream, AtError> {
        match endpoint {
            Endpoint::Serial(config) => Ok(Box::new(open_serial(config)?)),
            Endpoint::Tcp(addr) => Ok(Box::new(self.connect(addr).await?)),
            Endpoint::Dinstar { addr, login } => {
                let mut stream = self.connect(addr).await?;
                dinstar_login(
                    &mut stream,
                    login,
                    self.dinstar_greeting,
                    self.dinstar_timeout,
                )
                .await?;
                Ok(Box::new(stream))
            }
        }
    }
}

/// A recording fake: remembers every endpoint asked for and hands out scripted streams or errors in order
/// (an empty script answers [`AtError::Closed`]).
#[derive(Default)]
pub struct FakeOpener {
    opened: Mutex<Vec<Endpoint>>,
    script: Mutex<VecDeque<Result<BoxedStream, AtError>>>,
}

impl fmt::Debug for FakeOpener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeOpener")
            .field("opened", &self.opened())
            .finish()
    }
}

impl FakeOpener {
    /// An opener with an empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `open` returns `stream` (e.g. one end of `tokio::io::duplex`).
    pub fn push_stream(&self, stream: impl AsyncStream + 'static) {
        if let Ok(mut script) = self.script.lock() {
            script.push_back(Ok(Box::new(stream)));
        }
    }

    /// The next `open` fails with `error`.
    pub fn push_error(&self, error: AtError) {
        if let Ok(mut script) = self.script.lock() {
            script.push_back(Err(error));
        }
    }

    /// Every endpoint `open` was called with, in order.
    pub fn opened(&self) -> Vec<Endpoint> {
        self.opened.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

impl Opener for FakeOpener {
    async fn open(&self, endpoint: &Endpoint) -> Result<BoxedStream, AtError> {
        if let Ok(mut opened) = self.opened.lock() {
            opened.push(endpoint.clone());
        }
        let next = self.script.lock().ok().and_then(|mut s| s.pop_front());
        next.unwrap_or(Err(AtError::Closed {
            payload_sent: false,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_from_their_text_forms() {
        assert_eq!(
            Endpoint::parse("/dev/ttyUSB2").unwrap(),
            Endpoint::Serial(SerialConfig::new("/dev/ttyUSB2"))
        );
        assert_eq!(
            Endpoint::parse("serial:///dev/ttyS0").unwrap(),
            Endpoint::Serial(SerialConfig::new("/dev/ttyS0"))
        );
        assert_eq!(
            Endpoint::parse("tcp://10.0.0.5:7000").unwrap(),
            Endpoint::Tcp("10.0.0.5:7000".into())
        );
        let dinstar = Endpoint::parse("dinstar://s3cr@t@gw.local:9000/5").unwrap();
        assert_eq!(
            dinstar,
            Endpoint::Dinstar {
                addr: "gw.local:9000".into(),
                login: DinstarLogin {
                    password: "s3cr@t".into(),
                    port: 5
                }
            }
        );
        assert_eq!(dinstar.label(), "dinstar://gw.local:9000/5");
        assert!(!format!("{dinstar:?}").contains("s3cr"));
    }

    #[test]
    fn bad_endpoints_name_the_problem() {
        for (text, needle) in [
            ("tcp://nohost", "host:port"),
            ("tcp://h:99999", "host:port"),
            ("dinstar://gw:1/2", "PASSWORD@"),
            ("dinstar://pw@gw:1", "MODULE"),
            ("dinstar://pw@gw:1/x", "module"),
            ("ttyUSB0", "device path"),
        ] {
            let err = Endpoint::parse(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn open_serial_rejects_bad_settings_before_touching_the_system() {
        let err = open_serial(&SerialConfig {
            path: String::new(),
            baud: 9600,
            flow: FlowControl::None,
        })
        .unwrap_err();
        assert!(err.to_string().contains("serial path"));
        let err = open_serial(&SerialConfig {
            path: "/dev/null".into(),
            baud: 0,
            flow: FlowControl::None,
        })
        .unwrap_err();
        assert!(err.to_string().contains("baud"));
    }

    #[tokio::test]
    async fn fake_opener_records_and_replays_its_script() {
        let fake = FakeOpener::new();
        let (a, _b) = tokio::io::duplex(64);
        fake.push_stream(a);
        fake.push_error(AtError::NotReady);
        let ep = Endpoint::Tcp("h:1".into());
        assert!(fake.open(&ep).await.is_ok());
        assert!(matches!(fake.open(&ep).await, Err(AtError::NotReady)));
        assert!(matches!(fake.open(&ep).await, Err(AtError::Closed { .. })));
        assert_eq!(fake.opened().len(), 3);
    }
}
