//! `config.json` and flag handling.

use std::time::Duration;

use clap::Parser;
use magnate_server::{
    config::{ConfigError, GameSizes, Rate, SocketLimits},
    Args, Config,
};

#[test]
fn missing_config_file_means_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (sizes, from_file) =
        GameSizes::load(&dir.path().join("config.json"), None, None, None).unwrap();
    assert!(!from_file);
    assert_eq!(sizes, GameSizes::default());
    assert_eq!(
        (
            sizes.min_private_game_players,
            sizes.max_private_game_players,
            sizes.num_public_game_players
        ),
        // One human may start a private room (bots fill the other seats).
        (1, 4, 2)
    );
}

#[test]
fn config_file_values_are_read_and_overrides_win() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(
        &path,
        r#"{"MIN_PRIVATE_GAME_PLAYERS": 3, "MAX_PRIVATE_GAME_PLAYERS": 4, "NUM_PUBLIC_GAME_PLAYERS": 4, "OTHER": 1}"#,
    )
    .unwrap();
    let (sizes, from_file) = GameSizes::load(&path, None, None, None).unwrap();
    assert!(from_file);
    assert_eq!(
        sizes,
        GameSizes {
            min_private_game_players: 3,
            max_private_game_players: 4,
            num_public_game_players: 4
        }
    );
    let (sizes, _) = GameSizes::load(&path, Some(1), Some(3), Some(2)).unwrap();
    assert_eq!(
        sizes,
        GameSizes {
            min_private_game_players: 1,
            max_private_game_players: 3,
            num_public_game_players: 2
        }
    );
    // A file with only some keys keeps the defaults for the others.
    std::fs::write(&path, r#"{"NUM_PUBLIC_GAME_PLAYERS": 3}"#).unwrap();
    let (sizes, _) = GameSizes::load(&path, None, None, None).unwrap();
    assert_eq!(
        sizes,
        GameSizes {
            min_private_game_players: 1,
            max_private_game_players: 4,
            num_public_game_players: 3
        }
    );
}

#[test]
fn broken_or_contradictory_config_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, "{not json").unwrap();
    assert!(GameSizes::load(&path, None, None, None).is_err());
    std::fs::write(
        &path,
        r#"{"MIN_PRIVATE_GAME_PLAYERS": 5, "MAX_PRIVATE_GAME_PLAYERS": 4}"#,
    )
    .unwrap();
    assert!(GameSizes::load(&path, None, None, None).is_err());
}

#[test]
fn flags_have_the_documented_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.json");
    let args = Args::try_parse_from(["magnate-server", "--config", config_path.to_str().unwrap()])
        .unwrap();
    // Environment variables of the same names would override these; the test environment is
    // assumed not to set them.
    assert_eq!(args.bind.to_string(), "127.0.0.1:8000");
    assert_eq!(args.database.to_str(), Some("magnate.db"));
    let config = Config::from_args(&args).unwrap();
    assert_eq!(config.access_lifetime_secs, 300);
    assert_eq!(config.refresh_lifetime_secs, 604_800);
    assert!(!config.blacklist_after_rotation);
    assert_eq!(config.timers.auction_ms, 20_000);
    assert_eq!(
        config.cors_allowed_origins,
        ["http://localhost:5173", "http://127.0.0.1:5173"]
    );
    let args = Args::try_parse_from([
        "magnate-server",
        "--config",
        config_path.to_str().unwrap(),
        "--bind",
        "0.0.0.0:9000",
        "--auction-duration",
        "1",
        "--points-win",
        "10",
    ])
    .unwrap();
    let config = Config::from_args(&args).unwrap();
    assert_eq!(args.bind.to_string(), "0.0.0.0:9000");
    assert_eq!(config.timers.auction_ms, 1000);
    assert_eq!(config.rewards.points_win, 10);
}

/// The message of a refused set of sizes, or `None` if they are accepted.
fn refusal(min_private: u32, max_private: u32, public: u32) -> Option<String> {
    let sizes = GameSizes {
        min_private_game_players: min_private,
        max_private_game_players: max_private,
        num_public_game_players: public,
    };
    match sizes.validate() {
        Ok(()) => None,
        Err(ConfigError::Invalid(message)) => Some(message),
        Err(other) => panic!("unexpected error {other}"),
    }
}

