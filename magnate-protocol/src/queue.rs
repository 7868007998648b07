//! The public queue socket (`/ws/queue/public/`, docs/protocol.md): its client frames and the
//! frames the server sends.

use serde::Serialize;
use serde_json::{Map, Value};

/// A frame the queue socket sends. Keys are written in byte order, as the reference's are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum QueueFrame<'a> {
    /// `{"action":"queued","position":N}`: the user's place in the queue (1 is next).
    Queued {
        /// The place, from 1.
        position: usize,
    },
    /// `{"action":"match_found","game_id":G}`: the game the user was matched into.
    MatchFound {
        /// The new game.
        game_id: i64,
    },
    /// `{"action":"error","message":…}`: a refused frame.
    Error {
        /// Why, in the reference's words.
        message: &'a str,
    },
}

impl QueueFrame<'_> {
    /// The frame's JSON text.
    pub fn to_text(&self) -> String {
        // Plain fields of strings and integers always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Whether a queue frame (a JSON object) asks to leave the queue: `{"action":"cancel"}`. Every
/// other object is ignored.
pub fn is_cancel(object: &Map<String, Value>) -> bool {
    object.get("action").and_then(Value::as_str) == Some("cancel")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frames_have_the_reference_bytes() {
        assert_eq!(
            QueueFrame::Queued { position: 3 }.to_text(),
            r#"{"action":"queued","position":3}"#
        );
        assert_eq!(
            QueueFrame::MatchFound { game_id: 12 }.to_text(),
            r#"{"action":"match_found","game_id":12}"#
        );
        assert_eq!(
            QueueFrame::Error { message: "x" }.to_text(),
            r#"{"action":"error","message":"x"}"#
        );
    }

    #[test]
    fn only_the_cancel_action_cancels() {
        let object = |value: Value| value.as_object().unwrap().clone();
        assert!(is_cancel(&object(json!({"action": "cancel"}))));
        for other in [
            json!({}),
            json!({"action": "Cancel"}),
            json!({"action": 1}),
            json!({"cancel": true}),
        ] {
            assert!(!is_cancel(&object(other.clone())), "{other}");
        }
    }
}
