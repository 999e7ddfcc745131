//! Vendor quirk profiles as data.
//!
//! A [`Profile`] says everything vendor-specific the [`crate::Modem`] needs: which init commands
//! to send, how long to wait, which storage and `+CNMI` setting to ask for, how USSD strings are
//! encoded, how to read the ICCID, how to reset, and a set of [`Quirks`] flags. The driver code
//! has no `if vendor == …`: it reads the profile.
//!
//! [`Vendor::detect`] picks a vendor from `AT+CGMI`/`AT+CGMM`; a configured override wins.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::commands::storage::CnmiSetting;
use crate::commands::ussd::UssdEncoding;

/// Known modem families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    /// Plain 3GPP 27.005/27.007 behaviour.
    Generic,
    /// Huawei USB sticks (E1752, K3715, E3372…).
    Huawei,
    /// ZTE sticks (K3565-Z, MF…).
    Zte,
    /// Quectel modules (M35, EC25, UC20…).
    Quectel,
    /// SIMCom modules (SIM800, SIM7600…).
    Simcom,
    /// Sierra Wireless / Wavecom.
    Wavecom,
    /// Dinstar multi-port gateways in TCP "AT mode".
    Dinstar,
}

impl Vendor {
    /// Every vendor, in a stable order.
    pub const ALL: [Vendor; 7] = [
        Vendor::Generic,
        Vendor::Huawei,
        Vendor::Zte,
        Vendor::Quectel,
        Vendor::Simcom,
        Vendor::Wavecom,
        Vendor::Dinstar,
    ];

    /// Pick the family from the manufacturer (`AT+CGMI`) and model (`AT+CGMM`) answers.
    /// Unknown makers (Qualcomm, Nokia, …) are [`Vendor::Generic`].
    pub fn detect(manufacturer: &str, model: &str) -> Vendor {
        let m = manufacturer.to_ascii_lowercase();
        let model = model.to_ascii_lowercase();
        let both = format!("{m} {model}");
        if both.contains("huawei") {
            Vendor::Huawei
        } else if m.contains("zte") {
            Vendor::Zte
        } else if both.contains("quectel") {
            Vendor::Quectel
        } else if both.contains("simcom")
            || model
                .strip_prefix("sim")
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        {
            Vendor::Simcom
        } else if both.contains("wavecom") || both.contains("sierra") {
            Vendor::Wavecom
        } else if both.contains("dinstar") {
            Vendor::Dinstar
        } else {
            Vendor::Generic
        }
    }

    /// The profile for this family.
    pub fn profile(self) -> Profile {
        Profile::for_vendor(self)
    }
}

/// Behaviour switches that differ between modems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Quirks {
    /// Answers `AT+CPIN?` with `+CPIN: READY` and no `OK` (Wavecom).
    pub cpin_without_ok: bool,
    /// Setting `AT+CSMP` wipes the SMSC (Qualcomm, ZTE): re-check `AT+CSCA?` after.
    pub csmp_clears_smsc: bool,
    /// `+CMT`/`+CDS` routed messages must be acknowledged with `AT+CNMA`.
    pub needs_cnma: bool,
    /// The modem does not do PDU mode: use text mode (`AT+CMGF=1`).
    pub text_mode_only: bool,
    /// `AT+CPMS=` accepts only two memories (Wavecom).
    pub cpms_two_args: bool,
    /// Wake with a bare `AT` whose answer is discarded (BenQ/ZTE garbage after idle).
    pub needs_wakeup_at: bool,
    /// Answers `AT+CSCA?` with `+CME ERROR: 14` (SIM busy) for a while after boot: retry.
    pub sim_busy_after_boot: bool,
}

/// Everything vendor-specific, as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Which family this is.
    pub vendor: Vendor,
    /// Extra commands sent (in order) after the common init (`ATE0`, `AT+CMEE=1`). A failing
    /// vendor command is logged and skipped: vendors add URC switches, not essentials.
    pub init: Vec<String>,
    /// Timeout of ordinary commands.
    pub command_timeout: Duration,
    /// Wait for the `> ` prompt after `AT+CMGS=<len>`.
    pub prompt_timeout: Duration,
    /// Wait for `+CMGS: <mr>` after the PDU (network round trip).
    pub send_timeout: Duration,
    /// Timeout of `AT+CPMS=?` (gammu allows 200 s for slow phones).
    pub storage_timeout: Duration,
    /// Timeout of `AT+CUSD=1,…` (answers come as a URC; this bounds the whole wait).
    pub ussd_timeout: Duration,
    /// Storages to try, in order, for reading and receiving.
    pub preferred_storage: Vec<String>,
    /// Preferred `AT+CNMI` setting (fallbacks come from `AT+CNMI=?`).
    pub cnmi: CnmiSetting,
    /// How USSD strings are written and read.
    pub ussd_encoding: UssdEncoding,
    /// The command that reads the ICCID (answers `+CCID:`, `^ICCID:`, `+QCCID:`, `+ICCID:` or bare).
    pub iccid_command: String,
    /// The command that restarts the modem.
    pub reset_command: String,
    /// Quirk flags.
    pub quirks: Quirks,
}

