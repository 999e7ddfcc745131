//! `smsgate sim`: run a simulated GSM lab (modems on pseudo-terminals, virtual SMSC, control API), or talk to
//! a running one (`smsgate sim ctl …`).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use smsgate_hardware::sim::config::{DinstarAuth, DinstarConfig, DinstarMode, Registration};
use smsgate_hardware::sim::profile::ProfileId;
use smsgate_hardware::{Fault, Inbound, Lab, LabConfig};
use tokio_util::sync::CancellationToken;

/// Start a simulated GSM lab: N modems on pseudo-terminals (DIR/ttyUSB0…), a virtual network and SMSC,
/// external handsets that record what they receive, and an HTTP control API.
///
/// Any serial-port program can use the modems: `gammu`, `minicom -D DIR/ttyUSB0`, our gateway.
/// Stop with Ctrl-C.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    smsgate sim --modems 4 --dir /tmp/lab\n  \
    smsgate sim --config sim.toml --control 127.0.0.1:8765\n  \
    smsgate sim ctl list\n  \
    smsgate sim ctl inject --to +15550000001 --from +33612345678 --text 'Bonjour'\n  \
    smsgate sim ctl handset +447700900123\n  \
    smsgate sim ctl fault 0 network searching")]
pub struct Args {
    #[command(subcommand)]
    ctl: Option<Sub>,
    /// TOML lab configuration (see `LabConfig`); flags below override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Number of modems.
    #[arg(long, value_name = "N")]
    modems: Option<usize>,
    /// Directory for the pty symlinks ttyUSB0, ttyUSB1, …
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Vendor profile of every modem: generic, huawei-e1752, quectel-ec25, sim800, dinstar.
    #[arg(long, value_name = "NAME")]
    profile: Option<ProfileId>,
    /// Send latency in ms (0 for tests and benchmarks; default 2500 with 1500 jitter).
    #[arg(long, value_name = "MS")]
    latency_ms: Option<u64>,
    /// Random extra send latency, 0..=MS.
    #[arg(long, value_name = "MS")]
    jitter_ms: Option<u64>,
    /// Delay before a requested status report arrives.
    #[arg(long, value_name = "MS")]
    report_delay_ms: Option<u64>,
    /// Also run a Dinstar gateway in AT mode on this TCP address (`Password:admin`, then `Port:N`).
    #[arg(long, value_name = "ADDR")]
    dinstar_at: Option<SocketAddr>,
    /// Also run a Dinstar gateway HTTP SMS API on this address (its ports keep their SMS in the gateway).
    #[arg(long, value_name = "ADDR")]
    dinstar_http: Option<SocketAddr>,
    /// Login of the Dinstar HTTP API: digest (as the devices do), basic or none.
    #[arg(long, value_name = "SCHEME", value_parser = ["digest", "basic", "none"])]
    dinstar_auth: Option<String>,
    /// Dinstar HTTP API user and password, `USER:PASSWORD` (default admin:admin).
    #[arg(long, value_name = "USER:PASSWORD")]
    dinstar_login: Option<String>,
    /// The Dinstar's clock is UTC plus this many minutes (its time stamps carry no zone).
    #[arg(long, value_name = "MINUTES", allow_hyphen_values = true)]
    dinstar_utc_offset: Option<i32>,
    /// Push incoming SMS, send results, delivery statuses and USSD replies to this URL.
    #[arg(long, value_name = "URL")]
    dinstar_push_url: Option<String>,
    /// Address of the HTTP control API (localhost only).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8765")]
    control: SocketAddr,
    /// `sim ctl` only: base URL of the running lab's control API. Accepted anywhere on the
    /// command line (`smsgate sim --url U ctl list`, `smsgate sim ctl list --url U`).
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "SMSGATE_SIM_URL",
        default_value = DEFAULT_CTL_URL
    )]
    url: String,
}

/// Where `sim ctl` looks for a lab without `--url`: the default `--control` address.
pub const DEFAULT_CTL_URL: &str = "http://127.0.0.1:8765";

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Talk to a running lab over its control API.
    Ctl(CtlArgs),
}

#[derive(Debug, clap::Args)]
struct CtlArgs {
    #[command(subcommand)]
    cmd: Ctl,
}

