//! Games nobody plays and players who leave (issue 13 items 3 and 9), against a real server:
//! one unfinished game per user, the first-connection deadline, restore, and the turn player
//! surrendering during their own auction.

use serde_json::json;

use crate::game_support::{humans, responses, Management, Player, Table};
use crate::ws_game::{players, server};

/// Item 9: the auction result sent when the turn player surrenders during their own auction
/// already shows the game without them: the next player acts, and money and positions no
/// longer list the one who left.
#[tokio::test]
async fn the_turn_player_surrendering_in_their_own_auction_gets_a_consistent_result() {
    let server = server().await;
    let [alice, bob, carol] =
        <[Player; 3]>::try_from(players(&server, &["alice", "bob", "carol"]).await).unwrap();
    let game = server.create_game(&humans(&[&alice, &bob, &carol])).await;
    let mut table = Table::open(&server, game, &[&alice, &bob, &carol]).await;
    table
        .drive(Management::Drop, 400, |t| t.phase() == "auction")
        .await;
    let dropper = table.active();
    let frames = table.act(dropper, json!({"type": "ActionSurrender"})).await;
    let responses = responses(&frames);
    let kinds: Vec<&str> = responses
        .iter()
        .map(|response| response["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"ResponseAuction"), "{kinds:?}");
    let eliminated = responses.last().unwrap();
    let next = eliminated["active_phase_player"].clone();
    assert_ne!(next, json!(dropper));
    for response in &responses {
        assert_eq!(response["active_phase_player"], next, "{response}");
        assert_eq!(response["active_turn_player"], next, "{response}");
        assert_eq!(response["phase"], "roll_the_dices", "{response}");
        let money = response["money"].as_object().unwrap();
        assert_eq!(money.len(), 2, "{response}");
        assert!(!money.contains_key(&dropper.to_string()), "{response}");
        let positions = response["positions"].as_object().unwrap();
        assert!(!positions.contains_key(&dropper.to_string()), "{response}");
    }
}
