//! `GET /board/`: the board as data, for clients that draw it (the browser client does).
//!
//! Everything but the names comes from magnate-core's board; the names are this server's own,
//! since the reference's board file has none.

use axum::{routing::get, Json, Router};
use magnate_core::{Board, SquareKind};
use serde_json::{json, Value};

use crate::state::AppState;

use super::options_ok;

/// Routes that need no credentials.
pub fn router() -> Router<AppState> {
    Router::new().route("/board/", get(get_board).options(options_ok))
}

#[utoipa::path(
    get,
    path = "/board/",
    tag = "board",
    summary = "The board's squares",
    description = "Every square of the board with its id (the square id of every game frame), \
kind, a display name, its successor and its prices: purchase price, colour group, rents and \
building price for properties, rents for bridges and servers, the fare of a tram stop, the \
salary of the exit and the bail of the jail. Needs no credentials.",
    responses(
        (status = 200, description = "The board", body = super::openapi::BoardBody)
    )
)]
async fn get_board() -> Json<Value> {
    Json(board_json(Board::standard()))
}

/// The board as the `GET /board/` body.
fn board_json(board: &Board) -> Value {
    let squares: Vec<Value> = board
        .squares()
        .iter()
        .map(|square| {
            let id = square.id.0;
            let mut object = json!({
                "id": id,
                "name": square_name(id),
                "successor": square.successor.0,
            });
            let fields = match &square.kind {
                SquareKind::Exit { salary } => json!({"kind": "exit", "salary": salary}),
                SquareKind::Property {
                    group,
                    buy_price,
                    build_price,
                    rents,
                } => json!({
                    "kind": "property",
                    "group": group,
                    "price": buy_price,
                    "build_price": build_price,
                    "rents": rents,
                }),
                SquareKind::Bridge {
                    buy_price,
                    rents,
                    out_successor,
                } => json!({
                    "kind": "bridge",
                    "price": buy_price,
                    "rents": rents,
                    "out_successor": out_successor.0,
                }),
                SquareKind::Server { buy_price, rents } => {
                    json!({"kind": "server", "price": buy_price, "rents": rents})
                }
                SquareKind::Tram { fare } => json!({"kind": "tram", "fare": fare}),
                SquareKind::Fantasy => json!({"kind": "fantasy"}),
                SquareKind::Parking => json!({"kind": "parking"}),
                SquareKind::GoToJail => json!({"kind": "go_to_jail"}),
                SquareKind::Jail { bail } => json!({"kind": "jail", "bail": bail}),
                SquareKind::JailVisit => json!({"kind": "jail_visit"}),
            };
            if let (Value::Object(object), Value::Object(fields)) = (&mut object, fields) {
                object.extend(fields);
            }
            object
        })
        .collect();
    json!({"id": board.id(), "squares": squares})
}

/// A square's display name; squares without a name of their own are named by their kind.
fn square_name(id: u16) -> &'static str {
    match id {
        0 => "Start",
        1 => "Mill Lane",
        3 => "Tanners Row",
        5 => "North Server",
        6 => "Orchard Road",
        8 => "Chapel Street",
        9 => "Weavers Walk",
        10 => "West Tram",
        11 => "Market Hill",
        13 => "Cooper Street",
        14 => "Salt Quay",
        15 => "West Bridge",
        16 => "Lantern Way",
        18 => "Bell Yard",
        19 => "Foundry Row",
        20 => "Go to jail",
        21 => "Harbour Road",
        23 => "Rope Walk",
        24 => "Signal Hill",
        25 => "South Server",
        26 => "Garden Crescent",
        27 => "Linden Avenue",
        29 => "Observatory Rise",
        30 => "East Tram",
        31 => "Crown Street",
        32 => "Guild Square",
        34 => "Exchange Place",
        35 => "East Bridge",
        37 => "Palace Gate",
        39 => "Royal Parade",
        100 => "Island Tram",
        101 => "Fishers Lane",
        103 => "Ferry Steps",
        104 => "Jail (visiting)",
        105 => "Lock Street",
        106 => "Canal Row",
        107 => "Centre Tram",
        108 => "Island Square",
        110 => "Regatta Walk",
        111 => "Parking",
        112 => "Lighthouse Road",
        113 => "Admiral Terrace",
        201 => "Jail",
        _ => "Fantasy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ownable_square_has_a_name_of_its_own() {
        let board = Board::standard();
        for square in board.squares() {
            if square.is_ownable() {
                assert_ne!(
                    square_name(square.id.0),
                    "Fantasy",
                    "square {}",
                    square.id.0
                );
            } else if matches!(square.kind, SquareKind::Fantasy) {
                assert_eq!(square_name(square.id.0), "Fantasy");
            }
        }
        let body = board_json(board);
        assert_eq!(body["squares"].as_array().map(Vec::len), Some(55));
    }
}
