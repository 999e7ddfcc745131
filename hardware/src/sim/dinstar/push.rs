//! The simulated Dinstar's pushes: every queued payload (`{"sn","sms"|"sms_result"|"sms_deliver_status"|
//! "ussd":[…]}`) is POSTed as JSON to the push URL, in order; one the receiver does not answer with 200 is
//! sent again (after 200 ms, doubling to 5 s), so nothing pushed is lost while the receiver is down.

use std::sync::Arc;
use std::time::Duration;

use super::{PushLog, lock};
use crate::sim::lab::Lab;

/// Pushes until the lab stops.
pub async fn run(lab: Lab) {
    let wake = Arc::new(tokio::sync::Notify::new());
    lock(&lab.inner().gateway).push_wake = Some(wake.clone());
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("dinstar push client: {e}");
            return;
        }
    };
    let cancel = lab.cancel_token().clone();
    let mut backoff = Duration::from_millis(200);
    loop {
        let next = {
            let mut g = lock(&lab.inner().gateway);
            g.release_held();
            match (&g.push_url, g.push_queue.front()) {
                (Some(url), Some(body)) => Some((url.clone(), body.clone())),
                _ => None,
            }
        };
        let Some((url, body)) = next else {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = wake.notified() => {}
                // Late reports become due without anything waking us.
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
            continue;
        };
        let status = match client.post(&url).json(&body).send().await {
            Ok(r) => r.status().as_u16(),
            Err(_) => 0,
        };
        {
            let mut g = lock(&lab.inner().gateway);
            if g.pushes.len() >= super::MAX_LOG {
                g.pushes.drain(..super::MAX_LOG / 2);
            }
            g.pushes.push(PushLog {
                body: body.clone(),
                status,
            });
            if status == 200 {
                g.push_queue.pop_front();
            }
        }
        if status == 200 {
            backoff = Duration::from_millis(200);
        } else {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }
}
