//! One soak user: queue, play the game to its end across dropped sockets and server restarts,
//! queue again, until the soak drains.
//!
//! A client drops its socket at random decision points (half of the time right after sending
//! the action, so its answer is unknown), waits up to half a second and reconnects to
//! `/ws/game/<id>/`; the `game_state` frame it gets first replaces its view. Connections the
//! server closes (a restart) are retried with capped exponential backoff; an access token older
//! than `--token-refresh-secs`, or one refused with 403, is refreshed through `/auth/refresh/`.
//! After a queue socket died or failed to open, the user asks `GET /game/queue/` for a game it
//! was matched into without hearing of it (the server died between creating the game and
//! telling the queue socket) and plays that first, as a real client would.

use std::{
    collections::BTreeSet,
    sync::{atomic::Ordering, Arc},
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use magnate_core::{GameRng, Seed};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{self, Message};

use crate::{
    client::Client,
    common::{connect, Socket, Totals, User},
    soak::Shared,
};

/// A user's credentials, when its access token was issued, and its failed queue connections
/// in a row.
struct Auth {
    user: User,
    /// The node this user talks to now; it moves on when its node stops answering.
    node: usize,
    issued: Instant,
    queue_failures: u32,
    /// Whether the last queue failure was a connection that did not open (else a socket that
    /// died open).
    handshake_failed: bool,
}

/// Why a connection to a game ended.
enum Closed {
    /// The game ended (seen in a response or a snapshot).
    Ended,
    /// The client dropped it on purpose.
    Dropped,
    /// The server closed it or it failed.
    Lost,
    /// Nothing arrived for `--stall-secs`.
    Stalled,
}

/// Why a connection attempt failed for good.
enum Refused {
    /// 403 with a fresh token: the game is over (or not ours).
    Gone,
    /// The server stayed unreachable for `--reconnect-timeout`.
    Unreachable,
    /// A single attempt failed (`once`).
    Failed,
}

pub async fn user_loop(shared: Arc<Shared>, user: User, seed: u64) -> Totals {
    let mut totals = Totals::default();
    let mut auth = Auth {
        node: user.node,
        user,
        issued: Instant::now(),
        queue_failures: 0,
        handshake_failed: false,
    };
    let mut rng = GameRng::new(Seed(seed ^ 0x5EED_0000));
    let mut played: BTreeSet<i64> = BTreeSet::new();
    let mut look_for_orphans = false;
    let mut round = 0u64;
    loop {
        let orphan = if look_for_orphans {
            look_for_orphans = false;
            let found = find_orphan(&shared, &mut auth, &played, &mut rng).await;
            if found.is_some() && auth.handshake_failed {
                shared
                    .counters
                    .orphans_after_handshake
                    .fetch_add(1, Ordering::Relaxed);
            }
            found
        } else {
            None
        };
        let game = match orphan {
            Some(game) => game,
            None => match queue(&shared, &mut auth, &mut rng, &mut look_for_orphans).await {
                Some(game) => game,
                None if look_for_orphans => continue,
                None => break,
            },
        };
        played.insert(game);
        shared.game_started(game);
        round += 1;
        play_game(
            &shared,
            &mut auth,
            game,
            seed.wrapping_add(round),
            &mut rng,
            &mut totals,
        )
        .await;
        shared.game_left(game);
    }
    totals
}

/// Asks the server for a game this user was matched into without hearing of it, retrying while
/// the server is unreachable (until `--reconnect-timeout`).
async fn find_orphan(
    shared: &Shared,
    auth: &mut Auth,
    played: &BTreeSet<i64>,
    rng: &mut GameRng,
) -> Option<i64> {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        match matched_game(shared, auth).await {
            Ok(game) => {
                let game = game.filter(|game| !played.contains(game));
                if game.is_some() {
                    shared.counters.orphans.fetch_add(1, Ordering::Relaxed);
                }
                return game;
            }
            Err(error) => {
                shared
                    .counters
                    .failed_lookups
                    .fetch_add(1, Ordering::Relaxed);
                if attempt == 0 {
                    eprintln!(
                        "user {}: cannot ask the server for its game yet ({error}); retrying",
                        auth.user.id
                    );
                }
                if started.elapsed() >= shared.options.reconnect_timeout {
                    return None;
                }
                backoff(rng, attempt).await;
                attempt += 1;
            }
        }
    }
}

/// Where the server says this user's game is (`GET /game/queue/`): a match whose `match_found`
/// never reached this client (its queue socket died, or the server was killed between creating
/// the game and telling it) shows as `matched`, from memory or, after a restart, from the
/// user's unfinished game in the database. Fails while the server is unreachable.
async fn matched_game(shared: &Shared, auth: &mut Auth) -> anyhow::Result<Option<i64>> {
    if auth.issued.elapsed() >= shared.options.token_refresh {
        refresh(shared, auth).await?;
    }
    let body: Value = shared
        .http
        .get(format!("{}/game/queue/", shared.http_base(auth.node)))
        .bearer_auth(&auth.user.access)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(match body["status"].as_str() {
        Some("matched") => body["game_id"].as_i64(),
        _ => None,
    })
}

