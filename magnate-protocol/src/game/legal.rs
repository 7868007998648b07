//! The opt-in `legal_actions` frame: what one player may send now, each entry in the exact
//! frame shape to send (docs/protocol.md, "Legal actions").

use magnate_core::{Action, Game, LegalAction, PlayerId, SquareId};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::frames::action_object;

/// `{"event_type":"legal_actions","player":P,"actions":[…]}` for `player`, from the same list
/// the bots choose from ([`Game::legal_actions`]). Each entry has the `frame` to send; ranged
/// entries also say what may vary: a bid's `amount` from 0 to `max_amount`, a trade proposal's
/// properties among `offerable` and `askable` (square ids) and any non-negative money.
pub fn legal_actions_frame(game: &Game, player: PlayerId) -> String {
    let legal = game.legal_actions(player);
    let actions: Vec<Entry> = legal
        .iter()
        .map(|legal| match legal {
            LegalAction::Exact(action) => Entry {
                askable: None,
                frame: action_object(action),
                max_amount: None,
                offerable: None,
            },
            LegalAction::Bid { max } => Entry {
                askable: None,
                frame: action_object(&Action::Bid { amount: 0 }),
                max_amount: Some(*max),
                offerable: None,
            },
            LegalAction::TradeProposal {
                recipient,
                offerable,
                askable,
            } => {
                let mut frame = Map::new();
                frame.insert("type".into(), json!("ActionTradeProposal"));
                frame.insert("destination_user".into(), json!(recipient));
                frame.insert("offered_money".into(), json!(0));
                frame.insert("asked_money".into(), json!(0));
                frame.insert("offered_properties".into(), json!([]));
                frame.insert("asked_properties".into(), json!([]));
                Entry {
                    askable: Some(askable),
                    frame,
                    max_amount: None,
                    offerable: Some(offerable),
                }
            }
        })
        .collect();
    /// The frame, keys in byte order.
    #[derive(Serialize)]
    struct Frame<'a> {
        actions: Vec<Entry<'a>>,
        event_type: &'static str,
        player: PlayerId,
    }
    serde_json::to_string(&Frame {
        actions,
        event_type: "legal_actions",
        player,
    })
    .unwrap_or_default()
}

/// One entry of `actions`: the frame to send and, for ranged entries, what may vary. Keys in
/// byte order.
#[derive(Serialize)]
struct Entry<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    askable: Option<&'a [SquareId]>,
    frame: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offerable: Option<&'a [SquareId]>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::{parse_frame, ClientFrame};
    use magnate_core::{HouseRules, PlayerSpec, Seed, Setup, TimerSettings, Timestamp};

    fn new_game() -> Game {
        let setup = Setup {
            players: [PlayerId(7), PlayerId(9)]
                .map(|id| PlayerSpec { id, is_bot: false })
                .to_vec(),
            rules: HouseRules::default(),
            timers: TimerSettings::default(),
        };
        Game::new(setup, Seed(3), Timestamp(0)).expect("a valid setup")
    }

    #[test]
    fn every_listed_frame_parses_back_to_a_legal_action() {
        let game = new_game();
        let active = game.active_phase_player();
        let frame: Value = serde_json::from_str(&legal_actions_frame(&game, active)).unwrap();
        assert_eq!(frame["event_type"], "legal_actions");
        assert_eq!(frame["player"], json!(active));
        let actions = frame["actions"].as_array().unwrap();
        let types: Vec<&str> = actions
            .iter()
            .map(|entry| entry["frame"]["type"].as_str().unwrap())
            .collect();
        assert!(types.contains(&"ActionThrowDices"), "{types:?}");
        assert_eq!(types.last(), Some(&"ActionSurrender"));
        for entry in actions {
            let text = entry["frame"].to_string();
            let Ok(ClientFrame::Action { action, .. }) = parse_frame(&text) else {
                panic!("{text} does not parse");
            };
            let action = action.resolve(1, &game).expect("resolves");
            let mut probe = game.clone();
            probe
                .apply(magnate_core::Input::action(active, action), Timestamp(1))
                .unwrap_or_else(|error| panic!("{text} refused: {error}"));
        }
        // The player who waits may only surrender.
        let idle = if active == PlayerId(7) {
            PlayerId(9)
        } else {
            PlayerId(7)
        };
        let frame: Value = serde_json::from_str(&legal_actions_frame(&game, idle)).unwrap();
        assert_eq!(
            frame["actions"],
            json!([{"frame": {"type": "ActionSurrender"}}])
        );
    }
}
