//! Seeded self-play is pinned: the final state hash, the action and tick counts and a digest of
//! every recorded input of a set of bot games, against values produced before the bots' speed
//! work (issue 14). Any change of a bot's decision, of a generator draw or of a rule shows here.
//! The hashes are version 1 of the state hash (records of format version 2), which stays
//! supported for old records.

use magnate_core::sim::{play, SimSetup};
use magnate_core::{BotLevel, EvBot, HashFormat, Policy, Seed};

/// FNV-1a over bytes, continuing from `h`.
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// (final state hash in format 1, actions, ticks, digest of every recorded input with its time).
fn fingerprint(seed: u64, levels: &[BotLevel], max_turns: u32) -> (String, u64, u64, String) {
    let mut setup = SimSetup::new(Seed(seed), levels.len(), Some(max_turns));
    setup.record = true;
    let bots: Vec<EvBot> = levels.iter().map(|l| EvBot::new(*l)).collect();
    let policies: Vec<&(dyn Policy + Sync)> =
        bots.iter().map(|b| b as &(dyn Policy + Sync)).collect();
    let outcome = play(&setup, &policies).expect("bots finish their games");
    let record = outcome.record.expect("recorded");
    let mut digest = 0xCBF2_9CE4_8422_2325;
    for entry in &record.entries {
        digest = fnv(digest, &entry.now.0.to_le_bytes());
        digest = fnv(
            digest,
            serde_json::to_string(&entry.input).unwrap().as_bytes(),
        );
    }
    (
        format!("{:016x}", outcome.game.state_hash_in(HashFormat::V1)),
        outcome.actions,
        outcome.ticks,
        format!("{digest:016x}"),
    )
}

/// One pinned game: seed, levels by seat, turn limit, and its fingerprint.
type Pinned = (
    u64,
    &'static [BotLevel],
    u32,
    &'static str,
    u64,
    u64,
    &'static str,
);

fn check(pinned: &[Pinned]) {
    let mut wrong = Vec::new();
    for &(seed, levels, max_turns, hash, actions, ticks, digest) in pinned {
        let found = fingerprint(seed, levels, max_turns);
        let expected = (hash.to_owned(), actions, ticks, digest.to_owned());
        if found != expected {
            wrong.push(format!(
                "seed {seed} {levels:?}: {found:?}, pinned {expected:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "self-play changed:\n{}", wrong.join("\n"));
}

use BotLevel::{Easy, Expert, Hard, Medium, VeryEasy, VeryHard};

const FOUR_EXPERTS: &[BotLevel] = &[Expert; 4];

/// Produced by main at 496f4fa, before the changes of issue 14's engine work.
#[test]
fn expert_self_play_is_unchanged() {
    check(&[
        (
            1,
            FOUR_EXPERTS,
            500,
            "09826925bc71056b",
            2920,
            2908,
            "8f8eaececc1406fc",
        ),
        (
            2,
            FOUR_EXPERTS,
            500,
            "302e061eeafbc60d",
            2059,
            2051,
            "0946a48d9b342c32",
        ),
        (
            3,
            FOUR_EXPERTS,
            500,
            "55cf1134fbae1494",
            2925,
            2911,
            "42d0c3de54714583",
        ),
        (
            4,
            FOUR_EXPERTS,
            500,
            "5663a2c4a67b50fa",
            1062,
            1053,
            "94d9ea8bfaa76527",
        ),
        (
            11,
            FOUR_EXPERTS,
            500,
            "ad0ddb88d487e4a8",
            1642,
            1642,
            "ef4468d1048047c7",
        ),
        (
            12,
            FOUR_EXPERTS,
            500,
            "a658187dcd00ecb5",
            1164,
            1164,
            "2a35c29c027628c5",
        ),
        (
            21,
            &[Expert, Expert],
            300,
            "c56c9041b50304d2",
            1281,
            1306,
            "b51e67739ca0ae12",
        ),
        (
            22,
            &[Expert, Expert, Expert],
            300,
            "08102ccc2b2b2edc",
            1765,
            1765,
            "d5a2094b89ec66ca",
        ),
    ]);
}

/// As [`expert_self_play_is_unchanged`], with the exploring levels (their random picks draw
/// from the same generators, so a changed candidate list shows here too). Produced by main at
/// 496f4fa.
#[test]
fn mixed_level_self_play_is_unchanged() {
    check(&[
        (
            31,
            &[Expert, Hard, Medium, Easy],
            300,
            "d58ff7b80beea9c8",
            724,
            719,
            "924a429660db3f04",
        ),
        (
            32,
            &[VeryHard, Expert, VeryEasy],
            300,
            "c609e97386edf529",
            1004,
            1010,
            "bfa6da054c003756",
        ),
        (
            33,
            &[Hard, Expert],
            300,
            "4b1774b03c4b2726",
            1228,
            1236,
            "507db49884043c3f",
        ),
        (
            34,
            &[Medium, VeryHard, Expert, Hard],
            300,
            "d88625755d9b1f5d",
            1359,
            1344,
            "2e45a7e835845e53",
        ),
    ]);
}
