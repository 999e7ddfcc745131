//! Power cuts of the whole platform, with the durability invariants checked after each one.
//!
//! A [`World`] is one `smsgate demo init` deployment whose gateway spool and hub store live on
//! two [`smsgate_powercut::Mount`]s (one "disk" each), with `smsgate sim`, `smsgate hub` and
//! `smsgate gateway` as real processes. Traffic runs both ways (messages submitted on the
//! gateway's local API and on the hub's API, inbound SMS injected into the simulated SIMs) and
//! the test cuts the power: the disk freezes (unsynced writes lost or partly written back), the
//! process is killed with SIGKILL, the modems lose power (a box cut), the disk is mounted again
//! and the process restarts on what survived. [`World::check`] then asserts, from outside:
//!
//! 1. every message the gateway API acknowledged (`202` with an id) is in the spool with its
//!    text; every message the hub API acknowledged is in the hub;
//! 2. every inbound SMS that left the SIM (the simulated SIM storage is empty once settled) is
//!    in the spool exactly once;
//! 3. nothing reached a handset twice, and nothing that reached a handset is `queued` again
//!    (which would send it a second time) — a send interrupted by the cut is `unknown`;
//! 4. every inbound event the gateway outbox had a receipt for (its row is gone from the
//!    surviving outbox) is at the hub, once.

use crate::{Deployment, Proc, Result, wait_until};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use smsgate_powercut::{CutMode, Mount};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Outbound recipient (a simulated handset).
pub const CUSTOMER: &str = "+447700900123";
/// Inbound sender.
pub const CALLER: &str = "+33612345678";
const SETTLE: Duration = Duration::from_secs(90);
const GRACE: Duration = Duration::from_secs(10);

/// One power-cut "disk": a backing directory mounted through the power-cut filesystem.
pub struct Disk {
    backing: PathBuf,
    mnt: PathBuf,
    mount: Option<Mount>,
}

impl Disk {
    fn new(root: &Path, name: &str) -> Result<Disk> {
        let backing = root.join(format!("{name}-disk"));
        let mnt = root.join(name);
        std::fs::create_dir_all(&backing)?;
        std::fs::create_dir_all(&mnt)?;
        Ok(Disk {
            backing,
            mnt,
            mount: None,
        })
    }

    fn mount(&mut self) -> Result<()> {
        if self.mount.is_some() {
            return Ok(());
        }
        smsgate_powercut::force_unmount(&self.mnt);
        self.mount = Some(Mount::new(&self.backing, &self.mnt)?);
        Ok(())
    }

    fn cut(&mut self, mode: CutMode) -> Result<smsgate_powercut::CutReport> {
        let m = self.mount.as_ref().ok_or("disk not mounted")?;
        Ok(m.cut(mode)?)
    }

    fn unmount(&mut self) -> Result<()> {
        if let Some(m) = self.mount.take() {
            m.unmount()?;
        }
        Ok(())
    }

    /// The mount point (where the program's files are).
    pub fn path(&self) -> &Path {
        &self.mnt
    }
}

/// Which part loses power.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The gateway box: its disk, the gateway process and its modems.
    Box,
    /// The hub machine: its disk and the hub process.
    Hub,
    /// Both at once (a site outage).
    Both,
}

/// What a run did.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Power cuts by target.
    pub box_cuts: u32,
    /// Hub cuts.
    pub hub_cuts: u32,
    /// Messages acknowledged by the gateway API.
    pub local_acked: usize,
    /// Messages acknowledged by the hub API.
    pub hub_acked: usize,
    /// Inbound SMS injected.
    pub injected: usize,
    /// Messages found `unknown` after a cut.
    pub unknown: usize,
    /// Unsynced pages thrown away / written back at the cuts.
    pub pages_lost: u64,
    /// Pages written back (partly when torn).
    pub pages_written_back: u64,
    /// Invariant checks run.
    pub checks: u32,
    /// Other faults injected (chaos).
    pub faults: BTreeMap<String, u32>,
    /// Messages whose `unknown` was settled by a matching delivery report (at the last settle).
    pub settled_by_evidence: usize,
    /// Reports kept for the operator because several messages fit (at the last settle).
    pub ambiguous_reports: usize,
}

