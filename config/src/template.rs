//! Commented TOML templates rendered from the real defaults (ChirpStack `configfile` style).
//!
//! A template is described by a [`KeyDoc`] list: the sections and keys *in output order*, each
//! with a comment. The values come from serialising the config's `Default` (so the template can
//! never drift from the code); keys that are `None` by default are printed commented out with the
//! doc's `example`. Arrays of tables (`[[ports]]`) are printed as commented-out examples
//! serialised from an example value. Comment lines start with `## `, commented-out settings with
//! `# `, so uncommenting every `# ` line gives a complete example config.
//!
//! [`undocumented_keys`] lets each config's tests prove every serialised key has a doc entry.

use std::fmt::Write as _;

/// One line of template documentation.
#[derive(Debug, Clone, Copy)]
pub struct KeyDoc {
    /// `section`, `section.key`, `array[]` (an array of tables) or `array[].key`.
    pub key: &'static str,
    /// Comment printed above the key (may contain `\n`).
    pub doc: &'static str,
    /// Value printed (commented out) when the key is absent from the defaults, in TOML syntax.
    pub example: Option<&'static str>,
}

/// Shorthand for a documented key without an example.
pub const fn doc(key: &'static str, doc: &'static str) -> KeyDoc {
    KeyDoc {
        key,
        doc,
        example: None,
    }
}

/// Shorthand for an optional key with an example value (TOML syntax).
pub const fn doc_example(key: &'static str, doc: &'static str, example: &'static str) -> KeyDoc {
    KeyDoc {
        key,
        doc,
        example: Some(example),
    }
}

/// Errors while rendering a template (a config that does not serialise to a TOML table).
#[derive(Debug, thiserror::Error)]
#[error("cannot render config template: {0}")]
pub struct TemplateError(String);

impl TemplateError {
    pub(crate) fn new(message: String) -> Self {
        TemplateError(message)
    }
}

/// Renders `defaults` as a commented template; `examples` gives, per array-of-tables section
/// (`"ports"`), the entries printed commented out.
pub fn render<T: serde::Serialize>(
    title: &str,
    defaults: &T,
    docs: &[KeyDoc],
    examples: &[(&str, Vec<toml::Table>)],
) -> Result<String, TemplateError> {
    let root = to_table(defaults)?;
    let mut out = String::new();
    for line in title.lines() {
        let _ = writeln!(out, "## {line}");
    }
    for d in docs {
        if let Some(array) = d.key.strip_suffix("[]") {
            let _ = writeln!(out);
            write_doc(&mut out, d.doc);
            let entries = examples
                .iter()
                .find(|(name, _)| *name == array)
                .map(|(_, e)| e.as_slice())
                .unwrap_or(&[]);
            for entry in entries {
                let _ = writeln!(out, "# [[{array}]]");
                let prefix = format!("{array}[].");
                for kd in docs.iter().filter(|k| k.key.starts_with(&prefix)) {
                    let key = &kd.key[prefix.len()..];
                    let value = match (entry.get(key), kd.example) {
                        (Some(v), _) => value_text(v),
                        (None, Some(ex)) => ex.to_string(),
                        (None, None) => continue,
                    };
                    write_doc(&mut out, kd.doc);
                    let _ = writeln!(out, "# {key} = {value}");
                }
                let _ = writeln!(out, "#");
            }
        } else if d.key.contains("[].") {
            // Rendered with its array above.
        } else if let Some((section, key)) = d.key.split_once('.') {
            write_doc(&mut out, d.doc);
            let value = root
                .get(section)
                .and_then(|s| s.as_table())
                .and_then(|t| t.get(key));
            match (value, d.example) {
                (Some(v), _) => {
                    let _ = writeln!(out, "{key} = {}", value_text(v));
                }
                (None, Some(ex)) => {
                    let _ = writeln!(out, "# {key} = {ex}");
                }
                (None, None) => {}
            }
        } else {
            let _ = writeln!(out);
            write_doc(&mut out, d.doc);
            let _ = writeln!(out, "[{}]", d.key);
        }
    }
    Ok(out)
}

/// Keys present in the serialised `value` (and in the array `examples`) that have no doc entry.
pub fn undocumented_keys<T: serde::Serialize>(
    value: &T,
    docs: &[KeyDoc],
    examples: &[(&str, Vec<toml::Table>)],
) -> Result<Vec<String>, TemplateError> {
    let root = to_table(value)?;
    let known = |k: &str| docs.iter().any(|d| d.key == k);
    let mut missing = Vec::new();
    for (section, v) in &root {
        match v {
            toml::Value::Table(t) => {
                if !known(section) {
                    missing.push(section.clone());
                }
                for key in t.keys() {
                    let path = format!("{section}.{key}");
                    if !known(&path) {
                        missing.push(path);
                    }
                }
            }
            toml::Value::Array(_) => {
                if !known(&format!("{section}[]")) {
                    missing.push(format!("{section}[]"));
                }
            }
            _ => missing.push(section.clone()),
        }
    }
    for (array, entries) in examples {
        for entry in entries {
            for key in entry.keys() {
                let path = format!("{array}[].{key}");
                if !known(&path) && !missing.contains(&path) {
                    missing.push(path);
                }
            }
        }
    }
    Ok(missing)
}

/// Serialises a value to a TOML table (used for defaults and array examples).
pub fn to_table<T: serde::Serialize>(value: &T) -> Result<toml::Table, TemplateError> {
    toml::Table::try_from(value).map_err(|e| TemplateError(e.to_string()))
}

fn value_text(v: &toml::Value) -> String {
    // Inline rendering of one value: strings quoted and escaped, arrays/tables inline.
    let mut t = toml::Table::new();
    t.insert("v".to_string(), v.clone());
    let s = toml::to_string(&t).unwrap_or_default();
    s.trim()
        .strip_prefix("v = ")
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

fn write_doc(out: &mut String, doc: &str) {
    for line in doc.lines() {
        let _ = writeln!(out, "## {line}");
    }
}
