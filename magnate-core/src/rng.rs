//! The game's seeded random generator.
//!
//! ChaCha8 (`rand_chacha`, pinned by Cargo.lock) seeded from a 64-bit [`Seed`] expanded with
//! splitmix64. Draws use our own [`GameRng::below`] on raw `u32` output rather than library
//! distribution helpers, whose algorithms may change between releases. Changing the generator or
//! the order of draws (rules Appendix A) breaks replay: treat it as a format change.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::Seed;

/// The name of the algorithm, written into game records.
pub const RNG_ALGORITHM: &str = "chacha8-splitmix64-seed/below-u32-rejection";

/// A seeded generator whose position can be saved and restored.
#[derive(Clone, Debug)]
pub struct GameRng {
    seed: Seed,
    rng: ChaCha8Rng,
    /// Results `below` returns before drawing (only the `testing` feature fills it).
    forced: std::collections::VecDeque<u32>,
}

impl PartialEq for GameRng {
    fn eq(&self, other: &Self) -> bool {
        self.seed == other.seed && self.rng.get_word_pos() == other.rng.get_word_pos()
    }
}

impl Eq for GameRng {}

impl GameRng {
    /// A generator at the start of the stream of `seed`.
    pub fn new(seed: Seed) -> GameRng {
        GameRng {
            seed,
            rng: ChaCha8Rng::from_seed(expand(seed.0)),
            forced: Default::default(),
        }
    }

    /// The seed.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// How many 32-bit words have been drawn so far.
    pub fn word_pos(&self) -> u64 {
        // The position cannot pass 2^64 words in any real game; saturate rather than wrap.
        u64::try_from(self.rng.get_word_pos()).unwrap_or(u64::MAX)
    }

    /// A uniform integer in `[0, n)`; `n == 0` returns 0 without drawing.
    ///
    /// Rejection sampling: draw `x` from `next_u32` until `x >= (2^32 - n) % n`, return `x % n`.
    pub fn below(&mut self, n: u32) -> u32 {
        if let Some(forced) = self.forced.pop_front() {
            return forced.min(n.saturating_sub(1));
        }
        if n <= 1 {
            return 0;
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let x = self.rng.next_u32();
            if x >= threshold {
                return x % n;
            }
        }
    }

    /// Makes the next calls of [`GameRng::below`] return these values (clamped to `n - 1`)
    /// instead of drawing. For scenario tests only.
    #[cfg(feature = "testing")]
    pub fn force(&mut self, values: &[u32]) {
        self.forced.extend(values);
    }

    /// `list[below(len)]`, or `None` for an empty list.
    pub fn choose<T: Copy>(&mut self, list: &[T]) -> Option<T> {
        let len = u32::try_from(list.len()).ok()?;
        if len == 0 {
            return None;
        }
        list.get(self.below(len) as usize).copied()
    }
}

fn expand(seed: u64) -> [u8; 32] {
    let mut state = seed;
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_exact_mut(8) {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes());
    }
    bytes
}

#[derive(Serialize, Deserialize)]
struct RngState {
    seed: Seed,
    word_pos: u64,
}

impl Serialize for GameRng {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RngState {
            seed: self.seed,
            word_pos: self.word_pos(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for GameRng {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let state = RngState::deserialize(deserializer)?;
        let mut rng = GameRng::new(state.seed);
        rng.rng.set_word_pos(u128::from(state.word_pos));
        Ok(rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_draws_and_position_survives_serde() {
        let mut a = GameRng::new(Seed(7));
        let mut b = GameRng::new(Seed(7));
        let draws_a: Vec<u32> = (0..50).map(|_| a.below(6)).collect();
        let draws_b: Vec<u32> = (0..50).map(|_| b.below(6)).collect();
        assert_eq!(draws_a, draws_b);
        assert!(draws_a.iter().all(|d| *d < 6));
        let json = serde_json::to_string(&a).unwrap();
        let mut restored: GameRng = serde_json::from_str(&json).unwrap();
        assert_eq!(restored, a);
        assert_eq!(restored.below(1000), a.below(1000));
    }

    #[test]
    fn below_is_roughly_uniform() {
        let mut rng = GameRng::new(Seed(1));
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[rng.below(6) as usize] += 1;
        }
        assert!(
            counts.iter().all(|c| (9_000..11_000).contains(c)),
            "{counts:?}"
        );
    }
}
