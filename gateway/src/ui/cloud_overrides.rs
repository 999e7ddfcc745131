//! The `[cloud]` section changed from the box UI: the hub's provisioning snippet pasted on the
//! cloud screen ([`parse_snippet`]: every problem named with its field and line), kept in the
//! override file as `cloud.{field}` keys (the fields that differ from `gateway.toml`'s section;
//! `null` for one the snippet leaves out) and applied over the file's section at start,
//! validated with the config file's rules.

use crate::dispatch::live::PatchError;
use serde::Serialize;
use serde_json::{Map, Value};
use smsgate_config::gateway::CloudConfig;
use smsgate_config::{Validate, Violations};

/// Whether an override key belongs to the `[cloud]` section.
pub fn is_cloud_key(key: &str) -> bool {
    key.starts_with("cloud.")
}

fn fields(c: &CloudConfig) -> Map<String, Value> {
    match serde_json::to_value(c) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

const FIELDS: [&str; 9] = [
    "url",
    "gateway_id",
    "username",
    "password",
    "ca_file",
    "client_cert",
    "client_key",
    "keepalive_s",
    "heartbeat_s",
];

/// The `cloud.{field}` keys of `cloud` that differ from the file's section.
pub fn diff(file: &CloudConfig, cloud: &CloudConfig) -> Map<String, Value> {
    let (a, b) = (fields(file), fields(cloud));
    FIELDS
        .iter()
        .filter_map(|f| {
            let (x, y) = (
                a.get(*f).cloned().unwrap_or(Value::Null),
                b.get(*f).cloned().unwrap_or(Value::Null),
            );
            (x != y).then(|| (format!("cloud.{f}"), y))
        })
        .collect()
}

/// The file's section with the `cloud.{field}` keys of `patch` applied, validated.
pub fn apply(
    file: &CloudConfig,
    patch: &Map<String, Value>,
) -> Result<CloudConfig, Vec<PatchError>> {
    let mut m = fields(file);
    let mut errors = Vec::new();
    for (k, v) in patch {
        match k.strip_prefix("cloud.") {
            Some(f) if FIELDS.contains(&f) => {
                if v.is_null() {
                    m.remove(f);
                } else {
                    m.insert(f.to_owned(), v.clone());
                }
            }
            _ => errors.push(PatchError {
                key: k.clone(),
                reason: format!("not a cloud field (fields: {})", FIELDS.join(", ")),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let cloud: CloudConfig = serde_json::from_value(Value::Object(m)).map_err(|e| {
        vec![PatchError {
            key: "cloud".into(),
            reason: e.to_string(),
        }]
    })?;
    let mut v = Violations::default();
    cloud.validate(&mut v);
    match v.into_result() {
        Ok(()) => Ok(cloud),
        Err(smsgate_config::ConfigError::Invalid(found)) => Err(found
            .into_iter()
            .map(|f| PatchError {
                key: f.path,
                reason: f.message,
            })
            .collect()),
        Err(e) => Err(vec![PatchError {
            key: "cloud".into(),
            reason: e.to_string(),
        }]),
    }
}

/// One problem of a pasted snippet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SnippetProblem {
    /// The field (`password`), or `snippet` for the text as a whole.
    pub field: String,
    /// The snippet's line (1-based), when the problem is on one.
    pub line: Option<u32>,
    /// What is wrong (the config file's words).
    pub message: String,
}

/// Longest snippet accepted (the hub's is about 300 bytes).
pub const MAX_SNIPPET_BYTES: usize = 16 * 1024;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Snippet {
    cloud: CloudConfig,
}

fn line_at(text: &str, offset: usize) -> u32 {
    let upto = text.get(..offset.min(text.len())).unwrap_or(text);
    u32::try_from(upto.matches('\n').count() + 1).unwrap_or(u32::MAX)
}

/// The line where `field` is set in the `[cloud]` table of `text`.
fn line_of_field(text: &str, field: &str) -> Option<u32> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(field)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .and_then(|i| u32::try_from(i + 1).ok())
}

fn field_in(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message.get(start..)?.find('`')?;
    message.get(start..start + len)
}

/// Reads the `[cloud]` snippet the hub gives (`POST /api/v1/gateways`) as the whole new
/// section, checked with the config file's rules; every problem names its field and line.
pub fn parse_snippet(text: &str) -> Result<CloudConfig, Vec<SnippetProblem>> {
    if text.len() > MAX_SNIPPET_BYTES {
        return Err(vec![SnippetProblem {
            field: "snippet".into(),
            line: None,
            message: format!("is longer than {MAX_SNIPPET_BYTES} bytes"),
        }]);
    }
    if !text.lines().any(|l| l.trim() == "[cloud]") {
        return Err(vec![SnippetProblem {
            field: "snippet".into(),
            line: Some(1),
            message: "must be the [cloud] section the hub gives for this gateway (a line [cloud], then url, gateway_id, username, password)".into(),
        }]);
    }
    let snippet: Snippet = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_owned();
        let line = e.span().map(|s| line_at(text, s.start));
        let key_on_line = line.and_then(|n| {
            let l = text.lines().nth(usize::try_from(n).ok()?.checked_sub(1)?)?;
            let key = l.split_once('=')?.0.trim();
            FIELDS.contains(&key).then_some(key)
        });
        let field = field_in(&message)
            .filter(|f| FIELDS.contains(f))
            .or(key_on_line)
            .unwrap_or("snippet")
            .to_owned();
        let line = match line {
            Some(1) | None if field != "snippet" => line_of_field(text, &field).or(line),
            other => other,
        };
        vec![SnippetProblem {
            field,
            line,
            message,
        }]
    })?;
    let mut v = Violations::default();
    snippet.cloud.validate(&mut v);
    if snippet.cloud.url.is_none() {
        v.push("cloud.url", "required: the hub's broker address");
    }
    match v.into_result() {
        Ok(()) => Ok(snippet.cloud),
        Err(smsgate_config::ConfigError::Invalid(found)) => Err(found
            .into_iter()
            .map(|f| {
                let field = f.path.strip_prefix("cloud.").unwrap_or(&f.path).to_owned();
                SnippetProblem {
                    line: line_of_field(text, &field),
                    field,
                    message: f.message,
                }
            })
            .collect()),
        Err(e) => Err(vec![SnippetProblem {
            field: "snippet".into(),
            line: None,
            message: e.to_string(),
        }]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HUB: &str = "# smsgate gateway configuration for \"shop\": paste into gateway.toml\n\
        [cloud]\nurl = \"mqtt://hub.example:1883\"\ngateway_id = \"gw-7\"\nusername = \"gw-7\"\n\
        password = \"s3cret-from-the-hub\"\nkeepalive_s = 30\nheartbeat_s = 60\n";

    #[test]
    fn the_hubs_snippet_is_read_as_the_whole_cloud_section() {
        let c = parse_snippet(HUB).unwrap();
        assert_eq!(c.url.as_deref(), Some("mqtt://hub.example:1883"));
        assert_eq!(c.gateway_id.as_deref(), Some("gw-7"));
        assert_eq!(c.password.as_deref(), Some("s3cret-from-the-hub"));
    }

    #[test]
    fn a_bad_value_is_named_with_its_field_and_line() {
        let bad = HUB.replace("keepalive_s = 30", "keepalive_s = \"thirty\"");
        let p = parse_snippet(&bad).unwrap_err();
        assert_eq!(p[0].field, "keepalive_s", "{p:?}");
        assert_eq!(p[0].line, Some(7), "{p:?}");
        let bad = HUB.replace("url = \"mqtt://", "url = \"http://");
        let p = parse_snippet(&bad).unwrap_err();
        assert_eq!((p[0].field.as_str(), p[0].line), ("url", Some(3)), "{p:?}");
        assert!(
            p[0].message.contains("not an mqtt:// or mqtts:// URL"),
            "{p:?}"
        );
    }

    #[test]
    fn broken_toml_an_unknown_key_and_a_missing_password_are_each_named() {
        let p = parse_snippet("[cloud]\nurl = \"mqtt://h\"\ngateway_id = gw\n").unwrap_err();
        assert_eq!(p[0].line, Some(3), "{p:?}");
        let p = parse_snippet(&HUB.replace("username", "user_name")).unwrap_err();
        assert_eq!(p[0].line, Some(5), "{p:?}");
        assert!(p[0].message.contains("user_name"), "{p:?}");
        let p =
            parse_snippet(&HUB.replace("password = \"s3cret-from-the-hub\"\n", "")).unwrap_err();
        assert_eq!(
            (p[0].field.as_str(), p[0].line, p[0].message.as_str()),
            ("password", None, "required with cloud.url")
        );
        let p = parse_snippet("url = \"mqtt://h\"").unwrap_err();
        assert_eq!(p[0].field, "snippet");
    }

    #[test]
    fn a_changed_section_is_kept_as_keys_that_give_it_back_over_the_file() {
        let file = CloudConfig::default();
        let new = parse_snippet(HUB).unwrap();
        let d = diff(&file, &new);
        assert_eq!(d["cloud.gateway_id"], "gw-7");
        assert!(!d.contains_key("cloud.keepalive_s"), "{d:?}");
        assert_eq!(apply(&file, &d).unwrap(), new);
        let back = diff(&new, &file);
        assert_eq!(back["cloud.url"], Value::Null);
        assert_eq!(apply(&new, &back).unwrap(), file);
        let mut bad = d.clone();
        bad.insert("cloud.keepalive_s".into(), Value::from(0));
        let e = apply(&file, &bad).unwrap_err();
        assert_eq!(e[0].key, "cloud.keepalive_s");
    }
}
