//! The embedded broker: rumqttd on a loopback-only port, behind an authorizing MQTT proxy on the
//! public address.
//!
//! rumqttd 0.20 can check a username/password at CONNECT but has no per-topic ACL, so every
//! client talks to [`AuthProxy`] instead. The proxy decodes the client's packets with rumqttc's
//! MQTT 3.1.1 codec (`rumqttc::mqttbytes::v4`) and:
//! - answers CONNECT itself with a refusing CONNACK when the client id or username is not a
//!   plain token (`#`, `+`, `/`), the login is wrong ([`CredentialStore`]), a gateway's client id
//!   is not its gateway id, the last will is on a foreign topic, or the protocol is not 3.1.1;
//! - answers a SUBSCRIBE containing any foreign filter with a SUBACK whose every return code is
//!   failure (0x80), without forwarding it;
//! - closes the connection on a PUBLISH to a foreign topic (the message is never forwarded);
//! - forwards everything else byte for byte to rumqttd, after replacing the password of the
//!   CONNECT with a per-start random secret that rumqttd's own auth hook requires (so a local
//!   process cannot bypass the proxy by dialing rumqttd's loopback port without it).
//!
//! rumqttd has no shutdown API: [`InnerBroker`] threads live until the process exits.
//! [`AuthProxy::stop`] closes the public listener and every proxied connection, which is what
//! "stopping the broker" means for the gateways.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::v4::{
    ConnAck, ConnectReturnCode, Login, Packet, SubAck, SubscribeReasonCode,
};
use rumqttc::mqttbytes::{self, Error as CodecError};
use subtle::ConstantTimeEq;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::{CredentialStore, Refusal, is_plain_identifier};

/// Errors starting the broker.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the inner rumqttd broker did not come up on {0}")]
    InnerNotReady(SocketAddr),
    #[error("cannot start the inner rumqttd broker: {0}")]
    Inner(String),
}

/// Settings of the embedded broker.
#[derive(Clone)]
pub struct BrokerConfig {
    /// Public address gateways and the hub connect to.
    pub listen: SocketAddr,
    /// TLS for the public listener (`None` = plain MQTT).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Most simultaneous client connections rumqttd accepts.
    pub max_connections: usize,
    /// Largest MQTT packet accepted from a client, in bytes.
    pub max_packet_size: usize,
    /// How long a new connection may take to send its CONNECT (and finish TLS).
    pub connect_timeout: Duration,
}

impl BrokerConfig {
    /// Plain MQTT on `listen` with defaults fit for a few thousand gateways.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            tls: None,
            max_connections: 10_000,
            max_packet_size: 256 * 1024,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// rumqttd running on a loopback port, accepting only clients that know its secret.
#[derive(Debug, Clone)]
pub struct InnerBroker {
    addr: SocketAddr,
    secret: String,
}

impl InnerBroker {
    /// Starts rumqttd on a free 127.0.0.1 port in its own threads and waits until it accepts
    /// connections.
    pub async fn start(
        max_connections: usize,
        max_packet_size: usize,
    ) -> Result<Self, BrokerError> {
        let probe =
            std::net::TcpListener::bind("127.0.0.1:0").map_err(|source| BrokerError::Bind {
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                source,
            })?;
        let addr = probe.local_addr().map_err(|source| BrokerError::Bind {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            source,
        })?;
        drop(probe);
        let secret = uuid::Uuid::new_v4().simple().to_string();

        let mut connections = rumqttd::ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: max_packet_size,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        };
        let expected = secret.clone();
        connections.set_auth_handler(move |_client_id, _user, pass: String| {
            let ok: bool = pass.as_bytes().ct_eq(expected.as_bytes()).into();
            async move { ok }
        });
        let server = rumqttd::ServerSettings {
            name: "smsgate-inner-v4".to_owned(),
            listen: addr,
            tls: None,
            next_connection_delay_ms: 0,
            connections,
        };
        let config = rumqttd::Config {
            id: 0,
            router: rumqttd::RouterConfig {
                max_connections,
                max_outgoing_packet_count: 200,
                max_segment_size: 1024 * 1024,
                max_segment_count: 10,
                custom_segment: None,
                initialized_filters: None,
                shared_subscriptions_strategy: Default::default(),
            },
            v4: Some(HashMap::from([("inner".to_owned(), server)])),
            ..Default::default()
        };
        std::thread::Builder::new()
            .name("rumqttd".to_owned())
            .spawn(move || {
                let mut broker = rumqttd::Broker::new(config);
                if let Err(e) = broker.start() {
                    tracing::error!(error = %e, "embedded rumqttd stopped");
                }
            })
            .map_err(|e| BrokerError::Inner(e.to_string()))?;

