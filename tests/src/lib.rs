//! End-to-end test support: run the real programs (`smsgate demo init`, `smsgate sim`,
//! `smsgate hub`, `smsgate gateway`, `mosquitto`) as child processes and talk to them over HTTP.
//!
//! The process-level tests themselves are integration tests of the root package
//! (`cli-tests/e2e_*.rs`), because only there does Cargo name the built `smsgate` binary
//! (`env!("CARGO_BIN_EXE_smsgate")`); they pass its path to [`Deployment::init`].
//!
//! - [`Proc`]: a child process whose output goes to a log file, stopped with SIGTERM (and
//!   killed on drop), with its log shown when a test fails.
//! - [`Deployment`]: a demo deployment written by `smsgate demo init` into a temp dir
//!   (`demo.json` parsed), with helpers to start each program and to call the hub API and the
//!   simulator's control API.
//! - [`wait_until`]: polls a condition (a liveness guard with a generous limit, not a timing
//!   assertion).

pub mod cuts;

use std::collections::BTreeMap;
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// Errors of the support code (tests unwrap them; messages say what failed).
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A running child process.
pub struct Proc {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Proc {
    /// Starts `program args…`, output appended to `log`.
    pub fn start(
        name: &str,
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        log: &Path,
    ) -> Result<Self> {
        let out = File::options().create(true).append(true).open(log)?;
        let err = out.try_clone()?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .env("RUST_LOG", "info,rumqttd=warn");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {name} ({}): {e}", program.display()))?;
        Ok(Self {
            name: name.to_owned(),
            child: Some(child),
            log: log.to_owned(),
        })
    }

    /// Whether the process still runs.
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Sends SIGTERM and waits for the exit (SIGKILL after `grace`).
    pub fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let deadline = std::time::Instant::now() + grace;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Kills the process at once (SIGKILL: a crash, nothing is cleaned up) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The process's output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "----- {} log ({}) -----\n{}",
                self.name,
                self.log.display(),
                self.log()
            );
        }
    }
}

/// Four consecutive free loopback TCP ports (hub API, MQTT, gateway API, simulator control).
pub fn free_port_base() -> Result<u16> {
    for _ in 0..200 {
        let probe = TcpListener::bind("127.0.0.1:0")?;
        let base = probe.local_addr()?.port();
        drop(probe);
        if base > 65_000 {
            continue;
        }
        let all_free = (0..4).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok());
        if all_free {
            return Ok(base);
        }
    }
    Err("no four consecutive free ports".into())
}

