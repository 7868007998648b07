//! The checks behind the fuzz targets, shared with the corpus test of `magnate-server`
//! (`cargo test -p magnate-server --test fuzz_corpus`), so CI replays every corpus file through
//! exactly the code the fuzzer runs.
//!
//! Every `check_*` function accepts any bytes and panics (with a message) only when it finds a
//! bug: a panic in the code under test, or a broken invariant.

use arbitrary::{Arbitrary, Unstructured};
use magnate_core::testing::money_total;
use magnate_core::{
    record::replay_entries, replay, Action, BonusCategory, Game, GameRecord, Input, LegalAction,
    Millis, PlayerId, PlayerSpec, RecordHeader, Recorder, Seed, Setup, SquareId, StatField,
    TimerSettings, Timestamp,
};
use magnate_protocol::game::{action_object, parse_frame, ClientFrame, WireAction};
use serde_json::Value;

mod sockets;

pub use sockets::check_ws_messages;

/// Where every generated game starts.
const START: Timestamp = Timestamp(1_000);

/// Player ids of generated games: small ones, and awkward ones (0, the largest u64).
const ID_SETS: [[u64; 4]; 2] = [[1, 2, 3, 4], [u64::MAX, 0, 42, 7]];

/// The wire names of every action (for generated JSON).
const WIRE_TYPES: [&str; 17] = [
    "ActionThrowDices",
    "ActionPayBail",
    "ActionMoveTo",
    "ActionChooseCard",
    "ActionBuySquare",
    "ActionDropPurchase",
    "ActionTakeTram",
    "ActionBuild",
    "ActionDemolish",
    "ActionMortgageSet",
    "ActionMortgageUnset",
    "ActionTradeProposal",
    "ActionTradeAnswer",
    "ActionBid",
    "ActionNextPhase",
    "ActionSurrender",
    "ChatMessage",
];

/// Every field name an action frame may carry (plus the ones the transport ignores).
const FIELDS: [&str; 14] = [
    "square",
    "houses",
    "chosen_revealed_card",
    "destination_user",
    "offered_money",
    "asked_money",
    "offered_properties",
    "asked_properties",
    "choose",
    "amount",
    "game",
    "player",
    "msg",
    "type",
];

// ----- game construction ------------------------------------------------------------------

/// A setup chosen by the fuzzer: 2–4 players, bots, timers and a few house rules.
fn arbitrary_setup(u: &mut Unstructured<'_>) -> arbitrary::Result<Setup> {
    let players = u.int_in_range(2..=4usize)?;
    let ids = ID_SETS[usize::from(u.arbitrary::<bool>()?)];
    let bots: u8 = u.arbitrary()?;
    let mut setup = Setup::new(ids[..players].iter().copied().map(PlayerId));
    for (i, spec) in setup.players.iter_mut().enumerate() {
        *spec = PlayerSpec {
            id: spec.id,
            is_bot: bots & (1 << i) != 0,
        };
    }
    let flags: u8 = u.arbitrary()?;
    setup.timers = TimerSettings {
        phase_timeout: Millis(30_000),
        auction_timeout: Millis(20_000),
        roll_timeout: (flags & 1 != 0).then_some(Millis(45_000)),
        kick_out_after: (flags & 2 != 0).then_some(Millis(120_000)),
        bot_delay: Millis(2_000),
        bot_auction_jitter: Millis(1_000),
    };
    if flags & 4 != 0 {
        setup.timers = TimerSettings::instant();
    }
    setup.rules.starting_money = [1500, 300, 0, 20_000][usize::from(flags >> 3 & 3)];
    setup.rules.max_turns = [None, Some(1), Some(8), Some(60)][usize::from(flags >> 5 & 3)];
    if flags & 0x80 != 0 {
        setup.rules.bonus_categories = vec![BonusCategory {
            stat_field: StatField::WalkedSquares,
            bonus_amount: 200,
        }];
    }
    Ok(setup)
}

/// The core's invariants (docs/rules.md, money conservation, deadline sanity), shared with the
/// property tests of `magnate-core`. Panics with the first violation.
pub fn assert_invariants(game: &Game, initial_total: i128) {
    if let Err(violation) = magnate_core::testing::check_invariants(game, initial_total) {
        panic!("invariant violated: {violation}");
    }
}

