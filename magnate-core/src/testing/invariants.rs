//! What the property tests and the fuzz targets share: the invariants every reachable game
//! satisfies (docs/rules.md, money conservation, deadline sanity) and the scripted legal move both
//! drive games with.

use crate::game::{Game, Holding};
use crate::ids::{PlayerId, SquareId};
use crate::phase::Phase;

/// Money in the system: what players still in the game hold, plus the parking pot, plus the
/// bank's ledger. No input may change it.
pub fn money_total(game: &Game) -> i128 {
    let money: i128 = game
        .participants()
        .iter()
        .filter(|p| p.in_game)
        .map(|p| i128::from(p.money))
        .sum();
    money + i128::from(game.parking_money()) + i128::from(game.bank_balance())
}

/// Checks the invariants of `game`, whose [`money_total`] was `initial_total` when it was
/// created; the error names the first one violated.
///
/// - money is conserved; an eliminated player holds none; a jailed player stands on the jail;
/// - squares are owned by players still in the game, are ownable, and are never built and
///   mortgaged at once; buildings only in colour groups, and a group's squares have levels
///   (`houses >= 0`) exactly when one player owns it all (full-set normalization); built evenly
///   (levels differ by at most one) and no mortgage in a built group;
/// - a finished game has a winner and no deadline; a running one has at least two players,
///   its turn and phase players are among them, and a pending proposal waits for its recipient;
/// - no deadline lies before the game's `now`.
pub fn check_invariants(game: &Game, initial_total: i128) -> Result<(), String> {
    let total = money_total(game);
    if total != initial_total {
        return Err(format!(
            "money is not conserved: {total}, was {initial_total}"
        ));
    }
    let in_game: Vec<PlayerId> = game.ordered_players().collect();
    for p in game.participants() {
        if !p.in_game && p.money != 0 {
            return Err(format!("eliminated player {} holds {}", p.id, p.money));
        }
        if p.jail_turns > 0 && p.position != game.board().jail() {
            return Err(format!(
                "jailed player {} stands on {}, not the jail",
                p.id, p.position
            ));
        }
    }
    let holdings: Vec<(SquareId, Holding)> = game.holdings().collect();
    for (square, holding) in &holdings {
        check_holding(game, &in_game, *square, holding)?;
    }
    if game.is_finished() {
        if game.winner().is_none() {
            return Err("a finished game has no winner".into());
        }
        if let Some(deadline) = game.next_deadline() {
            return Err(format!("a finished game has a deadline: {deadline:?}"));
        }
    } else {
        if in_game.len() < 2 {
            return Err(format!("a running game has {} player(s)", in_game.len()));
        }
        for (role, player) in [
            ("turn", game.active_turn_player()),
            ("phase", game.active_phase_player()),
        ] {
            if !in_game.contains(&player) {
                return Err(format!("the {role} player {player} is not in the game"));
            }
        }
        if let Phase::ProposalAcceptance(proposal) = game.phase() {
            if proposal.destination_user != game.active_phase_player() {
                return Err(format!(
                    "a proposal to {} waits for {}",
                    proposal.destination_user,
                    game.active_phase_player()
                ));
            }
        }
    }
    if let Some(deadline) = game.deadlines().iter().find(|d| d.at < game.now()) {
        return Err(format!(
            "deadline {deadline:?} lies before now {:?}",
            game.now()
        ));
    }
    Ok(())
}

/// The move a scripted legal step makes: the `who`-th player still in the game (or, when that
/// player can only surrender, the player who must act) takes option `pick` of its
/// `legal_actions`, instantiated with `choice`. Surrender, always listed last, is taken only when
/// it is the only option. `None` once the game is over. The property tests and the fuzz targets
/// both drive games with it.
pub fn legal_move(
    game: &Game,
    who: usize,
    pick: usize,
    choice: u64,
) -> Option<(PlayerId, crate::Action)> {
    let in_game: Vec<PlayerId> = game.ordered_players().collect();
    if game.is_finished() || in_game.is_empty() {
        return None;
    }
    let mut player = in_game[who % in_game.len()];
    let mut legal = game.legal_actions(player);
    if legal.len() <= 1 {
        // A bystander can only surrender: let the player who must act move instead.
        player = game.active_phase_player();
        legal = game.legal_actions(player);
    }
    let options = if legal.len() > 1 {
        &legal[..legal.len() - 1]
    } else {
        &legal[..]
    };
    let chosen = options.get(pick % options.len().max(1))?;
    Some((player, chosen.instantiate(choice)))
}

