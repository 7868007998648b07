//! Target 4, `ws_messages`: arbitrary text through the WebSocket message decoders.

use std::sync::OnceLock;

use axum::extract::ws::{Message, Utf8Bytes};
use magnate_protocol::game::{
    self as wire, parse_frame, ClientFrame as GameFrame, WireAction, BAD_CHAT, MALFORMED_JSON,
    MAX_CHAT_CHARS, MAX_CHAT_OBJECT_BYTES, MESSAGE_TOO_LARGE,
};
use magnate_server::config::GameSizes;
use magnate_server::queue::socket as queue;
use magnate_server::rooms::socket as room;
use magnate_server::rooms::LobbyCommand;
use magnate_server::ws::{self, ClientFrame};

use super::*;

/// Target `ws_messages`: arbitrary text through the decoders of the game socket
/// (`magnate_protocol::game::parse_frame`, then `WireAction::resolve` and `apply` against live
/// games), the
/// lobby socket (`ws::classify`, then `rooms::socket::parse_command`) and the queue socket
/// (`ws::classify`, then `queue::socket::is_cancel`). Nothing panics, errors are the documented
/// messages, accepted values are within their documented limits.
pub fn check_ws_messages(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_game_frame(&text);
    check_lobby_and_queue_frame(&text);
}

/// A few live games to resolve and apply game-socket actions against: fresh, and after some
/// legal moves (so that squares are owned and trades can resolve).
fn sample_games() -> &'static [Game] {
    static GAMES: OnceLock<Vec<Game>> = OnceLock::new();
    GAMES.get_or_init(build_sample_games)
}

fn build_sample_games() -> Vec<Game> {
    let mut games = Vec::new();
    for seed in [3, 11] {
        let setup = Setup::new([PlayerId(1), PlayerId(2), PlayerId(3)]);
        let mut game = Game::new(setup, Seed(seed), START).expect("a valid setup");
        games.push(game.clone());
        for step in 0..120u64 {
            if is_due(&game, START) {
                break;
            }
            let Some((player, action)) =
                legal_move(&game, step as u8, (step * 7) as u16, step * 31)
            else {
                break;
            };
            game.apply(Input::action(player, action), START)
                .expect("listed actions are accepted");
        }
        games.push(game);
    }
    games
}

fn check_game_frame(text: &str) {
    match parse_frame(text) {
        Err(error) => {
            let message = error.message.as_str();
            let expected = match error.code {
                wire::code::MALFORMED_JSON => message == MALFORMED_JSON,
                wire::code::TOO_LARGE => message == MESSAGE_TOO_LARGE,
                wire::code::INVALID_CHAT => message == BAD_CHAT,
                wire::code::INVALID_DATA | wire::code::UNKNOWN_ACTION => {
                    message.starts_with("Invalid data: {")
                }
                _ => false,
            };
            assert!(expected, "unexpected error {error:?}");
        }
        Ok(GameFrame::IgnoredChat) => {}
        Ok(GameFrame::Chat(msg)) => {
            let text = match &msg {
                Value::String(text) => {
                    assert_eq!(text.trim(), text, "chat is trimmed");
                    text.as_str()
                }
                Value::Object(fields) => {
                    let json = serde_json::to_string(fields).expect("an object serializes");
                    assert!(json.len() <= MAX_CHAT_OBJECT_BYTES, "chat object size");
                    fields["text"]
                        .as_str()
                        .expect("a chat object has a text")
                        .trim()
                }
                other => panic!("chat relayed as {other}"),
            };
            assert!(
                (1..=MAX_CHAT_CHARS).contains(&text.chars().count()),
                "chat length"
            );
        }
        Ok(GameFrame::Action { action, echo }) => {
            let echoed = wire::action_echo_frame(echo, 7, PlayerId(2));
            serde_json::from_str::<Value>(&echoed).expect("the echo is JSON");
            let kind = action.kind();
            if let WireAction::Plain(plain) = &action {
                assert_eq!(plain.kind(), kind);
                assert_action_roundtrips(plain);
            }
            for game in sample_games() {
                let Ok(resolved) = action.clone().resolve(7, game) else {
                    continue;
                };
                assert_eq!(resolved.kind(), kind, "resolving keeps the kind");
                for player in game.participants().iter().map(|p| p.id) {
                    let mut probe = game.clone();
                    let input = Input::action(player, resolved.clone());
                    if let Err(error) = probe.clone().apply(input.clone(), START) {
                        let refusal = wire::rule_error(&error);
                        assert!(!refusal.code.is_empty() && !refusal.message.is_empty());
                    }
                    apply_atomic(&mut probe, input, START);
                }
            }
        }
    }
}

fn check_lobby_and_queue_frame(text: &str) {
    let frame = ws::classify(Some(Ok(Message::Text(Utf8Bytes::from(text.to_owned())))));
    let object = match frame {
        ClientFrame::Object(object) => object,
        ClientFrame::Invalid => {
            let is_object = matches!(serde_json::from_str::<Value>(text), Ok(Value::Object(_)));
            assert!(
                !is_object || text.len() > ws::MAX_MESSAGE_BYTES,
                "a JSON object within the size limit was refused"
            );
            return;
        }
        other => panic!("a text frame was classified as {other:?}"),
    };
    // Queue socket: only `{"action":"cancel"}` means anything.
    let cancel = queue::is_cancel(&object);
    assert_eq!(cancel, object.get("action") == Some(&Value::from("cancel")));
    // Lobby socket.
    let sizes = GameSizes::default();
    match room::parse_command(&object, sizes.max_private_game_players) {
        Err(message) => assert!(
            [
                room::INVALID_COMMAND,
                room::INVALID_DATA,
                room::INVALID_MESSAGE
            ]
            .contains(&message),
            "unexpected lobby error {message:?}"
        ),
        Ok(None) | Ok(Some(LobbyCommand::SetReady(_) | LobbyCommand::StartGame)) => {}
        Ok(Some(LobbyCommand::Kick(name))) => assert!(!name.is_empty(), "kick without a name"),
        Ok(Some(LobbyCommand::Chat(message))) => {
            assert_eq!(message.trim(), message, "lobby chat is trimmed");
            assert!((1..=room::MAX_CHAT_CHARS).contains(&message.chars().count()));
        }
        Ok(Some(LobbyCommand::UpdateSettings(settings))) => {
            if let Ok(update) = settings {
                if let Some(seats) = update.target_players {
                    assert!(
                        (sizes.min_private_game_players..=sizes.max_private_game_players)
                            .contains(&seats),
                        "seats {seats} out of range"
                    );
                }
            }
        }
    }
}
