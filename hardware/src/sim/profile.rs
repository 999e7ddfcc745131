//! Vendor profiles of the simulated modems, as data.
//!
//! Identity strings and quirks come from the python-gsmmodem recorded profiles
//! (`testdata/python-gsmmodem/modem_profiles.json`: HuaweiE1752 `huawei`/`E1752`/`11.126.13.00.00`,
//! `COMMAND NOT SUPPORT`, `+CLAC` lines ending in `\r\r\n`) and the reference §3.3 (Huawei SMS locations
//! start at 0, `^RSSI`/`^BOOT`/`^MODE` URCs; SIMCom `SMS DONE`/`PB DONE`-style boot URCs; SIM800 `+CSCS=?` list).
//! Strings not in the recorded data (Quectel EC25, SIM800 and Dinstar firmware revisions) are plausible
//! values chosen for the lab and are marked as such below.

use serde::{Deserialize, Serialize};

/// Which vendor a simulated modem imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileId {
    /// A plain 27.005/27.007 modem (python-gsmmodem `GenericTestModem`).
    Generic,
    /// Huawei E1752 USB stick.
    HuaweiE1752,
    /// Quectel EC25 LTE module.
    QuectelEc25,
    /// SIMCom SIM800 GSM module.
    Sim800,
    /// One GSM module of a Dinstar multi-port gateway.
    Dinstar,
}

impl ProfileId {
    /// All profiles, in a stable order.
    pub const ALL: [ProfileId; 5] = [
        ProfileId::Generic,
        ProfileId::HuaweiE1752,
        ProfileId::QuectelEc25,
        ProfileId::Sim800,
        ProfileId::Dinstar,
    ];

    /// The profile's data.
    pub fn profile(self) -> &'static Profile {
        match self {
            ProfileId::Generic => &GENERIC,
            ProfileId::HuaweiE1752 => &HUAWEI_E1752,
            ProfileId::QuectelEc25 => &QUECTEL_EC25,
            ProfileId::Sim800 => &SIM800,
            ProfileId::Dinstar => &DINSTAR,
        }
    }

    /// The name used in config files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ProfileId::Generic => "generic",
            ProfileId::HuaweiE1752 => "huawei-e1752",
            ProfileId::QuectelEc25 => "quectel-ec25",
            ProfileId::Sim800 => "sim800",
            ProfileId::Dinstar => "dinstar",
        }
    }
}

impl std::str::FromStr for ProfileId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProfileId::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = ProfileId::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown profile {s:?} (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

/// Vendor data of a simulated modem.
#[derive(Debug)]
pub struct Profile {
    /// `AT+CGMI` / `AT+GMI`.
    pub manufacturer: &'static str,
    /// `AT+CGMM` / `AT+GMM`.
    pub model: &'static str,
    /// `AT+CGMR` / `AT+GMR`.
    pub revision: &'static str,
    /// What an unknown command answers when `+CMEE=0` (`ERROR`, Huawei `COMMAND NOT SUPPORT`).
    pub unknown_command: &'static str,
    /// First SMS storage index (Huawei: 0, gammu `F_SMS_LOCATION_0`; most others: 1).
    pub first_index: usize,
    /// `AT+CSCS=?` answer body.
    pub charsets: &'static str,
    /// `AT+CNMI=?` answer body.
    pub cnmi_ranges: &'static str,
    /// The `AT+CMGS` prompt bytes (27.005: `\r\n> `).
    pub prompt: &'static str,
    /// Line end of `+CLAC` lines (Huawei E1752: `\r\r\n`).
    pub clac_line_end: &'static str,
    /// URC lines sent when the modem boots (after power on or `AT+CFUN=1,1`).
    pub boot_urcs: &'static [&'static str],
    /// Periodic signal URC (Huawei `^RSSI: n`), if the vendor sends one; `{}` is replaced by the rssi.
    pub periodic_rssi_urc: Option<&'static str>,
    /// `AT+GCAP` answer body.
    pub gcap: &'static str,
    /// Capacity of the SIM storage (SM).
    pub sm_capacity: usize,
    /// Capacity of the modem storage (ME).
    pub me_capacity: usize,
    /// Vendor-specific commands answered `OK` (e.g. Huawei `^CURC`), without the `AT` prefix.
    pub vendor_ok_commands: &'static [&'static str],
    /// Reading an empty slot answers just `OK` (Huawei MU509 manual, reference §1.3) instead of `+CMS ERROR: 321`.
    pub empty_read_is_ok: bool,
    /// Access technology reported in `+COPS?` (0 GSM, 2 UTRAN, 7 E-UTRAN).
    pub act: u8,
    /// USSD strings travel as GSM 7-bit packed hex regardless of `+CSCS` (Huawei; gammu `F_ENCODED_USSD`,
    /// ModemManager huawei plugin, reference §1.3).
    pub ussd_packed: bool,
    /// With `+CMEE=0` (the power-on default) SMS failures answer plain `ERROR` instead of `+CMS ERROR: <n>`
    /// (the "disable result code, use ERROR instead" reading of `+CMEE` that many modules apply to both
    /// families); otherwise `+CMS ERROR` is always shown, as 27.005 §3.2.5 words it.
    pub cms_errors_need_cmee: bool,
}

