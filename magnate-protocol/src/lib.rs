//! # magnate-protocol
//!
//! The JSON of the reference's clients, and only here: [`magnate_core`] speaks in game terms
//! (`Action::ThrowDice`, `PhaseName::RollTheDices`, `RuleError`), this crate says how the
//! reference's web, desktop and command-line clients write them (`{"type":"ActionThrowDices"}`,
//! `"roll_the_dices"`, `"[7] Potentially malicious input: …"`). It has no I/O and no async: a
//! server, the CLI and the fuzz targets share it.
//!
//! - [`game`]: the game socket: the one parser of client frames ([`game::parse_frame`]) and the
//!   frames the server sends (responses, echoes, errors, chat, the `game_state` snapshot), with
//!   the error catalogue ([`game::rule_error`]);
//! - [`fields`]: field validation with the reference's messages, shared with REST bodies;
//! - [`ids`]: square database ids and property-relationship ids;
//! - [`names`]: action, phase and response names;
//! - [`record`]: reading game records of every format version.
//!
//! Every frame is described in `docs/protocol.md`.
//!
//! ```
//! use magnate_protocol::game::{parse_frame, ClientFrame, WireAction};
//! use magnate_core::Action;
//!
//! let frame = parse_frame(r#"{"type":"ActionBuySquare","square":"006"}"#).unwrap();
//! let ClientFrame::Action { action: WireAction::Plain(action), .. } = frame else { panic!() };
//! assert_eq!(action, Action::BuySquare { square: magnate_core::SquareId(6) });
//! ```
#![forbid(unsafe_code)]

pub mod fields;
pub mod game;
pub mod ids;
pub mod names;
pub mod record;

pub use fields::FieldErrors;
