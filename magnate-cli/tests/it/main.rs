//! Tests of the `magnate` binary, run as a user would run it.
#![allow(
    clippy::disallowed_methods,
    reason = "tests read and write temporary files"
)]

mod export;
mod postgres;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn magnate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_magnate"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("magnate-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn help_texts() {
    for command in [
        &[][..],
        &["replay"],
        &["show"],
        &["export"],
        &["selfplay"],
        &["tournament"],
        &["verify-db"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let output = magnate(&args);
        assert!(output.status.success());
        let name = if command.is_empty() {
            "help".to_owned()
        } else {
            format!("help_{}", command[0])
        };
        insta::assert_snapshot!(name, stdout(&output));
    }
}

#[test]
fn selfplay_summary_for_a_fixed_seed() {
    let output = magnate(&[
        "selfplay",
        "--players",
        "2",
        "--level",
        "expert,very_easy",
        "--games",
        "4",
        "--seed",
        "3",
        "--max-turns",
        "150",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    // The speed line depends on the machine.
    let text: String = stdout(&output)
        .lines()
        .filter(|l| !l.starts_with("speed"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(text);
}

#[test]
fn selfplay_json_lines_are_deterministic_and_alone_on_stdout() {
    let args = [
        "selfplay",
        "--players",
        "3",
        "--level",
        "medium,hard",
        "--games",
        "3",
        "--seed",
        "5",
        "--max-turns",
        "100",
        "--json",
    ];
    let first = magnate(&args);
    let second = magnate(&args);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(
        stdout(&first),
        stdout(&second),
        "the same arguments print the same games"
    );
    let lines: Vec<serde_json::Value> = stdout(&first)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 3);
    for (i, line) in lines.iter().enumerate() {
        for key in [
            "seed",
            "winner",
            "winner_level",
            "turns",
            "actions",
            "final_hash",
        ] {
            assert!(line.get(key).is_some(), "missing {key} in {line}");
        }
        assert_eq!(line["seed"], 5 + i as u64);
    }
    // Seats take the levels in turn and rotate from game to game.
    assert_eq!(
        lines[0]["levels"],
        serde_json::json!(["medium", "hard", "medium"])
    );
    assert_eq!(
        lines[1]["levels"],
        serde_json::json!(["hard", "medium", "hard"])
    );
    insta::assert_snapshot!(stdout(&first));
}

fn saved_records(dir: &Path) -> (Vec<serde_json::Value>, Vec<PathBuf>) {
    let output = magnate(&[
        "selfplay",
        "--players",
        "2",
        "--level",
        "expert",
        "--games",
        "2",
        "--seed",
        "21",
        "--max-turns",
        "60",
        "--json",
        "--save",
        dir.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    (lines, files)
}

#[test]
fn replaying_a_saved_game_reproduces_its_final_hash() {
    let dir = temp_dir("replay");
    let (lines, files) = saved_records(&dir);
    assert_eq!(files.len(), 2);
    for (line, file) in lines.iter().zip(&files) {
        let output = magnate(&["replay", file.to_str().unwrap()]);
        assert!(output.status.success(), "{}", stderr(&output));
        let text = stdout(&output);
        let hash = line["final_hash"].as_str().unwrap();
        assert!(text.contains(&format!("hash     {hash}")), "{text}");
        assert!(text.contains("hash chain ok"));
        assert!(
            text.contains(&format!("player {} won", line["winner"])),
            "{text}"
        );

        let json = magnate(&["replay", file.to_str().unwrap(), "--json"]);
        let state: serde_json::Value =
            serde_json::from_slice(&json.stdout).expect("game_state JSON");
        assert_eq!(state["phase"], "end_game");
        assert_eq!(state["finished"], true);
        assert!(
            state["players"]
                .as_array()
                .unwrap()
                .contains(&line["winner"]),
            "{state}"
        );
        assert_eq!(state["active_turn_player"], line["winner"]);

        let events = magnate(&["replay", file.to_str().unwrap(), "--events"]);
        let count = std::fs::read_to_string(file)
            .unwrap()
            .matches("\"index\"")
            .count();
        assert_eq!(stdout(&events).lines().count(), count, "one line per input");

        let shown = magnate(&["show", file.to_str().unwrap(), "--at", "10"]);
        assert!(shown.status.success());
        assert!(stdout(&shown).starts_with("turn "), "{}", stdout(&shown));
    }
}

/// A record of format version 2 (state hash format 1), written by main before version 3.
#[test]
fn replaying_a_version_2_record_checks_its_format_1_hashes() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../magnate-core/tests/fixtures/record-v2-hash-v1.json"
    );
    let output = magnate(&["replay", file]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("magnate-game-record v2 (state hash v1)"),
        "{text}"
    );
    assert!(text.contains("inputs   153 verified"), "{text}");
    assert!(text.contains("hash     ff6871c2e6cfdb21"), "{text}");

    let dir = temp_dir("replay-v2");
    let edited = dir.join("edited.json");
    let original = std::fs::read_to_string(file).unwrap();
    std::fs::write(
        &edited,
        original.replace("ff6871c2e6cfdb21", "ff6871c2e6cfdb20"),
    )
    .unwrap();
    let output = magnate(&["replay", edited.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("input 152"), "{}", stderr(&output));
}

#[test]
fn truncated_or_edited_records_are_refused_with_a_clear_message() {
    let dir = temp_dir("corrupt");
    let (_, files) = saved_records(&dir);
    let text = std::fs::read_to_string(&files[0]).unwrap();

    let truncated = dir.join("truncated.json");
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let output = magnate(&["replay", truncated.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("is not a Magnate game record"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("panicked") && !stderr(&output).contains("backtrace"));

    // Move one input a millisecond later: the hash after it no longer matches.
    let mut record: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entry = &mut record["entries"][7];
    entry["now"] = serde_json::json!(entry["now"].as_u64().unwrap() + 1);
    let edited = dir.join("edited.json");
    std::fs::write(&edited, record.to_string()).unwrap();
    let output = magnate(&["replay", edited.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("input 7"), "{}", stderr(&output));

    // Drop an input: the next one is out of sequence.
    let mut record: serde_json::Value = serde_json::from_str(&text).unwrap();
    record["entries"].as_array_mut().unwrap().remove(3);
    let gapped = dir.join("gapped.json");
    std::fs::write(&gapped, record.to_string()).unwrap();
    let output = magnate(&["replay", gapped.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("input 4"), "{}", stderr(&output));

    let output = magnate(&["replay", files[0].to_str().unwrap(), "--at", "999999"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("past the end"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_arguments_say_what_to_do() {
    let output = magnate(&["selfplay", "--level", "grandmaster"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("unknown bot level \"grandmaster\""),
        "{}",
        stderr(&output)
    );
    let output = magnate(&["selfplay", "--players", "7"]);
    assert!(
        stderr(&output).contains("--players must be 2, 3 or 4"),
        "{}",
        stderr(&output)
    );
    let output = magnate(&["export", "--db", "/nonexistent/magnate.db", "--list"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("does not exist"),
        "{}",
        stderr(&output)
    );
    let output = magnate(&["replay", "/nonexistent.json"]);
    assert!(
        stderr(&output).contains("cannot read"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn tournament_prints_an_elo_table_and_a_matrix() {
    let output = magnate(&[
        "tournament",
        "--levels",
        "very_easy,expert",
        "--games",
        "4",
        "--seed",
        "2",
        "--max-turns",
        "80",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}
