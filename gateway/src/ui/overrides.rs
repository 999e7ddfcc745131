//! Group settings changed while the gateway runs (the box UI, the hub's `config` command),
//! and port settings changed from the box UI ([`super::port_overrides`], `ports.{id}.{field}`
//! keys), kept across restarts in a reviewed override file beside the spool: `overrides.json`.
//!
//! Why an override file rather than writing `gateway.toml` back: the config file is the
//! operator's (comments, layout, maybe managed by provisioning); rewriting it from a program
//! loses its comments (TOML has no comment-preserving writer in the dependency set) and races
//! with whoever manages it. The override file is small, flat and explicit: each key is a
//! `groups.{name}.{field}` the running gateway changed, with its value; the file is written
//! atomically (temporary file, fsync, rename, directory fsync) whenever the live settings change;
//! at start it is applied over `gateway.toml` and validated with the config file's own rules —
//! an invalid one stops the start naming the file and key. Removing a key (or the file) goes
//! back to `gateway.toml`'s value.
//!
//! Live keys (applied at once): those of [`crate::dispatch::live::LIVE_FIELDS`]. Restart keys
//! ([`RESTART_FIELDS`]: `ports`, `strategy`) are validated and kept, and take effect at the
//! next start (a dispatcher's ports and strategy are fixed while it runs).

use super::fsutil::write_atomic;
use super::{cloud_overrides, port_overrides};
use crate::dispatch::live::{LIVE_FIELDS, PatchError, patch_groups};
use serde_json::{Map, Value};
use smsgate_config::gateway::{CloudConfig, GroupConfig, PortConfig, Strategy};
use smsgate_config::ports_spec::PortSpec;
use smsgate_config::{GatewayConfig, Validate, Violations};
use std::path::{Path, PathBuf};

/// The file name, in the spool's directory.
pub const FILE_NAME: &str = "overrides.json";

/// Group fields that apply at the next start.
pub const RESTART_FIELDS: [&str; 2] = ["ports", "strategy"];

/// Where the override file of a gateway whose spool is `spool_path` lives.
pub fn path_for(spool_path: &Path) -> PathBuf {
    match spool_path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.join(FILE_NAME),
        _ => PathBuf::from(FILE_NAME),
    }
}

/// Why the override file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    /// Unreadable or not a JSON object.
    #[error("{path}: {reason}")]
    Unreadable {
        /// File.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A key is refused (by the config file's rules).
    #[error("{path}: {problems}")]
    Invalid {
        /// File.
        path: PathBuf,
        /// Every refused key, `key: reason`, joined.
        problems: String,
    },
}

/// The restart fields of the groups as the override asks (`(group, field) → value`).
fn set_restart_field(
    g: &mut GroupConfig,
    key: &str,
    field: &str,
    v: &Value,
) -> Result<(), PatchError> {
    let bad = |reason: String| PatchError {
        key: key.to_owned(),
        reason,
    };
    match field {
        "ports" => {
            let s = v.as_str().ok_or_else(|| {
                bad("must be a dial string like \"0-3\", \"(0.3)\" or \"0,2,5\"".into())
            })?;
            g.ports = s.parse::<PortSpec>().map_err(|e| bad(e.to_string()))?;
        }
        "strategy" => {
            g.strategy = serde_json::from_value::<Strategy>(v.clone())
                .map_err(|_| bad("must be one of round-robin, least-used, sticky".into()))?;
        }
        _ => return Err(bad("not a restart field".into())),
    }
    Ok(())
}

fn split(key: &str) -> Option<(&str, &str)> {
    key.strip_prefix("groups.")?.rsplit_once('.')
}

/// Applies a patch of `groups.{name}.{field}` keys (live and restart fields) to `current`,
/// validated as a whole with the config file's rules against `config`. Returns the groups as
/// they run now (live fields applied, restart fields as they were) and the groups as the next
/// start will have them, or every problem.
pub fn apply(
    config: &GatewayConfig,
    current: &[GroupConfig],
    patch: &Map<String, Value>,
) -> Result<(Vec<GroupConfig>, Vec<GroupConfig>), Vec<PatchError>> {
    let (mut live, mut restart) = (Map::new(), Map::new());
    for (k, v) in patch {
        match split(k) {
            Some((_, f)) if RESTART_FIELDS.contains(&f) => restart.insert(k.clone(), v.clone()),
            _ => live.insert(k.clone(), v.clone()),
        };
    }
    let running = if live.is_empty() {
        current.to_vec()
    } else {
        patch_groups(config, current, &live)?
    };
    let mut next = running.clone();
    let mut errors = Vec::new();
    for (k, v) in &restart {
        let Some((name, field)) = split(k) else {
            continue;
        };
        match next.iter_mut().find(|g| g.name == name) {
            Some(g) => {
                if let Err(e) = set_restart_field(g, k, field, v) {
                    errors.push(e);
                }
            }
            None => errors.push(PatchError {
                key: k.clone(),
                reason: format!("no group named {name:?}"),
            }),
        }
    }
    if errors.is_empty() && !restart.is_empty() {
        let mut candidate = config.clone();
        candidate.groups = next.clone();
        let mut v = Violations::default();
        candidate.validate(&mut v);
        if let Err(smsgate_config::ConfigError::Invalid(found)) = v.into_result() {
            errors.extend(found.iter().map(|f| PatchError {
                key: f.path.clone(),
                reason: f.message.clone(),
            }));
        }
    }
    if errors.is_empty() {
        Ok((running, next))
    } else {
        Err(errors)
    }
}