#[test]
fn game_sizes_must_fit_a_game_of_two_to_four_players() {
    // Public games: 2 to 4 players.
    for public in [2, 3, 4] {
        assert_eq!(refusal(2, 4, public), None, "{public}");
    }
    for public in [0, 1, 5, 100] {
        assert_eq!(
            refusal(2, 4, public).as_deref(),
            Some(
                format!(
                    "NUM_PUBLIC_GAME_PLAYERS must be between 2 and 4 (a game has 2 to 4 players), \
                     got {public}"
                )
                .as_str()
            )
        );
    }
    // Private rooms: bots fill the empty seats, so one human may start (load tests use it).
    for (min, max) in [(1, 2), (1, 4), (2, 2), (3, 4), (4, 4)] {
        assert_eq!(refusal(min, max, 2), None, "{min}..{max}");
    }
    assert_eq!(
        refusal(0, 4, 2).as_deref(),
        Some(
            "MIN_PRIVATE_GAME_PLAYERS must be between 1 and 4 (bots fill the other seats of a \
             private game, which has at most 4 players), got 0"
        )
    );
    assert!(refusal(5, 5, 2)
        .unwrap()
        .starts_with("MIN_PRIVATE_GAME_PLAYERS must be between 1 and 4"));
    for max in [0, 1, 5, 6] {
        assert_eq!(
            refusal(1, max, 2).as_deref(),
            Some(
                format!(
                    "MAX_PRIVATE_GAME_PLAYERS must be between 2 and 4 (a private game has 2 to 4 \
                     players), got {max}"
                )
                .as_str()
            )
        );
    }
    assert_eq!(
        refusal(4, 3, 2).as_deref(),
        Some("MAX_PRIVATE_GAME_PLAYERS (3) must not be below MIN_PRIVATE_GAME_PLAYERS (4)")
    );
}

#[test]
fn out_of_range_sizes_from_the_file_or_the_environment_stop_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, r#"{"NUM_PUBLIC_GAME_PLAYERS": 6}"#).unwrap();
    let error = GameSizes::load(&path, None, None, None).unwrap_err();
    assert!(
        error.to_string().contains("NUM_PUBLIC_GAME_PLAYERS"),
        "{error}"
    );
    // An override can repair the file's value, or break a good one.
    assert!(GameSizes::load(&path, None, None, Some(4)).is_ok());
    std::fs::write(&path, "{}").unwrap();
    let error = GameSizes::load(&path, None, Some(8), None).unwrap_err();
    assert!(
        error.to_string().contains("MAX_PRIVATE_GAME_PLAYERS"),
        "{error}"
    );
    let args = Args::try_parse_from([
        "magnate-server",
        "--config",
        path.to_str().unwrap(),
        "--min-private-game-players",
        "0",
    ])
    .unwrap();
    assert!(Config::from_args(&args).is_err());
}

#[test]
fn socket_limits_have_generous_defaults_and_can_be_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.json");
    let parse = |extra: &[&str]| {
        let mut argv = vec!["magnate-server", "--config", config_path.to_str().unwrap()];
        argv.extend_from_slice(extra);
        Config::from_args(&Args::try_parse_from(argv).unwrap())
    };
    let config = parse(&[]).unwrap();
    assert_eq!(config.sockets, SocketLimits::default());
    assert_eq!(
        config.sockets,
        SocketLimits {
            actions: Rate {
                burst: 30,
                per_second: 10.0
            },
            chat: Rate {
                burst: 5,
                per_second: 1.0
            },
            max_per_user: 8,
            moved_grace: std::time::Duration::from_secs(60),
            write_timeout: Duration::from_secs(10),
            outgoing_queue: 256,
            flood_frames: 100,
        }
    );
    assert_eq!(config.header_read_timeout, Duration::from_secs(10));
    assert_eq!(config.body_read_timeout, Duration::from_secs(10));
    // What a load test uses: no rate limits and no cap.
    let config = parse(&[
        "--ws-actions-per-second",
        "0",
        "--ws-chats-per-second",
        "0",
        "--max-sockets-per-user",
        "0",
        "--header-read-timeout",
        "3",
    ])
    .unwrap();
    assert!(config.sockets.actions.is_unlimited());
    assert!(config.sockets.chat.is_unlimited());
    assert_eq!(config.sockets.max_per_user, 0);
    assert_eq!(config.header_read_timeout, Duration::from_secs(3));
    let config = parse(&["--ws-actions-per-second", "2.5", "--ws-action-burst", "4"]).unwrap();
    assert_eq!(
        config.sockets.actions,
        Rate {
            burst: 4,
            per_second: 2.5
        }
    );
    for bad in [
        &["--ws-actions-per-second=-1"][..],
        &["--ws-chats-per-second", "NaN"],
        &["--ws-chat-burst", "0"],
        &["--header-read-timeout", "0"],
        &["--body-read-timeout", "0"],
        &["--ws-write-timeout", "0"],
        &["--ws-outgoing-queue", "15"],
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
    // A zero burst is fine when the limit is off.
    assert!(parse(&["--ws-chat-burst", "0", "--ws-chats-per-second", "0"]).is_ok());
    let config = parse(&[
        "--ws-write-timeout",
        "2",
        "--ws-outgoing-queue",
        "16",
        "--ws-flood-frames",
        "0",
    ])
    .unwrap();
    assert_eq!(config.sockets.write_timeout, Duration::from_secs(2));
    assert_eq!(config.sockets.outgoing_queue, 16);
    assert_eq!(config.sockets.flood_frames, 0);
}