#[derive(Debug, clap::Subcommand)]
enum Ctl {
    /// List the modems and their state (JSON).
    List,
    /// Send an SMS from the outside world to a SIM of the lab.
    Inject {
        /// A SIM number of the lab (or #N for modem N).
        #[arg(long)]
        to: String,
        /// Sender: +international, national, or alphanumeric.
        #[arg(long)]
        from: String,
        /// The text (any Unicode).
        #[arg(long)]
        text: String,
        /// Force gsm7, ucs2 or 8bit.
        #[arg(long)]
        encoding: Option<String>,
        /// Deliver the parts of a long text in reverse order.
        #[arg(long)]
        out_of_order: bool,
        /// Leave out this part (1-based).
        #[arg(long)]
        drop_part: Option<usize>,
    },
    /// Every SMS-SUBMIT part the network saw, accepted or refused (which modem, text, cause).
    Submissions,
    /// What external handsets received (all, or one number).
    Handset {
        /// The handset number.
        number: Option<String>,
    },
    /// Inject a fault into a modem.
    ///
    /// KIND: hang N | cms-error CODE [SENDS] | sim-removed | sim-inserted | pin-locked PIN |
    /// network home|roaming|searching|denied|not-registered | signal RSSI | unplug | plug | garbage BYTES |
    /// urc-storm COUNT | storage-full true|false [SM|ME|SR] | reboot | power-off | power-on
    ///
    /// `reboot` restarts with the profile's defaults (echo on, no indications); the generic profile says
    /// nothing when it comes back, like many real modems. `cms-error` makes the network refuse the next
    /// SENDS submissions. `storage-full` fills the memory with messages stored earlier.
    Fault {
        /// Modem index.
        modem: usize,
        /// Fault kind.
        kind: String,
        /// Values of the fault.
        values: Vec<String>,
    },
}

/// Runs `smsgate sim`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    match args.ctl {
        Some(Sub::Ctl(ctl)) => rt.block_on(ctl_run(&args.url, ctl)),
        None => rt.block_on(serve(args)),
    }
}

async fn serve(args: Args) -> anyhow::Result<ExitCode> {
    let mut cfg = match &args.config {
        Some(p) => LabConfig::from_file(p)?,
        None => LabConfig {
            modems: 4,
            ..LabConfig::default()
        },
    };
    if let Some(n) = args.modems {
        cfg.modems = n;
    }
    if let Some(d) = args.dir {
        cfg.dir = d;
    }
    if let Some(p) = args.profile {
        cfg.profile = p;
    }
    if let Some(v) = args.latency_ms {
        cfg.latency_ms = v;
        if v == 0 && args.jitter_ms.is_none() {
            cfg.jitter_ms = 0;
        }
    }
    if let Some(v) = args.jitter_ms {
        cfg.jitter_ms = v;
    }
    if let Some(v) = args.report_delay_ms {
        cfg.delivery_report_delay_ms = v;
    }
    if (args.dinstar_at.is_some() || args.dinstar_http.is_some()) && cfg.dinstar.is_none() {
        cfg.dinstar = Some(DinstarConfig {
            mode: if args.dinstar_http.is_some() {
                DinstarMode::Http
            } else {
                DinstarMode::At
            },
            ..DinstarConfig::default()
        });
    }
    if let Some(d) = cfg.dinstar.as_mut() {
        if let Some(a) = args.dinstar_auth.as_deref() {
            d.auth = match a {
                "basic" => DinstarAuth::Basic,
                "none" => DinstarAuth::None,
                _ => DinstarAuth::Digest,
            };
        }
        if let Some(l) = &args.dinstar_login {
            let (u, p) = l
                .split_once(':')
                .context("--dinstar-login: expected USER:PASSWORD")?;
            d.http_user = u.to_owned();
            d.http_password = p.to_owned();
        }
        if let Some(o) = args.dinstar_utc_offset {
            d.utc_offset_min = o;
        }
        if let Some(u) = &args.dinstar_push_url {
            d.push_url = Some(u.clone());
        }
    }
    if !args.control.ip().is_loopback() {
        bail!(
            "--control: {} is not a loopback address; the control API has no authentication",
            args.control
        );
    }
    let cancel = CancellationToken::new();
    let lab = Lab::start(
        cfg,
        Arc::new(smsgate_hardware::clock::SystemClock),
        cancel.clone(),
    )?;
    let listener = tokio::net::TcpListener::bind(args.control)
        .await
        .with_context(|| format!("--control: cannot listen on {}", args.control))?;
    for s in lab.specs() {
        let path = lab
            .modem_path(s.index)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        println!(
            "modem {}: {path}  {}  {}  IMSI {}",
            s.index,
            s.msisdn,
            s.profile.name(),
            s.imsi
        );
    }
    println!("control API: http://{}", args.control);
    let server = tokio::spawn(smsgate_hardware::sim::control::serve(lab.clone(), listener));
    if let Some(addr) = args.dinstar_at {
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("--dinstar-at: cannot listen on {addr}"))?;
        tokio::spawn(smsgate_hardware::sim::dinstar::serve_at(lab.clone(), l));
        println!("dinstar AT mode: {addr} (ports {:?})", lab.dinstar_ports());
    }
    if let Some(addr) = args.dinstar_http {
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("--dinstar-http: cannot listen on {addr}"))?;
        tokio::spawn(smsgate_hardware::sim::dinstar::serve_http(lab.clone(), l));
        println!(
            "dinstar HTTP API: http://{addr} (ports {:?})",
            lab.dinstar_ports()
        );
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot wait for SIGTERM")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("cannot wait for Ctrl-C")?,
        _ = term.recv() => {}
    }
    cancel.cancel();
    server.await.context("control API task")??;
    Ok(ExitCode::SUCCESS)
}

