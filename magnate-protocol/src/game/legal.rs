//! The opt-in `legal_actions` frame: what one player may send now, each entry in the exact
//! frame shape to send (docs/protocol.md, "Legal actions").

use magnate_core::{Action, Game, LegalAction, PlayerId};
use serde_json::{json, Map, Value};

use super::frames::action_object;

/// `{"event_type":"legal_actions","player":P,"actions":[…]}` for `player`, from the same list
/// the bots choose from ([`Game::legal_actions`]). Each entry has the `frame` to send; ranged
/// entries also say what may vary: a bid's `amount` from 0 to `max_amount`, a trade proposal's
/// properties among `offerable` and `askable` (square ids) and any non-negative money.
pub fn legal_actions_frame(game: &Game, player: PlayerId) -> String {
    let actions: Vec<Value> = game
        .legal_actions(player)
        .iter()
        .map(|legal| match legal {
            LegalAction::Exact(action) => json!({"frame": action_object(action)}),
            LegalAction::Bid { max } => json!({
                "frame": action_object(&Action::Bid { amount: 0 }),
                "max_amount": max,
            }),
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
                json!({"frame": frame, "offerable": offerable, "askable": askable})
            }
        })
        .collect();
    json!({"event_type": "legal_actions", "player": player, "actions": actions}).to_string()
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