/// Applies `input`; a refusal must leave the game exactly as it was (`==` and hash), and the
/// events of an accepted input must fold into the game's view (`View::apply`).
fn apply_atomic(game: &mut Game, input: Input, now: Timestamp) -> bool {
    let before = game.clone();
    let hash = game.state_hash();
    match game.apply(input.clone(), now) {
        Ok(events) => {
            let mut view = before.view();
            for event in &events {
                view.apply(event);
            }
            assert_eq!(
                view,
                game.view(),
                "{input:?}: the events do not fold into the view"
            );
            true
        }
        Err(error) => {
            assert_eq!(
                game.state_hash(),
                hash,
                "{input:?} refused ({error}) changed the hash"
            );
            assert!(
                *game == before,
                "{input:?} refused ({error}) changed the game"
            );
            false
        }
    }
}

/// One step of a legal sequence.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// A listed legal action of a player (index into the players still in the game).
    Legal { who: u8, pick: u16, choice: u64 },
    /// Time passes and the game is ticked.
    Wait { millis: u64 },
    /// A player (index into all participants) surrenders.
    Surrender { who: u8 },
}

fn arbitrary_step(u: &mut Unstructured<'_>) -> arbitrary::Result<Step> {
    Ok(match u.int_in_range(0..=99u8)? {
        0..=84 => Step::Legal {
            who: u.arbitrary()?,
            pick: u.arbitrary()?,
            choice: u.arbitrary()?,
        },
        85..=98 => Step::Wait {
            millis: match u.int_in_range(0..=3u8)? {
                0 => u.int_in_range(0..=3_000)?,
                1 => u.int_in_range(0..=60_000)?,
                2 => u.int_in_range(0..=200_000)?,
                _ => u.arbitrary()?,
            },
        },
        _ => Step::Surrender {
            who: u.arbitrary()?,
        },
    })
}

/// The action a legal step takes, and who takes it (`None` once the game is over).
fn legal_move(game: &Game, who: u8, pick: u16, choice: u64) -> Option<(PlayerId, Action)> {
    magnate_core::testing::legal_move(game, usize::from(who), usize::from(pick), choice)
}

/// How many ticks an adapter sends at one instant before it gives up waiting for a quiet game
/// (with zero timeouts, every tick can arm a deadline due at once).
const MAX_TICKS: usize = 16;

/// Whether a deadline is due at `now` (it fires before the next action).
fn is_due(game: &Game, now: Timestamp) -> bool {
    game.next_deadline().is_some_and(|d| d.at <= now)
}

/// Every action listed for every player is accepted (tried on clones).
fn assert_listed_actions_accepted(game: &Game, now: Timestamp, choice: u64) {
    if is_due(game, now) {
        return;
    }
    for player in game.participants().iter().map(|p| p.id) {
        for legal in game.legal_actions(player) {
            let choices: &[u64] = match legal {
                LegalAction::Exact(_) => &[0],
                _ => &[0, choice, u64::MAX],
            };
            for &choice in choices {
                let action = legal.instantiate(choice);
                let mut probe = game.clone();
                if let Err(error) = probe.apply(Input::action(player, action.clone()), now) {
                    panic!(
                        "listed action {action:?} of {player} refused: {error} in {:?}",
                        game.phase()
                    );
                }
            }
        }
    }
}

