//! TLS settings (rustls with the `ring` provider) for link clients and the embedded broker.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

/// Errors loading TLS material; each names the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read PEM certificates from {path}: {detail}")]
    Certificates { path: PathBuf, detail: String },
    #[error("{path} contains no certificate")]
    NoCertificate { path: PathBuf },
    #[error("cannot read the PEM private key from {path}: {detail}")]
    Key { path: PathBuf, detail: String },
    #[error("CA certificate in {path} rejected: {detail}")]
    BadCa { path: PathBuf, detail: String },
    #[error("TLS configuration refused: {0}")]
    Config(String),
}

/// Client-side TLS: which CA to trust and an optional client certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientTls {
    /// PEM file with the CA certificate(s) that signed the broker's certificate. `None` trusts
    /// nothing extra: the connection then fails unless a CA is given (no system store is read).
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate chain and its PEM private key, for brokers that require mutual TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::Certificates {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::Key {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

impl ClientTls {
    /// Builds the rustls client configuration.
    pub fn client_config(&self) -> Result<ClientConfig, TlsError> {
        let mut roots = RootCertStore::empty();
        if let Some(ca) = &self.ca_file {
            for cert in load_certs(ca)? {
                roots.add(cert).map_err(|e| TlsError::BadCa {
                    path: ca.clone(),
                    detail: e.to_string(),
                })?;
            }
        }
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_root_certificates(roots);
        match &self.client_cert {
            None => Ok(builder.with_no_client_auth()),
            Some((cert, key)) => builder
                .with_client_auth_cert(load_certs(cert)?, load_key(key)?)
                .map_err(|e| TlsError::Config(e.to_string())),
        }
    }
}

#[cfg(feature = "hub")]
/// Server-side TLS for the embedded broker's public listener, from a PEM certificate chain
/// and its PEM private key.
pub fn server_config(cert_chain: &Path, key: &Path) -> Result<rustls::ServerConfig, TlsError> {
    rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(load_certs(cert_chain)?, load_key(key)?)
        .map_err(|e| TlsError::Config(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_ca_file_is_named_in_the_error() {
        let tls = ClientTls {
            ca_file: Some("/nonexistent/ca.pem".into()),
            client_cert: None,
        };
        let err = tls.client_config().unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("empty.pem");
        std::fs::write(&p, "nothing here\n").unwrap();
        let err = ClientTls {
            ca_file: Some(p),
            client_cert: None,
        }
        .client_config()
        .unwrap_err();
        assert!(matches!(err, TlsError::NoCertificate { .. }), "{err}");
    }
}
