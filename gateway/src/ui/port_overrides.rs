//! Port settings changed while the gateway runs (the box UI's One-port screen), kept in the
//! same reviewed override file as the group changes (`overrides.json`, see [`super::overrides`])
//! under flat `ports.{id}.{field}` keys.
//!
//! A change is validated with the config file's rules (the words of `config check`, every
//! problem named by its field), written to the file, then applied: the port's worker sees its
//! new settings on the live feed ([`LivePorts`]), lets a send in progress finish, closes the
//! modem and opens it again with them — the gateway itself keeps running.
//!
//! The SIM PIN is a secret: the file holding it is written `0600`, and nothing here or in the
//! API ever gives it back (the API says only whether one is set).

use crate::dispatch::live::PatchError;
use serde_json::{Map, Value};
use smsgate_config::gateway::{Device, FlowControl, PortConfig, Vendor};
use smsgate_config::{GatewayConfig, Validate, Violations};
use tokio::sync::watch;

/// The running AT ports' settings (sender: the box UI; receivers: the port workers).
pub type LivePorts = watch::Sender<Vec<PortConfig>>;

/// The port fields the box UI may change.
pub const PORT_FIELDS: [&str; 7] = [
    "device",
    "baud",
    "flow_control",
    "profile",
    "pin",
    "smsc",
    "text_mode",
];

/// Whether an override key is a port key (`ports.{id}.{field}`).
pub fn is_port_key(key: &str) -> bool {
    key.starts_with("ports.")
}

fn split(key: &str) -> Option<(u16, &str)> {
    let (id, field) = key.strip_prefix("ports.")?.split_once('.')?;
    Some((id.parse().ok()?, field))
}

fn refuse(key: &str, reason: impl Into<String>) -> PatchError {
    PatchError {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

fn text(key: &str, v: &Value, what: &str) -> Result<String, PatchError> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| refuse(key, format!("must be {what}")))
}

fn optional_text(key: &str, v: &Value, what: &str) -> Result<Option<String>, PatchError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_owned())),
        _ => Err(refuse(key, format!("must be {what}, or null"))),
    }
}