/// Plays `steps` from a fresh game; returns the final game and the hash after each step.
fn play(setup: &Setup, seed: Seed, steps: &[Step], thorough: bool) -> (Game, Vec<u64>, GameRecord) {
    let header = RecordHeader::new(setup.clone(), seed, START);
    let mut recorder = Recorder::new(header).expect("generated setups are valid");
    let initial = money_total(recorder.game());
    assert_invariants(recorder.game(), initial);
    let mut now = START;
    let mut hashes = Vec::with_capacity(steps.len());
    for step in steps {
        if recorder.game().is_finished() {
            break;
        }
        if thorough {
            assert_listed_actions_accepted(recorder.game(), now, hashes.len() as u64);
        }
        match *step {
            Step::Legal { who, pick, choice } => {
                // As an adapter would: tick while a deadline is due, then act.
                for _ in 0..MAX_TICKS {
                    if !is_due(recorder.game(), now) {
                        break;
                    }
                    recorder
                        .apply(Input::Tick, now)
                        .expect("ticks are accepted");
                }
                let due = is_due(recorder.game(), now);
                let Some((player, action)) = legal_move(recorder.game(), who, pick, choice) else {
                    break;
                };
                let before = recorder.game().clone();
                if let Err(error) = recorder.apply(Input::action(player, action.clone()), now) {
                    // Only when nothing is due is a listed action sure to be accepted.
                    assert!(
                        due,
                        "legal action {action:?} of {player} refused: {error} in {:?}",
                        recorder.game().phase()
                    );
                    assert!(
                        *recorder.game() == before,
                        "a refused input changed the game"
                    );
                }
            }
            Step::Wait { millis } => {
                // An early tick changes nothing.
                if recorder.game().next_deadline().is_some_and(|d| d.at > now) {
                    let hash = recorder.game().state_hash();
                    let events = recorder
                        .apply(Input::Tick, now)
                        .expect("ticks are accepted");
                    assert!(events.is_empty(), "early tick produced {events:?}");
                    assert_eq!(
                        recorder.game().state_hash(),
                        hash,
                        "an early tick changes nothing"
                    );
                }
                now = Timestamp(now.0.saturating_add(millis));
                recorder
                    .apply(Input::Tick, now)
                    .expect("ticks are accepted");
            }
            Step::Surrender { who } => {
                for _ in 0..MAX_TICKS {
                    if !is_due(recorder.game(), now) {
                        break;
                    }
                    recorder
                        .apply(Input::Tick, now)
                        .expect("ticks are accepted");
                }
                if recorder.game().is_finished() {
                    break;
                }
                let players = recorder.game().participants();
                let player = players[usize::from(who) % players.len()].id;
                let in_game = recorder.game().is_in_game(player);
                let due = is_due(recorder.game(), now);
                let result = recorder.apply(Input::action(player, Action::Surrender), now);
                assert!(
                    result.is_ok() == in_game || due,
                    "surrender of {player} (in game: {in_game}) gave {result:?}"
                );
            }
        }
        assert_invariants(recorder.game(), initial);
        hashes.push(recorder.game().state_hash());
    }
    let (game, record) = recorder.into_parts();
    (game, hashes, record)
}

// ----- target 1: arbitrary inputs ----------------------------------------------------------

/// A square field as the fuzzer wants it: often a real square, sometimes anything.
fn square_fixup(game: &Game, square: SquareId, real: bool) -> SquareId {
    if real {
        let squares = game.board().squares();
        squares[usize::from(square.0) % squares.len()].id
    } else {
        square
    }
}

/// Points an arbitrary action at real squares and players, so it gets past the first checks.
fn fixup(game: &Game, action: Action, real: bool) -> Action {
    let sq = |s| square_fixup(game, s, real);
    let players = game.participants();
    match action {
        Action::MoveTo { square } => Action::MoveTo { square: sq(square) },
        Action::BuySquare { square } => Action::BuySquare { square: sq(square) },
        Action::DropPurchase { square } => Action::DropPurchase { square: sq(square) },
        Action::TakeTram { square } => Action::TakeTram { square: sq(square) },
        Action::Build { square, houses } => Action::Build {
            square: sq(square),
            houses,
        },
        Action::Demolish { square, houses } => Action::Demolish {
            square: sq(square),
            houses,
        },
        Action::MortgageSet { square } => Action::MortgageSet { square: sq(square) },
        Action::MortgageUnset { square } => Action::MortgageUnset { square: sq(square) },
        Action::TradeProposal {
            destination_user,
            offered_money,
            asked_money,
            offered_properties,
            asked_properties,
        } => Action::TradeProposal {
            destination_user: if real {
                players[(destination_user.0 % players.len() as u64) as usize].id
            } else {
                destination_user
            },
            offered_money,
            asked_money,
            offered_properties: offered_properties.into_iter().map(sq).collect(),
            asked_properties: asked_properties.into_iter().map(sq).collect(),
        },
        other => other,
    }
}

