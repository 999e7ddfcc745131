//! `smsgate demo`: the whole platform on one machine, seeded and ready.
//!
//! `smsgate demo init --data DIR` writes a complete small deployment into DIR: `sim.toml` (4
//! simulated modems), `hub.toml` + a seeded `hub.sqlite` (platform admin, a reseller, a tenant
//! with its admin, a manager and an agent, a queue, the 4 SIM numbers as channels routed to the
//! queue, a tenant API key, one registered gateway), `gateway.toml` (the 4 modems, one group, the
//! `[cloud]` link with the gateway's MQTT credentials) and `demo.json` (every URL, login and
//! secret). With `--broker mosquitto` the hub uses an external mosquitto broker instead of its
//! embedded one and DIR/mosquitto/ holds the broker's config, password file and ACL.
//!
//! `smsgate demo [--data DIR]` runs init when DIR has no `demo.json`, then runs the lab, the hub
//! and the gateway in this process until Ctrl-C. The separate programs (`smsgate sim --config
//! DIR/sim.toml`, `smsgate hub --config DIR/hub.toml`, `smsgate gateway --config
//! DIR/gateway.toml`) run the same deployment as three processes; the end-to-end tests do that.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use smsgate_cloud::authz::Actor;
use smsgate_cloud::hub::NewUser;
use smsgate_cloud::model::{Destination, OrgKind, QueueMember, QueueRole, Role};
use smsgate_cloud::{Hub, HubSettings, RunOptions};
use smsgate_config::GatewayConfig;
use smsgate_config::hub::{BrokerMode, HubConfig};
use smsgate_hardware::{Lab, LabConfig};
use tokio_util::sync::CancellationToken;

/// Password of every seeded demo login.
pub const DEMO_PASSWORD: &str = "demo-password";

/// `smsgate demo`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Then, in another terminal (the demo prints the exact lines):\n  \
    curl -s -H \"Authorization: Bearer $API_KEY\" -H 'content-type: application/json' \\\n    \
    -d '{\"to\":\"+447700900123\",\"text\":\"Hello from smsgate\"}' http://127.0.0.1:8090/api/v1/messages\n  \
    curl -s http://127.0.0.1:8765/api/handsets/+447700900123"
)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Directory holding the demo's configuration, databases and simulated modems.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "smsgate-demo",
        global = true
    )]
    data: PathBuf,
    /// First of the four local TCP ports (hub API, MQTT, gateway API, simulator control);
    /// without it: 8090, 1883, 8080 and 8765.
    #[arg(long, value_name = "PORT", global = true)]
    port_base: Option<u16>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Write the demo deployment into --data (configs, seeded hub database, demo.json) and exit.
    Init {
        /// Which MQTT broker the hub uses.
        #[arg(long, value_enum, default_value = "embedded")]
        broker: Broker,
    },
}

/// The MQTT broker of the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Broker {
    /// The hub's embedded broker.
    Embedded,
    /// mosquitto, started separately with DIR/mosquitto/mosquitto.conf.
    Mosquitto,
}

/// A login of the demo.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Login {
    pub login: String,
    pub password: String,
}

/// Everything `demo init` created (`DIR/demo.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoInfo {
    pub broker: Broker,
    pub hub_api: String,
    pub mqtt_url: String,
    pub gateway_api: String,
    pub gateway_api_token: String,
    /// The box UI (served by the gateway).
    #[serde(default)]
    pub box_ui: String,
    /// The box UI's local admin (`tech`).
    #[serde(default)]
    pub box_admin: Option<Login>,
    pub sim_control: String,
    pub hub_config: PathBuf,
    pub gateway_config: PathBuf,
    pub sim_config: PathBuf,
    /// mosquitto.conf when `broker = mosquitto`.
    pub mosquitto_config: Option<PathBuf>,
    /// The hub's login on mosquitto.
    pub hub_mqtt_login: Option<Login>,
    pub platform_admin: Login,
    pub reseller_admin: Login,
    pub tenant_admin: Login,
    pub manager: Login,
    pub agent: Login,
    /// The tenant's API key (`Authorization: Bearer …`).
    pub api_key: String,
    pub gateway_id: String,
    /// SIM numbers of the 4 modems = the tenant's channels, on gateway ports 0–3.
    pub sim_numbers: Vec<String>,
    pub queue: String,
}