fn field_value(g: &GroupConfig, field: &str) -> Value {
    let v = match field {
        "ports" => serde_json::to_value(&g.ports),
        "strategy" => serde_json::to_value(g.strategy),
        "interval_ms" => serde_json::to_value(g.interval_ms),
        "jitter_ms" => serde_json::to_value(g.jitter_ms),
        "max_per_hour" => serde_json::to_value(g.max_per_hour),
        "max_per_day" => serde_json::to_value(g.max_per_day),
        "max_per_month" => serde_json::to_value(g.max_per_month),
        "sending_hours" => serde_json::to_value(g.sending_hours),
        "timezone" => serde_json::to_value(g.timezone),
        _ => Ok(Value::Null),
    };
    v.unwrap_or(Value::Null)
}

/// Every field of `groups` that differs from the config file's `file_groups`, as override keys.
pub fn diff(file_groups: &[GroupConfig], groups: &[GroupConfig]) -> Map<String, Value> {
    let mut out = Map::new();
    for g in groups {
        let Some(f) = file_groups.iter().find(|f| f.name == g.name) else {
            continue;
        };
        for field in LIVE_FIELDS.iter().chain(RESTART_FIELDS.iter()) {
            let (a, b) = (field_value(f, field), field_value(g, field));
            if a != b {
                out.insert(format!("groups.{}.{field}", g.name), b);
            }
        }
    }
    out
}

/// Reads the override file (an empty map when there is none).
pub fn load(path: &Path) -> Result<Map<String, Value>, OverrideError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
        Err(e) => {
            return Err(OverrideError::Unreadable {
                path: path.to_owned(),
                reason: e.to_string(),
            });
        }
    };
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| OverrideError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    match v {
        Value::Object(mut m) => {
            m.remove("_comment");
            Ok(m)
        }
        _ => Err(OverrideError::Unreadable {
            path: path.to_owned(),
            reason: "must be a JSON object of \"groups.{name}.{field}\" keys".into(),
        }),
    }
}

/// The config as the gateway starts with it: the file's groups with the override file applied
/// (validated). Returns the groups to run with.
pub fn start_groups(
    config: &GatewayConfig,
    path: &Path,
) -> Result<Vec<GroupConfig>, OverrideError> {
    let mut patch = load(path)?;
    patch.retain(|k, _| !port_overrides::is_port_key(k) && !cloud_overrides::is_cloud_key(k));
    if patch.is_empty() {
        return Ok(config.groups.clone());
    }
    let (_, next) =
        apply(config, &config.groups, &patch).map_err(|errors| OverrideError::Invalid {
            path: path.to_owned(),
            problems: errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        })?;
    Ok(next)
}

/// The ports as the gateway starts with them: the file's `[[ports]]` with the override file's
/// `ports.{id}.{field}` keys applied (validated; an invalid key stops the start, named).
pub fn start_ports(config: &GatewayConfig, path: &Path) -> Result<Vec<PortConfig>, OverrideError> {
    let mut patch = load(path)?;
    patch.retain(|k, _| port_overrides::is_port_key(k));
    if patch.is_empty() {
        return Ok(config.ports.clone());
    }
    port_overrides::apply(config, &config.ports, &patch).map_err(|errors| OverrideError::Invalid {
        path: path.to_owned(),
        problems: errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    })
}

/// The `[cloud]` section as the gateway starts with it: the file's with the override file's
/// `cloud.{field}` keys applied (validated; an invalid key stops the start, named).
pub fn start_cloud(config: &GatewayConfig, path: &Path) -> Result<CloudConfig, OverrideError> {
    let mut patch = load(path)?;
    patch.retain(|k, _| cloud_overrides::is_cloud_key(k));
    if patch.is_empty() {
        return Ok(config.cloud.clone());
    }
    cloud_overrides::apply(&config.cloud, &patch).map_err(|errors| OverrideError::Invalid {
        path: path.to_owned(),
        problems: errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    })
}

/// The settings the next start should have, as the override file keeps them.
#[derive(Debug, Clone, Copy)]
pub struct Next<'a> {
    /// Every group.
    pub groups: &'a [GroupConfig],
    /// The AT ports.
    pub ports: &'a [PortConfig],
    /// The `[cloud]` section.
    pub cloud: &'a CloudConfig,
}