fn set_field(p: &mut PortConfig, key: &str, field: &str, v: &Value) -> Result<(), PatchError> {
    match field {
        "device" => {
            let s = text(key, v, "a serial device path or tcp://host:port")?;
            p.device = Device::try_from(s.trim().to_owned()).map_err(|e| refuse(key, e))?;
        }
        "baud" => {
            p.baud = v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| refuse(key, "must be a serial speed like 115200"))?;
        }
        "flow_control" => {
            p.flow_control = serde_json::from_value::<FlowControl>(v.clone())
                .map_err(|_| refuse(key, "must be one of none, hardware, software"))?;
        }
        "profile" => {
            p.profile = serde_json::from_value::<Vendor>(v.clone()).map_err(|_| {
                refuse(
                    key,
                    "must be one of generic, huawei, zte, quectel, simcom, sierra, wavecom, dinstar",
                )
            })?;
        }
        "pin" => p.pin = optional_text(key, v, "4 to 8 digits")?,
        "smsc" => p.smsc = optional_text(key, v, "a phone number")?,
        "text_mode" => {
            p.text_mode = v
                .as_bool()
                .ok_or_else(|| refuse(key, "must be true or false"))?;
        }
        _ => {
            return Err(refuse(
                key,
                format!(
                    "cannot be changed here (fields: {})",
                    PORT_FIELDS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// `current` with the `ports.{id}.{field}` keys of `patch` applied, validated as a whole with
/// the config file's rules against `config` (the rest of the configuration); every problem
/// otherwise, each keyed `ports.{id}.{field}` (nothing is applied then).
pub fn apply(
    config: &GatewayConfig,
    current: &[PortConfig],
    patch: &Map<String, Value>,
) -> Result<Vec<PortConfig>, Vec<PatchError>> {
    let mut ports = current.to_vec();
    let mut errors = Vec::new();
    for (key, v) in patch {
        let Some((id, field)) = split(key) else {
            errors.push(refuse(key, "not a ports.{id}.{field} key"));
            continue;
        };
        let Some(p) = ports.iter_mut().find(|p| p.id == id) else {
            errors.push(refuse(key, format!("no [[ports]] entry has id {id}")));
            continue;
        };
        if let Err(e) = set_field(p, key, field, v) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        let mut candidate = config.clone();
        candidate.ports = ports.clone();
        let mut v = Violations::default();
        candidate.validate(&mut v);
        if let Err(smsgate_config::ConfigError::Invalid(found)) = v.into_result() {
            // `ports[2].pin` → `ports.{id}.pin`, so a problem names the port by its id.
            errors.extend(found.iter().map(|f| {
                let key = f
                    .path
                    .strip_prefix("ports[")
                    .and_then(|r| r.split_once("]."))
                    .and_then(|(i, field)| {
                        let p = ports.get(i.parse::<usize>().ok()?)?;
                        Some(format!("ports.{}.{field}", p.id))
                    })
                    .unwrap_or_else(|| f.path.clone());
                refuse(&key, f.message.clone())
            }));
        }
    }
    if errors.is_empty() {
        Ok(ports)
    } else {
        Err(errors)
    }
}

fn field_value(p: &PortConfig, field: &str) -> Value {
    let v = match field {
        "device" => serde_json::to_value(&p.device),
        "baud" => serde_json::to_value(p.baud),
        "flow_control" => serde_json::to_value(p.flow_control),
        "profile" => serde_json::to_value(p.profile),
        "pin" => serde_json::to_value(&p.pin),
        "smsc" => serde_json::to_value(&p.smsc),
        "text_mode" => serde_json::to_value(p.text_mode),
        _ => Ok(Value::Null),
    };
    v.unwrap_or(Value::Null)
}

/// Every field of `ports` that differs from the config file's `file_ports`, as override keys.
pub fn diff(file_ports: &[PortConfig], ports: &[PortConfig]) -> Map<String, Value> {
    let mut out = Map::new();
    for p in ports {
        let Some(f) = file_ports.iter().find(|f| f.id == p.id) else {
            continue;
        };
        for field in PORT_FIELDS {
            let (a, b) = (field_value(f, field), field_value(p, field));
            if a != b {
                out.insert(format!("ports.{}.{field}", p.id), b);
            }
        }
    }
    out
}

/// The field names of port `id` that differ from the config file (never their values).
pub fn overridden(file_ports: &[PortConfig], ports: &[PortConfig], id: u16) -> Vec<String> {
    let prefix = format!("ports.{id}.");
    diff(file_ports, ports)
        .keys()
        .filter_map(|k| k.strip_prefix(&prefix))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> GatewayConfig {
        GatewayConfig::from_toml_str(
            "[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n[[ports]]\nid = 4\ndevice = \"/dev/ttyUSB1\"\npin = \"1234\"\n\
             [[groups]]\nname = \"default\"\nports = \"0,4\"\n",
        )
        .unwrap()
    }

    fn patch(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn every_port_field_is_changed_by_its_key_and_the_diff_names_only_what_changed() {
        let c = config();
        let got = apply(
            &c,
            &c.ports,
            &patch(json!({
                "ports.4.device": "tcp://10.0.0.5:56011",
                "ports.4.baud": 9600,
                "ports.4.flow_control": "hardware",
                "ports.4.profile": "quectel",
                "ports.4.pin": null,
                "ports.4.smsc": "+33609001390",
                "ports.4.text_mode": true,
                "ports.0.baud": 57600,
            })),
        );
        // A tcp:// device needs the Dinstar password: refused, named on the port's id.
        let errors = got.unwrap_err();
        assert_eq!(
            errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec!["ports.4.password: required for a tcp:// device (Dinstar AT mode)"]
        );
        let got = apply(
            &c,
            &c.ports,
            &patch(json!({
                "ports.4.device": "/dev/ttyACM3",
                "ports.4.baud": 9600,
                "ports.4.flow_control": "hardware",
                "ports.4.profile": "quectel",
                "ports.4.pin": null,
                "ports.4.smsc": "+33609001390",
                "ports.4.text_mode": true,
            })),
        )
        .unwrap();
        let p = &got[1];
        assert_eq!(p.device, Device::Serial("/dev/ttyACM3".into()));
        assert_eq!(
            (p.baud, p.flow_control, p.profile),
            (9600, FlowControl::Hardware, Vendor::Quectel)
        );
        assert_eq!(p.pin, None);
        assert_eq!(p.smsc.as_deref(), Some("+33609001390"));
        assert!(p.text_mode);
        assert_eq!(got[0], c.ports[0], "port 0 untouched");
        let d = diff(&c.ports, &got);
        assert_eq!(d.len(), 7, "{d:?}");
        assert_eq!(d["ports.4.pin"], Value::Null);
        assert_eq!(
            overridden(&c.ports, &got, 4),
            vec![
                "baud",
                "device",
                "flow_control",
                "pin",
                "profile",
                "smsc",
                "text_mode"
            ]
        );
        assert!(overridden(&c.ports, &got, 0).is_empty());
    }

    #[test]
    fn bad_values_are_refused_with_the_config_files_words_naming_the_port_and_field() {
        let c = config();
        let errors = apply(
            &c,
            &c.ports,
            &patch(json!({
                "ports.0.baud": 12345,
                "ports.0.pin": "12",
                "ports.0.smsc": "call me",
            })),
        )
        .unwrap_err();
        let words: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            words,
            vec![
                "ports.0.baud: 12345 is not a standard serial speed",
                "ports.0.pin: must be 4 to 8 digits",
                "ports.0.smsc: \"call me\" is not a phone number (optional '+', 3 to 20 digits)",
            ]
        );
        let errors = apply(
            &c,
            &c.ports,
            &patch(json!({"ports.0.flow_control": "rts", "ports.9.baud": 9600, "ports.0.id": 3, "ports.0.device": "tcp://:1"})),
        )
        .unwrap_err();
        let words: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            words.contains(&"ports.0.flow_control: must be one of none, hardware, software".into()),
            "{words:?}"
        );
        assert!(
            words.contains(&"ports.9.baud: no [[ports]] entry has id 9".into()),
            "{words:?}"
        );
        assert!(
            words
                .iter()
                .any(|w| w.starts_with("ports.0.id: cannot be changed here")),
            "{words:?}"
        );
        assert!(
            words
                .iter()
                .any(|w| w.starts_with("ports.0.device: device \"tcp://:1\" has no host")),
            "{words:?}"
        );
    }
}