/// A JSON value of the kinds the lenient parsers must tell apart.
fn arbitrary_json_value(u: &mut Unstructured<'_>, depth: u8) -> arbitrary::Result<Value> {
    Ok(match u.int_in_range(0..=11u8)? {
        0 => Value::from(u.int_in_range(0..=120u16)?),
        1 => Value::from(u.arbitrary::<i64>()?),
        2 => Value::from(u.arbitrary::<u64>()?),
        3 => Value::from(u.arbitrary::<f64>()?),
        4 => Value::from(format!("{:03}", u.int_in_range(0..=120u16)?)),
        5 => Value::from(u.arbitrary::<String>()?),
        6 => Value::from(u.arbitrary::<bool>()?),
        7 => Value::Null,
        8 if depth < 2 => {
            let len = u.int_in_range(0..=4usize)?;
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                items.push(arbitrary_json_value(u, depth + 1)?);
            }
            Value::Array(items)
        }
        9 => Value::from(
            ["true", "yes", "on", "0", "1", " 7 ", "-1", "1.0", "1e3"][u.choose_index(9)?],
        ),
        10 => Value::from(-i64::from(u.int_in_range(1..=3u8)?)),
        _ => Value::from(u.int_in_range(100..=201u16)?),
    })
}

/// An action frame: a real `type` and a few known fields with awkward values.
pub fn arbitrary_frame(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    let mut object = serde_json::Map::new();
    object.insert("type".into(), Value::from(*u.choose(&WIRE_TYPES)?));
    for _ in 0..u.int_in_range(0..=5u8)? {
        let field = *u.choose(&FIELDS)?;
        object.insert(field.into(), arbitrary_json_value(u, 0)?);
    }
    Ok(Value::Object(object).to_string())
}

/// Target `apply_inputs`: a seeded game is brought to a varied state by legal moves, then gets
/// arbitrary inputs (structured actions, action JSON, ticks, more legal moves). Nothing panics,
/// a refused input changes nothing (`==` and state hash), and the invariants hold throughout.
pub fn check_apply_inputs(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(setup) = arbitrary_setup(&mut u) else {
        return;
    };
    let seed = Seed(u.arbitrary().unwrap_or(0));
    let mut game = Game::new(setup, seed, START).expect("generated setups are valid");
    let initial = money_total(&game);
    let mut now = START;
    // A prefix of legal moves to reach a varied state.
    let prefix = u.int_in_range(0..=255u16).unwrap_or(0);
    for _ in 0..prefix {
        let Ok(step) = arbitrary_step(&mut u) else {
            break;
        };
        match step {
            Step::Legal { who, pick, choice } => {
                for _ in 0..MAX_TICKS {
                    if !is_due(&game, now) {
                        break;
                    }
                    game.apply(Input::Tick, now).expect("ticks are accepted");
                }
                let due = is_due(&game, now);
                let Some((player, action)) = legal_move(&game, who, pick, choice) else {
                    break;
                };
                let accepted = apply_atomic(&mut game, Input::action(player, action), now);
                assert!(accepted || due, "a listed action was refused");
            }
            Step::Wait { millis } => {
                now = Timestamp(now.0.saturating_add(millis % 100_000));
                game.apply(Input::Tick, now).expect("ticks are accepted");
            }
            Step::Surrender { .. } => {}
        }
    }
    assert_invariants(&game, initial);
    // Then arbitrary inputs.
    while !u.is_empty() {
        let Ok(kind) = u.int_in_range(0..=9u8) else {
            break;
        };
        let input = match kind {
            // A structured action from a participant, a stranger or anyone.
            0..=3 => {
                let Ok(action) = Action::arbitrary(&mut u) else {
                    break;
                };
                let real = kind != 3;
                let action = fixup(&game, action, real);
                let players = game.participants();
                let player = match u.int_in_range(0..=5u8).unwrap_or(0) {
                    4 => PlayerId(u.arbitrary().unwrap_or(5)),
                    5 => game.active_phase_player(),
                    i => players[usize::from(i) % players.len()].id,
                };
                Input::action(player, action)
            }
            // Action JSON, generated or raw, through the protocol's one client-frame parser.
            4..=6 => {
                let text = if kind == 6 {
                    u.arbitrary::<String>().unwrap_or_default()
                } else {
                    arbitrary_frame(&mut u).unwrap_or_default()
                };
                let Ok(ClientFrame::Action { action, .. }) = parse_frame(&text) else {
                    continue;
                };
                let Ok(action) = action.resolve(1, &game) else {
                    continue;
                };
                assert_action_roundtrips(&action);
                Input::action(game.active_phase_player(), action)
            }
            // A whole arbitrary `Input`.
            7 => match Input::arbitrary(&mut u) {
                Ok(input) => input,
                Err(_) => break,
            },
            // Time passes.
            8 => {
                let millis = u.int_in_range(0..=130_000u64).unwrap_or(0);
                now = Timestamp(now.0.saturating_add(millis));
                Input::Tick
            }
            // A legal move, to keep the game going.
            _ => {
                let who = u.arbitrary().unwrap_or(0);
                let pick = u.arbitrary().unwrap_or(0);
                let choice = u.arbitrary().unwrap_or(0);
                match legal_move(&game, who, pick, choice) {
                    Some((player, action)) => Input::action(player, action),
                    None => Input::Tick,
                }
            }
        };
        let legal_player = match &input {
            Input::Action { player, action } => legal_actions_contain(&game, *player, action, now),
            Input::Tick => false,
        };
        let accepted = apply_atomic(&mut game, input.clone(), now);
        // Due deadlines fire first, which may change what is legal; only judge a listed action
        // when nothing was due.
        if legal_player && !accepted {
            panic!("a listed action was refused: {input:?}");
        }
        assert_invariants(&game, initial);
    }
}

