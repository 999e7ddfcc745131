//! Secrets: argon2id password hashes (cost from configuration), random tokens, SHA-256 digests
//! of high-entropy tokens (session tokens, API keys, which need no slow hash). Randomness
//! comes from `rand`'s thread RNG (a CSPRNG seeded from the OS).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordCost {
    /// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Errors of the secrets module.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Hashes and verifies passwords with argon2id.
#[derive(Clone)]
pub struct PasswordHasherId {
    argon: Argon2<'static>,
    /// Verifications done (tests check that unknown logins cost one too).
    verified: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl PasswordHasherId {
    pub fn new(cost: PasswordCost) -> Result<Self, SecretError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| SecretError::Params(e.to_string()))?;
        Ok(Self {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            verified: Default::default(),
        })
    }

    /// Verifications done so far.
    pub fn verifications(&self) -> u64 {
        self.verified.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A PHC string (`$argon2id$v=19$m=…`).
    pub fn hash(&self, password: &str) -> Result<String, SecretError> {
        let mut salt_bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut salt_bytes);
        let salt =
            SaltString::encode_b64(&salt_bytes).map_err(|e| SecretError::Hash(e.to_string()))?;
        self.argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| SecretError::Hash(e.to_string()))
    }

    /// Whether `password` matches the PHC string (parameters are read from the string).
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        self.verified
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        PasswordHash::new(phc)
            .map(|h| self.argon.verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    }
}

/// A random token: `prefix` followed by 32 random bytes in hex.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// SHA-256 of a token, hex.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasherId {
        PasswordHasherId::new(PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let h = cheap();
        let phc = h.hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(h.verify("correct horse", &phc));
        assert!(!h.verify("wrong horse", &phc));
        assert!(!h.verify("correct horse", "not a hash"));
    }

    #[test]
    fn two_tokens_differ_and_their_digests_are_hex_sha256() {
        let a = random_token("sgk_");
        assert_ne!(a, random_token("sgk_"));
        assert_eq!(digest("abc").len(), 64);
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