fn parse_fault(kind: &str, v: &[String]) -> anyhow::Result<Fault> {
    let n = |i: usize, name: &str| -> anyhow::Result<u64> {
        let s = v
            .get(i)
            .with_context(|| format!("fault {kind}: missing {name}"))?;
        s.parse()
            .with_context(|| format!("fault {kind}: {name} {s:?} is not a number"))
    };
    Ok(match kind {
        "hang" => Fault::Hang {
            commands: u32::try_from(n(0, "N")?)?,
        },
        "cms-error" => Fault::CmsError {
            code: u16::try_from(n(0, "CODE")?)?,
            sends: if v.len() > 1 {
                u32::try_from(n(1, "SENDS")?)?
            } else {
                1
            },
        },
        "sim-removed" => Fault::SimRemoved,
        "sim-inserted" => Fault::SimInserted,
        "pin-locked" => Fault::PinLocked {
            pin: v.first().context("fault pin-locked: missing PIN")?.clone(),
        },
        "network" => Fault::Network {
            state: match v.first().map(String::as_str) {
                Some("home") => Registration::Home,
                Some("roaming") => Registration::Roaming,
                Some("searching" | "lost") => Registration::Searching,
                Some("denied") => Registration::Denied,
                Some("not-registered") => Registration::NotRegistered,
                other => bail!(
                    "fault network: {other:?} is not home|roaming|searching|denied|not-registered"
                ),
            },
        },
        "signal" => Fault::Signal {
            rssi: u8::try_from(n(0, "RSSI")?)?,
        },
        "unplug" => Fault::Unplug,
        "plug" => Fault::Plug,
        "garbage" => Fault::Garbage {
            bytes: usize::try_from(n(0, "BYTES")?)?,
        },
        "urc-storm" => Fault::UrcStorm {
            count: usize::try_from(n(0, "COUNT")?)?,
        },
        "storage-full" => Fault::StorageFull {
            full: match v.first().map(String::as_str) {
                None | Some("true") => true,
                Some("false") => false,
                Some(o) => bail!("fault storage-full: {o:?} is not true|false"),
            },
            memory: match v.get(1).map(|m| m.to_ascii_uppercase()) {
                None => None,
                Some(m) if matches!(m.as_str(), "SM" | "ME" | "MT" | "SR") => Some(m),
                Some(m) => bail!("fault storage-full: memory {m:?} is not SM|ME|MT|SR"),
            },
        },
        "reboot" => Fault::Reboot,
        "power-off" => Fault::PowerOff,
        "power-on" => Fault::PowerOn,
        other => bail!("fault: unknown kind {other:?} (see `smsgate sim ctl fault --help`)"),
    })
}

