//! E-mail: the [`Mailer`] boundary, the real [`SmtpMailer`] (lettre over tokio and rustls:
//! STARTTLS, implicit TLS or plain, AUTH PLAIN/LOGIN) and the [`RecordingMailer`] fake.
//!
//! An outcome is one of three: the server **accepted** the message (its answer kept), the
//! server **refused** it (a 4xx/5xx answer — a wrong password shows here with the server's
//! words), or it **failed** before any answer (connection, TLS, timeout).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// One e-mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
}

/// What became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailOutcome {
    Accepted(String),
    Refused(String),
    Failed(String),
}

pub type MailFuture<'a> = Pin<Box<dyn Future<Output = MailOutcome> + Send + 'a>>;

/// The e-mail boundary.
pub trait Mailer: Send + Sync + 'static {
    fn send(&self, mail: Mail) -> MailFuture<'_>;
}

/// How to reach the SMTP server (from `hub.toml`'s `[smtp]`).
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: smsgate_config::smtp::SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
    /// Extra trusted CA certificates (PEM), e.g. a private mail relay's.
    pub ca_pem: Option<Vec<u8>>,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// Why the mailer could not be built (names the `hub.toml` key).
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("smtp.from: {0}")]
    From(String),
    #[error("smtp.ca_file: {0}")]
    Ca(String),
    #[error("smtp.host: {0}")]
    Tls(String),
}

/// The real mailer.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Bound on one whole send: lettre's own timeout does not cover every wait (a server that
    /// never greets — a STARTTLS client on an implicit-TLS port — holds it until the server
    /// gives up), and the scheduler must not hang on one server.
    limit: Duration,
}

impl SmtpMailer {
    pub fn new(s: &SmtpSettings) -> Result<Self, MailerError> {
        use smsgate_config::smtp::SmtpSecurity;
        let from: Mailbox = s
            .from
            .parse()
            .map_err(|e| MailerError::From(format!("{e}")))?;
        let tls = || -> Result<TlsParameters, MailerError> {
            let mut b = TlsParameters::builder(s.host.clone());
            if let Some(pem) = &s.ca_pem {
                let cert =
                    Certificate::from_pem(pem).map_err(|e| MailerError::Ca(e.to_string()))?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls()
                .map_err(|e| MailerError::Tls(e.to_string()))
        };
        let mut t = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone())
            .port(s.port)
            .timeout(Some(s.timeout))
            .tls(match s.security {
                SmtpSecurity::Starttls => Tls::Required(tls()?),
                SmtpSecurity::Tls => Tls::Wrapper(tls()?),
                SmtpSecurity::None => Tls::None,
            });
        if let (Some(u), Some(p)) = (&s.username, &s.password) {
            t = t
                .credentials(Credentials::new(u.clone(), p.clone()))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(Self {
            transport: t.build(),
            from,
            limit: s.timeout * 2,
        })
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: Mail) -> MailFuture<'_> {
        Box::pin(async move {
            let to = match format!(
                "{} <{}>",
                mail.to_name.replace(['<', '>', '"'], ""),
                mail.to
            )
            .parse::<Mailbox>()
            .or_else(|_| mail.to.parse::<Mailbox>())
            {
                Ok(m) => m,
                Err(e) => return MailOutcome::Refused(format!("bad address {:?}: {e}", mail.to)),
            };
            let message = match Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(mail.subject)
                .body(mail.body)
            {
                Ok(m) => m,
                Err(e) => return MailOutcome::Failed(format!("building the message: {e}")),
            };
            let sent = tokio::time::timeout(self.limit, self.transport.send(message)).await;
            let Ok(sent) = sent else {
                return MailOutcome::Failed(format!(
                    "no answer from the server within {} s (is smtp.security right for this port?)",
                    self.limit.as_secs()
                ));
            };
            match sent {
                Ok(r) => MailOutcome::Accepted(format!(
                    "{} {}",
                    r.code(),
                    r.message().collect::<Vec<_>>().join(" ")
                )),
                Err(e) if e.is_permanent() || e.is_transient() => {
                    MailOutcome::Refused(describe(&e))
                }
                Err(e) => MailOutcome::Failed(describe(&e)),
            }
        })
    }
}

/// The error with its causes (lettre's `Display` stops at the first line).
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

/// The fake: records every mail and answers what it is told to.
#[derive(Clone, Default)]
pub struct RecordingMailer {
    sent: Arc<Mutex<Vec<Mail>>>,
    refuse: Arc<Mutex<Option<String>>>,
}

impl RecordingMailer {
    pub fn new() -> Self {
        Self::default()
    }
    /// Every mail given to it, in order.
    pub fn sent(&self) -> Vec<Mail> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
    /// From now on, refuse with this answer (`None`: accept).
    pub fn refuse_with(&self, answer: Option<&str>) {
        *self.refuse.lock().unwrap_or_else(|p| p.into_inner()) = answer.map(str::to_owned);
    }
}

impl Mailer for RecordingMailer {
    fn send(&self, mail: Mail) -> MailFuture<'_> {
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(mail);
        let refuse = self
            .refuse
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Box::pin(async move {
            match refuse {
                Some(r) => MailOutcome::Refused(r),
                None => MailOutcome::Accepted("250 recorded".into()),
            }
        })
    }
}