const STD_CNMI: &str = "+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)";

/// python-gsmmodem `GenericTestModem` (its identity strings are not recorded; these are the lab's own).
pub static GENERIC: Profile = Profile {
    manufacturer: "SMSGATE",
    model: "SIMULATED-GSM",
    revision: "1.0.0",
    unknown_command: "ERROR",
    first_index: 1,
    charsets: "+CSCS: (\"GSM\",\"UCS2\",\"IRA\")",
    cnmi_ranges: STD_CNMI,
    prompt: "\r\n> ",
    clac_line_end: "\r\n",
    boot_urcs: &[],
    periodic_rssi_urc: None,
    gcap: "+GCAP: +CGSM,+DS,+ES",
    sm_capacity: 30,
    me_capacity: 100,
    vendor_ok_commands: &[],
    empty_read_is_ok: false,
    act: 0,
    ussd_packed: false,
    cms_errors_need_cmee: true,
};

/// Huawei E1752 (python-gsmmodem `HuaweiE1752` recorded identity and `COMMAND NOT SUPPORT`).
pub static HUAWEI_E1752: Profile = Profile {
    manufacturer: "huawei",
    model: "E1752",
    revision: "11.126.13.00.00",
    unknown_command: "COMMAND NOT SUPPORT",
    first_index: 0,
    charsets: "+CSCS: (\"IRA\",\"GSM\",\"UCS2\")",
    cnmi_ranges: "+CNMI: (0,1,2),(0,1,2,3),(0,2),(0,1,2),(0,1)",
    prompt: "\r\n> ",
    clac_line_end: "\r\r\n",
    boot_urcs: &["^BOOT:20952911,0,0,0,75"],
    periodic_rssi_urc: Some("^RSSI:{}"),
    gcap: "+GCAP: +CGSM,+DS,+ES",
    sm_capacity: 30,
    me_capacity: 100,
    vendor_ok_commands: &[
        "^CURC=0",
        "^CURC=1",
        "^PORTSEL=1",
        "^PORTSEL=0",
        "^USSDMODE=0",
        "^CVOICE=0",
    ],
    empty_read_is_ok: true,
    act: 2,
    ussd_packed: true,
    cms_errors_need_cmee: false,
};

/// Quectel EC25 (revision string chosen for the lab).
pub static QUECTEL_EC25: Profile = Profile {
    manufacturer: "Quectel",
    model: "EC25",
    revision: "EC25EFAR06A06M4G",
    unknown_command: "ERROR",
    first_index: 0,
    charsets: "+CSCS: (\"GSM\",\"IRA\",\"UCS2\")",
    cnmi_ranges: "+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)",
    prompt: "\r\n> ",
    clac_line_end: "\r\n",
    boot_urcs: &[
        "RDY",
        "+CFUN: 1",
        "+CPIN: READY",
        "+QUSIM: 1",
        "+QIND: SMS DONE",
        "+QIND: PB DONE",
    ],
    periodic_rssi_urc: None,
    gcap: "+GCAP: +CGSM",
    sm_capacity: 30,
    me_capacity: 255,
    vendor_ok_commands: &["+QURCCFG=\"urcport\",\"usbat\""],
    empty_read_is_ok: false,
    act: 7,
    ussd_packed: false,
    cms_errors_need_cmee: false,
};

/// SIMCom SIM800 (revision string chosen for the lab). The real `+CSCS=?` list (reference §1.3) also has
/// PCCP, PCDN and 8859-1; the lab offers only the charsets it implements.
pub static SIM800: Profile = Profile {
    manufacturer: "SIMCOM_Ltd",
    model: "SIMCOM_SIM800",
    revision: "Revision:1418B04SIM800L24",
    unknown_command: "ERROR",
    first_index: 1,
    charsets: "+CSCS: (\"IRA\",\"GSM\",\"UCS2\",\"HEX\")",
    cnmi_ranges: "+CNMI: (0-3),(0-3),(0,2),(0,1),(0,1)",
    prompt: "\r\n> ",
    clac_line_end: "\r\n",
    boot_urcs: &["RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"],
    periodic_rssi_urc: None,
    gcap: "+GCAP: +CGSM",
    sm_capacity: 50,
    me_capacity: 50,
    vendor_ok_commands: &[],
    empty_read_is_ok: false,
    act: 0,
    ussd_packed: false,
    cms_errors_need_cmee: false,
};

/// A GSM module of a Dinstar gateway (identity chosen for the lab).
pub static DINSTAR: Profile = Profile {
    manufacturer: "DINSTAR",
    model: "UC2000-VE-GSM",
    revision: "2.0.1102",
    unknown_command: "ERROR",
    first_index: 1,
    charsets: "+CSCS: (\"GSM\",\"UCS2\",\"IRA\")",
    cnmi_ranges: STD_CNMI,
    prompt: "\r\n> ",
    clac_line_end: "\r\n",
    boot_urcs: &[],
    periodic_rssi_urc: None,
    gcap: "+GCAP: +CGSM",
    sm_capacity: 30,
    me_capacity: 100,
    vendor_ok_commands: &[],
    empty_read_is_ok: false,
    act: 0,
    ussd_packed: false,
    cms_errors_need_cmee: false,
};
