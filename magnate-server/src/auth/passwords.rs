//! Password hashing (docs/protocol.md): argon2id in PHC string format, Django's `pbkdf2_sha256`
//! hashes
//! of migrated reference users, and a small pool of hashing threads that reuse their memory.
//!
//! One argon2id hash with the default cost fills 19 MiB. Hashing on tokio's blocking pool
//! allocated those 19 MiB afresh on whichever of its (up to 512) threads ran the job, and glibc
//! kept the freed blocks in per-thread arenas: the server's memory grew by gigabytes over a few
//! thousand logins. The pool instead runs a fixed number of threads, each of which owns one
//! buffer sized for the configured cost and fills it for every hash, so hashing memory is
//! bounded by `threads × m_cost` and a burst of logins queues instead of spawning threads.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use argon2::{
    password_hash::{Output, ParamsString, PasswordHash, SaltString},
    Algorithm, Argon2, Block, Params, Version,
};
use tokio::sync::{mpsc, oneshot};

/// Jobs waiting for a hashing thread before callers wait to queue more.
const QUEUE_CAPACITY: usize = 256;
/// Most hashing threads, whatever the number of cores.
const MAX_THREADS: usize = 4;

/// Argon2id password hashing with a dummy hash for timing-safe failures.
///
/// [`Passwords::hash`] and [`Passwords::check`] run on the calling thread with memory of their
/// own (for tests and tools); the server calls [`Passwords::hash_pooled`] and
/// [`Passwords::check_pooled`], which run on the bounded pool. Clones share the pool; its threads
/// stop when the last clone is dropped.
#[derive(Clone)]
pub struct Passwords {
    hasher: Arc<Hasher>,
    pool: Arc<OnceLock<Pool>>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Passwords").finish_non_exhaustive()
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new(Params::default())
    }
}

/// Result of [`Passwords::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password matches a current argon2id hash.
    Match,
    /// The password matches a legacy hash; store a new one.
    MatchNeedsRehash,
    /// The password does not match, or there is no usable hash.
    Mismatch,
}

/// The hashing pool stopped (a hashing thread panicked, or it could not be started).
#[derive(Debug, thiserror::Error)]
#[error("the password hashing pool is unavailable")]
pub struct PoolUnavailable;

impl Passwords {
    /// Argon2id with the given cost parameters.
    pub fn new(params: Params) -> Self {
        Self {
            hasher: Arc::new(Hasher {
                params,
                dummy_hash: OnceLock::new(),
            }),
            pool: Arc::new(OnceLock::new()),
        }
    }

    /// Very cheap parameters, for tests only: hashes stay valid argon2id but cost microseconds.
    pub fn insecure_fast() -> Self {
        Self::new(
            Params::new(8, 1, 1, None).expect("invariant: the minimum argon2 parameters are valid"),
        )
    }

    /// Hashes `password` with a random salt into PHC string format, on the calling thread.
    pub fn hash(&self, password: &str) -> String {
        self.hasher.hash(&mut Vec::new(), password)
    }

