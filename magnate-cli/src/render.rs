//! A compact text rendering of a game state.

use std::fmt::Write;

use magnate_core::{Game, SquareKind};

/// Players (money, square, jail, net worth) and every owned square (owner, houses, mortgage).
pub fn board(game: &Game) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "turn {}  phase {}  to act: {}  turn of: {}  parking {}",
        game.current_turn(),
        magnate_protocol::names::phase_name(game.phase().name()),
        game.active_phase_player(),
        game.active_turn_player(),
        game.parking_money()
    );
    let _ = writeln!(out, "player     money  square              jail  net worth");
    for p in game.participants() {
        if !p.in_game {
            let _ = writeln!(out, "{:<6} eliminated", p.id.to_string());
            continue;
        }
        let square = game
            .board()
            .square(p.position)
            .map(describe)
            .unwrap_or_default();
        let jail = if p.jail_turns > 0 {
            p.jail_turns.to_string()
        } else {
            "-".into()
        };
        let _ = writeln!(
            out,
            "{:<6} {:>9}  {:<18}  {:>4}  {:>9}",
            p.id.to_string(),
            p.money,
            format!("{} {}", p.position, square),
            jail,
            game.net_worth(p.id)
        );
    }
    let owned: Vec<_> = game.holdings().collect();
    if owned.is_empty() {
        let _ = writeln!(out, "no square is owned");
        return out;
    }
    let _ = writeln!(out, "square  kind      group  owner   level     mortgage");
    for (square, holding) in owned {
        let info = game.board().square(square);
        let kind = info.map(describe).unwrap_or_default();
        let group = info
            .and_then(|s| s.group())
            .map(|g| g.to_string())
            .unwrap_or_else(|| "-".into());
        let level = match holding.houses {
            -1 => "-".to_owned(),
            0 => "full set".to_owned(),
            5 => "hotel".to_owned(),
            n => format!("{n} houses"),
        };
        let mortgage = if holding.mortgaged { "mortgaged" } else { "" };
        let _ = writeln!(
            out,
            "{:>6}  {:<8}  {:>5}  {:<6}  {:<8}  {}",
            square.to_string(),
            kind,
            group,
            holding.owner.to_string(),
            level,
            mortgage
        );
    }
    out
}

fn describe(square: &magnate_core::Square) -> &'static str {
    match square.kind {
        SquareKind::Exit { .. } => "exit",
        SquareKind::Property { .. } => "property",
        SquareKind::Bridge { .. } => "bridge",
        SquareKind::Server { .. } => "server",
        SquareKind::Tram { .. } => "tram",
        SquareKind::Fantasy => "fantasy",
        SquareKind::Parking => "parking",
        SquareKind::GoToJail => "go to jail",
        SquareKind::Jail { .. } => "jail",
        SquareKind::JailVisit => "jail visit",
    }
}
