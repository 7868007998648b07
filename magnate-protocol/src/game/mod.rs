//! The game socket (`/ws/game/<id>/`, docs/protocol.md): client frames in, `event_type` frames
//! out.
//!
//! Client frames are validated here, before they reach a game, with the reference's field
//! messages; a driver only resolves property-relationship ids against its game and applies the
//! action. Server frames are built from the core's events (a [`ViewTracker`] folds the view facts
//! into the view each response carries), with integers for every square reference.
//!
//! - `parse.rs`: client frames in ([`parse_frame`], [`WireAction`]);
//! - `frames.rs`: server frames out (responses, echoes, chat, the `game_state` snapshot);
//! - `legal.rs`: the opt-in `legal_actions` frame ([`legal_actions_frame`]);
//! - `errors.rs`: error frames ([`FrameError`]: a stable `code` and a plain message);
//! - here: the limits and messages both sides use.

mod errors;
mod frames;
mod legal;
mod parse;

pub use errors::{code, error_frame, rule_error, FrameError};
pub use frames::{
    action_echo_frame, action_object, bot_action_object, chat_frame, response_frame,
    snapshot_frame, SnapshotContext, ViewTracker,
};
pub use legal::legal_actions_frame;
pub use parse::{invalid_data, malformed_json, parse_frame, ClientFrame, WireAction};

/// Largest accepted text frame, in bytes (docs/protocol.md).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest chat message, in characters after trimming (docs/protocol.md).
pub const MAX_CHAT_CHARS: usize = 500;

/// Largest chat object relayed (`{"type":…,"text":…}`), in bytes of JSON.
pub const MAX_CHAT_OBJECT_BYTES: usize = 4 * 1024;
/// Most characters of a client's value an error message quotes.
pub const MAX_QUOTED_CHARS: usize = 64;
/// Largest echo of a client's action object, in bytes of JSON: a bigger one is echoed with the
/// action's own keys only (`type`, its fields, `game`, `player`), so one client cannot make the
/// server broadcast its padding to every socket of the game.
pub const MAX_ECHO_BYTES: usize = 4 * 1024;

/// The error for frames that are not a JSON object (and for binary frames).
pub const MALFORMED_JSON: &str = "Invalid data: malformed JSON";
/// The error for frames over [`MAX_FRAME_BYTES`].
pub const MESSAGE_TOO_LARGE: &str = "Invalid data: message too large";
/// The error for a refused chat message.
pub const BAD_CHAT: &str = "Invalid data: msg";
/// The error for an unexpected server-side failure (details are only logged).
pub const UNEXPECTED: &str = "Internal logic error: unexpected";
