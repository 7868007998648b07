//! `config.json` and flag handling.

use clap::Parser;
use magnate_server::{config::GameSizes, Args, Config};

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
        (2, 4, 2)
    );
}

#[test]
fn config_file_values_are_read_and_overrides_win() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(
        &path,
        r#"{"MIN_PRIVATE_GAME_PLAYERS": 3, "MAX_PRIVATE_GAME_PLAYERS": 6, "NUM_PUBLIC_GAME_PLAYERS": 4, "OTHER": 1}"#,
    )
    .unwrap();
    let (sizes, from_file) = GameSizes::load(&path, None, None, None).unwrap();
    assert!(from_file);
    assert_eq!(
        sizes,
        GameSizes {
            min_private_game_players: 3,
            max_private_game_players: 6,
            num_public_game_players: 4
        }
    );
    let (sizes, _) = GameSizes::load(&path, None, Some(5), Some(2)).unwrap();
    assert_eq!(
        sizes,
        GameSizes {
            min_private_game_players: 3,
            max_private_game_players: 5,
            num_public_game_players: 2
        }
    );
    // A file with only some keys keeps the defaults for the others.
    std::fs::write(&path, r#"{"NUM_PUBLIC_GAME_PLAYERS": 3}"#).unwrap();
    let (sizes, _) = GameSizes::load(&path, None, None, None).unwrap();
    assert_eq!(
        sizes,
        GameSizes {
            min_private_game_players: 2,
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
