//! One trial connection to a broker with a link's settings, to tell a technician what fails
//! before the settings are used: the name (DNS), the TCP connection (refused, unreachable),
//! the TLS handshake, or the MQTT login. Nothing is subscribed or published; the session is
//! not cleaned (`clean_session = false`, so a persistent session the broker keeps for that
//! client id is left as it is) and the connection is closed right after the broker's CONNACK.

use std::time::Duration;

use rumqttc::{AsyncClient, ConnectReturnCode, ConnectionError, Event, Packet};

use crate::options::{LinkOptions, OptionsError};

/// What the trial connection found wrong; [`ProbeError::code`] names the step for a UI.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The settings themselves (URL, TLS files).
    #[error("{0}")]
    Options(#[from] OptionsError),
    /// The broker's host name does not resolve.
    #[error("the name {host:?} does not resolve: {detail}")]
    Dns {
        /// Host name.
        host: String,
        /// The resolver's words.
        detail: String,
    },
    /// Nothing listens at the address (TCP RST).
    #[error("{addr} refused the connection: nothing listens on that port")]
    Refused {
        /// Address tried.
        addr: String,
    },
    /// The address cannot be reached (no route, network down…).
    #[error("{addr} cannot be reached: {detail}")]
    Unreachable {
        /// Address tried.
        addr: String,
        /// The system's words.
        detail: String,
    },
    /// A step took longer than the probe's timeout.
    #[error("no answer within {seconds} s while {step}")]
    Timeout {
        /// What was being waited for.
        step: &'static str,
        /// The timeout.
        seconds: u64,
    },
    /// The TLS handshake failed (certificate not trusted, wrong name, not a TLS port…).
    #[error("TLS handshake failed: {detail}")]
    Tls {
        /// rustls' words.
        detail: String,
    },
    /// The broker refused the login (wrong username, password or client id).
    #[error("the broker refused the login ({code:?}): check gateway_id, username and password")]
    Credentials {
        /// The CONNACK's code.
        code: ConnectReturnCode,
    },
    /// The broker answered that it cannot serve now.
    #[error("the broker is unavailable (CONNACK ServiceUnavailable)")]
    Unavailable,
    /// The far end does not speak MQTT 3.1.1 as expected.
    #[error("the far end did not answer as an MQTT broker: {detail}")]
    Protocol {
        /// What happened.
        detail: String,
    },
}

impl ProbeError {
    /// The failed step: `settings`, `dns`, `refused`, `unreachable`, `timeout`, `tls`,
    /// `credentials`, `unavailable` or `protocol`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Options(_) => "settings",
            Self::Dns { .. } => "dns",
            Self::Refused { .. } => "refused",
            Self::Unreachable { .. } => "unreachable",
            Self::Timeout { .. } => "timeout",
            Self::Tls { .. } => "tls",
            Self::Credentials { .. } => "credentials",
            Self::Unavailable => "unavailable",
            Self::Protocol { .. } => "protocol",
        }
    }
}

/// What a successful trial saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOk {
    /// The address connected to.
    pub addr: String,
    /// Whether TLS was used.
    pub tls: bool,
    /// The broker kept a session for this client id.
    pub session_present: bool,
}

/// How far [`probe`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeDepth {
    /// Name, TCP, TLS and the MQTT login.
    Login,
    /// Name and TCP only (for a client id whose running link must not be taken over).
    Reach,
}

/// Tries `options` once; each step gets at most `timeout`.
pub async fn probe(
    options: &LinkOptions,
    depth: ProbeDepth,
    timeout: Duration,
) -> Result<ProbeOk, ProbeError> {
    let secs = timeout.as_secs().max(1);
    let late = |step| ProbeError::Timeout {
        step,
        seconds: secs,
    };
    let host = options.url.host.clone();
    let port = options.url.port;
    let addrs: Vec<_> =
        tokio::time::timeout(timeout, tokio::net::lookup_host((host.as_str(), port)))
            .await
            .map_err(|_| late("resolving the broker's name"))?
            .map_err(|e| ProbeError::Dns {
                host: host.clone(),
                detail: e.to_string(),
            })?
            .collect();
    let first = addrs.first().ok_or_else(|| ProbeError::Dns {
        host: host.clone(),
        detail: "no address".into(),
    })?;
    let addr = first.to_string();
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(first)).await {
        Err(_) => return Err(late("connecting over TCP")),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(ProbeError::Refused { addr });
        }
        Ok(Err(e)) => {
            return Err(ProbeError::Unreachable {
                addr,
                detail: e.to_string(),
            });
        }
        Ok(Ok(stream)) => drop(stream),
    }
    let tls = options.url.tls;
    if depth == ProbeDepth::Reach {
        return Ok(ProbeOk {
            addr,
            tls,
            session_present: false,
        });
    }
    let mut mqtt = options.mqtt_options()?;
    mqtt.set_keep_alive(Duration::from_secs(secs.max(5)));
    let (client, mut eventloop) = AsyncClient::new(mqtt, 10);
    let answer = tokio::time::timeout(timeout, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => return Ok(ack.session_present),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
    })
    .await
    .map_err(|_| {
        late(if tls {
            "waiting for the TLS handshake and the broker's CONNACK"
        } else {
            "waiting for the broker's CONNACK"
        })
    })?;
    let session_present = answer.map_err(|e| classify(e, tls))?;
    // Close politely; the probe's result does not depend on it.
    let _ = client.try_disconnect();
    let _ = tokio::time::timeout(Duration::from_millis(200), eventloop.poll()).await;
    Ok(ProbeOk {
        addr,
        tls,
        session_present,
    })
}

fn classify(e: ConnectionError, tls: bool) -> ProbeError {
    match e {
        ConnectionError::ConnectionRefused(
            code @ (ConnectReturnCode::BadUserNamePassword
            | ConnectReturnCode::NotAuthorized
            | ConnectReturnCode::BadClientId),
        ) => ProbeError::Credentials { code },
        ConnectionError::ConnectionRefused(ConnectReturnCode::ServiceUnavailable) => {
            ProbeError::Unavailable
        }
        ConnectionError::ConnectionRefused(code) => ProbeError::Protocol {
            detail: format!("CONNACK {code:?}"),
        },
        ConnectionError::Tls(e) => ProbeError::Tls {
            detail: e.to_string(),
        },
        // The TCP connection was accepted a moment ago: an I/O error now is the handshake
        // failing (TLS) or the far end closing on our CONNECT (not a broker).
        ConnectionError::Io(e) if tls => ProbeError::Tls {
            detail: e.to_string(),
        },
        other => ProbeError::Protocol {
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::BrokerUrl;

    fn options(url: &str) -> LinkOptions {
        LinkOptions::new(BrokerUrl::parse(url).unwrap(), "gw-1", "gw-1", "pw")
    }

    #[tokio::test]
    async fn a_closed_port_is_named_as_refused() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let e = probe(
            &options(&format!("mqtt://127.0.0.1:{port}")),
            ProbeDepth::Login,
            Duration::from_secs(2),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), "refused", "{e}");
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_named_as_dns() {
        let e = probe(
            &options("mqtt://no-such-host.invalid:1883"),
            ProbeDepth::Login,
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), "dns", "{e}");
    }

    #[tokio::test]
    async fn a_plain_listener_that_is_not_tls_fails_the_handshake_as_tls() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt as _;
            while let Ok((mut s, _)) = l.accept().await {
                let _ = s.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n").await;
            }
        });
        let e = probe(
            &options(&format!("mqtts://127.0.0.1:{port}")),
            ProbeDepth::Login,
            Duration::from_secs(2),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), "tls", "{e}");
    }
}