/// Polls `check` every 100 ms until it returns `Some`, at most `limit`.
pub async fn wait_until<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return Ok(v);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!("gave up waiting for {what} after {limit:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A demo deployment in a temp dir.
pub struct Deployment {
    pub dir: tempfile::TempDir,
    pub smsgate: PathBuf,
    /// `demo.json`.
    pub info: Value,
    pub http: reqwest::Client,
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

impl Deployment {
    /// Runs `smsgate demo init --data <tmp> --port-base <free> --broker <broker>`.
    pub fn init(smsgate: &Path, broker: &str) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let base = free_port_base()?.to_string();
        let data = dir.path().join("demo");
        let out = Command::new(smsgate)
            .args([
                "demo",
                "init",
                "--broker",
                broker,
                "--port-base",
                &base,
                "--data",
            ])
            .arg(&data)
            .output()?;
        if !out.status.success() {
            return Err(
                format!("demo init failed: {}", String::from_utf8_lossy(&out.stderr)).into(),
            );
        }
        let info: Value = serde_json::from_slice(&out.stdout)?;
        Ok(Self {
            dir,
            smsgate: smsgate.to_owned(),
            info,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
        })
    }

    pub fn get(&self, key: &str) -> String {
        s(&self.info, key)
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    /// `smsgate sim --config sim.toml --control <port>`.
    pub fn start_sim(&self) -> Result<Proc> {
        let control = self.get("sim_control").replace("http://", "");
        let config = self.get("sim_config");
        Proc::start(
            "sim",
            &self.smsgate,
            &["sim", "--config", &config, "--control", &control],
            &[],
            &self.log("sim"),
        )
    }

    /// `smsgate hub --config hub.toml` (with the mosquitto login in the environment).
    pub fn start_hub(&self) -> Result<Proc> {
        let config = self.get("hub_config");
        let login = &self.info["hub_mqtt_login"];
        let user = s(login, "login");
        let pass = s(login, "password");
        let mut env = Vec::new();
        if !user.is_empty() {
            env.push(("SMSGATE_HUB_MQTT_USERNAME", user.as_str()));
            env.push(("SMSGATE_HUB_MQTT_PASSWORD", pass.as_str()));
        }
        Proc::start(
            "hub",
            &self.smsgate,
            &["hub", "--config", &config],
            &env,
            &self.log("hub"),
        )
    }

    /// `smsgate gateway --config gateway.toml`.
    pub fn start_gateway(&self) -> Result<Proc> {
        let config = self.get("gateway_config");
        Proc::start(
            "gateway",
            &self.smsgate,
            &["gateway", "--config", &config],
            &[],
            &self.log("gateway"),
        )
    }

    /// `mosquitto -c mosquitto.conf` (the deployment must use `--broker mosquitto`).
    pub fn start_mosquitto(&self) -> Result<Proc> {
        let config = self.get("mosquitto_config");
        let program = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .ok_or("mosquitto is not installed (apt-get install mosquitto)")?;
        Proc::start(
            "mosquitto",
            &program,
            &["-c", &config],
            &[],
            &self.log("mosquitto"),
        )
    }

    /// [`Self::start_sim`], then waits until its control API answers.
    pub async fn sim_ready(&self) -> Result<Proc> {
        let p = self.start_sim()?;
        self.wait_http(&format!("{}/api/modems", self.get("sim_control")))
            .await?;
        Ok(p)
    }

    /// [`Self::start_hub`], then waits until its API answers.
    pub async fn hub_ready(&self) -> Result<Proc> {
        let p = self.start_hub()?;
        self.wait_http(&format!("{}/api/v1/openapi.json", self.get("hub_api")))
            .await?;
        Ok(p)
    }

    /// [`Self::start_gateway`], then waits until its API answers.
    pub async fn gateway_ready(&self) -> Result<Proc> {
        let p = self.start_gateway()?;
        self.wait_http(&format!("{}/health", self.get("gateway_api")))
            .await?;
        Ok(p)
    }

    /// Waits until an HTTP endpoint answers at all.
    pub async fn wait_http(&self, url: &str) -> Result<()> {
        let http = self.http.clone();
        wait_until(url, Duration::from_secs(60), || {
            let http = http.clone();
            async move { http.get(url).send().await.ok().map(|_| ()) }
        })
        .await
    }

    /// GET on the hub API with the tenant's API key.
    pub async fn hub_get(&self, path: &str) -> Result<Value> {
        self.hub_get_as(&self.get("api_key"), path).await
    }

    /// GET on the hub API with a bearer token (a session token or an API key).
    pub async fn hub_get_as(&self, bearer: &str, path: &str) -> Result<Value> {
        self.hub_call(bearer, reqwest::Method::GET, path, None)
            .await
    }

    /// Any method on the hub API with a bearer token and an optional JSON body: the answer's
    /// JSON (`null` when it has none), or an error naming the method, path, status and body
    /// when the status is not a success.
    pub async fn hub_call(
        &self,
        bearer: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let url = format!("{}{path}", self.get("hub_api"));
        let mut r = self.http.request(method.clone(), &url).bearer_auth(bearer);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await?;
        let status = r.status();
        let answer: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(format!("{method} {path}: {status} {answer}").into());
        }
        Ok(answer)
    }

    /// Every item of a paged hub list (`{"items": [...], "next_cursor": ...}`), following the
    /// cursor to the end, 500 rows a page.
    pub async fn hub_get_all(&self, bearer: &str, path: &str) -> Result<Vec<Value>> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page_path = match &cursor {
                Some(c) => format!("{path}{sep}limit=500&cursor={c}"),
                None => format!("{path}{sep}limit=500"),
            };
            let page = self.hub_get_as(bearer, &page_path).await?;
            let Some(rows) = page["items"].as_array() else {
                return Err(format!("GET {path}: not a page: {page}").into());
            };
            items.extend(rows.iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) if !c.is_empty() => cursor = Some(c.to_owned()),
                _ => return Ok(items),
            }
        }
    }

    /// Logs in as one of the demo logins (`tenant_admin`, `agent`, …) and returns the session
    /// token.
    pub async fn login(&self, who: &str) -> Result<String> {
        let l = &self.info[who];
        let url = format!("{}/api/v1/auth/login", self.get("hub_api"));
        let r = self
            .http
            .post(&url)
            .json(&serde_json::json!({"login": l["login"], "password": l["password"]}))
            .send()
            .await?;
        let status = r.status();
        let body: Value = r.json().await?;
        if !status.is_success() {
            return Err(format!("login as {who}: {status} {body}").into());
        }
        Ok(s(&body, "token"))
    }

    /// POST JSON on the hub API with the tenant's API key.
    pub async fn hub_post(&self, path: &str, body: &Value) -> Result<Value> {
        self.hub_call(
            &self.get("api_key"),
            reqwest::Method::POST,
            path,
            Some(body.clone()),
        )
        .await
    }

    /// What the simulated handset `number` received.
    pub async fn handset(&self, number: &str) -> Result<Vec<Value>> {
        let url = format!("{}/api/handsets/{number}", self.get("sim_control"));
        let v: Value = self.http.get(&url).send().await?.json().await?;
        Ok(v.as_array().cloned().unwrap_or_default())
    }

    /// What every external handset received, by number, in one request (a wait over hundreds
    /// of handsets polls this rather than asking for each one).
    pub async fn handsets(&self) -> Result<BTreeMap<String, Vec<Value>>> {
        let url = format!("{}/api/handsets", self.get("sim_control"));
        Ok(self.http.get(&url).send().await?.json().await?)
    }

    /// A customer sends `text` from `from` to the SIM `to`.
    pub async fn inject(&self, from: &str, to: &str, text: &str) -> Result<()> {
        let url = format!("{}/api/inject", self.get("sim_control"));
        let r = self
            .http
            .post(&url)
            .json(&serde_json::json!({"from": from, "to": to, "text": text}))
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("inject: {} {}", r.status(), r.text().await?).into());
        }
        Ok(())
    }

    /// The n-th SIM number of the lab.
    pub fn sim_number(&self, n: usize) -> String {
        self.info["sim_numbers"][n]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}
