//! `/ws/queue/public/?token=<access>`: the public matchmaking queue socket (spec §4.2).
//!
//! The socket is registered with the matchmaker before the upgrade is answered, so once a client
//! sees `101` it is queued (and possibly already matched). It receives at most one frame,
//! `{"action":"match_found","game_id":G}`, and stays open afterwards; the client closes it.

use axum::{
    extract::{
        ws::{rejection::WebSocketUpgradeRejection, WebSocket, WebSocketUpgrade},
        RawQuery, State,
    },
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::{
    matchmaking::QueueEvent,
    state::AppState,
    store::UserId,
    ws::{
        authenticate_socket, classify, close, ping, send_json, ClientFrame, ConnId, Liveness,
        CLOSE_CANCELLED, CLOSE_TOO_BIG, PROTOCOL_MAX_MESSAGE_BYTES,
    },
};

/// Reply to a frame that is not a JSON object (the reference's text, without the accent).
pub const INVALID_DATA: &str = "Datos invalidos.";

/// The queue socket's route.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws/queue/public/", get(join_queue))
}

async fn join_queue(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let user = match authenticate_socket(&state, query.as_deref()).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let conn = ConnId::next();
    // Room for every event a socket can get: one match and one release.
    let (events, inbox) = mpsc::channel(4);
    if let Err(error) = state.matchmaker.join_socket(user.id, conn, events).await {
        return error.into_response();
    }
    let matchmaker = state.matchmaker.clone();
    let user_id = user.id;
    upgrade
        .max_message_size(PROTOCOL_MAX_MESSAGE_BYTES)
        .max_frame_size(PROTOCOL_MAX_MESSAGE_BYTES)
        .on_failed_upgrade(move |_| {
            tokio::spawn(async move {
                let _ = matchmaker.leave_socket(user_id, conn).await;
            });
        })
        .on_upgrade(move |socket| run_queue_socket(socket, state, user_id, conn, inbox))
}

async fn run_queue_socket(
    mut socket: WebSocket,
    state: AppState,
    user: UserId,
    conn: ConnId,
    mut inbox: mpsc::Receiver<QueueEvent>,
) {
    let mut liveness = Liveness::new();
    let mut inbox_open = true;
    let close_code = loop {
        tokio::select! {
            event = inbox.recv(), if inbox_open => match event {
                Some(QueueEvent::MatchFound(game_id)) => {
                    let frame = json!({"action": "match_found", "game_id": game_id});
                    if !send_json(&mut socket, &frame).await {
                        break None;
                    }
                }
                Some(QueueEvent::Released) => break Some(CLOSE_CANCELLED),
                // Matched or removed: the matchmaker has nothing more to say.
                None => inbox_open = false,
            },
            received = socket.recv() => {
                liveness.heard();
                match classify(received) {
                    ClientFrame::Object(object) => {
                        if object.get("action").and_then(Value::as_str) == Some("cancel") {
                            // Leave before closing, so that once the client sees 4000 nobody
                            // can be matched with this entry any more.
                            let _ = state.matchmaker.leave_socket(user, conn).await;
                            // A match made before the cancel arrived still reaches the client.
                            while let Ok(event) = inbox.try_recv() {
                                if let QueueEvent::MatchFound(game_id) = event {
                                    let frame = json!({"action": "match_found", "game_id": game_id});
                                    let _ = send_json(&mut socket, &frame).await;
                                }
                            }
                            break Some(CLOSE_CANCELLED);
                        }
                    }
                    ClientFrame::Invalid => {
                        let frame = json!({"action": "error", "message": INVALID_DATA});
                        if !send_json(&mut socket, &frame).await {
                            break None;
                        }
                    }
                    ClientFrame::Control => {}
                    ClientFrame::Closed => break None,
                    ClientFrame::TooBig => break Some(CLOSE_TOO_BIG),
                }
            }
            alive = liveness.tick() => {
                if !alive || !ping(&mut socket).await {
                    break None;
                }
            }
        }
    };
    if let Some(code) = close_code {
        close(&mut socket, code).await;
    }
    let _ = state.matchmaker.leave_socket(user, conn).await;
}