/// Waits in the public queue for a match. `None` when the soak drains (after cancelling the
/// entry; a match that crossed the cancel is played) or when the queue socket died or could not
/// be opened, and the server should be asked for a game this user missed
/// (`look_for_orphans` is then set). The server joins the queue before it completes the
/// WebSocket handshake, so a connection that fails on a dying server may have been matched.
async fn queue(
    shared: &Shared,
    auth: &mut Auth,
    rng: &mut GameRng,
    look_for_orphans: &mut bool,
) -> Option<i64> {
    let mut draining = shared.draining.clone();
    if *draining.borrow() {
        return None;
    }
    let mut socket = match connect_with_retry(shared, auth, rng, "/ws/queue/public/", true).await {
        Ok(socket) => {
            auth.queue_failures = 0;
            socket
        }
        Err(_) => {
            // Ask the server for a missed match, then try again after a backoff (or stop:
            // draining).
            *look_for_orphans = !*draining.borrow();
            auth.handshake_failed = true;
            backoff(rng, auth.queue_failures).await;
            auth.queue_failures += 1;
            return None;
        }
    };
    loop {
        tokio::select! {
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    if let Some(game) = match_found(text.as_str()) {
                        let _ = socket.close(None).await;
                        return Some(game);
                    }
                }
                Some(Ok(_)) => {}
                _ => {
                    shared.counters.queue_lost.fetch_add(1, Ordering::Relaxed);
                    *look_for_orphans = true;
                    auth.handshake_failed = false;
                    backoff(rng, 0).await;
                    return None;
                }
            },
            () = async { drop(draining.wait_for(|draining| *draining).await) } => {
                let _ = socket
                    .send(Message::text(json!({"action": "cancel"}).to_string()))
                    .await;
                // The server answers a cancel with any match that crossed it, then closes.
                while let Ok(Some(Ok(message))) =
                    tokio::time::timeout(Duration::from_secs(10), socket.next()).await
                {
                    if let Message::Text(text) = message {
                        if let Some(game) = match_found(text.as_str()) {
                            return Some(game);
                        }
                    }
                }
                return None;
            }
        }
    }
}

fn match_found(text: &str) -> Option<i64> {
    let frame: Value = serde_json::from_str(text).ok()?;
    (frame["action"] == "match_found")
        .then(|| frame["game_id"].as_i64())
        .flatten()
}