/// Whether `action` of `player` is listed by `legal_actions` and no deadline is due.
fn legal_actions_contain(game: &Game, player: PlayerId, action: &Action, now: Timestamp) -> bool {
    if is_due(game, now) {
        return false;
    }
    game.legal_actions(player).iter().any(|legal| match legal {
        LegalAction::Exact(exact) => exact == action,
        _ => false,
    })
}

/// A parsed action survives both of its JSON forms: the record's (serde) and the reference's
/// (`action_object`, parsed back by the protocol's parser; trades name squares by tile id there,
/// so only other actions are compared on that path).
fn assert_action_roundtrips(action: &Action) {
    let json = serde_json::to_string(action).expect("actions serialize");
    let back: Action = serde_json::from_str(&json).expect("a serialized action parses");
    assert_eq!(&back, action, "record JSON round trip through {json}");
    if matches!(action, Action::TradeProposal { .. }) {
        return;
    }
    let wire = serde_json::Value::Object(action_object(action)).to_string();
    match parse_frame(&wire) {
        Ok(ClientFrame::Action {
            action: WireAction::Plain(back),
            ..
        }) => assert_eq!(&back, action, "wire JSON round trip through {wire}"),
        other => panic!("{wire} does not parse back: {other:?}"),
    }
}

// ----- target 2: legal sequences -----------------------------------------------------------

/// Target `legal_sequences`: indexes into `legal_actions` with occasional ticks and surrenders.
/// After every step the invariants hold and every listed action is accepted; the run is
/// recorded, the record replays to the same game, the same steps give the same hashes, and the
/// final game survives a serde round trip.
pub fn check_legal_sequences(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(setup) = arbitrary_setup(&mut u) else {
        return;
    };
    let seed = Seed(u.arbitrary().unwrap_or(0));
    let mut steps = Vec::new();
    while !u.is_empty() && steps.len() < 600 {
        match arbitrary_step(&mut u) {
            Ok(step) => steps.push(step),
            Err(_) => break,
        }
    }
    let (game, hashes, record) = play(&setup, seed, &steps, true);
    let (again, hashes_again, record_again) = play(&setup, seed, &steps, false);
    assert_eq!(hashes, hashes_again, "same seed and inputs, same hashes");
    assert!(game == again, "same seed and inputs, same game");
    assert_eq!(record, record_again, "same seed and inputs, same record");

    let replayed = replay(&record).expect("a fresh record replays");
    assert!(
        replayed.game == game,
        "the replayed game equals the played one"
    );
    let record_json = serde_json::to_vec(&record).expect("records serialize");
    let record_back: GameRecord = serde_json::from_slice(&record_json).expect("records parse");
    assert_eq!(record_back, record, "record JSON round trip");

    let json = serde_json::to_string(&game).expect("games serialize");
    let restored: Game = serde_json::from_str(&json).expect("a live game's snapshot is accepted");
    assert_eq!(
        restored.state_hash(),
        game.state_hash(),
        "snapshot keeps the hash"
    );
    assert!(restored == game, "snapshot round trip");
}

