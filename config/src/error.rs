//! Errors and the violation collector shared by every config section.
//!
//! Convention (the hub config follows it too): parsing errors carry the key path reported by
//! `serde_path_to_error` (`groups[1].ports`), validation collects *every* problem as a
//! [`Violation`] whose `path` is the TOML key path (`groups[1].ports`, `api.token`) and whose
//! `message` says what is wrong in plain words. Nothing starts unless the list is empty.

use std::fmt;

/// One problem found in a configuration, named by its TOML key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// TOML key path, e.g. `groups[1].ports` or `api.token`.
    pub path: String,
    /// What is wrong, e.g. `port 7 is not defined in [[ports]]`.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Collects violations while a config is validated.
#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// Records one problem at `path`.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Violation {
            path: path.into(),
            message: message.into(),
        });
    }

    /// The problems found so far, in the order they were found.
    pub fn as_slice(&self) -> &[Violation] {
        &self.0
    }

    /// `Ok(())` when nothing was found, otherwise [`ConfigError::Invalid`] with every problem.
    pub fn into_result(self) -> Result<(), ConfigError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(self.0))
        }
    }
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Io {
        /// The file that was read.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not TOML, or a value has the wrong type/shape; `path` is the key path.
    #[error("{}", display_parse(path, message))]
    Parse {
        /// TOML key path where deserialisation failed (empty when the syntax itself is broken).
        path: String,
        /// What the TOML parser said (includes line and column).
        message: String,
    },
    /// The config parsed but breaks one or more rules.
    #[error("{}", display_violations(.0))]
    Invalid(Vec<Violation>),
}

fn display_parse(path: &str, message: &str) -> String {
    if path.is_empty() || path == "." {
        format!("invalid config: {message}")
    } else {
        format!("invalid config: {path}: {message}")
    }
}

fn display_violations(v: &[Violation]) -> String {
    let lines: Vec<String> = v.iter().map(|v| format!("  {v}")).collect();
    format!(
        "invalid config ({} problem{}):\n{}",
        v.len(),
        if v.len() == 1 { "" } else { "s" },
        lines.join("\n")
    )
}
