//! The OpenAPI 3.1 description of the REST API, generated from the handlers' annotations.
//!
//! Most handlers build their bodies with `serde_json::json!`, so the shapes below describe those
//! bodies for the document only; `docs/openapi.json` is this document, and a test fails when it
//! differs from what the code generates (`UPDATE_OPENAPI=1 cargo test -p magnate-server --test
//! it openapi` rewrites it).

use axum::{http::header, response::IntoResponse};
use serde::Serialize;
use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi, ToSchema,
};

use crate::dto::UserProfile;

/// The document's description: the conventions every path shares.
const DESCRIPTION: &str = "The Magnate game server's REST API. Every path but \
`/lobby/get-private-code` ends with a slash; the same path without it is answered with \
`308 Permanent Redirect` to the slashed one. Path segments documented as integers must be \
digits, or the path is unknown (404). Request bodies are JSON objects (form-encoded and \
multipart bodies are accepted too); an empty body counts as an empty object. Errors are JSON \
objects: field errors as `{\"field\": [\"message\"]}`, other refusals as `{\"detail\": ...}` or \
`{\"error\": ...}`. Protected operations need `Authorization: Bearer <access token>`; an \
`Authorization: Bearer` header that is malformed or carries a refused token is answered with \
401 everywhere, even where authentication is optional. The WebSocket endpoints are described in \
docs/protocol.md.";