    /// Whether `password` matches `hash`, on the calling thread. A missing or unreadable hash
    /// never matches, but costs the same time as a real check so that unknown users cannot be
    /// told apart.
    pub fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        self.check(password, hash) != PasswordCheck::Mismatch
    }

    /// Like [`Passwords::verify`], and also tells whether a matching hash is in a legacy format
    /// (Django's `pbkdf2_sha256$...` from the reference) that should be replaced by argon2id.
    pub fn check(&self, password: &str, hash: Option<&str>) -> PasswordCheck {
        self.hasher.check(&mut Vec::new(), password, hash)
    }

    /// [`Passwords::hash`] on the pool.
    pub async fn hash_pooled(&self, password: String) -> Result<String, PoolUnavailable> {
        self.run(move |hasher, memory| hasher.hash(memory, &password))
            .await
    }

    /// [`Passwords::check`] on the pool; a legacy hash that matches comes back with its argon2id
    /// replacement, computed in the same job.
    pub async fn check_pooled(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<(PasswordCheck, Option<String>), PoolUnavailable> {
        self.run(move |hasher, memory| {
            let outcome = hasher.check(memory, &password, hash.as_deref());
            let upgraded = (outcome == PasswordCheck::MatchNeedsRehash)
                .then(|| hasher.hash(memory, &password));
            (outcome, upgraded)
        })
        .await
    }

    /// Runs `work` on a pool thread (starting the pool on first use) and waits for its result.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Hasher, &mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, PoolUnavailable> {
        let pool = self
            .pool
            .get_or_init(|| Pool::start(Arc::clone(&self.hasher)));
        let (reply, answer) = oneshot::channel();
        let wait = crate::metrics::HashWait::start();
        let job: Job = Box::new(move |hasher, memory| {
            wait.record();
            let _ = reply.send(work(hasher, memory));
        });
        pool.jobs.send(job).await.map_err(|_| PoolUnavailable)?;
        answer.await.map_err(|_| PoolUnavailable)
    }

    /// Threads the pool runs (or would run): one per core, at most four.
    pub fn pool_threads() -> usize {
        std::thread::available_parallelism()
            .map_or(1, |cores| cores.get())
            .clamp(1, MAX_THREADS)
    }
}

/// A unit of work for a hashing thread, given that thread's reusable memory.
type Job = Box<dyn FnOnce(&Hasher, &mut Vec<Block>) + Send>;

/// The sending side of the pool; the threads exit when it is dropped.
struct Pool {
    jobs: mpsc::Sender<Job>,
}

impl Pool {
    fn start(hasher: Arc<Hasher>) -> Pool {
        let (jobs, queue) = mpsc::channel::<Job>(QUEUE_CAPACITY);
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..Passwords::pool_threads() {
            let queue = Arc::clone(&queue);
            let hasher = Arc::clone(&hasher);
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{index}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        // One idle thread waits on the queue, the others on the lock.
                        let job = queue
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .blocking_recv();
                        match job {
                            Some(job) => job(&hasher, &mut memory),
                            None => break,
                        }
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password hashing thread");
            }
        }
        Pool { jobs }
    }
}

/// The hashing parameters and the dummy hash checked for users without one.
struct Hasher {
    params: Params,
    dummy_hash: OnceLock<String>,
}