/// Writes the override file for `next` against the config file's settings; removes it when
/// nothing differs. The file may hold a SIM PIN or the MQTT password: it is written readable
/// by its owner only.
pub fn save(path: &Path, file: &GatewayConfig, next: Next<'_>) -> std::io::Result<()> {
    let mut d = diff(&file.groups, next.groups);
    d.extend(port_overrides::diff(&file.ports, next.ports));
    d.extend(cloud_overrides::diff(&file.cloud, next.cloud));
    if d.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let mut m = Map::new();
    m.insert(
        "_comment".into(),
        Value::String(
            "Group, port and cloud settings changed on the running gateway; they override gateway.toml. Remove a key to go back to gateway.toml's value.".into(),
        ),
    );
    m.extend(d);
    let mut text = serde_json::to_vec_pretty(&Value::Object(m)).map_err(std::io::Error::other)?;
    text.push(b'\n');
    write_atomic(path, &text, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> GatewayConfig {
        GatewayConfig::from_toml_str(
            "[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n[[ports]]\nid = 1\ndevice = \"/dev/ttyUSB1\"\n\
             [[groups]]\nname = \"default\"\nports = \"0-1\"\ninterval_ms = 1000\n",
        )
        .unwrap()
    }

    fn patch(pairs: &[(&str, Value)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn a_saved_interval_is_applied_at_the_next_start_and_removing_it_goes_back_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        let c = config();
        let (running, next) = apply(
            &c,
            &c.groups,
            &patch(&[
                ("groups.default.interval_ms", Value::from(250)),
                ("groups.default.ports", Value::from("0")),
            ]),
        )
        .unwrap();
        assert_eq!(running[0].interval_ms, 250);
        assert_eq!(
            running[0].ports.ports(),
            &[0, 1],
            "ports change at the next start"
        );
        assert_eq!(next[0].ports.ports(), &[0]);
        save(
            &p,
            &c,
            Next {
                groups: &next,
                ports: &c.ports,
                cloud: &c.cloud,
            },
        )
        .unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.contains("\"groups.default.interval_ms\": 250"),
            "{text}"
        );
        let started = start_groups(&c, &p).unwrap();
        assert_eq!(started[0].interval_ms, 250);
        assert_eq!(started[0].ports.ports(), &[0]);
        save(
            &p,
            &c,
            Next {
                groups: &c.groups,
                ports: &c.ports,
                cloud: &c.cloud,
            },
        )
        .unwrap();
        assert!(!p.exists());
        assert_eq!(start_groups(&c, &p).unwrap()[0].interval_ms, 1000);
    }

    #[test]
    fn a_bad_value_is_refused_with_the_config_files_words_and_nothing_changes() {
        let c = config();
        let errors = apply(
            &c,
            &c.groups,
            &patch(&[
                ("groups.default.max_per_hour", Value::from(0)),
                ("groups.default.ports", Value::from("0-7")),
            ]),
        )
        .unwrap_err();
        let words: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            words,
            vec!["groups[0].max_per_hour: 0 would never send; leave the key out for no cap"]
        );
        let errors = apply(
            &c,
            &c.groups,
            &patch(&[("groups.default.ports", Value::from("0-7"))]),
        )
        .unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .starts_with("groups[0].ports: port 2 is not defined"),
            "{errors:?}"
        );
    }

    #[test]
    fn port_and_group_keys_share_the_file_each_start_reads_its_own_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        let c = config();
        let (_, groups) = apply(
            &c,
            &c.groups,
            &patch(&[("groups.default.interval_ms", Value::from(250))]),
        )
        .unwrap();
        let ports = port_overrides::apply(
            &c,
            &c.ports,
            &patch(&[
                ("ports.1.baud", Value::from(9600)),
                ("ports.1.pin", Value::from("4321")),
            ]),
        )
        .unwrap();
        save(
            &p,
            &c,
            Next {
                groups: &groups,
                ports: &ports,
                cloud: &c.cloud,
            },
        )
        .unwrap();
        assert_eq!(start_groups(&c, &p).unwrap()[0].interval_ms, 250);
        let started = start_ports(&c, &p).unwrap();
        assert_eq!(
            (started[1].baud, started[1].pin.as_deref()),
            (9600, Some("4321"))
        );
        assert_eq!(started[0], c.ports[0]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the file may hold a PIN");
        }
        std::fs::write(&p, "{\"ports.1.baud\": 12345}").unwrap();
        let e = start_ports(&c, &p).unwrap_err().to_string();
        assert!(
            e.contains("overrides.json")
                && e.contains("ports.1.baud: 12345 is not a standard serial speed"),
            "{e}"
        );
    }

    #[test]
    fn an_invalid_override_file_stops_the_start_naming_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(&p, "{\"groups.default.timezone\": \"Mars/Olympus\"}").unwrap();
        let e = start_groups(&config(), &p).unwrap_err().to_string();
        assert!(
            e.contains("overrides.json") && e.contains("groups.default.timezone"),
            "{e}"
        );
    }
}