        for _ in 0..250 {
            if TcpStream::connect(addr).await.is_ok() {
                return Ok(Self { addr, secret });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(BrokerError::InnerNotReady(addr))
    }

    /// The loopback address rumqttd listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// The authorizing proxy on the public address.
pub struct AuthProxy {
    local_addr: SocketAddr,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

struct ProxyShared<C> {
    credentials: C,
    upstream: InnerBroker,
    max_packet_size: usize,
    connect_timeout: Duration,
}

impl AuthProxy {
    /// Binds `config.listen` and serves until `cancel` (or [`AuthProxy::stop`]).
    pub async fn start<C: CredentialStore>(
        config: &BrokerConfig,
        upstream: InnerBroker,
        credentials: C,
        cancel: CancellationToken,
    ) -> Result<Self, BrokerError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| BrokerError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| BrokerError::Bind {
            addr: config.listen,
            source,
        })?;
        let shared = Arc::new(ProxyShared {
            credentials,
            upstream,
            max_packet_size: config.max_packet_size,
            connect_timeout: config.connect_timeout,
        });
        let tls = config.tls.clone().map(tokio_rustls::TlsAcceptor::from);
        let tracker = TaskTracker::new();
        let accept_cancel = cancel.clone();
        let conn_tracker = tracker.clone();
        tracker.spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = accept_cancel.cancelled() => break,
                    a = listener.accept() => a,
                };
                let (tcp, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let shared = shared.clone();
                let tls = tls.clone();
                let cancel = accept_cancel.clone();
                conn_tracker.spawn(async move {
                    let result = match tls {
                        None => serve(tcp, &shared, &cancel).await,
                        Some(acceptor) => {
                            match tokio::time::timeout(shared.connect_timeout, acceptor.accept(tcp))
                                .await
                            {
                                Ok(Ok(stream)) => serve(stream, &shared, &cancel).await,
                                Ok(Err(e)) => Err(ProxyError::Io(e)),
                                Err(_) => Err(ProxyError::ConnectTimeout),
                            }
                        }
                    };
                    match result {
                        Ok(()) => {}
                        Err(ProxyError::Refused(r)) => {
                            tracing::info!(%peer, reason = %r, "mqtt client refused")
                        }
                        Err(e) => tracing::debug!(%peer, error = %e, "mqtt connection ended"),
                    }
                });
            }
        });
        tracker.close();
        Ok(Self {
            local_addr,
            cancel,
            tracker,
        })
    }

    /// The public address (with the real port when `listen` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Closes the listener and every proxied connection, and waits until they are gone.
    pub async fn stop(self) {
        self.cancel.cancel();
        self.tracker.wait().await;
    }
}

/// rumqttd behind the authorizing proxy: what the hub runs by default.
pub struct EmbeddedBroker {
    inner: InnerBroker,
    proxy: AuthProxy,
}

impl EmbeddedBroker {
    /// Starts rumqttd on loopback and the proxy on `config.listen`. The proxy stops when
    /// `cancel` fires.
    pub async fn start<C: CredentialStore>(
        config: &BrokerConfig,
        credentials: C,
        cancel: CancellationToken,
    ) -> Result<Self, BrokerError> {
        let inner = InnerBroker::start(config.max_connections, config.max_packet_size).await?;
        let proxy =
            AuthProxy::start(config, inner.clone(), credentials, cancel.child_token()).await?;
        Ok(Self { inner, proxy })
    }