// ----- target 3: records, replay and snapshots ---------------------------------------------

/// Target `record_replay`: arbitrary bytes as a game record (parsed, then replayed with and
/// without hash checks) and as a game snapshot (validated, then driven). Nothing panics; a
/// replayed game keeps the invariants; an accepted snapshot round-trips and takes inputs.
pub fn check_record_replay(data: &[u8]) {
    if let Ok(record) = magnate_protocol::record::parse_record(data) {
        check_record(&record);
    }
    if let Ok(game) = serde_json::from_slice::<Game>(data) {
        check_snapshot(&game);
    }
}

fn check_record(record: &GameRecord) {
    let verified = replay(record);
    let Ok(fresh) = record.header.create_game() else {
        assert!(verified.is_err(), "a record with a bad header replays");
        return;
    };
    let initial = money_total(&fresh);
    let unverified = replay_entries(&record.header, &record.entries, false);
    match (&verified, &unverified) {
        (Ok(a), Ok(b)) => assert!(a.game == b.game, "hash checks do not change the replay"),
        (Ok(_), Err(error)) => panic!("replays with hash checks but not without: {error}"),
        (Err(error), _) => assert!(error.index().is_some() || record.entries.is_empty()),
    }
    // Replay the longest accepted prefix, checking every step as a live game would be.
    let mut game = fresh;
    assert_invariants(&game, initial);
    for entry in &record.entries {
        if !apply_atomic(&mut game, entry.input.clone(), entry.now) {
            break;
        }
        assert_invariants(&game, initial);
    }
    if let Ok(replayed) = unverified {
        assert!(replayed.game == game, "replay is deterministic");
    }
}

fn check_snapshot(game: &Game) {
    let json = serde_json::to_string(game).expect("games serialize");
    let back: Game = serde_json::from_str(&json).expect("an accepted snapshot is accepted again");
    assert!(back == *game, "snapshot round trip");
    assert_eq!(back.state_hash(), game.state_hash());
    let _ = game.view();
    let _ = game.next_deadline();
    let mut probes: Vec<(PlayerId, Action)> = Vec::new();
    for player in game.participants().iter().map(|p| p.id) {
        for legal in game.legal_actions(player) {
            probes.push((player, legal.instantiate(0)));
            probes.push((player, legal.instantiate(u64::MAX)));
        }
        probes.push((player, Action::Surrender));
        probes.push((player, Action::NextPhase));
        probes.push((player, Action::ThrowDice));
    }
    let times = [
        game.now(),
        game.next_deadline().map_or(game.now(), |d| d.at),
        Timestamp(game.now().0.saturating_add(600_000)),
    ];
    for now in times {
        let mut ticked = game.clone();
        apply_atomic(&mut ticked, Input::Tick, now);
        for (player, action) in &probes {
            let mut probe = game.clone();
            apply_atomic(&mut probe, Input::action(*player, action.clone()), now);
            let _ = probe.state_hash();
            let mut probe = ticked.clone();
            apply_atomic(&mut probe, Input::action(*player, action.clone()), now);
        }
    }
}

/// Runs the check of `target` over `data` (for the corpus test and the README's tooling).
pub fn check(target: &str, data: &[u8]) {
    match target {
        "apply_inputs" => check_apply_inputs(data),
        "legal_sequences" => check_legal_sequences(data),
        "record_replay" => check_record_replay(data),
        "ws_messages" => check_ws_messages(data),
        other => panic!("unknown fuzz target {other}"),
    }
}

/// The fuzz targets, by name.
pub const TARGETS: [&str; 4] = [
    "apply_inputs",
    "legal_sequences",
    "record_replay",
    "ws_messages",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_frames_are_objects() {
        let bytes: Vec<u8> = (0..2048u32).map(|i| (i * 37 % 251) as u8).collect();
        let mut u = Unstructured::new(&bytes);
        for _ in 0..20 {
            let frame = arbitrary_frame(&mut u).unwrap();
            assert!(matches!(
                serde_json::from_str::<Value>(&frame),
                Ok(Value::Object(_))
            ));
        }
    }
}
