//! The public queue socket's client frames (`/ws/queue/public/`, docs/protocol.md).

use serde_json::{Map, Value};

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