impl Hasher {
    /// Hashes into PHC format with a random salt, filling `memory` (grown once to the cost).
    fn hash(&self, memory: &mut Vec<Block>, password: &str) -> String {
        use rand::RngCore;
        let mut salt_bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes)
            .expect("invariant: 16 salt bytes are within argon2's salt length limits");
        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        argon2id(&self.params, Version::V0x13)
            .hash_password_into_with_memory(
                password.as_bytes(),
                &salt_bytes,
                &mut output,
                blocks(memory, &self.params),
            )
            .expect("invariant: argon2 hashing with valid parameters cannot fail");
        PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params)
                .expect("invariant: valid argon2 parameters encode"),
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&output).expect("invariant: 32 bytes is a valid output length")),
        }
        .to_string()
    }

    fn check(&self, memory: &mut Vec<Block>, password: &str, hash: Option<&str>) -> PasswordCheck {
        if let Some(legacy) = hash.and_then(|hash| hash.strip_prefix("pbkdf2_sha256$")) {
            return if verify_django_pbkdf2(password, legacy) {
                PasswordCheck::MatchNeedsRehash
            } else {
                PasswordCheck::Mismatch
            };
        }
        match hash.and_then(|hash| PasswordHash::new(hash).ok()) {
            Some(parsed) => {
                if self.verify_phc(memory, password, &parsed) {
                    PasswordCheck::Match
                } else {
                    PasswordCheck::Mismatch
                }
            }
            None => {
                let dummy = self
                    .dummy_hash
                    .get_or_init(|| self.hash(memory, "dummy password"));
                if let Ok(parsed) = PasswordHash::new(dummy) {
                    let _ = self.verify_phc(memory, password, &parsed);
                }
                PasswordCheck::Mismatch
            }
        }
    }

    /// Recomputes a PHC argon2 hash with its own algorithm, version, cost and salt and compares
    /// the outputs in constant time. Anything unreadable does not match.
    fn verify_phc(
        &self,
        memory: &mut Vec<Block>,
        password: &str,
        parsed: &PasswordHash<'_>,
    ) -> bool {
        let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
            Algorithm::try_from(parsed.algorithm),
            Params::try_from(parsed),
            parsed.salt,
            parsed.hash,
        ) else {
            return false;
        };
        let version = match parsed.version.map(Version::try_from).transpose() {
            Ok(version) => version.unwrap_or_default(),
            Err(_) => return false,
        };
        let mut salt_buffer = [0u8; 64];
        let Ok(salt_bytes) = salt.decode_b64(&mut salt_buffer) else {
            return false;
        };
        let mut output = vec![0u8; expected.len()];
        let hasher = Argon2::new(algorithm, version, params.clone());
        // A stored hash costlier than ours gets memory of its own, so the kept buffer stays
        // bounded by the configured cost.
        let computed = if params.block_count() > self.params.block_count() {
            let mut own = Vec::new();
            hasher.hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                &mut output,
                blocks(&mut own, &params),
            )
        } else {
            hasher.hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                &mut output,
                blocks(memory, &params),
            )
        };
        computed.is_ok() && Output::new(&output).is_ok_and(|output| output == expected)
    }
}

fn argon2id(params: &Params, version: Version) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, version, params.clone())
}

/// The first `params.block_count()` blocks of `memory`, grown if needed.
fn blocks<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    let count = params.block_count();
    if memory.len() < count {
        memory.resize(count, Block::new());
    }
    &mut memory[..count]
}

