//! `/ws/queue/public/?token=<access>`: the public matchmaking queue socket (docs/protocol.md).
//!
//! The socket is registered with the matchmaker before the upgrade is answered, so once a client
//! sees `101` it is queued (and possibly already matched). Apart from error replies to bad
//! input, it receives at most one frame, `{"action":"match_found","game_id":G}`, and stays open
//! afterwards; the client closes it.

use axum::{
    extract::{
        ws::{rejection::WebSocketUpgradeRejection, WebSocketUpgrade},
        RawQuery, State,
    },
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use futures_util::{SinkExt, StreamExt};
use tokio::{sync::mpsc, time::Instant};

use crate::{
    config::SocketLimits,
    limits::{Admission, Closing, FrameKind, FrameLimiter},
    queue::{Matchmaker, QueueEvent},
    state::AppState,
    store::UserId,
    ws::{
        admit_unparsed, authenticate_socket, classify, close, ping, reserve_socket, send_text,
        until, ClientFrame, ConnId, Liveness, Socket, Timed, Unparsed, CLOSE_CANCELLED,
        CLOSE_FLOOD, CLOSE_GOING_AWAY, CLOSE_MOVED, CLOSE_TOO_BIG, PROTOCOL_MAX_MESSAGE_BYTES,
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
    // Before queueing: a refused socket must not replace the user's queued one.
    let slot = match reserve_socket(&state, user.id) {
        Ok(slot) => slot,
        Err(refusal) => return refusal.into_response(),
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
        .on_upgrade(move |socket| async move {
            let _open = crate::metrics::OpenSocket::new("queue");
            let limits = state.config.sockets;
            let closing = slot.closing();
            let code = run_queue_socket(
                socket,
                state.matchmaker,
                user_id,
                conn,
                inbox,
                limits,
                closing,
            )
            .await;
            slot.closed_with(code);
        })
}

pub use magnate_protocol::queue::is_cancel;
use magnate_protocol::queue::QueueFrame;

/// Runs one queue connection whose entry `conn` already registered with `matchmaker`, until
/// either side closes it; then removes the entry if this socket still holds it.
///
/// Every data frame but `cancel` counts against the `limits` on actions; frames over it are
/// dropped, and answered with at most one error frame a second. Every write has the `limits`'
/// deadline, and `closing` closes the socket with 1001. Returns the close code sent, if any.
pub async fn run_queue_socket<S: Socket>(
    socket: S,
    matchmaker: Matchmaker,
    user: UserId,
    conn: ConnId,
    mut inbox: mpsc::Receiver<QueueEvent>,
    limits: SocketLimits,
    mut closing: Closing,
) -> Option<u16> {
    let mut socket = Timed::new(socket, limits.write_timeout);
    let mut liveness = Liveness::new();
    let mut limiter = FrameLimiter::new(&limits, Instant::now());
    let mut inbox_open = true;
    // Set once the client has been sent to its game (docs/protocol.md).
    let mut moved_at: Option<Instant> = None;
    let close_code = loop {
        tokio::select! {
            event = inbox.recv(), if inbox_open => match event {
                Some(QueueEvent::Queued(position)) => {
                    let frame = QueueFrame::Queued { position }.to_text();
                    if !send_text(&mut socket, frame).await {
                        break socket.failed_write_code();
                    }
                }
                Some(QueueEvent::MatchFound(game_id)) => {
                    let frame = QueueFrame::MatchFound { game_id }.to_text();
                    if !send_text(&mut socket, frame).await {
                        break socket.failed_write_code();
                    }
                    moved_at = Some(Instant::now() + limits.moved_grace);
                }
                Some(QueueEvent::Released) => break Some(CLOSE_CANCELLED),
                // Matched or removed: the matchmaker has nothing more to say.
                None => inbox_open = false,
            },
            received = socket.next() => {
                liveness.heard();
                // Counted before parsing. A cancel is small, so it is still parsed (the chat
                // bucket, unused here, lets small frames through to be parsed).
                match admit_unparsed(&mut socket, &mut limiter, &received).await {
                    Unparsed::Parse => {}
                    Unparsed::Skip => continue,
                    Unparsed::Close(code) => break code,
                }
                let frame = classify(received);
                // A cancel always goes through: it ends the connection.
                let limited = match &frame {
                    ClientFrame::Object(object) => !is_cancel(object),
                    ClientFrame::Invalid => true,
                    ClientFrame::Control | ClientFrame::Closed | ClientFrame::TooBig => false,
                };
                if limited {
                    match limiter.admit(FrameKind::Action, Instant::now()) {
                        Admission::Accept => {}
                        Admission::Drop => continue,
                        Admission::Close => break Some(CLOSE_FLOOD),
                        Admission::Refuse(message) => {
                            let frame = QueueFrame::Error { message }.to_text();
                            if !send_text(&mut socket, frame).await {
                                break socket.failed_write_code();
                            }
                            continue;
                        }
                    }
                }
                match frame {
                    ClientFrame::Object(object) => {
                        if is_cancel(&object) {
                            // Leave before closing, so that once the client sees 4000 nobody
                            // can be matched with this entry any more.
                            let _ = matchmaker.leave_socket(user, conn).await;
                            // A match made before the cancel arrived still reaches the client.
                            while let Ok(event) = inbox.try_recv() {
                                if let QueueEvent::MatchFound(game_id) = event {
                                    let frame = QueueFrame::MatchFound { game_id }.to_text();
                                    let _ = send_text(&mut socket, frame).await;
                                }
                            }
                            break Some(CLOSE_CANCELLED);
                        }
                    }
                    ClientFrame::Invalid => {
                        let frame = QueueFrame::Error {
                            message: INVALID_DATA,
                        }
                        .to_text();
                        if !send_text(&mut socket, frame).await {
                            break socket.failed_write_code();
                        }
                    }
                    ClientFrame::Control => {}
                    ClientFrame::Closed => {
                        // Sends the answer to the peer's close frame, if it sent one.
                        let _ = socket.flush().await;
                        break None;
                    }
                    ClientFrame::TooBig => break Some(CLOSE_TOO_BIG),
                }
            }
            alive = liveness.tick() => {
                if !alive {
                    break None;
                }
                if !ping(&mut socket).await {
                    break socket.failed_write_code();
                }
            }
            () = until(moved_at) => break Some(CLOSE_MOVED),
            () = closing.wait() => break Some(CLOSE_GOING_AWAY),
        }
    };
    // Leave before the closing handshake, so that a closing socket is never matched.
    let _ = matchmaker.leave_socket(user, conn).await;
    if let Some(code) = close_code {
        close(&mut socket, code).await;
    }
    close_code
}

#[cfg(test)]
mod tests {
    use axum::extract::ws::{Message, Utf8Bytes};
    use tokio::time::Duration;

    use super::*;
    use crate::{
        error::ApiError,
        queue::{GameCreator, GameRequest, QueueStatus},
        store::GameId,
        ws::testing::{pair, Peer},
    };

    /// The tests queue one user at a time, so no game is ever created.
    struct NoGames;

    impl GameCreator for NoGames {
        async fn create_game(&self, _request: GameRequest) -> Result<GameId, ApiError> {
            Err(ApiError::Internal("no game expected".into()))
        }
    }

    /// A queued connection on channels, running in its own task.
    async fn connect(matchmaker: &Matchmaker) -> (Peer, tokio::task::JoinHandle<Option<u16>>) {
        let (socket, peer) = pair();
        let conn = ConnId::next();
        let (events, inbox) = mpsc::channel(4);
        matchmaker.join_socket(1, conn, events).await.unwrap();
        let task = tokio::spawn(run_queue_socket(
            socket,
            matchmaker.clone(),
            1,
            conn,
            inbox,
            SocketLimits::default(),
            Closing::never(),
        ));
        (peer, task)
    }

    fn start_matchmaker() -> Matchmaker {
        let (matchmaker, pending) = Matchmaker::new(2);
        pending.start(NoGames);
        matchmaker
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_peer_is_pinged_every_30_seconds_and_dropped_after_90() {
        let matchmaker = start_matchmaker();
        let started = Instant::now();
        let (mut peer, task) = connect(&matchmaker).await;
        let queued = peer
            .from_server
            .recv()
            .await
            .expect("the place in the queue");
        assert!(
            matches!(&queued, Message::Text(text) if text.as_str() == r#"{"action":"queued","position":1}"#),
            "{queued:?}"
        );
        for expected in [30, 60] {
            let message = peer.from_server.recv().await.expect("a ping");
            assert!(matches!(message, Message::Ping(_)), "{message:?}");
            assert_eq!(started.elapsed(), Duration::from_secs(expected));
        }
        task.await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(90));
        // Dropped without a close frame (the peer is gone), and the entry with it.
        assert!(peer.from_server.recv().await.is_none());
        assert_eq!(matchmaker.status(1).await.unwrap(), QueueStatus::Idle);
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_answers_pings_stays_until_it_cancels() {
        let matchmaker = start_matchmaker();
        let (mut peer, task) = connect(&matchmaker).await;
        peer.from_server
            .recv()
            .await
            .expect("the place in the queue");
        for _ in 0..10 {
            let message = peer.from_server.recv().await.expect("a ping");
            assert!(matches!(message, Message::Ping(_)), "{message:?}");
            peer.to_server
                .send(Message::Pong(Default::default()))
                .unwrap();
        }
        assert_eq!(
            matchmaker.status(1).await.unwrap(),
            QueueStatus::Queued { position: 1 }
        );
        peer.to_server
            .send(Message::Text(Utf8Bytes::from_static(
                r#"{"action":"cancel"}"#,
            )))
            .unwrap();
        let message = peer.from_server.recv().await.expect("a close frame");
        let Message::Close(Some(frame)) = message else {
            panic!("expected a close frame, got {message:?}");
        };
        assert_eq!(frame.code, CLOSE_CANCELLED);
        drop(peer);
        task.await.unwrap();
        assert_eq!(matchmaker.status(1).await.unwrap(), QueueStatus::Idle);
    }

    #[tokio::test(start_paused = true)]
    async fn a_matched_socket_is_closed_with_4001_after_60_seconds() {
        let matchmaker = start_matchmaker();
        let (socket, mut peer) = pair();
        let (events, inbox) = mpsc::channel(4);
        let task = tokio::spawn(run_queue_socket(
            socket,
            matchmaker,
            1,
            ConnId::next(),
            inbox,
            SocketLimits::default(),
            Closing::never(),
        ));
        // Queued for a long while (answering pings): never closed.
        for _ in 0..4 {
            let message = peer.from_server.recv().await.expect("a ping");
            assert!(matches!(message, Message::Ping(_)), "{message:?}");
            peer.to_server
                .send(Message::Pong(Default::default()))
                .unwrap();
        }
        events.send(QueueEvent::MatchFound(7)).await.unwrap();
        let matched = Instant::now();
        loop {
            match peer.from_server.recv().await.expect("a frame") {
                Message::Ping(_) => peer
                    .to_server
                    .send(Message::Pong(Default::default()))
                    .unwrap(),
                Message::Text(text) => {
                    assert_eq!(text.as_str(), r#"{"action":"match_found","game_id":7}"#);
                }
                Message::Close(Some(frame)) => {
                    assert_eq!(frame.code, CLOSE_MOVED);
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(matched.elapsed(), Duration::from_secs(60));
        drop(peer);
        task.await.unwrap();
    }
}