/// The generated document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Magnate", description = DESCRIPTION, license(name = "MIT OR Apache-2.0")),
    paths(
        super::auth::register_user,
        super::auth::login_user,
        super::auth::refresh_tokens,
        super::user::get_profile,
        super::user::change_piece,
        super::user::list_games_played,
        super::user::get_user_name_piece,
        super::shop::list_items,
        super::shop::buy_item,
        super::shop::list_user_pieces,
        super::shop::list_user_emojis,
        super::lobby::check_code,
        super::lobby::get_private_code,
        super::game::get_game_summary,
        super::replay::get_game_replay,
        super::board::get_board,
        super::health::healthz,
        super::health::readyz,
        super::queue::join_queue,
        super::queue::leave_queue,
        super::queue::get_queue_status,
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Registration, login and token refresh"),
        (name = "user", description = "Profiles and pieces"),
        (name = "shop", description = "The shop"),
        (name = "lobby", description = "Private-room codes"),
        (name = "game", description = "Game summaries, replays and the public queue"),
        (name = "board", description = "The board"),
        (name = "health", description = "Liveness and readiness probes"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearerAuth` scheme (JWT access tokens).
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearerAuth", SecurityScheme::Http(scheme));
    }
}

/// The document as pretty-printed JSON, with a final newline (the committed file's form).
pub fn document() -> String {
    let mut text = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    text.push('\n');
    text
}

/// `GET /openapi.json`.
pub async fn serve_document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}

/// An error body: `{"detail": ...}`, `{"error": ...}`, a token refusal with `code` and
/// `messages`, or field errors (`{"field": ["message", ...]}`).
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub detail: Option<String>,
    /// What went wrong (login and summary refusals).
    pub error: Option<String>,
    /// A machine-readable reason (token refusals).
    pub code: Option<String>,
    /// Details of a refused token.
    pub messages: Option<Vec<serde_json::Value>>,
}

/// `POST /auth/register/`.
#[derive(Serialize, ToSchema)]
pub struct RegisterRequest {
    /// 1 to 40 characters after Unicode normalization (NFKC).
    #[schema(min_length = 1)]
    pub username: String,
    /// The password (checked against common and weak passwords).
    #[schema(min_length = 1)]
    pub password: String,
    /// The password again.
    #[schema(min_length = 1)]
    pub password2: String,
}

/// `POST /auth/login/`.
#[derive(Serialize, ToSchema)]
pub struct LoginRequest {
    /// The user name.
    #[schema(min_length = 1)]
    pub username: String,
    /// The password.
    #[schema(min_length = 1)]
    pub password: String,
}

/// `POST /auth/refresh/`.
#[derive(Serialize, ToSchema)]
pub struct RefreshRequest {
    /// A refresh token.
    #[schema(min_length = 1)]
    pub refresh: String,
}

/// An access and refresh token pair.
#[derive(Serialize, ToSchema)]
pub struct Tokens {
    /// Refresh token.
    pub refresh: String,
    /// Access token (Bearer).
    pub access: String,
}

/// A successful registration or login.
#[derive(Serialize, ToSchema)]
pub struct AuthResponse {
    /// `correctly registered user` or `succesful login`.
    pub message: String,
    /// The user's profile.
    pub user: UserProfile,
    /// Fresh tokens.
    pub tokens: Tokens,
}

/// A body naming an item by its `custom_id`.
#[derive(Serialize, ToSchema)]
pub struct CustomIdRequest {
    /// The item's public id (an integer, or a string of digits).
    pub custom_id: i64,
}

/// `POST /user/change-piece/` done.
#[derive(Serialize, ToSchema)]
pub struct PieceChanged {
    /// `Piece changed successfully.`
    pub message: String,
    /// The equipped piece.
    pub user_piece: i64,
}

/// `GET /user/games-played/`.
#[derive(Serialize, ToSchema)]
pub struct GamesPlayed {
    /// Ids of the games the user took part in, ascending.
    pub games: Vec<i64>,
}

/// `GET /info/user-name-piece/{pk}/`.
#[derive(Serialize, ToSchema)]
pub struct NameAndPiece {
    /// User name.
    pub username: String,
    /// `custom_id` of the equipped piece.
    pub piece: i64,
}

/// Piece or emoji.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code, reason = "only described in the document")]
pub enum ItemType {
    /// A board piece.
    Piece,
    /// A chat emoji.
    Emoji,
}

/// A shop item as one user sees it.
#[derive(Serialize, ToSchema)]
pub struct ShopItem {
    /// Public item id.
    pub custom_id: i64,
    /// Piece or emoji.
    #[serde(rename = "itemType")]
    pub item_type: ItemType,
    /// Price in points.
    pub price: i64,
    /// Whether the user owns it.
    pub owned: bool,
}

/// `POST /shop/buy/` done.
#[derive(Serialize, ToSchema)]
pub struct Purchase {
    /// `Purchase successful.`
    pub message: String,
    /// The item, now owned.
    pub item: ShopItem,
    /// Points left.
    pub points_remaining: i64,
}

/// `GET /lobby/check-code/{room_code}/`.
#[derive(Serialize, ToSchema)]
pub struct CodeExists {
    /// Whether a private room with exactly this code is open.
    pub exists: bool,
}

/// `GET /lobby/get-private-code`.
#[derive(Serialize, ToSchema)]
pub struct PrivateCode {
    /// Six characters, `A`–`Z` and `0`–`9`, not in use.
    pub code: String,
    /// `Private room code generated successfully.`
    pub message: String,
}

/// A finished game's summary.
#[derive(Serialize, ToSchema)]
pub struct Summary {
    /// The summary's own id.
    pub id: i64,
    /// The game id.
    pub game: i64,
    /// Creation time, ISO-8601 UTC.
    pub start_date: String,
    /// End time, ISO-8601 UTC.
    pub end_date: String,
    /// User name to final net worth (0 for eliminated players).
    pub final_money: std::collections::BTreeMap<String, i64>,
}

/// Where the caller stands in the public queue.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code, reason = "only described in the document")]
pub enum QueueState {
    /// Waiting, at `position`.
    Queued,
    /// Matched into (or still playing) `game_id`.
    Matched,
    /// Not queued.
    Idle,
    /// Just left the queue.
    Left,
}

/// The public queue's answer.
#[derive(Serialize, ToSchema)]
pub struct QueueStatusBody {
    /// The state.
    pub status: QueueState,
    /// 1 for the oldest entry; with `queued`.
    pub position: Option<i64>,
    /// The game; with `matched`.
    pub game_id: Option<i64>,
}

/// `POST /game/join/` from a user seated in an unfinished game.
#[derive(Serialize, ToSchema)]
pub struct StillPlaying {
    /// Why the user was not queued.
    pub detail: String,
    /// The unfinished game.
    pub game_id: i64,
}

/// One square of `GET /board/`.
#[derive(Serialize, ToSchema)]
pub struct BoardSquare {
    /// The square id, as in game frames.
    pub id: u16,
    /// A display name.
    pub name: String,
    /// `exit`, `property`, `bridge`, `server`, `tram`, `fantasy`, `parking`, `go_to_jail`,
    /// `jail` or `jail_visit`.
    pub kind: String,
    /// The next square of a normal move (a bridge's inner successor).
    pub successor: u16,
    /// A bridge's outer-ring successor.
    pub out_successor: Option<u16>,
    /// A property's colour group.
    pub group: Option<u8>,
    /// Purchase price of a property, bridge or server.
    pub price: Option<i64>,
    /// Price of one building level on a property.
    pub build_price: Option<i64>,
    /// Rents: by building level for a property, by count owned for bridges and servers.
    pub rents: Option<Vec<i64>>,
    /// A tram stop's fare.
    pub fare: Option<i64>,
    /// The exit's salary.
    pub salary: Option<i64>,
    /// The jail's bail.
    pub bail: Option<i64>,
}

/// `GET /board/`.
#[derive(Serialize, ToSchema)]
pub struct BoardBody {
    /// The board's id.
    pub id: u32,
    /// Every square.
    pub squares: Vec<BoardSquare>,
}

/// `GET /healthz` and `GET /readyz`.
#[derive(Serialize, ToSchema)]
pub struct HealthBody {
    /// `ok` (liveness), `ready` or `unavailable` (readiness).
    pub status: String,
}

/// One step of a replay.
#[derive(Serialize, ToSchema)]
pub struct ReplayStep {
    /// The record entry's index; null for the new game.
    pub index: Option<u64>,
    /// The input's time in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The acting player; null for a timer tick and for the new game.
    pub actor: Option<u64>,
    /// The action as a client frame, `{"type":"Tick"}` or `{"type":"Start"}`.
    pub action: serde_json::Value,
    /// The `game_state` snapshot after this step (docs/protocol.md).
    pub state: serde_json::Value,
    /// Player id to net worth after this step.
    pub worth: std::collections::BTreeMap<String, i64>,
}

/// `GET /game/replay/<game_id>/`.
#[derive(Serialize, ToSchema)]
pub struct ReplayBody {
    /// The game id.
    pub game: i64,
    /// The new game, then one step per recorded input.
    pub steps: Vec<ReplayStep>,
}
