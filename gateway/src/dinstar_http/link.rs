//! What the device task and the port workers of one Dinstar tell each other, and the
//! [`InFlight`] registry through which a cancel reaches a send the device is holding.

use super::api::{PortInfo, SmsResult};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, oneshot};

/// From the device task to one port worker.
#[derive(Debug, Clone, PartialEq)]
pub enum PortNews {
    /// `get_port_info` for this port (`None`: the device does not offer it; the port counts
    /// as registered while the device answers).
    Info(Option<PortInfo>),
    /// The device does not answer (`Err` = why), or answers again (`Ok`).
    Reachable(Result<(), String>),
    /// The device refused our login (why, and when the next attempt is).
    LoginRefused(String),
    /// A send result the device pushed.
    Result(SmsResult),
    /// A USSD reply the device pushed.
    Ussd(String),
}

/// From a port worker to its device task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceNote {
    /// Parts left the port: the delivery-report cursor waits for their reports.
    Sent {
        /// Dinstar port.
        port: u16,
        /// Recipient.
        number: String,
        /// TP-MR of the first part.
        first_ref: u8,
        /// Parts.
        count: u32,
        /// Device send time ("YYYY-MM-DD HH:MM:SS"), empty if not given.
        time: String,
    },
    /// A send ended `unknown`: the device task asks `query_sms_result` for its `user_id` until
    /// the device says what happened.
    Unknown {
        /// Message id.
        message_id: i64,
        /// The attempt's user id.
        user_id: u64,
        /// Dinstar port.
        port: u16,
    },
}

/// What a cancel of a message the device holds came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelAnswer {
    /// `stop_sms` stopped it before it was sent: the message failed with this reason.
    Stopped(String),
    /// Too late: the device had sent it (or is sending it); why.
    TooLate(String),
    /// The device could not be asked (why).
    Failed(String),
}

type CancelTx = mpsc::Sender<oneshot::Sender<CancelAnswer>>;

/// Sends the Dinstar ports hold right now (message id → the worker settling it). Cheap to
/// clone; the API's cancel asks it for a message that is already `sending`.
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    inner: Arc<Mutex<HashMap<i64, CancelTx>>>,
}

impl InFlight {
    fn lock(&self) -> MutexGuard<'_, HashMap<i64, CancelTx>> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A worker holds message `id`; cancels arrive on the returned receiver until the guard
    /// is dropped.
    pub fn hold(&self, id: i64) -> (Held, mpsc::Receiver<oneshot::Sender<CancelAnswer>>) {
        let (tx, rx) = mpsc::channel(4);
        self.lock().insert(id, tx);
        (
            Held {
                registry: self.clone(),
                id,
            },
            rx,
        )
    }

    /// Asks the worker holding message `id` to stop it on the device; `None` when no
    /// Dinstar port holds it.
    pub async fn cancel(&self, id: i64) -> Option<CancelAnswer> {
        let tx = self.lock().get(&id).cloned()?;
        let (reply, answer) = oneshot::channel();
        tx.send(reply).await.ok()?;
        answer.await.ok()
    }
}

/// Removes its message from the [`InFlight`] registry when dropped.
#[derive(Debug)]
pub struct Held {
    registry: InFlight,
    id: i64,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}
