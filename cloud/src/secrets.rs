//! Secrets: argon2id password hashes (cost from configuration), random tokens, SHA-256 digests
//! of high-entropy tokens (session tokens, API keys, which need no slow hash). Randomness
//! comes from `rand`'s thread RNG (a CSPRNG seeded from the OS).
//!
//! **Argon2 working memory is pooled.** Each hash needs `memory_kib` of blocks (19 MiB by
//! default). Allocated per call, freed memory stays in the allocator arena of whichever blocking
//! thread ran the hash, so a login storm spread over many threads kept one block set per thread
//! (measured: +287 MiB after 15 failed logins). The hasher instead keeps at most `pool_size`
//! block sets (the hub's hashing permits) and reuses them, so hashing memory is bounded by
//! `pool_size × memory_kib` however many threads run it.

use std::sync::{Arc, Mutex};

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// Reusable argon2 working memory: at most `cap` block sets are kept.
struct BlockPool {
    free: Mutex<Vec<Vec<Block>>>,
    cap: usize,
}

impl BlockPool {
    /// Runs `f` with at least `blocks` blocks of working memory, taken from the pool (or
    /// allocated when every pooled set is in use) and given back afterwards.
    fn with<T>(&self, blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
        let taken = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut memory = taken.unwrap_or_default();
        if memory.len() < blocks {
            memory.resize(blocks, Block::new());
        }
        let out = f(&mut memory[..blocks]);
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        if free.len() < self.cap {
            free.push(memory);
        }
        out
    }
}

/// Hashes and verifies passwords with argon2id.
#[derive(Clone)]
pub struct PasswordHasherId {
    argon: Argon2<'static>,
    pool: Arc<BlockPool>,
    /// Verifications done (tests check that unknown logins cost one too).
    verified: Arc<std::sync::atomic::AtomicU64>,
}

impl PasswordHasherId {
    /// A hasher keeping one reusable block set (see [`PasswordHasherId::with_pool`]).
    pub fn new(cost: PasswordCost) -> Result<Self, SecretError> {
        Self::with_pool(cost, 1)
    }

    /// A hasher keeping at most `pool_size` reusable block sets: size it to the number of
    /// hashes that may run at once, so none allocates.
    pub fn with_pool(cost: PasswordCost, pool_size: usize) -> Result<Self, SecretError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| SecretError::Params(e.to_string()))?;
        Ok(Self {
            argon: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            pool: Arc::new(BlockPool {
                free: Mutex::new(Vec::new()),
                cap: pool_size.max(1),
            }),
            verified: Default::default(),
        })
    }

    /// The raw argon2 output of `password` with `argon`'s parameters, in pooled memory.
    fn raw(
        &self,
        argon: &Argon2<'_>,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), argon2::Error> {
        self.pool.with(argon.params().block_count(), |memory| {
            argon.hash_password_into_with_memory(password, salt, out, memory)
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
        let params = self.argon.params();
        let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
        self.raw(&self.argon, password.as_bytes(), &salt_bytes, &mut out)
            .map_err(|e| SecretError::Hash(e.to_string()))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(params).map_err(|e| SecretError::Hash(e.to_string()))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(|e| SecretError::Hash(e.to_string()))?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches the PHC string (parameters are read from the string, so
    /// hashes made with an earlier cost still verify).
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        self.verified
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.check(password, phc).unwrap_or(false)
    }

    fn check(&self, password: &str, phc: &str) -> Option<bool> {
        let hash = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::try_from(hash.algorithm).ok()?;
        let version = hash
            .version
            .map(Version::try_from)
            .transpose()
            .ok()?
            .unwrap_or_default();
        let params = Params::try_from(&hash).ok()?;
        let expected = hash.hash?;
        let salt: Salt<'_> = hash.salt?;
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_buf).ok()?;
        let argon = Argon2::new(algorithm, version, params);
        let mut out = vec![0u8; expected.len()];
        self.raw(&argon, password.as_bytes(), salt_bytes, &mut out)
            .ok()?;
        // `Output`'s equality is constant-time.
        Some(Output::new(&out).ok()? == expected)
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
    fn a_hash_made_by_the_argon2_crate_directly_still_verifies() {
        use argon2::password_hash::PasswordHasher;
        let params = Params::new(64, 1, 1, None).unwrap();
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let phc = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"legacy secret", &salt)
            .unwrap()
            .to_string();
        let h = cheap();
        assert!(h.verify("legacy secret", &phc));
        assert!(!h.verify("legacy secreT", &phc));
    }

    #[test]
    fn a_hash_with_another_cost_verifies_with_the_cost_it_was_made_with() {
        let old = PasswordHasherId::new(PasswordCost {
            memory_kib: 128,
            iterations: 2,
            parallelism: 1,
        })
        .unwrap()
        .hash("pw")
        .unwrap();
        assert!(old.contains("m=128,t=2,p=1"), "{old}");
        assert!(cheap().verify("pw", &old));
    }

    #[test]
    fn concurrent_hashes_keep_no_more_block_sets_than_the_pool_size() {
        let h = PasswordHasherId::with_pool(
            PasswordCost {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
        .unwrap();
        let phc = h.hash("pw").unwrap();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..20 {
                        assert!(h.verify("pw", &phc));
                    }
                });
            }
        });
        let kept = h.pool.free.lock().unwrap().len();
        assert!((1..=2).contains(&kept), "{kept} block sets kept");
        assert_eq!(h.verifications(), 160);
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
