//! The invariant checks, from outside the programs (see the module docs of `cuts`).

use super::*;

impl World {
    /// The surviving spool as the test reads it (the gateway must be stopped): messages
    /// (id → (text, state)), inbound texts with their spool ids, and the ids of inbound rows
    /// whose outbox event is gone (it had the hub's receipt).
    fn read_spool(&self) -> Result<SpoolView> {
        let db = self.gw_disk.path().join("spool.sqlite");
        let mut v = SpoolView::default();
        if !db.exists() {
            return Ok(v);
        }
        let c = rusqlite::Connection::open(&db)?;
        let schema: i64 = c.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'messages'",
            [],
            |r| r.get(0),
        )?;
        if schema == 0 {
            // The spool file survived without its schema (or was never synced): empty.
            return Ok(v);
        }
        let mut st = c.prepare("SELECT id, text, state FROM messages")?;
        for r in st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })? {
            let (id, text, state) = r?;
            v.messages.insert(id, (text, state));
        }
        let mut st = c.prepare("SELECT id, text FROM inbound")?;
        for r in st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, text) = r?;
            v.inbound.push((id, text));
        }
        let mut pending = BTreeSet::new();
        let mut st = c.prepare("SELECT payload FROM events WHERE kind = 'inbound.received'")?;
        for r in st.query_map([], |r| r.get::<_, String>(0))? {
            let p: Value = serde_json::from_str(&r?)?;
            if let Some(id) = p["id"].as_i64() {
                pending.insert(id);
            }
        }
        v.settled = c.query_row(
            "SELECT COUNT(*) FROM messages WHERE evidence IS NOT NULL",
            [],
            |r| r.get::<_, i64>(0),
        )? as usize;
        v.ambiguous = c.query_row(
            "SELECT COUNT(DISTINCT report_id) FROM report_candidates",
            [],
            |r| r.get::<_, i64>(0),
        )? as usize;
        v.receipted_inbound = v
            .inbound
            .iter()
            .filter(|(id, _)| !pending.contains(id))
            .map(|(_, t)| t.clone())
            .collect();
        Ok(v)
    }

    /// Inbound texts the hub holds, with how many times each.
    async fn hub_inbound(&self) -> Result<BTreeMap<String, usize>> {
        let token = self.d.login("tenant_admin").await?;
        let list = self.d.hub_get_all(&token, "/api/v1/interactions").await?;
        let mut out = BTreeMap::new();
        for i in list {
            let id = i["id"].as_str().unwrap_or_default();
            let msgs = self
                .d
                .hub_get_all(&token, &format!("/api/v1/interactions/{id}/messages"))
                .await?;
            for m in msgs {
                if m["direction"] == "inbound"
                    && let Some(t) = m["text"].as_str()
                {
                    *out.entry(t.to_owned()).or_insert(0) += 1;
                }
            }
        }
        Ok(out)
    }

    async fn handset_counts(&self) -> Result<BTreeMap<String, usize>> {
        let mut got = BTreeMap::new();
        for m in self.d.handset(CUSTOMER).await? {
            if let Some(t) = m["text"].as_str() {
                *got.entry(t.to_owned()).or_insert(0) += 1;
            }
        }
        Ok(got)
    }

    async fn sim_storage_empty(&self) -> Result<bool> {
        let v: Value = self
            .d
            .http
            .get(format!("{}/api/modems", self.d.get("sim_control")))
            .send()
            .await?
            .json()
            .await?;
        Ok(v.as_array().is_some_and(|ms| {
            ms.iter().all(|m| {
                let st = &m["state"];
                st["stored"][0] == 0 && st["stored"][1] == 0 && st["pending_inbound"] == 0
            })
        }))
    }

    /// Checks the invariants on the surviving state. Call with the gateway and the hub
    /// stopped by a cut (before [`World::restart`]) for the spool-side checks, then restarts
    /// them and checks the rest. Returns the violations found (empty = all held).
    pub async fn cut_check_restart(&mut self, target: Target) -> Result<Vec<String>> {
        self.fault_check_restart(target, true).await
    }

    /// [`World::cut_check_restart`] for a power cut (`power`) or a kill -9.
    pub async fn fault_check_restart(
        &mut self,
        target: Target,
        power: bool,
    ) -> Result<Vec<String>> {
        self.stop_hard(target, power).await?;
        let mut bad = Vec::new();
        // The gateway's disk is readable only while mounted; mount it for reading if needed.
        let gw_was_down = self.gw.is_none();
        self.gw_disk.mount()?;
        // A hub-only cut: the spool is read while the gateway runs (receipts it holds now came
        // from the hub before the cut, so the hub must still have those events).
        let spool = Some(self.read_spool()?);
        if let Some(spool) = &spool {
            for (id, text) in &self.local {
                match spool.messages.get(id) {
                    Some((t, _)) if t == text => {}
                    Some((t, _)) => bad.push(format!("message {id}: text {t:?}, acked {text:?}")),
                    None => bad.push(format!("acknowledged message {id} ({text}) is missing")),
                }
            }
            self.tally.unknown = spool
                .messages
                .values()
                .filter(|(_, s)| s == "unknown")
                .count();
        }
        if gw_was_down && power {
            self.gw_disk.unmount()?;
        }
        self.restart().await?;
        self.tally.checks += 1;
        // Hub side: everything with a receipt is there, once; acked hub messages survive.
        let hub_in = self.hub_inbound().await?;
        if let Some(spool) = &spool {
            for t in &spool.receipted_inbound {
                match hub_in.get(t) {
                    Some(1) => {}
                    Some(n) => bad.push(format!("inbound {t} is {n} times at the hub")),
                    None => bad.push(format!(
                        "inbound {t} had the hub's receipt but the hub lost it"
                    )),
                }
            }
        }
        for (t, n) in &hub_in {
            if *n > 1 {
                bad.push(format!("inbound {t} is {n} times at the hub"));
            }
        }
        for (id, text) in self
            .hub_msgs
            .iter()
            .filter(|_| target != Target::Box && power)
        {
            if self
                .d
                .hub_get(&format!("/api/v1/messages/{id}"))
                .await
                .is_err()
            {
                bad.push(format!(
                    "hub message {id} ({text}) acknowledged but missing"
                ));
            }
        }
        // Nothing twice at the handset.
        for (t, n) in self.handset_counts().await? {
            if n > 1 {
                bad.push(format!("{t} reached the handset {n} times"));
            }
        }
        bad.sort();
        bad.dedup();
        Ok(bad)
    }

    /// Waits until the SIMs are empty and the gateway's outbox drained, then checks that every
    /// injected SMS is in the spool once and at the hub once, that every message reached a
    /// final state or `unknown`, and that nothing reached the handset twice or is queued after
    /// reaching it.
    pub async fn settle_and_check(&mut self) -> Result<Vec<String>> {
        let mut bad = Vec::new();
        let sim_empty = wait_until("the SIMs' storage to empty", SETTLE, || async {
            self.sim_storage_empty().await.ok()?.then_some(())
        })
        .await;
        if let Err(e) = sim_empty {
            bad.push(e.to_string());
        }
        let expected = self.injected.clone();
        let hub = wait_until("the hub to hold every inbound SMS", SETTLE, || async {
            let h = self.hub_inbound().await.ok()?;
            expected.iter().all(|t| h.contains_key(t)).then_some(h)
        })
        .await;
        match hub {
            Ok(h) => {
                for (t, n) in h {
                    if n > 1 {
                        bad.push(format!("inbound {t} is {n} times at the hub"));
                    }
                }
            }
            Err(e) => {
                let h = self.hub_inbound().await.unwrap_or_default();
                let missing: Vec<_> = expected.iter().filter(|t| !h.contains_key(*t)).collect();
                bad.push(format!("{e}: missing {missing:?}"));
            }
        }
        // Stop the gateway cleanly to read its spool.
        if let Some(mut g) = self.gw.take() {
            g.stop(GRACE);
        }
        self.gw_disk.unmount()?;
        self.gw_disk.mount()?;
        let spool = self.read_spool()?;
        let mut in_spool: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, t) in &spool.inbound {
            *in_spool.entry(t.as_str()).or_insert(0) += 1;
        }
        for t in &self.injected {
            match in_spool.get(t.as_str()) {
                Some(1) => {}
                Some(n) => bad.push(format!("inbound {t} stored {n} times")),
                None => bad.push(format!("inbound {t} left the SIM but is not in the spool")),
            }
        }
        let handset = self.handset_counts().await?;
        for (id, (text, state)) in &spool.messages {
            if handset.get(text).copied().unwrap_or(0) > 0 && state == "queued" {
                bad.push(format!(
                    "message {id} ({text}) reached the handset but is queued to go again"
                ));
            }
        }
        for (t, n) in &handset {
            if *n > 1 {
                bad.push(format!("{t} reached the handset {n} times"));
            }
        }
        self.tally.unknown = spool
            .messages
            .values()
            .filter(|(_, s)| s == "unknown")
            .count();
        self.tally.settled_by_evidence = spool.settled;
        self.tally.ambiguous_reports = spool.ambiguous;
        self.gw_disk.unmount()?;
        self.gw_disk.mount()?;
        self.start_gateway().await?;
        bad.sort();
        bad.dedup();
        Ok(bad)
    }
}

#[derive(Debug, Default)]
struct SpoolView {
    settled: usize,
    ambiguous: usize,
    messages: BTreeMap<i64, (String, String)>,
    inbound: Vec<(i64, String)>,
    receipted_inbound: Vec<String>,
}
