//! Helpers for the queue and lobby tests: a real server on a loopback port, real WebSocket
//! clients, and bounded waits (every receive gives up after [`WAIT`]; no test sleeps to
//! synchronize).

use std::{future::Future, net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use magnate_server::Config;
use serde_json::Value;
use tokio::{net::TcpStream, sync::oneshot, task::JoinHandle};
use tokio_tungstenite::{
    tungstenite::{self, protocol::frame::coding::CloseCode, Message},
    MaybeTlsStream, WebSocketStream,
};

use crate::support::{TestApp, TestUser};

/// How long any single wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(5);

/// A [`TestApp`] served on `127.0.0.1:0`.
pub struct Server {
    pub app: TestApp,
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// A server with the default configuration.
    pub async fn start() -> Self {
        Self::with_config(Config::default()).await
    }

    /// A server with `config`.
    pub async fn with_config(config: Config) -> Self {
        let app = TestApp::with_config(config).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(magnate_server::serve(
            listener,
            app.state.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        Self {
            app,
            address,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `ws://<address><path>?token=<token>`.
    pub fn url(&self, path: &str, token: &str) -> String {
        format!("ws://{}{path}?token={token}", self.address)
    }

    /// Opens a socket; panics if the handshake is refused.
    ///
    /// On the public queue socket the `queued` acknowledgement (the place in the queue) is
    /// skipped by this client's reads; `connect_url` keeps it.
    pub async fn connect(&self, path: &str, user: &TestUser) -> Client {
        let mut client = self.connect_url(&self.url(path, &user.access)).await;
        client.skip_queued = path == "/ws/queue/public/";
        client
    }

    /// Opens a socket to a full URL; panics if the handshake is refused.
    pub async fn connect_url(&self, url: &str) -> Client {
        let (stream, response) = within(tokio_tungstenite::connect_async(url))
            .await
            .unwrap_or_else(|error| panic!("handshake to {url} refused: {error}"));
        assert_eq!(response.status().as_u16(), 101);
        Client {
            stream,
            skip_queued: false,
        }
    }

    /// The HTTP status that refused a handshake to `path_and_query`; panics if it was accepted.
    pub async fn refused_status(&self, path_and_query: &str) -> u16 {
        let url = format!("ws://{}{path_and_query}", self.address);
        match within(tokio_tungstenite::connect_async(&url)).await {
            Ok(_) => panic!("handshake to {path_and_query} was accepted"),
            Err(tungstenite::Error::Http(response)) => {
                if response.status().as_u16() == 403 {
                    // Issue 12: a refusal says why, with a stable code.
                    let body: Value =
                        serde_json::from_slice(response.body().as_deref().unwrap_or_default())
                            .expect("a 403 refusal has a JSON body");
                    assert!(
                        body["code"].is_string() && body["detail"].is_string(),
                        "{body}"
                    );
                }
                response.status().as_u16()
            }
            Err(other) => panic!("handshake to {path_and_query} failed oddly: {other}"),
        }
    }

    /// The status of a handshake to `path` (no query string) that carries `Authorization:
    /// Bearer <token>`, which WebSockets ignore.
    pub async fn status_with_header(&self, path: &str, token: &str) -> u16 {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{}{path}", self.address)
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        match within(tokio_tungstenite::connect_async(request)).await {
            Ok((_, response)) => response.status().as_u16(),
            Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
            Err(other) => panic!("handshake to {path} failed oddly: {other}"),
        }
    }

    /// Stops the server as a shutdown signal would, and waits (at most 20 s) for `serve` to
    /// return; returns how long that took.
    pub async fn stop_gracefully(mut self) -> Duration {
        let started = std::time::Instant::now();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let task = self.task.take().expect("a running server");
        tokio::time::timeout(Duration::from_secs(20), task)
            .await
            .expect("serve returned within 20 s")
            .expect("serve did not panic")
            .expect("serve succeeded");
        started.elapsed()
    }

    /// Stops the server and waits for it.
    pub async fn shut_down(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

/// Awaits `future`, failing the test after [`WAIT`].
#[track_caller]
pub fn within<F: Future>(future: F) -> impl Future<Output = F::Output> {
    let caller = std::panic::Location::caller();
    async move {
        tokio::time::timeout(WAIT, future)
            .await
            .unwrap_or_else(|_| panic!("timed out after {WAIT:?} (waiting at {caller})"))
    }
}

/// Polls `condition` until it holds, failing the test after [`WAIT`]. For state that changes
/// after a socket closes, where the server sends nothing to wait for.
pub async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if condition().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// How a socket ended, as a client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// A close frame with this code.
    Closed(u16),
    /// The connection ended without a close frame.
    Dropped,
}

/// A WebSocket client.
pub struct Client {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Reads skip the queue socket's `{"action":"queued",…}` acknowledgement.
    pub skip_queued: bool,
}

fn is_queued_ack(text: &str) -> bool {
    text.starts_with(r#"{"action":"queued","#)
}

impl Client {
    /// Sends a JSON value as text.
    pub async fn send_json(&mut self, value: Value) {
        self.send_text(&value.to_string()).await;
    }

    /// Sends raw text.
    pub async fn send_text(&mut self, text: &str) {
        within(self.stream.send(Message::text(text)))
            .await
            .expect("send");
    }

    /// Sends raw text; an error (the server closed the connection) is returned, not a failure.
    pub async fn try_send_text(&mut self, text: &str) -> Result<(), tungstenite::Error> {
        within(self.stream.send(Message::text(text))).await
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, bytes: &[u8]) {
        within(self.stream.send(Message::binary(bytes.to_vec())))
            .await
            .expect("send");
    }

    /// The next data frame as JSON; fails on a close or after [`WAIT`].
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Value> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            loop {
                let message = tokio::time::timeout(WAIT, self.stream.next())
                    .await
                    .unwrap_or_else(|_| panic!("no frame within {WAIT:?} (at {caller})"));
                match message {
                    Some(Ok(Message::Text(text)))
                        if self.skip_queued && is_queued_ack(text.as_str()) =>
                    {
                        continue
                    }
                    Some(Ok(Message::Text(text))) => {
                        return serde_json::from_str(text.as_str()).expect("server sends JSON")
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    other => panic!("expected a text frame at {caller}, got {other:?}"),
                }
            }
        }
    }

    /// Reads until the socket ends; fails if a data frame arrives first.
    #[track_caller]
    pub fn ending(&mut self) -> impl Future<Output = Ending> + '_ {
        let caller = std::panic::Location::caller();
        async move {
            loop {
                let message = tokio::time::timeout(WAIT, self.stream.next())
                    .await
                    .unwrap_or_else(|_| panic!("socket still open after {WAIT:?} (at {caller})"));
                match message {
                    Some(Ok(Message::Close(Some(frame)))) => {
                        return Ending::Closed(u16::from(frame.code))
                    }
                    Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return Ending::Dropped,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Text(text)))
                        if self.skip_queued && is_queued_ack(text.as_str()) =>
                    {
                        continue
                    }
                    Some(Ok(other)) => panic!("expected the end at {caller}, got {other:?}"),
                }
            }
        }
    }

    /// The next data frame as JSON, or how the socket ended; fails after [`WAIT`].
    pub async fn next_event(&mut self) -> Result<Value, Ending> {
        loop {
            let message = within(self.stream.next()).await;
            match message {
                Some(Ok(Message::Text(text)))
                    if self.skip_queued && is_queued_ack(text.as_str()) =>
                {
                    continue
                }
                Some(Ok(Message::Text(text))) => {
                    return Ok(serde_json::from_str(text.as_str()).expect("server sends JSON"))
                }
                Some(Ok(Message::Close(Some(frame)))) => {
                    return Err(Ending::Closed(u16::from(frame.code)))
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Err(_)) | None | Some(Ok(Message::Close(None))) => {
                    return Err(Ending::Dropped)
                }
                Some(Ok(other)) => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// Asserts the next frame is `expected`, then that the socket ends with `code`.
    #[track_caller]
    pub fn expect_rejection<'a>(
        &'a mut self,
        expected: Value,
        code: u16,
    ) -> impl Future<Output = ()> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            assert_eq!(self.recv().await, expected, "rejection frame at {caller}");
            assert_eq!(
                self.ending().await,
                Ending::Closed(code),
                "close at {caller}"
            );
        }
    }

    /// Closes the socket normally and waits for the server's answer.
    pub async fn close(mut self) {
        let _ = within(self.stream.close(Some(tungstenite::protocol::CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        })))
        .await;
        let _ = within(async { while let Some(Ok(_)) = self.stream.next().await {} }).await;
    }
}

/// `/ws/game/<id>/`.
pub fn game_path(game_id: i64) -> String {
    format!("/ws/game/{game_id}/")
}

/// Registers `names` and starts a game of them.
pub async fn game_of(server: &Server, names: &[&str]) -> (i64, Vec<TestUser>) {
    let mut users = Vec::new();
    for name in names {
        users.push(server.app.register(name).await);
    }
    let state = server.app.state.clone();
    let players = users
        .iter()
        .map(|user| magnate_server::games::NewLivePlayer {
            user_id: user.id,
            bot_level: None,
        })
        .collect();
    let game_id = state
        .games
        .create(
            &state,
            magnate_server::games::NewLiveGame {
                players,
                public: true,
                max_turns: None,
            },
        )
        .await
        .expect("game created");
    (game_id, users)
}

/// Opens a game socket and reads its snapshot.
pub async fn open_game(server: &Server, game_id: i64, user: &TestUser) -> Client {
    let mut client = server.connect(&game_path(game_id), user).await;
    let snapshot = client.recv().await;
    assert_eq!(snapshot["event_type"], "game_state", "{snapshot}");
    client
}
