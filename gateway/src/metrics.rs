//! Prometheus metrics held in a handle (no global recorder): workers and the API record
//! through [`GatewayMetrics`], `/metrics` renders it.
//!
//! Series: `smsgate_queue_depth{group}` (gauge, refreshed at each scrape from the spool),
//! `smsgate_messages{state}` (gauge, same), `smsgate_sends_total{port}`,
//! `smsgate_send_failures_total{port,reason}`, `smsgate_signal_dbm{port}` (gauge),
//! `smsgate_api_submissions_total{result}`, `smsgate_link_connection_drops_total` (the cloud
//! link's established connections that were lost), `smsgate_login_hashes{state}` (gauge: box UI
//! password hashes `running` and `waiting` for the one permit, refreshed at each scrape),
//! `smsgate_login_hashes_total`.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};
use std::sync::Arc;

/// Cheap-to-clone metrics handle.
#[derive(Clone)]
pub struct GatewayMetrics {
    recorder: Arc<PrometheusRecorder>,
}

impl Default for GatewayMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for GatewayMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GatewayMetrics")
    }
}

impl GatewayMetrics {
    /// A fresh, empty registry.
    pub fn new() -> Self {
        Self {
            recorder: Arc::new(PrometheusBuilder::new().build_recorder()),
        }
    }

    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(self.recorder.as_ref(), f)
    }

    /// One message (all parts) accepted by the network on `port`.
    pub fn record_send(&self, port: u16) {
        self.with(|| {
            metrics::counter!("smsgate_sends_total", "port" => port.to_string()).increment(1)
        });
    }

    /// One failed send attempt on `port`.
    pub fn record_failure(&self, port: u16, reason: &'static str) {
        self.with(|| {
            metrics::counter!("smsgate_send_failures_total", "port" => port.to_string(), "reason" => reason)
                .increment(1);
        });
    }

    /// Latest signal strength of `port`.
    pub fn set_signal(&self, port: u16, dbm: f64) {
        self.with(|| metrics::gauge!("smsgate_signal_dbm", "port" => port.to_string()).set(dbm));
    }

    /// Queued messages of `group`.
    pub fn set_queue_depth(&self, group: &str, n: u64) {
        let group = group.to_string();
        self.with(|| metrics::gauge!("smsgate_queue_depth", "group" => group).set(n as f64));
    }

    /// Messages in `state`.
    pub fn set_state_count(&self, state: &'static str, n: u64) {
        self.with(|| metrics::gauge!("smsgate_messages", "state" => state).set(n as f64));
    }

    /// One API submission with its outcome (`queued`, `blocked`, `duplicate`, `rejected`).
    pub fn record_submission(&self, result: &'static str, n: u64) {
        self.with(|| {
            metrics::counter!("smsgate_api_submissions_total", "result" => result).increment(n)
        });
    }

    /// The cloud link has lost `n` established connections since start.
    pub fn set_link_drops(&self, n: u64) {
        self.with(|| metrics::counter!("smsgate_link_connection_drops_total").absolute(n));
    }

    /// The box UI's password hashing: running and waiting now, finished since start.
    pub fn set_login_hashes(&self, stats: crate::ui::hashing::HashStats) {
        self.with(|| {
            metrics::gauge!("smsgate_login_hashes", "state" => "running").set(stats.running as f64);
            metrics::gauge!("smsgate_login_hashes", "state" => "waiting").set(stats.waiting as f64);
            metrics::counter!("smsgate_login_hashes_total").absolute(stats.done);
        });
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }
}