    /// The public address clients connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.proxy.local_addr()
    }

    /// The loopback rumqttd (to start another proxy on it, e.g. after [`Self::stop_listener`]).
    pub fn inner(&self) -> &InnerBroker {
        &self.inner
    }

    /// Stops the public listener and drops every client connection; rumqttd keeps its
    /// persistent sessions, so clients resume when a proxy is started again.
    pub async fn stop_listener(self) -> InnerBroker {
        self.proxy.stop().await;
        self.inner
    }
}

#[derive(Debug, thiserror::Error)]
enum ProxyError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("mqtt codec: {0}")]
    Codec(String),
    #[error("no CONNECT in time")]
    ConnectTimeout,
    #[error("refused: {0}")]
    Refused(Refusal),
    #[error("credential store: {0}")]
    Store(String),
    #[error("peer closed")]
    Closed,
    #[error("protocol violation: {0}")]
    Protocol(&'static str),
}

/// Reads from `r` until `buf` holds one complete frame; returns its length.
async fn fill_frame<R: AsyncRead + Unpin>(
    r: &mut R,
    buf: &mut BytesMut,
    max: usize,
) -> Result<usize, ProxyError> {
    loop {
        match mqttbytes::check(buf.iter(), max) {
            Ok(header) => return Ok(header.frame_length()),
            Err(CodecError::InsufficientBytes(_)) => {}
            Err(e) => return Err(ProxyError::Codec(e.to_string())),
        }
        if r.read_buf(buf).await? == 0 {
            return Err(ProxyError::Closed);
        }
    }
}

fn encode(packet: Packet) -> Result<Bytes, ProxyError> {
    let mut out = BytesMut::new();
    let written = match packet {
        Packet::ConnAck(p) => p.write(&mut out),
        Packet::SubAck(p) => p.write(&mut out),
        Packet::Connect(p) => p.write(&mut out),
        _ => return Err(ProxyError::Protocol("unexpected packet to encode")),
    };
    written.map_err(|e| ProxyError::Codec(e.to_string()))?;
    Ok(out.freeze())
}

async fn refuse<W: AsyncWrite + Unpin>(
    w: &mut W,
    code: ConnectReturnCode,
    why: Refusal,
) -> Result<(), ProxyError> {
    let bytes = encode(Packet::ConnAck(ConnAck::new(code, false)))?;
    let _ = w.write_all(&bytes).await;
    let _ = w.shutdown().await;
    Err(ProxyError::Refused(why))
}

const PUBLISH: u8 = 3;
const SUBSCRIBE: u8 = 8;
const CONNECT: u8 = 1;