const SECOND: Duration = Duration::from_secs(1);

impl Profile {
    /// The 27.005 baseline.
    pub fn generic() -> Profile {
        Profile {
            vendor: Vendor::Generic,
            init: Vec::new(),
            command_timeout: 10 * SECOND,
            prompt_timeout: 10 * SECOND,
            send_timeout: 120 * SECOND,
            storage_timeout: 30 * SECOND,
            ussd_timeout: 30 * SECOND,
            preferred_storage: vec!["SM".into(), "ME".into(), "MT".into()],
            cnmi: CnmiSetting {
                mode: 2,
                mt: 1,
                bm: 0,
                ds: 2,
                bfr: 0,
            },
            ussd_encoding: UssdEncoding::Text,
            iccid_command: "AT+CCID".into(),
            reset_command: "AT+CFUN=1,1".into(),
            quirks: Quirks::default(),
        }
    }

    /// The profile of a family.
    pub fn for_vendor(vendor: Vendor) -> Profile {
        let g = Profile::generic();
        match vendor {
            Vendor::Generic => g,
            Vendor::Huawei => Profile {
                vendor,
                // Silence ^RSSI/^MODE/^BOOT chatter.
                init: vec!["AT^CURC=0".into()],
                // USSD strings are hex of packed GSM-7 both ways (gammu F_ENCODED_USSD; the
                // Modem falls back to text if a firmware refuses the hex form).
                ussd_encoding: UssdEncoding::PackedGsm7Hex,
                iccid_command: "AT^ICCID?".into(),
                ..g
            },
            Vendor::Zte => Profile {
                vendor,
                // Leave CD-ROM mode, stay online.
                init: vec!["AT+ZCDRUN=8".into(), "AT+ZOPRT=5".into()],
                iccid_command: "AT+ZGETICCID".into(),
                quirks: Quirks {
                    csmp_clears_smsc: true,
                    needs_wakeup_at: true,
                    ..Quirks::default()
                },
                ..g
            },
            Vendor::Quectel => Profile {
                vendor,
                // URCs on the USB AT port the driver uses.
                init: vec!["AT+QURCCFG=\"urcport\",\"usbat\"".into()],
                iccid_command: "AT+QCCID".into(),
                ..g
            },
            Vendor::Simcom => Profile {
                vendor,
                iccid_command: "AT+CCID".into(),
                send_timeout: 60 * SECOND,
                ..g
            },
            Vendor::Wavecom => Profile {
                vendor,
                // Enable +WIND boot/SIM indications.
                init: vec!["AT+WIND=50".into()],
                preferred_storage: vec!["SM".into()],
                quirks: Quirks {
                    cpin_without_ok: true,
                    cpms_two_args: true,
                    ..Quirks::default()
                },
                ..g
            },
            Vendor::Dinstar => Profile {
                vendor,
                // The gateway queues sends per module: allow a longer wait for +CMGS.
                send_timeout: 180 * SECOND,
                ..g
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_manufacturers_map_to_their_families() {
        assert_eq!(Vendor::detect("huawei", "E1752"), Vendor::Huawei);
        assert_eq!(Vendor::detect("ZTE INCORPORATED", "K3565-Z"), Vendor::Zte);
        assert_eq!(
            Vendor::detect(" WAVECOM MODEM", " MULTIBAND  900E  1800"),
            Vendor::Wavecom
        );
        assert_eq!(Vendor::detect("Quectel", "EC25"), Vendor::Quectel);
        assert_eq!(
            Vendor::detect("SIMCOM_Ltd", "SIMCOM_SIM800"),
            Vendor::Simcom
        );
        assert_eq!(
            Vendor::detect("QUALCOMM INCORPORATED", "M6280"),
            Vendor::Generic
        );
        assert_eq!(Vendor::detect("Nokia", "Nokia N79"), Vendor::Generic);
        assert_eq!(Vendor::detect("", "SIM7600E-H"), Vendor::Simcom);
        assert_eq!(Vendor::detect("SMSGATE", "SIMULATED-GSM"), Vendor::Generic);
    }

    #[test]
    fn every_vendor_has_sane_timeouts_and_a_storage() {
        for v in Vendor::ALL {
            let p = v.profile();
            assert_eq!(p.vendor, v);
            assert!(p.prompt_timeout <= p.send_timeout, "{v:?}");
            assert!(!p.preferred_storage.is_empty(), "{v:?}");
            assert!(p.cnmi.mt == 1 || p.cnmi.mt == 2, "{v:?}");
        }
    }

    #[test]
    fn huawei_uses_packed_hex_ussd_and_wavecom_skips_the_cpin_ok() {
        assert_eq!(
            Vendor::Huawei.profile().ussd_encoding,
            UssdEncoding::PackedGsm7Hex
        );
        assert!(Vendor::Wavecom.profile().quirks.cpin_without_ok);
        assert!(!Vendor::Generic.profile().quirks.cpin_without_ok);
    }
}