fn check_holding(
    game: &Game,
    in_game: &[PlayerId],
    square: SquareId,
    holding: &Holding,
) -> Result<(), String> {
    if !in_game.contains(&holding.owner) {
        return Err(format!(
            "square {square} belongs to {}, who is out of the game",
            holding.owner
        ));
    }
    let Some(info) = game.board().square(square).filter(|info| info.is_ownable()) else {
        return Err(format!("square {square} is held but not ownable"));
    };
    if holding.houses > 0 && holding.mortgaged {
        return Err(format!("square {square} is built and mortgaged"));
    }
    let Some(group) = info.group() else {
        if holding.houses != -1 {
            return Err(format!(
                "square {square} outside a colour group has level {}",
                holding.houses
            ));
        }
        return Ok(());
    };
    let members = game.board().group_squares(group);
    let owns_all = members
        .iter()
        .all(|m| game.holding(*m).is_some_and(|h| h.owner == holding.owner));
    if (holding.houses >= 0) != owns_all {
        return Err(format!(
            "full-set normalization: square {square} has level {} and its group is {}owned by one player",
            holding.houses,
            if owns_all { "" } else { "not " }
        ));
    }
    if owns_all {
        let levels: Vec<i8> = members
            .iter()
            .filter_map(|m| game.holding(*m).map(|h| h.houses))
            .collect();
        let spread = levels.iter().max().unwrap_or(&0) - levels.iter().min().unwrap_or(&0);
        if spread > 1 {
            return Err(format!(
                "group of square {square} is not built evenly: {levels:?}"
            ));
        }
        if levels.iter().any(|l| *l > 0)
            && members
                .iter()
                .any(|m| game.holding(*m).is_some_and(|h| h.mortgaged))
        {
            return Err(format!(
                "group of square {square} is built and has a mortgage"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Seed, Setup, Timestamp};

    fn game() -> (Game, i128) {
        let game = Game::new(
            Setup::new([PlayerId(1), PlayerId(2)]),
            Seed(5),
            Timestamp(0),
        )
        .unwrap();
        let total = money_total(&game);
        (game, total)
    }

    #[test]
    fn a_new_game_satisfies_them() {
        let (game, total) = game();
        assert_eq!(check_invariants(&game, total), Ok(()));
        assert!(check_invariants(&game, total + 1)
            .unwrap_err()
            .starts_with("money is not conserved"));
    }

    #[test]
    fn each_violation_is_named() {
        let group_square = SquareId(1);
        type Case = (fn(&mut Game), &'static str);
        let cases: [Case; 4] = [
            (
                |g| {
                    g.edit().own(SquareId(1), PlayerId(1), 1, false);
                },
                "full-set normalization",
            ),
            (
                |g| {
                    g.edit().own(SquareId(1), PlayerId(1), 2, true);
                },
                "built and mortgaged",
            ),
            (
                |g| {
                    g.edit().own(SquareId(1), PlayerId(9), -1, false);
                },
                "out of the game",
            ),
            (
                |g| {
                    g.edit()
                        .jailed(PlayerId(2), 2)
                        .position(PlayerId(2), SquareId(1));
                },
                "not the jail",
            ),
        ];
        for (edit, expected) in cases {
            let (mut game, total) = game();
            assert!(game.board().square(group_square).unwrap().group().is_some());
            edit(&mut game);
            let found = check_invariants(&game, total).unwrap_err();
            assert!(
                found.contains(expected),
                "{found:?} should say {expected:?}"
            );
        }
    }
}
