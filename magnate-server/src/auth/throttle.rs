//! Throttles of the account endpoints: logins and registrations per client address, failed
//! logins per username, room-code tries per user (issue 13).
//!
//! Each [`Throttle`] is a map of token buckets, one per key, all with the same [`Rate`]. A key
//! without an entry has a full bucket, so an entry whose bucket has refilled carries no
//! information and is dropped when room is needed: the map never holds more than
//! [`MAX_KEYS`] entries, whatever the number of addresses or names a client makes up. When it is
//! full of live entries, the eighth least recently used are evicted at once (an attacker needs
//! tens of thousands of throttled requests to push one key out, and the throttles themselves
//! slow that down).
//!
//! Keys are hashed with a per-process random key, so a long username costs no memory and the
//! map cannot be steered into collisions.

use std::{
    collections::HashMap,
    hash::{BuildHasher, Hash, RandomState},
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use axum::{
    extract::FromRequestParts,
    http::{request::Parts, HeaderMap},
};
use tokio::time::Instant;

use crate::{
    config::{Rate, Throttles},
    state::AppState,
};

/// Most keys one throttle remembers.
pub const MAX_KEYS: usize = 50_000;

/// The lobby's answer to a room-code check or join over the limit.
pub const TOO_MANY_ROOM_TRIES: &str = "Demasiados intentos, espera un momento.";

/// A request over its throttle: how long until one more is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds to wait, at least 1, as sent in `Retry-After`.
    pub fn seconds(self) -> u64 {
        self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets keyed by anything hashable, with a bounded number of keys.
#[derive(Debug, Clone)]
pub struct Throttle {
    rate: Rate,
    max_keys: usize,
    hasher: RandomState,
    buckets: Arc<Mutex<HashMap<u64, Bucket>>>,
}

impl Throttle {
    /// A throttle with `rate` for every key; an unlimited rate lets everything through and
    /// remembers nothing.
    pub fn new(rate: Rate) -> Self {
        Self::with_capacity(rate, MAX_KEYS)
    }

    /// A throttle remembering at most `max_keys` keys (tests use small ones).
    pub fn with_capacity(rate: Rate, max_keys: usize) -> Self {
        Self {
            rate,
            max_keys: max_keys.max(1),
            hasher: RandomState::new(),
            buckets: Arc::default(),
        }
    }

    /// Takes one token for `key`, or says how long until there is one.
    pub fn take(&self, key: impl Hash, now: Instant) -> Result<(), RetryAfter> {
        self.update(key, now, true)
    }

    /// Whether `key` has a token left, without taking it.
    pub fn peek(&self, key: impl Hash, now: Instant) -> Result<(), RetryAfter> {
        self.update(key, now, false)
    }

    /// Takes one token for `key` if there is one (a failure that is counted after the fact).
    pub fn charge(&self, key: impl Hash, now: Instant) {
        let _ = self.take(key, now);
    }

    /// Number of keys remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn update(&self, key: impl Hash, now: Instant, take: bool) -> Result<(), RetryAfter> {
        if self.rate.is_unlimited() {
            return Ok(());
        }
        let capacity = f64::from(self.rate.burst);
        let key = self.hasher.hash_one(key);
        let mut buckets = self.lock();
        let mut bucket = buckets.get(&key).copied().unwrap_or(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate.per_second).min(capacity);
        bucket.updated = bucket.updated.max(now);
        if bucket.tokens < 1.0 {
            let wait = (1.0 - bucket.tokens) / self.rate.per_second;
            return Err(RetryAfter(Duration::from_secs_f64(wait.min(86_400.0))));
        }
        if !take {
            return Ok(());
        }
        bucket.tokens -= 1.0;
        if !buckets.contains_key(&key) && buckets.len() >= self.max_keys {
            self.make_room(&mut buckets, now);
        }
        buckets.insert(key, bucket);
        Ok(())
    }

    /// Drops the entries whose bucket has refilled; if that frees nothing, the least recently
    /// used eighth.
    fn make_room(&self, buckets: &mut HashMap<u64, Bucket>, now: Instant) {
        let capacity = f64::from(self.rate.burst);
        let per_second = self.rate.per_second;
        buckets.retain(|_, bucket| {
            let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
            bucket.tokens + elapsed * per_second < capacity
        });
        if buckets.len() < self.max_keys {
            return;
        }
        let mut times: Vec<Instant> = buckets.values().map(|bucket| bucket.updated).collect();
        let cut = (times.len() / 8).max(1);
        let (_, &mut oldest_kept, _) = times.select_nth_unstable(cut - 1);
        let mut to_remove = cut;
        buckets.retain(|_, bucket| {
            if to_remove > 0 && bucket.updated <= oldest_kept {
                to_remove -= 1;
                false
            } else {
                true
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Bucket>> {
        // Every update is a few map operations on plain values: a poisoned map is consistent.
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The throttles of the account endpoints, shared by every request.
#[derive(Debug, Clone)]
pub struct AccountThrottles {
    /// Every login, per client address.
    pub login_per_address: Throttle,
    /// Failed logins, per normalized username.
    pub login_failures_per_user: Throttle,
    /// Every registration, per client address.
    pub registration_per_address: Throttle,
    /// Room-code checks and lobby joins, per user id.
    pub room_code_per_user: Throttle,
}

impl AccountThrottles {
    /// Empty throttles for `settings`.
    pub fn new(settings: &Throttles) -> Self {
        Self {
            login_per_address: Throttle::new(settings.login_per_address),
            login_failures_per_user: Throttle::new(settings.login_failures_per_user),
            registration_per_address: Throttle::new(settings.registration_per_address),
            room_code_per_user: Throttle::new(settings.room_code_per_user),
        }
    }
}

/// The client's address as a throttle key: the TCP peer's IP address, or for IPv6 its /64
/// network (one subscriber's allocation). Behind a reverse proxy every client has the proxy's
/// address, unless the proxy is listed in `TRUSTED_PROXIES`: for a request from such a peer,
/// the client is the rightmost `X-Forwarded-For` address that is not itself a trusted proxy
/// (the entries left of it could be forged by the client). Requests that did not come over TCP
/// (tests driving the router directly) have no address and are not throttled by address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    /// The key of a peer address.
    pub fn from_peer(peer: SocketAddr) -> Self {
        Self::from_ip(peer.ip())
    }

    /// The client of a request from `peer` with these headers, given the trusted proxies.
    pub fn resolve(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> Self {
        let mut client = peer.ip();
        if trusted.contains(&client) {
            let forwarded: Vec<&str> = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .collect();
            for entry in forwarded.iter().rev() {
                let Ok(ip) = entry.trim().parse::<IpAddr>() else {
                    // An entry that is not an address: nothing left of it can be trusted.
                    break;
                };
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
        }
        Self::from_ip(client)
    }

    fn from_ip(ip: IpAddr) -> Self {
        let ip = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let segments = v6.segments();
                    IpAddr::V6(std::net::Ipv6Addr::new(
                        segments[0],
                        segments[1],
                        segments[2],
                        segments[3],
                        0,
                        0,
                        0,
                        0,
                    ))
                }
            },
            ip => ip,
        };
        Self(Some(ip))
    }
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map_or(Self(None), |info| {
                Self::resolve(info.0, &parts.headers, &state.config.trusted_proxies)
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(burst: u32, per_minute: f64) -> Rate {
        Rate {
            burst,
            per_second: per_minute / 60.0,
        }
    }

    #[test]
    fn a_key_gets_its_burst_then_the_rate_and_a_retry_time() {
        let start = Instant::now();
        let throttle = Throttle::new(rate(3, 6.0));
        for _ in 0..3 {
            throttle.take("a", start).unwrap();
        }
        // 6 a minute: one every 10 s.
        assert_eq!(
            throttle.take("a", start),
            Err(RetryAfter(Duration::from_secs(10)))
        );
        assert_eq!(throttle.take("a", start).unwrap_err().seconds(), 10);
        throttle.take("b", start).unwrap();
        let later = start + Duration::from_millis(9_500);
        assert_eq!(throttle.peek("a", later).unwrap_err().seconds(), 1);
        throttle.take("a", start + Duration::from_secs(10)).unwrap();
        assert!(throttle.take("a", start + Duration::from_secs(10)).is_err());
    }

    #[test]
    fn peek_takes_nothing_and_charge_takes_what_is_left() {
        let start = Instant::now();
        let throttle = Throttle::new(rate(2, 1.0));
        for _ in 0..10 {
            throttle.peek("user", start).unwrap();
        }
        throttle.charge("user", start);
        throttle.charge("user", start);
        throttle.charge("user", start);
        assert!(throttle.peek("user", start).is_err());
    }

    #[test]
    fn an_unlimited_throttle_remembers_nothing() {
        let throttle = Throttle::new(Rate::UNLIMITED);
        let now = Instant::now();
        for key in 0..10_000 {
            throttle.take(key, now).unwrap();
        }
        assert!(throttle.is_empty());
    }

    #[test]
    fn the_number_of_keys_is_bounded_and_busy_keys_stay_throttled() {
        let start = Instant::now();
        let throttle = Throttle::with_capacity(rate(1, 1.0), 64);
        throttle.take("guessed", start).unwrap();
        assert!(throttle.take("guessed", start).is_err());
        for key in 0..10_000u32 {
            let now = start + Duration::from_millis(u64::from(key));
            let _ = throttle.take(key, now);
            assert!(throttle.len() <= 64);
        }
        // Refilled entries are dropped first: after a minute everything is forgotten room.
        let much_later = start + Duration::from_secs(3600);
        throttle.take("fresh", much_later).unwrap();
        assert!(throttle.len() <= 64);
        let throttle = Throttle::with_capacity(rate(1, 1.0), 64);
        let now = start;
        throttle.take("victim", now).unwrap();
        // Fewer new keys than the map holds: the throttled key is kept.
        for key in 0..32u32 {
            let _ = throttle.take(key, now + Duration::from_millis(1));
        }
        assert!(throttle
            .take("victim", now + Duration::from_millis(2))
            .is_err());
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let stranger: SocketAddr = "198.51.100.7:4000".parse().unwrap();
        let trusted: Vec<IpAddr> = vec!["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        let key = |peer, forwarded: &[&str]| {
            let mut headers = HeaderMap::new();
            for value in forwarded {
                headers.append("x-forwarded-for", value.parse().unwrap());
            }
            ClientAddress::resolve(peer, &headers, &trusted)
                .0
                .unwrap()
                .to_string()
        };
        assert_eq!(key(proxy, &[]), "10.0.0.1");
        assert_eq!(key(proxy, &["203.0.113.5"]), "203.0.113.5");
        // The client may prepend anything; the proxies append what they saw.
        assert_eq!(key(proxy, &["1.1.1.1, 203.0.113.5"]), "203.0.113.5");
        assert_eq!(
            key(proxy, &["1.1.1.1", "203.0.113.5, 10.0.0.2"]),
            "203.0.113.5"
        );
        assert_eq!(key(proxy, &["1.1.1.1, garbage, 10.0.0.2"]), "10.0.0.2");
        // A peer that is not a trusted proxy cannot choose its key.
        assert_eq!(key(stranger, &["203.0.113.5"]), "198.51.100.7");
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_network() {
        let a: SocketAddr = "[2001:db8:1:2:aaaa::1]:5000".parse().unwrap();
        let b: SocketAddr = "[2001:db8:1:2:bbbb::9]:6000".parse().unwrap();
        let c: SocketAddr = "[2001:db8:1:3::1]:6000".parse().unwrap();
        assert_eq!(ClientAddress::from_peer(a), ClientAddress::from_peer(b));
        assert_ne!(ClientAddress::from_peer(a), ClientAddress::from_peer(c));
        let mapped: SocketAddr = "[::ffff:10.0.0.1]:1".parse().unwrap();
        let v4: SocketAddr = "10.0.0.1:2".parse().unwrap();
        assert_eq!(
            ClientAddress::from_peer(mapped),
            ClientAddress::from_peer(v4)
        );
    }
}