struct Ports {
    hub: u16,
    mqtt: u16,
    gateway: u16,
    sim: u16,
}

impl Ports {
    fn new(base: Option<u16>) -> anyhow::Result<Self> {
        Ok(match base {
            None => Self {
                hub: 8090,
                mqtt: 1883,
                gateway: 8080,
                sim: 8765,
            },
            Some(b) => {
                if b.checked_add(3).is_none() || b == 0 {
                    bail!("--port-base: {b} leaves no room for four ports");
                }
                Self {
                    hub: b,
                    mqtt: b + 1,
                    gateway: b + 2,
                    sim: b + 3,
                }
            }
        })
    }
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Runs the subcommand.
pub fn run(args: Args, log: super::LogFormat) -> anyhow::Result<std::process::ExitCode> {
    let ports = Ports::new(args.port_base)?;
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    match args.command {
        Some(Command::Init { broker }) => {
            let info = rt.block_on(init(&args.data, &ports, broker))?;
            println!("{}", serde_json::to_string_pretty(&info)?);
        }
        None => {
            super::hub::init_logging(log);
            rt.block_on(serve(&args.data, &ports))?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Writes a file holding secrets (passwords, tokens, API keys) readable by its owner only.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    // A file that already existed keeps its mode through open: make it private too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("chmod 600 {}", path.display()))?;
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

fn absolute(dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    dir.canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))
}

/// Writes the deployment into `dir` (refuses a directory that already holds one).
async fn init(dir: &Path, ports: &Ports, broker: Broker) -> anyhow::Result<DemoInfo> {
    let dir = absolute(dir)?;
    if dir.join("demo.json").exists() {
        bail!(
            "{} already holds a demo (demo.json); use another --data directory",
            dir.display()
        );
    }
    // The lab: 4 modems with a short, steady latency.
    let lab = LabConfig {
        dir: dir.join("lab"),
        modems: 4,
        latency_ms: 200,
        jitter_ms: 0,
        delivery_report_delay_ms: 500,
        ..LabConfig::default()
    };
    let sim_numbers: Vec<String> = lab
        .resolve()
        .context("simulated lab")?
        .into_iter()
        .map(|s| s.msisdn)
        .collect();
    let sim_config = dir.join("sim.toml");
    write(&sim_config, &toml::to_string(&lab)?)?;

    // The hub.
    let mqtt_url = format!("mqtt://127.0.0.1:{}", ports.mqtt);
    let mut hub_cfg = HubConfig::default();
    hub_cfg.storage.path = dir.join("hub.sqlite");
    hub_cfg.api.listen = local(ports.hub);
    // Demo logins are public; keep hashing cheap so the demo starts fast even in debug builds.
    hub_cfg.passwords.memory_kib = 1024;
    hub_cfg.passwords.iterations = 1;
    hub_cfg.mqtt.listen = local(ports.mqtt);
    hub_cfg.mqtt.advertised_url = mqtt_url.clone();
    hub_cfg.bootstrap.platform_name = "smsgate demo".into();
    hub_cfg.bootstrap.admin_login = "admin".into();
    hub_cfg.bootstrap.admin_password = Some(DEMO_PASSWORD.into());
    let hub_mqtt_login = match broker {
        Broker::Embedded => None,
        Broker::Mosquitto => {
            hub_cfg.mqtt.broker = BrokerMode::External;
            hub_cfg.mqtt.url = Some(mqtt_url.clone());
            Some(Login {
                login: "smsgate-hub".into(),
                password: smsgate_cloud::secrets::random_token(""),
            })
        }
    };
    let hub_config = dir.join("hub.toml");
    write_private(&hub_config, &toml::to_string(&hub_cfg)?)?;
    HubConfig::load(&hub_config).context("the generated hub.toml")?;

    let settings = HubSettings::from_config(&hub_cfg);
    let seeded = {
        let path = hub_cfg.storage.path.clone();
        let numbers = sim_numbers.clone();
        tokio::task::spawn_blocking(move || seed(&path, settings, &numbers)).await??
    };

    // The gateway.
    let gateway_api_token = smsgate_cloud::secrets::random_token("");
    let gateway_config = dir.join("gateway.toml");
    write_private(
        &gateway_config,
        &gateway_toml(
            &dir,
            ports,
            &gateway_api_token,
            &mqtt_url,
            &seeded.gateway_id,
            &seeded.gateway_password,
        ),
    )?;
    let gw_cfg = GatewayConfig::load(&gateway_config).context("the generated gateway.toml")?;
    // The box UI's local admin: `tech` with the demo password.
    smsgate_gateway::ui::account::set(
        &smsgate_gateway::ui::account::path_for(&gw_cfg.storage.path),
        "tech",
        DEMO_PASSWORD,
    )
    .context("seeding the box UI's admin")?;

    // mosquitto.
    let mosquitto_config = match &hub_mqtt_login {
        None => None,
        Some(hub_login) => {
            let mdir = dir.join("mosquitto");
            std::fs::create_dir_all(&mdir)?;
            let mut auth =
                smsgate_mqtt::mosquitto::MosquittoAuth::new(&hub_login.login, &hub_login.password)?;
            auth.add_gateway(
                &smsgate_wire::GatewayId::new(seeded.gateway_id.clone())?,
                &seeded.gateway_password,
            )?;
            let conf = smsgate_mqtt::mosquitto::MosquittoConfig {
                listen: local(ports.mqtt),
                password_file: mdir.join("passwd"),
                acl_file: mdir.join("acl"),
                persistence_dir: Some(mdir.join("data")),
                tls: None,
            };
            std::fs::create_dir_all(mdir.join("data"))?;
            // Salted PBKDF2 hashes, not passwords; mosquitto started as root reads it after
            // dropping to its own user, so it cannot be private to root.
            write(&conf.password_file, &auth.password_file())?;
            write(&conf.acl_file, &auth.acl_file())?;
            let path = mdir.join("mosquitto.conf");
            write(&path, &conf.render())?;
            Some(path)
        }
    };

    let login = |l: &str| Login {
        login: l.into(),
        password: DEMO_PASSWORD.into(),
    };
    let info = DemoInfo {
        broker,
        hub_api: format!("http://127.0.0.1:{}", ports.hub),
        mqtt_url,
        gateway_api: format!("http://127.0.0.1:{}", ports.gateway),
        gateway_api_token,
        box_ui: format!("http://127.0.0.1:{}/", ports.gateway),
        box_admin: Some(login("tech")),
        sim_control: format!("http://127.0.0.1:{}", ports.sim),
        hub_config,
        gateway_config,
        sim_config,
        mosquitto_config,
        hub_mqtt_login,
        platform_admin: login("admin"),
        reseller_admin: login("reseller"),
        tenant_admin: login("tenant-admin"),
        manager: login("manager"),
        agent: login("agent"),
        api_key: seeded.api_key,
        gateway_id: seeded.gateway_id,
        sim_numbers,
        queue: "Support".into(),
    };
    write_private(
        &dir.join("demo.json"),
        &serde_json::to_string_pretty(&info)?,
    )?;
    Ok(info)
}

fn gateway_toml(
    dir: &Path,
    ports: &Ports,
    token: &str,
    mqtt_url: &str,
    gateway_id: &str,
    password: &str,
) -> String {
    let mut out = format!(
        "# smsgate demo gateway: 4 simulated modems, one group, linked to the demo hub.\n\
         [storage]\npath = {spool:?}\n\n[api]\nlisten = \"127.0.0.1:{gw}\"\ntoken = {token:?}\n\n\
         [cloud]\nurl = {mqtt_url:?}\ngateway_id = {gateway_id:?}\nusername = {gateway_id:?}\npassword = {password:?}\n\n\
         # The simulated network answers a send in 200 ms: one unanswered for 15 s is given up as\n\
         # `unknown` (60 s, the default, suits real networks).\n\
         [supervision]\npoll_interval_ms = 5000\nsend_timeout_ms = 15000\n\n\
         # The simulator's modems are powered off and on through its control API (power cycle).\n\
         [power]\nsimulator_control = \"http://127.0.0.1:{sim}\"\n\n",
        spool = dir.join("spool.sqlite").display().to_string(),
        gw = ports.gateway,
        sim = ports.sim,
    );
    for i in 0..4 {
        let dev = dir.join("lab").join(format!("ttyUSB{i}"));
        out.push_str(&format!(
            "[[ports]]\nid = {i}\ndevice = {:?}\n\n",
            dev.display().to_string()
        ));
    }
    out.push_str("[[groups]]\nname = \"demo\"\nports = \"0-3\"\ninterval_ms = 100\n");
    out
}

/// What the seeding created that the configs need.
struct Seeded {
    api_key: String,
    gateway_id: String,
    gateway_password: String,
}

fn actor(hub: &Hub, login: &str) -> anyhow::Result<Actor> {
    let (token, _) = hub
        .login(login, DEMO_PASSWORD)
        .with_context(|| format!("logging in as {login}"))?;
    Ok(hub.authenticate(&token)?)
}

/// Seeds a new hub database through the hub's library API (the same chokepoint the REST API
/// uses, acting as the seeded users).
fn seed(path: &Path, settings: HubSettings, numbers: &[String]) -> anyhow::Result<Seeded> {
    let store = smsgate_cloud::store::sqlite::SqliteStore::open(path)?;
    let hub = Hub::new(
        Box::new(store),
        Arc::new(smsgate_cloud::SystemClock),
        settings,
    )?;
    hub.bootstrap("smsgate demo", "admin", DEMO_PASSWORD)?;
    let root = actor(&hub, "admin")?;
    let user = |by: &Actor, org, login: &str, name: &str, role| {
        hub.create_user(
            by,
            NewUser {
                org_id: Some(org),
                login: login.into(),
                name: name.into(),
                role,
                password: DEMO_PASSWORD.into(),
            },
        )
        .with_context(|| format!("creating user {login}"))
    };
    let reseller = hub.create_org(&root, None, OrgKind::ResellerL1, "Demo Reseller")?;
    user(
        &root,
        reseller.id,
        "reseller",
        "Reseller admin",
        Role::ResellerAdmin,
    )?;
    let reseller_admin = actor(&hub, "reseller")?;
    let tenant = hub.create_org(&reseller_admin, None, OrgKind::Tenant, "Demo Tenant")?;
    user(
        &reseller_admin,
        tenant.id,
        "tenant-admin",
        "Tenant admin",
        Role::TenantAdmin,
    )?;
    let admin = actor(&hub, "tenant-admin")?;
    let manager = user(&admin, tenant.id, "manager", "Manager", Role::Manager)?;
    let agent = user(&admin, tenant.id, "agent", "Agent", Role::Agent)?;
    let queue = hub.create_queue(
        &admin,
        None,
        "Support",
        "Inbound messages of the demo SIMs",
        vec![
            QueueMember {
                user_id: agent.id,
                role: QueueRole::Agent,
            },
            QueueMember {
                user_id: manager.id,
                role: QueueRole::Manager,
            },
        ],
    )?;
    let gateway = hub.create_gateway(&root, "demo gateway")?;
    for (port, number) in numbers.iter().enumerate() {
        let c = hub.create_channel(&root, gateway.gateway.id, &port.to_string(), number)?;
        let c = hub.distribute_channel(&root, c.id, reseller.id, false)?;
        let c = hub.distribute_channel(&reseller_admin, c.id, tenant.id, false)?;
        hub.set_destination(&admin, c.id, Destination::Queue(queue.id))?;
    }
    let (_, api_key) = hub.create_api_key(&admin, None, "demo")?;
    Ok(Seeded {
        api_key,
        gateway_id: gateway.mqtt_username,
        gateway_password: gateway.mqtt_password,
    })
}

/// Loads DIR/demo.json, creating the demo first when it is missing.
async fn load_or_init(dir: &Path, ports: &Ports) -> anyhow::Result<DemoInfo> {
    let file = dir.join("demo.json");
    if !file.exists() {
        return init(dir, ports, Broker::Embedded).await;
    }
    let text = std::fs::read_to_string(&file).with_context(|| file.display().to_string())?;
    let info: DemoInfo = serde_json::from_str(&text).with_context(|| file.display().to_string())?;
    if info.broker != Broker::Embedded {
        bail!(
            "{}: this demo uses mosquitto; run the three programs separately (see demo.json)",
            file.display()
        );
    }
    Ok(info)
}

async fn serve(dir: &Path, ports: &Ports) -> anyhow::Result<()> {
    let info = load_or_init(dir, ports).await?;
    let lab_cfg = LabConfig::from_file(&info.sim_config)?;
    let hub_cfg = HubConfig::load(&info.hub_config)?;
    let gw_cfg = GatewayConfig::load(&info.gateway_config)?;
    let sim_addr: SocketAddr = info
        .sim_control
        .trim_start_matches("http://")
        .parse()
        .context("sim_control in demo.json")?;

    let shutdown = CancellationToken::new();
    tokio::spawn(super::hub::cancel_on_signal(shutdown.clone()));

    let lab_token = CancellationToken::new();
    let lab = Lab::start(
        lab_cfg,
        Arc::new(smsgate_hardware::clock::SystemClock),
        lab_token.clone(),
    )?;
    let listener = tokio::net::TcpListener::bind(sim_addr)
        .await
        .with_context(|| format!("simulator control API: cannot listen on {sim_addr}"))?;
    let control = tokio::spawn(smsgate_hardware::sim::control::serve(lab, listener));

    let hub_token = CancellationToken::new();
    let hub = smsgate_cloud::start(hub_cfg, RunOptions::default(), hub_token.clone()).await?;
    let gw_token = CancellationToken::new();
    let gateway = tokio::spawn(smsgate_gateway::run(gw_cfg, gw_token.clone()));

    print_banner(&info);
    shutdown.cancelled().await;
    // Stop in dependency order: the gateway (finishes its sends), then the hub, then the lab.
    gw_token.cancel();
    match gateway.await {
        Ok(Err(e)) => tracing::error!(error = %e, "gateway stopped with an error"),
        Err(e) => tracing::error!(error = %e, "gateway task failed"),
        Ok(Ok(())) => {}
    }
    hub_token.cancel();
    hub.wait().await;
    lab_token.cancel();
    let _ = control.await;
    println!("demo stopped; its data stays in {}", dir.display());
    Ok(())
}

fn print_banner(i: &DemoInfo) {
    let to = "+447700900123";
    println!(
        "\nsmsgate demo is running (Ctrl-C stops it)\n\n\
         portal           {hub}/   (log in as agent, manager, tenant-admin, reseller or admin)\n\
         hub API          {hub}/api/v1   (OpenAPI: {hub}/api/v1/openapi.json)\n\
         MQTT broker      {mqtt}\n\
         gateway API      {gw}   (token {gwt})\n\
         box UI           {gw}/   (log in as tech, password {pw})\n\
         simulator        {sim}/api/modems\n\n\
         logins (password {pw}): admin (platform), reseller, tenant-admin, manager, agent\n\
         tenant API key   {key}\n\
         SIM numbers      {sims}   (queue {queue})\n\n\
         send an SMS through the hub:\n  \
         curl -s -H 'Authorization: Bearer {key}' -H 'content-type: application/json' \\\n    \
         -d '{{\"to\":\"{to}\",\"text\":\"Hello from smsgate\"}}' {hub}/api/v1/messages\n\
         see the handset receive it:\n  \
         curl -s {sim}/api/handsets/{to}\n\
         a customer writes to the first SIM:\n  \
         curl -s -H 'content-type: application/json' \\\n    \
         -d '{{\"from\":\"{to}\",\"to\":\"{sim0}\",\"text\":\"Hi, I need help\"}}' {sim}/api/inject\n  \
         curl -s -H 'Authorization: Bearer {key}' {hub}/api/v1/interactions\n\n\
         the same with the simulator's command line, and a fault:\n{ctl}",
        hub = i.hub_api,
        mqtt = i.mqtt_url,
        gw = i.gateway_api,
        gwt = i.gateway_api_token,
        sim = i.sim_control,
        pw = DEMO_PASSWORD,
        key = i.api_key,
        sims = i.sim_numbers.join(" "),
        queue = i.queue,
        sim0 = i.sim_numbers.first().map(String::as_str).unwrap_or(""),
        ctl = sim_ctl_lines(i, to)
            .iter()
            .map(|words| format!("  smsgate {}\n", shell_line(words)))
            .collect::<String>(),
    );
}

/// Ready `smsgate sim ctl` command lines (the words after `smsgate`) for this demo's ports.
fn sim_ctl_lines(i: &DemoInfo, handset: &str) -> Vec<Vec<String>> {
    let sim0 = i.sim_numbers.first().map(String::as_str).unwrap_or("#0");
    let ctl = |rest: &[&str]| -> Vec<String> {
        ["sim", "ctl", "--url", &i.sim_control]
            .iter()
            .chain(rest)
            .map(|w| w.to_string())
            .collect()
    };
    vec![
        ctl(&["list"]),
        ctl(&[
            "inject",
            "--from",
            handset,
            "--to",
            sim0,
            "--text",
            "Hi, I need help",
        ]),
        ctl(&["handset", handset]),
        ctl(&["fault", "0", "network", "searching"]),
        ctl(&["fault", "0", "network", "home"]),
    ]
}

/// Words as a POSIX shell line (single quotes around words with anything but safe characters).
fn shell_line(words: &[String]) -> String {
    let safe = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-_./:#@=,".contains(c))
    };
    words
        .iter()
        .map(|w| {
            if safe(w) {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod sim_ctl_tests {
    use super::*;

    #[test]
    fn the_demo_prints_sim_ctl_lines_that_parse_and_name_its_own_simulator_port() {
        let ports = Ports::new(Some(42100)).unwrap();
        let info: DemoInfo = serde_json::from_value(serde_json::json!({
            "broker": "embedded",
            "hub_api": "http://127.0.0.1:42100",
            "mqtt_url": "mqtt://127.0.0.1:42101",
            "gateway_api": "http://127.0.0.1:42102",
            "gateway_api_token": "t",
            "sim_control": format!("http://127.0.0.1:{}", ports.sim),
            "hub_config": "h", "gateway_config": "g", "sim_config": "s",
            "platform_admin": {"login": "a", "password": "p"},
            "reseller_admin": {"login": "a", "password": "p"},
            "tenant_admin": {"login": "a", "password": "p"},
            "manager": {"login": "a", "password": "p"},
            "agent": {"login": "a", "password": "p"},
            "api_key": "k", "gateway_id": "gw", "queue": "q",
            "sim_numbers": ["+15550000001"],
        }))
        .unwrap();
        let lines = sim_ctl_lines(&info, "+447700900123");
        assert!(!lines.is_empty());
        for words in &lines {
            assert_eq!(&words[..2], ["sim", "ctl"]);
            let rest: Vec<&str> = words[1..].iter().map(String::as_str).collect();
            let (url, cmd) = crate::cli::sim::tests::parse_ctl(&rest).unwrap();
            assert_eq!(url, "http://127.0.0.1:42103", "{cmd}");
        }
        assert!(shell_line(&lines[1]).contains("--text 'Hi, I need help'"));
        assert!(shell_line(&lines[1]).contains("--to +15550000001"));
    }
}