async fn serve<S, C>(
    stream: S,
    shared: &ProxyShared<C>,
    cancel: &CancellationToken,
) -> Result<(), ProxyError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    C: CredentialStore,
{
    let (mut cr, mut cw) = tokio::io::split(stream);
    let max = shared.max_packet_size;
    let mut buf = BytesMut::with_capacity(4096);

    // 1. CONNECT: authenticate and authorize before anything reaches rumqttd.
    let first = tokio::time::timeout(shared.connect_timeout, async {
        let len = fill_frame(&mut cr, &mut buf, max).await?;
        Ok::<_, ProxyError>(len)
    })
    .await
    .map_err(|_| ProxyError::ConnectTimeout)??;
    let _ = first;
    let mut connect = match Packet::read(&mut buf, max) {
        Ok(Packet::Connect(c)) => c,
        Ok(_) => return Err(ProxyError::Protocol("first packet is not CONNECT")),
        Err(CodecError::InvalidProtocol) | Err(CodecError::InvalidProtocolLevel(_)) => {
            return refuse(
                &mut cw,
                ConnectReturnCode::RefusedProtocolVersion,
                Refusal::UnsupportedProtocol,
            )
            .await;
        }
        Err(e) => return Err(ProxyError::Codec(e.to_string())),
    };
    if !is_plain_identifier(&connect.client_id) {
        return refuse(
            &mut cw,
            ConnectReturnCode::BadClientId,
            Refusal::BadClientId(connect.client_id.clone()),
        )
        .await;
    }
    let Some(login) = connect.login.clone() else {
        return refuse(
            &mut cw,
            ConnectReturnCode::NotAuthorized,
            Refusal::NoCredentials,
        )
        .await;
    };
    if !is_plain_identifier(&login.username) {
        return refuse(
            &mut cw,
            ConnectReturnCode::BadUserNamePassword,
            Refusal::BadUsername(login.username.clone()),
        )
        .await;
    }
    let principal = match shared
        .credentials
        .verify(&login.username, &login.password)
        .await
    {
        Ok(Some(p)) => p,
        Ok(None) => {
            return refuse(
                &mut cw,
                ConnectReturnCode::BadUserNamePassword,
                Refusal::WrongCredentials,
            )
            .await;
        }
        Err(e) => {
            let bytes = encode(Packet::ConnAck(ConnAck::new(
                ConnectReturnCode::ServiceUnavailable,
                false,
            )))?;
            let _ = cw.write_all(&bytes).await;
            return Err(ProxyError::Store(e.0));
        }
    };
    if let Err(r) = principal.check_client_id(&connect.client_id) {
        return refuse(&mut cw, ConnectReturnCode::BadClientId, r).await;
    }
    if let Some(will) = &connect.last_will
        && let Err(r) = principal.check_publish(&will.topic)
    {
        return refuse(&mut cw, ConnectReturnCode::NotAuthorized, r).await;
    }

    // 2. Upstream connection with the inner secret.
    let upstream = TcpStream::connect(shared.upstream.addr).await?;
    let _ = upstream.set_nodelay(true);
    let (mut ur, mut uw) = upstream.into_split();
    connect.login = Some(Login::new(login.username, shared.upstream.secret.clone()));
    uw.write_all(&encode(Packet::Connect(connect))?).await?;

    // 3. Pump both ways. One writer task owns the client side so that the proxy's own
    //    answers (SUBACK failures) never interleave with forwarded frames.
    let (to_client, mut to_client_rx) = mpsc::channel::<Bytes>(256);
    let writer = async move {
        while let Some(frame) = to_client_rx.recv().await {
            cw.write_all(&frame).await?;
            while let Ok(more) = to_client_rx.try_recv() {
                cw.write_all(&more).await?;
            }
            cw.flush().await?;
        }
        let _ = cw.shutdown().await;
        Ok::<(), ProxyError>(())
    };
    let to_client_up = to_client.clone();
    let downstream = async move {
        let mut ubuf = BytesMut::with_capacity(4096);
        loop {
            // Frames from rumqttd may be larger than what we accept from clients.
            let len = fill_frame(&mut ur, &mut ubuf, usize::MAX >> 4).await?;
            let frame = ubuf.split_to(len).freeze();
            if to_client_up.send(frame).await.is_err() {
                return Ok::<(), ProxyError>(());
            }
        }
    };
    let upstream_pump = async move {
        loop {
            let len = fill_frame(&mut cr, &mut buf, max).await?;
            let frame = buf.split_to(len);
            let kind = frame.first().map(|b| b >> 4).unwrap_or(0);
            match kind {
                PUBLISH | SUBSCRIBE | CONNECT => {
                    let mut parse = frame.clone();
                    match Packet::read(&mut parse, max)
                        .map_err(|e| ProxyError::Codec(e.to_string()))?
                    {
                        Packet::Publish(p) => {
                            principal
                                .check_publish(&p.topic)
                                .map_err(ProxyError::Refused)?;
                        }
                        Packet::Subscribe(s) => {
                            let refused = s
                                .filters
                                .iter()
                                .find_map(|f| principal.check_subscribe(&f.path).err());
                            if let Some(r) = refused {
                                tracing::info!(reason = %r, "subscribe refused");
                                let codes = vec![SubscribeReasonCode::Failure; s.filters.len()];
                                let answer = encode(Packet::SubAck(SubAck::new(s.pkid, codes)))?;
                                to_client
                                    .send(answer)
                                    .await
                                    .map_err(|_| ProxyError::Closed)?;
                                continue;
                            }
                        }
                        _ => return Err(ProxyError::Protocol("second CONNECT")),
                    }
                }
                _ => {}
            }
            uw.write_all(&frame).await?;
        }
    };
    let result = tokio::select! {
        _ = cancel.cancelled() => Ok(()),
        r = upstream_pump => r,
        r = downstream => r,
        r = writer => r,
    };
    match result {
        Err(ProxyError::Closed) => Ok(()),
        other => other,
    }
}
