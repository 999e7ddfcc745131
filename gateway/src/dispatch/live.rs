//! Group settings that may change while the gateway runs (the hub's `config` command).
//!
//! The runtime keeps every group's settings in one [`watch`] ([`GroupSettings`]); each
//! dispatcher reads its group from it before every round, and hands the worker the pacing of
//! the moment with each job. [`patch_groups`] is the pure part: it applies a patch to a copy,
//! validates the whole configuration with the rules of the config file, and returns the new
//! settings or every problem — so a patch is applied whole or not at all.
//!
//! A patch is a flat map of keys `groups.{name}.{field}`, with `field` one of [`LIVE_FIELDS`]:
//! `interval_ms`, `jitter_ms` (integers), `max_per_hour`, `max_per_day`, `max_per_month`
//! (integer, or `null` for no cap), `sending_hours` (`"08:00-20:00"`, or `null` for always)
//! and `timezone` (IANA name). Any other key is refused, named.

use serde_json::{Map, Value};
use smsgate_config::gateway::GroupConfig;
use smsgate_config::{GatewayConfig, Validate, Violations};
use tokio::sync::watch;

/// The running groups' settings (sender: the command sink; receivers: the dispatchers).
pub type GroupSettings = watch::Sender<Vec<GroupConfig>>;

/// The group fields a patch may change.
pub const LIVE_FIELDS: [&str; 7] = [
    "interval_ms",
    "jitter_ms",
    "max_per_hour",
    "max_per_day",
    "max_per_month",
    "sending_hours",
    "timezone",
];

/// One refused key of a patch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct PatchError {
    /// The key, as in the patch (or as in the config file for a rule of the whole file).
    pub key: String,
    /// Why.
    pub reason: String,
}

fn refuse(key: &str, reason: impl Into<String>) -> PatchError {
    PatchError {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

fn value<T: serde::de::DeserializeOwned>(key: &str, v: &Value) -> Result<T, PatchError> {
    serde_json::from_value(v.clone()).map_err(|e| refuse(key, e.to_string()))
}

fn set_field(g: &mut GroupConfig, key: &str, field: &str, v: &Value) -> Result<(), PatchError> {
    match field {
        "interval_ms" => g.interval_ms = value(key, v)?,
        "jitter_ms" => g.jitter_ms = value(key, v)?,
        "max_per_hour" => g.max_per_hour = value(key, v)?,
        "max_per_day" => g.max_per_day = value(key, v)?,
        "max_per_month" => g.max_per_month = value(key, v)?,
        "sending_hours" => g.sending_hours = value(key, v)?,
        "timezone" => g.timezone = value(key, v)?,
        _ => {
            return Err(refuse(
                key,
                format!(
                    "cannot be changed at run time (live keys: {})",
                    LIVE_FIELDS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// `current` with `patch` applied, validated as a whole against `config` (the rest of the
/// running configuration); every problem otherwise (the patch is then not applied at all).
pub fn patch_groups(
    config: &GatewayConfig,
    current: &[GroupConfig],
    patch: &Map<String, Value>,
) -> Result<Vec<GroupConfig>, Vec<PatchError>> {
    let mut groups = current.to_vec();
    let mut errors = Vec::new();
    if patch.is_empty() {
        errors.push(refuse("settings", "empty patch: nothing to change"));
    }
    for (key, v) in patch {
        let parsed = key
            .strip_prefix("groups.")
            .and_then(|rest| rest.rsplit_once('.'));
        let Some((name, field)) = parsed else {
            errors.push(refuse(
                key,
                "cannot be changed at run time (only groups.{name}.{field} keys can)",
            ));
            continue;
        };
        let Some(g) = groups.iter_mut().find(|g| g.name == name) else {
            errors.push(refuse(key, format!("no group named {name:?}")));
            continue;
        };
        if let Err(e) = set_field(g, key, field, v) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        let mut candidate = config.clone();
        candidate.groups = groups.clone();
        let mut v = Violations::default();
        candidate.validate(&mut v);
        if let Err(smsgate_config::ConfigError::Invalid(found)) = v.into_result() {
            errors.extend(found.iter().map(|f| refuse(&f.path, f.message.clone())));
        }
    }
    if errors.is_empty() {
        Ok(groups)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> GatewayConfig {
        GatewayConfig::from_toml_str(
            "[[ports]]\nid = 0\ndevice = \"/dev/ttyUSB0\"\n[[groups]]\nname = \"main\"\nports = \"0\"\ninterval_ms = 1000\n",
        )
        .unwrap()
    }

    fn patch(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn every_live_field_of_a_group_is_changed_by_its_key() {
        let c = config();
        let got = patch_groups(
            &c,
            &c.groups,
            &patch(json!({
                "groups.main.interval_ms": 2500,
                "groups.main.jitter_ms": 100,
                "groups.main.max_per_hour": 10,
                "groups.main.max_per_day": 100,
                "groups.main.max_per_month": 1000,
                "groups.main.sending_hours": "08:00-20:00",
                "groups.main.timezone": "Europe/Paris",
            })),
        )
        .unwrap();
        let g = &got[0];
        assert_eq!((g.interval_ms, g.jitter_ms), (2500, 100));
        assert_eq!(
            (g.max_per_hour, g.max_per_day, g.max_per_month),
            (Some(10), Some(100), Some(1000))
        );
        assert_eq!(g.sending_hours.unwrap().to_string(), "08:00-20:00");
        assert_eq!(g.timezone.0, chrono_tz::Europe::Paris);
        let uncapped =
            patch_groups(&c, &got, &patch(json!({"groups.main.max_per_day": null}))).unwrap();
        assert_eq!(uncapped[0].max_per_day, None);
    }

    #[test]
    fn a_patch_with_one_bad_key_is_refused_whole_naming_each_bad_key() {
        let c = config();
        let errors = patch_groups(
            &c,
            &c.groups,
            &patch(json!({
                "groups.main.interval_ms": 5,
                "groups.main.strategy": "random",
                "groups.other.jitter_ms": 1,
                "api.token": "x",
                "groups.main.timezone": "Mars/Olympus",
                "groups.main.jitter_ms": -1,
            })),
        )
        .unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "api.token",
                "groups.main.jitter_ms",
                "groups.main.strategy",
                "groups.main.timezone",
                "groups.other.jitter_ms",
            ]
        );
        assert!(errors[2].reason.contains("cannot be changed at run time"));
        assert!(errors[4].reason.contains("no group named \"other\""));
    }

    #[test]
    fn the_config_file_rules_apply_to_the_patched_whole() {
        let c = config();
        let errors = patch_groups(
            &c,
            &c.groups,
            &patch(json!({"groups.main.max_per_hour": 50, "groups.main.max_per_day": 10})),
        )
        .unwrap_err();
        assert_eq!(
            errors,
            [PatchError {
                key: "groups[0].max_per_hour".into(),
                reason: "50 is more than max_per_day (10)".into(),
            }]
        );
        let zero =
            patch_groups(&c, &c.groups, &patch(json!({"groups.main.max_per_day": 0}))).unwrap_err();
        assert_eq!(zero[0].key, "groups[0].max_per_day");
        let empty = patch_groups(&c, &c.groups, &Map::new()).unwrap_err();
        assert_eq!(empty[0].key, "settings");
    }
}