async fn ctl_run(url: &str, a: CtlArgs) -> anyhow::Result<ExitCode> {
    let http = reqwest::Client::new();
    let base = url.trim_end_matches('/');
    let resp = match a.cmd {
        Ctl::List => http.get(format!("{base}/api/modems")).send().await,
        Ctl::Submissions => http.get(format!("{base}/api/submissions")).send().await,
        Ctl::Handset { number: None } => http.get(format!("{base}/api/handsets")).send().await,
        Ctl::Handset { number: Some(n) } => {
            http.get(format!("{base}/api/handsets/{n}")).send().await
        }
        Ctl::Inject {
            to,
            from,
            text,
            encoding,
            out_of_order,
            drop_part,
        } => {
            let encoding = match encoding {
                Some(e) => Some(
                    serde_json::from_value(serde_json::Value::String(e.clone()))
                        .with_context(|| format!("--encoding: {e:?} is not gsm7, ucs2 or 8bit"))?,
                ),
                None => None,
            };
            let msg = Inbound {
                from,
                to,
                text,
                encoding,
                out_of_order,
                drop_part,
            };
            http.post(format!("{base}/api/inject"))
                .json(&msg)
                .send()
                .await
        }
        Ctl::Fault {
            modem,
            kind,
            values,
        } => {
            let f = parse_fault(&kind, &values)?;
            http.post(format!("{base}/api/modems/{modem}/fault"))
                .json(&f)
                .send()
                .await
        }
    }
    .with_context(|| format!("cannot reach the lab at {base}"))?;
    let status = resp.status();
    let body: serde_json::Value = resp
        .json()
        .await
        .context("the lab answered something that is not JSON")?;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{}", serde_json::to_string_pretty(&body)?)
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    Ok(if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use clap::Parser;

    /// `smsgate sim …` as the root parser sees it.
    #[derive(Debug, Parser)]
    struct Sim {
        #[command(flatten)]
        args: Args,
    }

    /// Parses `words` as `smsgate sim <words>`; the ctl URL and the subcommand's name.
    pub(crate) fn parse_ctl(words: &[&str]) -> Result<(String, String), clap::Error> {
        let sim = Sim::try_parse_from(std::iter::once("sim").chain(words.iter().copied()))?;
        let cmd = match sim.args.ctl {
            Some(Sub::Ctl(c)) => format!("{:?}", c.cmd),
            None => "serve".into(),
        };
        Ok((sim.args.url, cmd))
    }

    #[test]
    fn sim_ctl_takes_url_before_ctl_before_the_command_and_after_it() {
        let url = "http://127.0.0.1:9876";
        for words in [
            &["--url", url, "ctl", "list"][..],
            &["ctl", "--url", url, "list"][..],
            &["ctl", "list", "--url", url][..],
            &["ctl", "fault", "--url", url, "0", "network", "searching"][..],
        ] {
            let (got, cmd) = parse_ctl(words).unwrap();
            assert_eq!(got, url, "{words:?}");
            assert_ne!(cmd, "serve", "{words:?}");
        }
        let (got, _) = parse_ctl(&["ctl", "list"]).unwrap();
        assert_eq!(got, DEFAULT_CTL_URL);
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn fault_words_become_control_api_faults() {
        assert_eq!(
            parse_fault("hang", &v(&["3"])).unwrap(),
            Fault::Hang { commands: 3 }
        );
        assert_eq!(
            parse_fault("cms-error", &v(&["500"])).unwrap(),
            Fault::CmsError {
                code: 500,
                sends: 1
            }
        );
        assert_eq!(
            parse_fault("network", &v(&["lost"])).unwrap(),
            Fault::Network {
                state: Registration::Searching
            }
        );
        assert_eq!(
            parse_fault("storage-full", &v(&[])).unwrap(),
            Fault::StorageFull {
                full: true,
                memory: None
            }
        );
        assert_eq!(
            parse_fault("storage-full", &v(&["true", "sr"])).unwrap(),
            Fault::StorageFull {
                full: true,
                memory: Some("SR".into())
            }
        );
    }

    #[test]
    fn bad_fault_words_say_which_value_is_wrong() {
        let e = parse_fault("hang", &v(&["x"])).unwrap_err().to_string();
        assert!(e.contains("fault hang: N \"x\""), "{e}");
        let e = parse_fault("network", &v(&["moon"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("moon"), "{e}");
        let e = parse_fault("melt", &v(&[])).unwrap_err().to_string();
        assert!(e.contains("unknown kind \"melt\""), "{e}");
    }
}
