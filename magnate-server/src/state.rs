//! Shared state handed to every handler.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError},
};

use crate::{
    auth::{AccountThrottles, Jwt, Passwords},
    clock::Clock,
    config::Config,
    games::GameRegistry,
    limits::SocketSlots,
    queue::Matchmaker,
    rooms::Lobbies,
    store::Store,
};

/// Everything a request handler can reach; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Token signer and verifier.
    pub jwt: Jwt,
    /// Password hashing.
    pub passwords: Passwords,
    /// Source of the current time.
    pub clock: Clock,
    /// Resolved configuration.
    pub config: Arc<Config>,
    /// Codes of the private rooms that currently exist.
    pub rooms: RoomRegistry,
    /// The live games (one actor each); create games with [`GameRegistry::create`].
    pub games: GameRegistry,
    /// The public queue's matchmaker task (docs/protocol.md).
    pub matchmaker: Matchmaker,
    /// The live private rooms and their members (docs/protocol.md).
    pub lobbies: Lobbies,
    /// Open WebSockets per user, for [`crate::config::SocketLimits::max_per_user`].
    pub sockets: SocketSlots,
    /// Login, registration and room-code throttles ([`crate::config::Throttles`]).
    pub throttles: AccountThrottles,
}

impl AppState {
    /// Builds the state. Without `secret_key`, the key stored in the database is used, and one is
    /// generated and stored on first start, so tokens stay valid across restarts.
    pub async fn new(
        config: Config,
        store: Store,
        secret_key: Option<String>,
        clock: Clock,
        passwords: Passwords,
    ) -> Result<Self, crate::store::StoreError> {
        let secret = match secret_key.filter(|key| !key.is_empty()) {
            Some(key) => key,
            None => {
                store
                    .jwt_secret_or_insert(crate::auth::generate_secret())
                    .await?
            }
        };
        let (matchmaker, pending_matchmaker) =
            Matchmaker::new(config.sizes.num_public_game_players as usize);
        let throttles = AccountThrottles::new(&config.throttles);
        let state = Self {
            jwt: Jwt::new(
                &secret,
                config.access_lifetime_secs,
                config.refresh_lifetime_secs,
            ),
            store,
            passwords,
            clock,
            config: Arc::new(config),
            rooms: RoomRegistry::default(),
            games: GameRegistry::default(),
            matchmaker,
            lobbies: Lobbies::default(),
            sockets: SocketSlots::default(),
            throttles,
        };
        // The matchmaker creates its games through the state that holds it.
        pending_matchmaker.start(state.clone());
        Ok(state)
    }
}

/// The set of private-room codes in use. The lobby code registers a room when its first socket
/// connects and removes it when the room closes; R12 and R13 read it.
#[derive(Clone, Debug, Default)]
pub struct RoomRegistry {
    codes: Arc<Mutex<HashSet<String>>>,
}

impl RoomRegistry {
    /// Whether a room with exactly this code exists (case-sensitive).
    pub fn contains(&self, code: &str) -> bool {
        self.lock().contains(code)
    }

    /// Registers a room; returns `false` if the code was already in use.
    pub fn insert(&self, code: &str) -> bool {
        self.lock().insert(code.to_owned())
    }

    /// Removes a room; returns `false` if it did not exist.
    pub fn remove(&self, code: &str) -> bool {
        self.lock().remove(code)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // The set cannot be left half-updated by a panic, so a poisoned lock is still usable.
        self.codes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