/// The platform on power-cut disks.
pub struct World {
    /// The deployment (configs, URLs, HTTP client).
    pub d: Deployment,
    sim: Option<Proc>,
    hub: Option<Proc>,
    gw: Option<Proc>,
    gw_disk: Disk,
    hub_disk: Disk,
    /// Random choices (seeded: a run is reproducible up to timing).
    pub rng: StdRng,
    local: BTreeMap<i64, String>,
    hub_msgs: BTreeMap<String, String>,
    injected: BTreeSet<String>,
    seq: u64,
    modems_off: bool,
    /// Counters.
    pub tally: Tally,
}

fn set_storage_path(config: &Path, path: &Path) -> Result<()> {
    let text = std::fs::read_to_string(config)?;
    let mut v: toml::Table = text.parse()?;
    let storage = v
        .entry("storage")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(t) = storage {
        t.insert(
            "path".into(),
            toml::Value::String(path.display().to_string()),
        );
    }
    std::fs::write(config, toml::to_string(&v)?)?;
    Ok(())
}

impl World {
    /// A deployment with both stores on power-cut disks; the simulator's latency is lowered
    /// to `latency_ms` per AT command. Nothing runs yet ([`World::start`]).
    pub fn new(smsgate: &Path, seed: u64, latency_ms: u64) -> Result<World> {
        let d = Deployment::init(smsgate, "embedded")?;
        let root = d.dir.path().to_owned();
        let gw_disk = Disk::new(&root, "gw")?;
        let hub_disk = Disk::new(&root, "hub")?;
        // The seeded hub database moves onto the hub's disk (it was closed cleanly: no WAL).
        let seeded = PathBuf::from(d.get("hub_config"))
            .parent()
            .ok_or("hub config has no folder")?
            .join("hub.sqlite");
        std::fs::rename(&seeded, hub_disk.backing.join("hub.sqlite"))?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", seeded.display()));
            if side.exists() {
                std::fs::rename(&side, hub_disk.backing.join(format!("hub.sqlite{suffix}")))?;
            }
        }
        set_storage_path(
            Path::new(&d.get("hub_config")),
            &hub_disk.mnt.join("hub.sqlite"),
        )?;
        set_storage_path(
            Path::new(&d.get("gateway_config")),
            &gw_disk.mnt.join("spool.sqlite"),
        )?;
        let sim_config = PathBuf::from(d.get("sim_config"));
        let mut sim: toml::Table = std::fs::read_to_string(&sim_config)?.parse()?;
        sim.insert(
            "latency_ms".into(),
            toml::Value::Integer(i64::try_from(latency_ms)?),
        );
        std::fs::write(&sim_config, toml::to_string(&sim)?)?;
        Ok(World {
            d,
            sim: None,
            hub: None,
            gw: None,
            gw_disk,
            hub_disk,
            rng: StdRng::seed_from_u64(seed),
            local: BTreeMap::new(),
            hub_msgs: BTreeMap::new(),
            injected: BTreeSet::new(),
            seq: 0,
            modems_off: false,
            tally: Tally::default(),
        })
    }

    /// Starts the simulator, mounts both disks, starts the hub and the gateway.
    pub async fn start(&mut self) -> Result<()> {
        self.sim = Some(self.d.start_sim()?);
        self.d
            .wait_http(&format!("{}/api/modems", self.d.get("sim_control")))
            .await?;
        self.hub_disk.mount()?;
        self.gw_disk.mount()?;
        self.start_hub().await?;
        self.start_gateway().await?;
        Ok(())
    }

    async fn start_hub(&mut self) -> Result<()> {
        self.hub = Some(self.d.start_hub()?);
        self.d
            .wait_http(&format!("{}/api/v1/openapi.json", self.d.get("hub_api")))
            .await
    }

    async fn start_gateway(&mut self) -> Result<()> {
        self.gw = Some(self.d.start_gateway()?);
        let url = format!("{}/api/v1/ports", self.d.get("gateway_api"));
        let token = self.d.get("gateway_api_token");
        let http = self.d.http.clone();
        wait_until("the gateway's ports to register", SETTLE, || {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            async move {
                let v: Value = http
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                let ports = v["ports"].as_array()?;
                (!ports.is_empty() && ports.iter().all(|p| p["state"] == "registered"))
                    .then_some(())
            }
        })
        .await
    }

    /// Stops everything (gracefully) and unmounts the disks.
    pub fn stop(&mut self) {
        for p in [&mut self.gw, &mut self.hub].into_iter().flatten() {
            p.stop(GRACE);
        }
        self.gw = None;
        self.hub = None;
        let _ = self.gw_disk.unmount();
        let _ = self.hub_disk.unmount();
        if let Some(mut s) = self.sim.take() {
            s.stop(Duration::from_secs(5));
        }
    }

    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// One unit of random traffic: a local submission, a hub submission or an inbound SMS.
    pub async fn traffic_step(&mut self) -> Result<()> {
        let n = self.next();
        match self.rng.random_range(0..10) {
            0..=4 => {
                let text = format!("L{n}");
                let url = format!("{}/api/v1/messages", self.d.get("gateway_api"));
                let r = self
                    .d
                    .http
                    .post(&url)
                    .bearer_auth(self.d.get("gateway_api_token"))
                    .json(
                        &json!({"to": CUSTOMER, "text": text, "idempotency_key": format!("k{n}")}),
                    )
                    .send()
                    .await;
                // Only a 202 is an acknowledgement; an error (the gateway is down) is not.
                if let Ok(r) = r
                    && r.status().as_u16() == 202
                    && let Ok(v) = r.json::<Value>().await
                    && let Some(id) = v["id"].as_i64()
                {
                    self.local.insert(id, text);
                    self.tally.local_acked += 1;
                }
            }
            5..=6 => {
                let text = format!("H{n}");
                if let Ok(m) = self
                    .d
                    .hub_post("/api/v1/messages", &json!({"to": CUSTOMER, "text": text}))
                    .await
                    && let Some(id) = m["id"].as_str()
                {
                    self.hub_msgs.insert(id.to_owned(), text);
                    self.tally.hub_acked += 1;
                }
            }
            _ => {
                let text = format!("I{n}");
                let sim = self.rng.random_range(0..4);
                let to = self.d.sim_number(sim);
                self.d.inject(CALLER, &to, &text).await?;
                self.injected.insert(text);
                self.tally.injected += 1;
            }
        }
        Ok(())
    }

    /// Traffic for `for_how_long`, one step every few tens of milliseconds.
    pub async fn traffic(&mut self, for_how_long: Duration) -> Result<()> {
        let until = Instant::now() + for_how_long;
        while Instant::now() < until {
            self.traffic_step().await?;
            let pause = self.rng.random_range(5..60);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        Ok(())
    }

    /// A random cut mode (a third lose every unsynced write, the rest write some back, torn).
    pub fn random_mode(&mut self) -> CutMode {
        if self.rng.random_bool(0.33) {
            CutMode::DiscardAll
        } else {
            CutMode::Random {
                seed: self.rng.random(),
                writeback: self.rng.random_range(0.05..0.95),
                torn: self.rng.random_bool(0.7),
                names: true,
            }
        }
    }

    async fn modems_power(&self, on: bool) -> Result<()> {
        let kind = if on { "power-on" } else { "power-off" };
        for i in 0..4 {
            let url = format!("{}/api/modems/{i}/fault", self.d.get("sim_control"));
            self.d
                .http
                .post(&url)
                .json(&json!({"kind": kind}))
                .send()
                .await?
                .error_for_status()?;
        }
        Ok(())
    }

    /// Cuts the power of `target` now: freeze its disk(s), SIGKILL, modems off (box).
    /// Returns with the processes dead and the disks unmounted.
    pub async fn cut(&mut self, target: Target) -> Result<()> {
        self.stop_hard(target, true).await
    }

    /// Stops `target` hard: with `power`, a power cut ([`World::cut`]); without, kill -9 only
    /// (the disk keeps everything the process wrote, as the kernel would).
    pub async fn stop_hard(&mut self, target: Target, power: bool) -> Result<()> {
        if !power {
            self.kill(target).await?;
            let name = match target {
                Target::Box => "kill -9 gateway",
                Target::Hub => "kill -9 hub (and its embedded broker)",
                Target::Both => "kill -9 gateway and hub",
            };
            *self.tally.faults.entry(name.into()).or_insert(0) += 1;
            return Ok(());
        }
        let (gw, hub) = match target {
            Target::Box => (true, false),
            Target::Hub => (false, true),
            Target::Both => (true, true),
        };
        if hub {
            let mode = self.random_mode();
            let r = self.hub_disk.cut(mode)?;
            self.tally.pages_lost += r.pages_lost;
            self.tally.pages_written_back += r.pages_written_back;
            if let Some(mut p) = self.hub.take() {
                p.kill();
            }
            self.hub_disk.unmount()?;
            self.tally.hub_cuts += 1;
        }
        if gw {
            let mode = self.random_mode();
            let r = self.gw_disk.cut(mode)?;
            self.tally.pages_lost += r.pages_lost;
            self.tally.pages_written_back += r.pages_written_back;
            if let Some(mut p) = self.gw.take() {
                p.kill();
            }
            self.modems_power(false).await?;
            self.modems_off = true;
            self.gw_disk.unmount()?;
            self.tally.box_cuts += 1;
        }
        Ok(())
    }

    /// Restarts what a cut stopped (mount, start), modems back on.
    pub async fn restart(&mut self) -> Result<()> {
        if self.hub.is_none() {
            self.hub_disk.mount()?;
            self.start_hub().await?;
        }
        if self.gw.is_none() {
            self.gw_disk.mount()?;
            if self.modems_off {
                self.modems_power(true).await?;
                self.modems_off = false;
            }
            self.start_gateway().await?;
        }
        Ok(())
    }

    /// Kills one process with SIGKILL (no power cut: the kernel keeps what it was handed).
    pub async fn kill(&mut self, which: Target) -> Result<()> {
        if matches!(which, Target::Hub | Target::Both)
            && let Some(mut p) = self.hub.take()
        {
            p.kill();
        }
        if matches!(which, Target::Box | Target::Both)
            && let Some(mut p) = self.gw.take()
        {
            p.kill();
        }
        Ok(())
    }

    /// Applies a simulator fault to modem `i` (`{"kind": "hang", "commands": 3}` …).
    pub async fn modem_fault(&mut self, i: usize, fault: Value) -> Result<()> {
        let kind = fault["kind"].as_str().unwrap_or("?").to_owned();
        let url = format!("{}/api/modems/{i}/fault", self.d.get("sim_control"));
        self.d
            .http
            .post(&url)
            .json(&fault)
            .send()
            .await?
            .error_for_status()?;
        *self.tally.faults.entry(kind).or_insert(0) += 1;
        Ok(())
    }

    /// Whether the gateway / hub processes are running.
    pub fn running(&mut self) -> (bool, bool) {
        (
            self.gw.as_mut().is_some_and(Proc::running),
            self.hub.as_mut().is_some_and(Proc::running),
        )
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for p in [&mut self.gw, &mut self.hub, &mut self.sim]
            .into_iter()
            .flatten()
        {
            p.kill();
        }
        smsgate_powercut::force_unmount(&self.gw_disk.mnt);
        smsgate_powercut::force_unmount(&self.hub_disk.mnt);
    }
}

mod checks;
mod runs;
pub use runs::{run_chaos, run_cuts};
