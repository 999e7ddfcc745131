//! `smsgate-gateway config init FILE`: the configuration a first install writes.
//!
//! The commented template (every key with its default and meaning) with `api.token` set to a
//! fresh random secret, so the local API starts with a token only root and the service can read.
//! The file is created `0640` and never overwritten: the Debian package's postinst calls this
//! only when `/etc/smsgate/gateway.toml` is missing, so an upgrade keeps the operator's file.

use rand::RngCore;
use smsgate_config::GatewayConfig;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Why `config init` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The file is there already (it is never replaced).
    #[error("{0} already exists; it is left as it is (remove it first to write a new one)")]
    Exists(String),
    /// Writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The template did not render.
    #[error(transparent)]
    Template(#[from] smsgate_config::template::TemplateError),
}

/// A new API token: 32 random bytes as 64 hex digits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes the first-install config to `path` (mode 0640, created exclusively: an existing file
/// is an error and stays untouched). The text is validated before it is written.
pub fn init_config(path: &Path) -> Result<(), InitError> {
    let text = GatewayConfig::template_with_api_token(&new_token())?;
    // The template must load as it is: an install never writes a file the gateway refuses.
    if let Err(e) = GatewayConfig::from_toml_str(&text) {
        return Err(InitError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(format!("the built-in template does not load: {e}")),
        });
    }
    let io = |source| InitError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(InitError::Exists(path.display().to_string()));
        }
        Err(e) => return Err(io(e)),
    };
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(path);
        return Err(io(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn init_writes_a_loadable_config_with_a_fresh_token_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway.toml");
        init_config(&path).unwrap();
        let c = GatewayConfig::load(&path).unwrap();
        let token = c.api.token.clone().unwrap();
        assert_eq!(token.len(), 64);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        std::fs::write(&path, "# the operator's own file\n").unwrap();
        let e = init_config(&path).unwrap_err();
        assert!(matches!(e, InitError::Exists(_)), "{e}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# the operator's own file\n"
        );
        let other = dir.path().join("other.toml");
        init_config(&other).unwrap();
        assert_ne!(
            GatewayConfig::load(&other).unwrap().api.token.unwrap(),
            token,
            "every install gets its own token"
        );
    }
}