/// Checks `<iterations>$<salt>$<base64 hash>` (the part after `pbkdf2_sha256$`).
fn verify_django_pbkdf2(password: &str, encoded: &str) -> bool {
    use base64::Engine;
    let mut parts = encoded.splitn(3, '$');
    let (Some(iterations), Some(salt), Some(expected)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(iterations) = iterations.parse::<u32>() else {
        return false;
    };
    // Refuse absurd costs that a corrupted row could ask for.
    if iterations == 0 || iterations > 10_000_000 {
        return false;
    }
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(expected) else {
        return false;
    };
    if expected.len() != 32 {
        return false;
    }
    let mut derived = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
        password.as_bytes(),
        salt.as_bytes(),
        iterations,
        &mut derived,
    );
    // Constant-time comparison.
    derived
        .iter()
        .zip(&expected)
        .fold(0u8, |difference, (left, right)| difference | (left ^ right))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    fn cheap() -> Params {
        Params::new(64, 1, 1, None).unwrap()
    }

    #[test]
    fn hashes_are_standard_argon2id_phc_strings_both_ways() {
        let passwords = Passwords::new(cheap());
        let ours = passwords.hash("Segura123!");
        assert!(ours.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{ours}");
        let reference = argon2id(&cheap(), Version::V0x13);
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(reference.verify_password(b"Segura123!", &parsed).is_ok());
        assert!(reference.verify_password(b"segura123!", &parsed).is_err());

        // A hash made by the argon2 crate itself, with other costs and version, verifies too.
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x10,
            Params::new(128, 2, 1, None).unwrap(),
        )
        .hash_password(b"Otra clave 9", &salt)
        .unwrap()
        .to_string();
        assert_eq!(
            passwords.check("Otra clave 9", Some(&other)),
            PasswordCheck::Match
        );
        assert_eq!(
            passwords.check("Otra clave 8", Some(&other)),
            PasswordCheck::Mismatch
        );
    }

    #[test]
    fn unusable_hashes_never_match() {
        let passwords = Passwords::new(cheap());
        for hash in [
            None,
            Some(""),
            Some("not a hash"),
            Some("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ"),
            Some("$argon2id$v=77$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            Some("$scrypt$ln=4,r=8,p=1$c2FsdHNhbHQ$AAAA"),
            Some("pbkdf2_sha256$0$salt$AAAA"),
        ] {
            assert_eq!(passwords.check("x", hash), PasswordCheck::Mismatch, "{hash:?}");
        }
    }

    #[test]
    fn reused_memory_gives_the_same_results_as_fresh_memory() {
        let hasher = Hasher {
            params: cheap(),
            dummy_hash: OnceLock::new(),
        };
        let mut memory = Vec::new();
        let first = hasher.hash(&mut memory, "uno dos tres");
        let kept = memory.len();
        assert_eq!(kept, cheap().block_count());
        let second = hasher.hash(&mut memory, "cuatro cinco");
        assert_eq!(memory.len(), kept, "the buffer is reused, not grown");
        assert_eq!(
            hasher.check(&mut memory, "uno dos tres", Some(&first)),
            PasswordCheck::Match
        );
        assert_eq!(
            hasher.check(&mut Vec::new(), "cuatro cinco", Some(&second)),
            PasswordCheck::Match
        );
        assert_eq!(
            hasher.check(&mut memory, "cuatro cinco", Some(&first)),
            PasswordCheck::Mismatch
        );
        // A costlier stored hash does not grow the kept buffer.
        let costly = Passwords::new(Params::new(256, 1, 1, None).unwrap()).hash("caro");
        assert_eq!(
            hasher.check(&mut memory, "caro", Some(&costly)),
            PasswordCheck::Match
        );
        assert_eq!(memory.len(), kept);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_pool_hashes_and_checks_concurrently() {
        let passwords = Passwords::new(cheap());
        let mut tasks = Vec::new();
        for n in 0..40 {
            let passwords = passwords.clone();
            tasks.push(tokio::spawn(async move {
                let password = format!("clave número {n}");
                let hash = passwords.hash_pooled(password.clone()).await.unwrap();
                let right = passwords
                    .check_pooled(password, Some(hash.clone()))
                    .await
                    .unwrap();
                let wrong = passwords
                    .check_pooled("otra".into(), Some(hash))
                    .await
                    .unwrap();
                (right, wrong)
            }));
        }
        for task in tasks {
            assert_eq!(
                task.await.unwrap(),
                (
                    (PasswordCheck::Match, None),
                    (PasswordCheck::Mismatch, None)
                )
            );
        }
    }

    #[tokio::test]
    async fn a_legacy_match_comes_back_with_its_argon2id_replacement() {
        // Django's hash of "Segura123!" with 1,000 iterations and the salt "sal".
        let legacy = {
            use base64::Engine;
            let mut derived = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"Segura123!", b"sal", 1000, &mut derived);
            format!(
                "pbkdf2_sha256$1000$sal${}",
                base64::engine::general_purpose::STANDARD.encode(derived)
            )
        };
        let passwords = Passwords::new(cheap());
        let (outcome, upgraded) = passwords
            .check_pooled("Segura123!".into(), Some(legacy.clone()))
            .await
            .unwrap();
        assert_eq!(outcome, PasswordCheck::MatchNeedsRehash);
        let upgraded = upgraded.expect("a replacement hash");
        assert_eq!(
            passwords.check("Segura123!", Some(&upgraded)),
            PasswordCheck::Match
        );
        let (outcome, upgraded) = passwords
            .check_pooled("segura123!".into(), Some(legacy))
            .await
            .unwrap();
        assert_eq!((outcome, upgraded), (PasswordCheck::Mismatch, None));
    }
}