async fn play_game(
    shared: &Shared,
    auth: &mut Auth,
    game: i64,
    seed: u64,
    rng: &mut GameRng,
    totals: &mut Totals,
) {
    let options = &shared.options;
    let mut client = Client::new(auth.user.id, seed, options.actions_per_game);
    let mut stalls_in_a_row = 0;
    let path = format!("/ws/game/{game}/");
    loop {
        let socket = match connect_with_retry(shared, auth, rng, &path, false).await {
            Ok(socket) => socket,
            Err(Refused::Gone) => {
                shared.counters.gone.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(Refused::Unreachable | Refused::Failed) => {
                shared.counters.unreachable.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        let acknowledged = totals.acknowledged;
        let closed = run_connection(shared, game, &mut client, socket, rng, totals).await;
        if client.pending.take().is_some() {
            totals.lost += 1;
        }
        if totals.acknowledged > acknowledged {
            stalls_in_a_row = 0;
        }
        match closed {
            Closed::Ended => {
                totals.finished_clients += 1;
                shared.game_ended(game);
                return;
            }
            Closed::Dropped => {
                shared.counters.drops.fetch_add(1, Ordering::Relaxed);
                let pause = u64::from(rng.below(500));
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            Closed::Lost => {
                shared.counters.lost_sockets.fetch_add(1, Ordering::Relaxed);
                backoff(rng, 0).await;
            }
            Closed::Stalled => {
                totals.stalled_clients += 1;
                shared.counters.stalls.fetch_add(1, Ordering::Relaxed);
                stalls_in_a_row += 1;
                if stalls_in_a_row >= options.stall_limit {
                    eprintln!(
                        "game {game}: user {} gives up after {stalls_in_a_row} stalls",
                        auth.user.id
                    );
                    shared.counters.abandoned.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
    }
}

/// Plays on one connection until it closes.
async fn run_connection(
    shared: &Shared,
    game: i64,
    client: &mut Client,
    mut socket: Socket,
    rng: &mut GameRng,
    totals: &mut Totals,
) -> Closed {
    let options = &shared.options;
    let me = client.view.me;
    let mut last_text = Instant::now();
    loop {
        let left = options.stall.saturating_sub(last_text.elapsed());
        let message = match tokio::time::timeout(left, socket.next()).await {
            Err(_) => {
                let _ = socket.close(None).await;
                return Closed::Stalled;
            }
            Ok(Some(Ok(message))) => message,
            Ok(_) => return Closed::Lost,
        };
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => return Closed::Lost,
            _ => continue,
        };
        last_text = Instant::now();
        let Ok(frame) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        if frame["event_type"] == "game_action" {
            shared.counters.actions_seen.fetch_add(1, Ordering::Relaxed);
            if let Some(acks) = &shared.acks {
                acks.log(game, me, &frame["data"]);
            }
        }
        let acknowledged = totals.acknowledged;
        let ended = client.observe(&frame, totals);
        shared
            .counters
            .acknowledged
            .fetch_add(totals.acknowledged - acknowledged, Ordering::Relaxed);
        if ended {
            let _ = socket.close(None).await;
            return Closed::Ended;
        }
        let Some((action, bid)) = client.decide() else {
            continue;
        };
        if !options.think.is_zero() {
            tokio::time::sleep(options.think).await;
        }
        let drop = f64::from(rng.below(1_000_000)) < options.drop_probability * 1e6;
        if drop && rng.below(2) == 0 {
            // Leave before sending: the decision is made again from the next snapshot.
            let _ = socket.close(None).await;
            return Closed::Dropped;
        }
        client.sent(&action, bid, totals);
        if socket
            .send(Message::text(action.to_string()))
            .await
            .is_err()
        {
            return Closed::Lost;
        }
        if drop {
            // Leave right after sending: whether it was applied shows in the next snapshot.
            let _ = socket.close(None).await;
            return Closed::Dropped;
        }
    }
}

/// Sleeps before retry `attempt`: 100 ms doubling to 2 s, with up to 50 % jitter.
async fn backoff(rng: &mut GameRng, attempt: u32) {
    let base = 100u64 << attempt.min(5);
    let base = base.min(2_000);
    let jitter = u64::from(rng.below((base / 2) as u32 + 1));
    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
}

/// Opens `path` (`/ws/...`) with the user's token, refreshing the token when it is old or
/// refused, and retrying with backoff while the server is unreachable (with `once`, failing
/// at the first failure instead).
async fn connect_with_retry(
    shared: &Shared,
    auth: &mut Auth,
    rng: &mut GameRng,
    path: &str,
    once: bool,
) -> Result<Socket, Refused> {
    let options = &shared.options;
    let started = Instant::now();
    let mut attempt = 0u32;
    let mut refreshed_after_refusal = false;
    loop {
        if auth.issued.elapsed() >= options.token_refresh && refresh(shared, auth).await.is_err() {
            if once {
                return Err(Refused::Failed);
            }
            if started.elapsed() >= options.reconnect_timeout {
                return Err(Refused::Unreachable);
            }
            shared
                .counters
                .failed_connects
                .fetch_add(1, Ordering::Relaxed);
            auth.node += 1;
            backoff(rng, attempt).await;
            attempt += 1;
            continue;
        }
        let url = format!(
            "{}{path}?token={}",
            shared.ws_base(auth.node),
            auth.user.access
        );
        match connect(url).await {
            Ok((socket, _)) => return Ok(socket),
            Err(tungstenite::Error::Http(response)) if response.status().as_u16() == 403 => {
                if refreshed_after_refusal {
                    return Err(Refused::Gone);
                }
                refreshed_after_refusal = true;
                // Force a refresh on the next turn.
                auth.issued = Instant::now() - options.token_refresh;
            }
            Err(_) => {
                shared
                    .counters
                    .failed_connects
                    .fetch_add(1, Ordering::Relaxed);
                if once {
                    return Err(Refused::Failed);
                }
                if started.elapsed() >= options.reconnect_timeout {
                    return Err(Refused::Unreachable);
                }
                // The node is down (or restarting): try the next one.
                auth.node += 1;
                backoff(rng, attempt).await;
                attempt += 1;
            }
        }
    }
}

/// Rotates the user's tokens through `/auth/refresh/`.
async fn refresh(shared: &Shared, auth: &mut Auth) -> anyhow::Result<()> {
    let body: Value = shared
        .http
        .post(format!("{}/auth/refresh/", shared.http_base(auth.node)))
        .json(&json!({"refresh": auth.user.refresh}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = |key: &str| {
        body[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no {key} in {body}"))
    };
    auth.user.access = token("access")?;
    auth.user.refresh = token("refresh")?;
    auth.issued = Instant::now();
    shared.counters.refreshes.fetch_add(1, Ordering::Relaxed);
    Ok(())
}
