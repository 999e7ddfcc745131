//! Prometheus metrics held in a handle (no global recorder): the hub records through
//! [`HubMetrics`], `/metrics` renders it. Other parts of the hub process (the MQTT link's
//! connection drops) record into the same registry with [`HubMetrics::with`] or the
//! recorder from [`HubMetrics::recorder`].
//!
//! Series: `smsgate_hub_http_requests_total{method,status}`, `smsgate_hub_logins_total{result}`
//! (`ok`, `failed`, `throttled`, `busy`), `smsgate_hub_ingested_total{outcome}`,
//! `smsgate_hub_event_streams` (gauge), `smsgate_hub_link_connection_drops_total` (the hub
//! link's established broker connections that were lost; `run/link.rs`),
//! `smsgate_hub_opt_out_commands_total` (`down/opt_outs` commands queued, `hub/edge_sync.rs`),
//! and the store's writes: `smsgate_hub_store_write_transactions_total`,
//! `smsgate_hub_store_commits_total` (durable commits; with group commit one serves many
//! transactions), read from the store when `/metrics` is rendered.

use std::sync::Arc;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

/// Cheap-to-clone metrics handle.
#[derive(Clone)]
pub struct HubMetrics {
    recorder: Arc<PrometheusRecorder>,
}

impl Default for HubMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for HubMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HubMetrics")
    }
}

impl HubMetrics {
    pub fn new() -> Self {
        Self {
            recorder: Arc::new(PrometheusBuilder::new().build_recorder()),
        }
    }

    /// Runs `f` with this registry as the `metrics` recorder (record with `metrics::counter!`…).
    pub fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(self.recorder.as_ref(), f)
    }

    /// The recorder itself, for code that holds a `&dyn metrics::Recorder`.
    pub fn recorder(&self) -> Arc<PrometheusRecorder> {
        self.recorder.clone()
    }

    pub fn record_login(&self, result: &'static str) {
        self.with(|| {
            metrics::counter!("smsgate_hub_logins_total", "result" => result).increment(1)
        });
    }

    pub fn record_request(&self, method: &str, status: u16) {
        let (m, s) = (method.to_owned(), status.to_string());
        self.with(|| {
            metrics::counter!("smsgate_hub_http_requests_total", "method" => m, "status" => s)
                .increment(1)
        });
    }

    pub fn record_ingest(&self, outcome: &'static str) {
        self.with(|| {
            metrics::counter!("smsgate_hub_ingested_total", "outcome" => outcome).increment(1)
        });
    }

    /// `down/opt_outs` commands queued for gateways (`smsgate_hub_opt_out_commands_total`).
    pub fn record_opt_out_sync(&self, commands: usize) {
        let n = u64::try_from(commands).unwrap_or(u64::MAX);
        self.with(|| metrics::counter!("smsgate_hub_opt_out_commands_total").increment(n));
    }

    /// The store's write counters (absolute values).
    pub fn record_store(&self, c: crate::store::StoreCounters) {
        self.with(|| {
            metrics::counter!("smsgate_hub_store_write_transactions_total")
                .absolute(c.transactions);
            metrics::counter!("smsgate_hub_store_commits_total").absolute(c.commits);
        });
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_series_appear_in_the_exposition() {
        let m = HubMetrics::new();
        m.record_login("throttled");
        m.with(|| metrics::counter!("smsgate_mqtt_connection_drops_total").increment(2));
        let text = m.render();
        assert!(
            text.contains("smsgate_hub_logins_total{result=\"throttled\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("smsgate_mqtt_connection_drops_total 2"),
            "{text}"
        );
    }
}
