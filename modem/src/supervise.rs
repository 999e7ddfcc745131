//! What a supervisor asks of a [`Modem`] besides SMS: has it lost its settings, how full is its
//! storage, does it answer at all, and the status-report memory to sweep.
//!
//! Every call here takes its timeout from the caller: health checks on an idle port use a short
//! one, so a hung modem shows within seconds instead of a full command timeout.

use std::time::Duration;

use smsgate_at::{AtCommand, AtError};

use crate::commands::network::RegDomain;
use crate::commands::readback::{CmeeQuery, CnmiQuery, CpmsQuery};
use crate::commands::sms::MessageStatus;
use crate::commands::storage::StorageUsage;
use crate::commands::typed::{RegQuery, Simple};
use crate::modem::{InitReport, Modem, ModemError, StoredMessage};
use crate::settings::{Drift, ExpectedSettings, ObservedSettings, drift};

/// The status-report memory of 27.005.
pub const STATUS_REPORT_MEMORY: &str = "SR";

impl Modem {
    /// What the last [`init`](Self::init) set and the modem accepted.
    pub fn expected_settings(&self) -> &ExpectedSettings {
        &self.expected
    }

    /// The modem echoed one of our command lines since the last init although `ATE0` had taken
    /// effect: it lost its settings (costs nothing to ask; the engine counts echoes).
    pub fn echo_returned(&self) -> bool {
        self.expected.echo_off && self.at.echoes_seen() > self.echo_mark
    }

    /// Reads the settings back (`AT+CMEE?`, `AT+CNMI?`, `AT+CREG?`), each with `timeout`. A
    /// query the modem refuses leaves that setting unobserved; a timeout or a closed engine is
    /// an error (the caller's hang detection needs it).
    pub async fn read_settings(
        &mut self,
        timeout: Duration,
    ) -> Result<ObservedSettings, ModemError> {
        let mut observed = ObservedSettings::default();
        if self.expected.cmee.is_some() {
            observed.cmee = refused_is_none(self.run(&CmeeQuery(timeout)).await)?;
        }
        if self.expected.cnmi.is_some() {
            observed.cnmi = refused_is_none(self.run(&CnmiQuery(timeout)).await)?;
        }
        if self.expected.creg_mode.is_some() {
            let reg = refused_is_none(self.run(&RegQueryWithin(RegDomain::Cs, timeout)).await)?;
            observed.creg_mode = reg.flatten().and_then(|r| r.mode);
        }
        // After the queries: their own echo counts.
        observed.echo = self.echo_returned();
        Ok(observed)
    }

    /// [`read_settings`](Self::read_settings) compared with what init set: every setting lost.
    pub async fn check_settings(&mut self, timeout: Duration) -> Result<Vec<Drift>, ModemError> {
        let observed = self.read_settings(timeout).await?;
        Ok(drift(&self.expected, &observed))
    }

    /// Initialises again with the options of the last init (after the settings were lost).
    pub async fn reinit(&mut self) -> Result<InitReport, ModemError> {
        let opts = self.init_options.clone();
        self.init(&opts).await
    }

    /// A bare `AT` with `timeout`: does the modem answer at all?
    pub async fn ping(&mut self, timeout: Duration) -> Result<(), ModemError> {
        self.run(&Simple::new("AT").timeout(timeout)).await
    }

    /// `AT+CPMS?`: the memories in use and how full they are (`None` when the modem refuses).
    pub async fn storage_usage(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<StorageUsage>, ModemError> {
        refused_is_none(self.run(&CpmsQuery(timeout)).await)
    }

    /// The memory chosen at init for reading and receiving (`None`: the modem's default).
    pub fn message_storage(&self) -> Option<&str> {
        self.storage.as_deref()
    }

    /// The status-report memory (`SR`) when `AT+CPMS=?` offers it for reading and it is not the
    /// message memory: reports the modem stored without telling us (`+CNMI` `<ds>` 0 after a
    /// reset, or while nobody listened) wait there.
    pub fn status_report_storage(&self) -> Option<&'static str> {
        let offered = self
            .support
            .as_ref()
            .is_some_and(|s| s.can_read(STATUS_REPORT_MEMORY));
        (offered && !self.is_current_storage(STATUS_REPORT_MEMORY)).then_some(STATUS_REPORT_MEMORY)
    }

    /// Lists the messages with `<stat>` `filter` in `storage` (switching the read memory there
    /// and back); each comes back tagged with `storage`.
    pub async fn list_messages_in(
        &mut self,
        storage: &str,
        filter: MessageStatus,
    ) -> Result<Vec<StoredMessage>, ModemError> {
        if self.is_current_storage(storage) {
            return self.list_messages(filter).await;
        }
        self.switch_storage(storage).await?;
        let listed = self.list_messages(filter).await;
        self.switch_back_storage().await?;
        let mut listed = listed?;
        for m in &mut listed {
            m.storage = Some(storage.to_owned());
        }
        Ok(listed)
    }
}

/// `AT+CREG?` with a caller-given timeout.
struct RegQueryWithin(RegDomain, Duration);

impl AtCommand for RegQueryWithin {
    type Output = Option<crate::commands::network::Registration>;
    fn write(&self, out: &mut Vec<u8>) {
        RegQuery(self.0).write(out);
    }
    fn expects(&self) -> &[&str] {
        match self.0 {
            RegDomain::Cs => &["+CREG"],
            RegDomain::Gprs => &["+CGREG"],
            RegDomain::Eps => &["+CEREG"],
        }
    }
    fn timeout(&self) -> Duration {
        self.1
    }
    fn parse(&self, r: &smsgate_at::Response) -> Result<Self::Output, AtError> {
        RegQuery(self.0).parse(r)
    }
}

/// A query the modem refuses (`ERROR`, `+CME ERROR`, not supported, unparsable) is "not
/// observed"; a timeout, I/O error or closed engine stays an error.
fn refused_is_none<T>(r: Result<T, ModemError>) -> Result<Option<T>, ModemError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ModemError::At {
            source:
                AtError::Error
                | AtError::Cme(_)
                | AtError::Cms(_)
                | AtError::NotSupported
                | AtError::Parse { .. },
            ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}
