//! The game: its state, creation, the `apply` entry point and read access.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::action::{Action, ActionKind, Input};
use crate::board::Board;
use crate::error::RuleError;
use crate::event::{BonusAward, EndReason, Event, EventLog, View};
use crate::hash::HashFormat;
use crate::ids::{PlayerId, Seed, SquareId};
use crate::phase::{Phase, PhaseName};
use crate::rng::GameRng;
use crate::setup::{HouseRules, Setup, SetupError, TimerSettings};
use crate::time::Timestamp;
use crate::timer::Deadline;

/// Per-player statistics (docs/rules.md). They only ever grow and are kept after elimination.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Steps of every dice move.
    pub walked_squares: u64,
    /// Money received (end bonuses excluded).
    pub won_money: u64,
    /// Money paid.
    pub lost_money: u64,
    /// Fantasy cards applied to the player.
    pub num_fantasy_events: u64,
    /// Building levels built.
    pub built_houses: u64,
    /// Building levels removed from the player's squares.
    pub demolished_houses: u64,
    /// Times jailed.
    pub times_in_jail: u64,
    /// Rolls spent in jail.
    pub turns_in_jail: u64,
    /// Rents paid.
    pub num_paid_rents: u64,
    /// Accepted trades.
    pub num_trades: u64,
    /// Mortgages taken.
    pub num_mortgages: u64,
}

/// One participant, in turn order. Eliminated players stay listed (with their statistics).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerState {
    /// The player's id.
    pub id: PlayerId,
    /// Cash; may be negative (docs/rules.md). 0 once eliminated.
    pub money: i64,
    /// Current square.
    pub position: SquareId,
    /// Jail counter (0 = free).
    pub jail_turns: u8,
    /// Still playing.
    pub in_game: bool,
    /// A bot (woken by `BotWake` deadlines).
    pub is_bot: bool,
    /// Statistics.
    pub stats: Stats,
}

/// Who owns a square and what stands on it (docs/rules.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    /// The owner.
    pub owner: PlayerId,
    /// −1 without the full colour group, 0 full group, 1–4 houses, 5 hotel (always −1 for
    /// bridges and servers).
    pub houses: i8,
    /// Mortgaged.
    pub mortgaged: bool,
}

/// A business action recorded for the turn player.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessAction {
    /// Which action.
    pub kind: ActionKind,
    /// On which square.
    pub square: SquareId,
}

/// How the game ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The winner.
    pub winner: PlayerId,
    /// Why the game ended.
    pub reason: EndReason,
    /// The end bonuses.
    pub bonuses: Vec<BonusAward>,
    /// When it ended.
    pub ended_at: Timestamp,
}

/// Per-square state, indexed like [`Board::squares`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SquareState {
    pub(crate) holding: Option<Holding>,
    /// Bit `i` set: the player in seat `i` has declined this square.
    pub(crate) declined: u8,
}

macro_rules! game_struct {
    ($(#[$outer:meta])* pub struct Game { $($(#[$m:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$outer])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
        pub struct Game { $($(#[$m])* pub(crate) $field: $ty,)* }

        /// The serialized form of a [`Game`], checked before it becomes one.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct UncheckedGame { $($(#[$m])* $field: $ty,)* }

        impl TryFrom<UncheckedGame> for Game {
            type Error = String;
            fn try_from(unchecked: UncheckedGame) -> Result<Game, String> {
                let game = Game { $($field: unchecked.$field,)* };
                game.check_consistency()?;
                Ok(game)
            }
        }
    };
}

game_struct! {
    /// A game of Magnate: every rule of the reference as a deterministic, I/O-free state machine.
    ///
    /// Create it with [`Game::new`], drive it with [`Game::apply`], and tick it at
    /// [`Game::next_deadline`]. Its fields are private and always consistent; a deserialized game
    /// is checked before it is accepted.
    pub struct Game {
        #[serde(skip, default = "Board::standard")]
        board: &'static Board,
        rules: HouseRules,
        timer_settings: TimerSettings,
        started_at: Timestamp,
        now: Timestamp,
        players: Vec<PlayerState>,
        squares: Vec<SquareState>,
        phase: Phase,
        active_turn: PlayerId,
        active_phase: PlayerId,
        streak: u8,
        current_turn: u32,
        parking_money: i64,
        trade_proposed_this_turn: bool,
        business_actions_this_turn: Vec<BusinessAction>,
        deadlines: Vec<Deadline>,
        auctions_started: u32,
        proposals_made: u32,
        rng: GameRng,
        bank: i64,
        outcome: Option<Outcome>,
        /// How [`Game::state_hash`] hashes this game (not part of the hash).
        #[serde(default = "HashFormat::unrecorded")]
        hash_format: HashFormat,
    }
}

impl<'de> Deserialize<'de> for Game {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let unchecked = UncheckedGame::deserialize(deserializer)?;
        Game::try_from(unchecked).map_err(serde::de::Error::custom)
    }
}

impl Game {
    /// Creates a game: validates the setup, shuffles the turn order with the seeded generator
    /// (docs/rules.md), gives everyone the starting money on square 0, phase `roll_the_dices`.
    pub fn new(setup: Setup, seed: Seed, now: Timestamp) -> Result<Game, SetupError> {
        setup.validate()?;
        let board = Board::standard();
        let mut rng = GameRng::new(seed);
        let mut order = setup.players.clone();
        for i in (1..order.len()).rev() {
            let j = rng.below(i as u32 + 1) as usize;
            order.swap(i, j);
        }
        let players: Vec<PlayerState> = order
            .iter()
            .map(|spec| PlayerState {
                id: spec.id,
                money: setup.rules.starting_money,
                position: board.exit(),
                jail_turns: 0,
                in_game: true,
                is_bot: spec.is_bot,
                stats: Stats::default(),
            })
            .collect();
        let first = players[0].id;
        let mut game = Game {
            board,
            rules: setup.rules,
            timer_settings: setup.timers,
            started_at: now,
            now,
            players,
            squares: vec![SquareState::default(); board.len()],
            phase: Phase::RollTheDices,
            active_turn: first,
            active_phase: first,
            streak: 0,
            current_turn: 1,
            parking_money: 0,
            trade_proposed_this_turn: false,
            business_actions_this_turn: Vec::new(),
            deadlines: Vec::new(),
            auctions_started: 0,
            proposals_made: 0,
            rng,
            bank: 0,
            outcome: None,
            hash_format: HashFormat::CURRENT,
        };
        game.start_turn_timers(now);
        game.sync_timers(now);
        Ok(game)
    }

    /// Applies one input at time `now` and returns the events it produced, in order: domain
    /// facts, each preceded by the view facts of what it changed (see [`Event`]).
    ///
    /// Atomic: on `Err` the game is exactly as it was (timers and generator included). A `now`
    /// earlier than the last one seen is treated as that one. Deadlines due at `now` fire before
    /// an action is applied, as if the adapter had ticked first.
    pub fn apply(&mut self, input: Input, now: Timestamp) -> Result<Vec<Event>, RuleError> {
        let now = now.max(self.now);
        match input {
            Input::Tick => {
                let events = self.fire_due(now);
                self.now = now;
                Ok(events)
            }
            Input::Action { player, action } => {
                if self.has_due(now) {
                    let mut next = self.clone();
                    let mut events = next.fire_due(now);
                    events.extend(next.apply_action(player, action, now)?);
                    next.now = now;
                    *self = next;
                    Ok(events)
                } else {
                    let events = self.apply_action(player, action, now)?;
                    self.now = now;
                    Ok(events)
                }
            }
        }
    }

    fn apply_action(
        &mut self,
        player: PlayerId,
        action: Action,
        now: Timestamp,
    ) -> Result<Vec<Event>, RuleError> {
        if self.is_finished() {
            return Err(RuleError::GameFinished);
        }
        if !self.is_in_game(player) {
            return Err(RuleError::NotInGame { player });
        }
        let kind = action.kind();
        if kind != ActionKind::Surrender {
            if kind != ActionKind::Bid && player != self.active_phase {
                return Err(RuleError::NotActivePlayer { player });
            }
            if !allowed_in(kind, self.phase.name()) {
                return Err(RuleError::WrongPhase {
                    action: kind,
                    phase: self.phase.name(),
                });
            }
        }
        let was_turn_player = player == self.active_turn;
        let mut events = EventLog::new(self);
        match action {
            Action::Surrender => self.surrender(player, now, &mut events),
            Action::ThrowDice => {
                self.throw_dice(player, now, &mut events)?;
            }
            Action::PayBail => self.pay_bail(player, now, &mut events)?,
            Action::MoveTo { square } => self.move_to(player, square, now, &mut events)?,
            Action::ChooseCard {
                chosen_revealed_card,
            } => self.choose_card(player, chosen_revealed_card, now, &mut events),
            Action::BuySquare { square } => self.buy_square(player, square, now, &mut events)?,
            Action::DropPurchase { square } => {
                self.drop_purchase(player, square, now, &mut events)?
            }
            Action::TakeTram { square } => self.take_tram(player, square, now, &mut events)?,
            Action::NextPhase => self.next_phase(player, now, &mut events)?,
            Action::Build { square, houses } => {
                self.build(player, square, houses, now, &mut events)?
            }
            Action::Demolish { square, houses } => {
                self.demolish(player, square, houses, now, &mut events)?
            }
            Action::MortgageSet { square } => {
                self.mortgage_set(player, square, now, &mut events)?
            }
            Action::MortgageUnset { square } => {
                self.mortgage_unset(player, square, now, &mut events)?
            }
            Action::TradeProposal {
                destination_user,
                offered_money,
                asked_money,
                offered_properties,
                asked_properties,
            } => self.propose_trade(
                player,
                destination_user,
                (offered_money, asked_money),
                (offered_properties, asked_properties),
                now,
                &mut events,
            )?,
            Action::TradeAnswer { choose } => {
                self.answer_trade(player, choose, now, &mut events)?
            }
            Action::Bid { amount } => self.bid(player, amount, now, &mut events)?,
        }
        if was_turn_player {
            self.cancel_kick_out(player);
        }
        self.sync_timers(now);
        Ok(events.finish(self))
    }

    // ----- read access -------------------------------------------------------------------

    /// The board.
    pub fn board(&self) -> &'static Board {
        self.board
    }

    /// The current phase with its data.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Whose turn it is.
    pub fn active_turn_player(&self) -> PlayerId {
        self.active_turn
    }

    /// Who must act now (the trade recipient in `proposal_acceptance`; any eligible bidder may
    /// act in an auction).
    pub fn active_phase_player(&self) -> PlayerId {
        self.active_phase
    }

    /// Doubles rolled in a row this turn.
    pub fn streak(&self) -> u8 {
        self.streak
    }

    /// Turn counter, from 1.
    pub fn current_turn(&self) -> u32 {
        self.current_turn
    }

    /// The parking jackpot.
    pub fn parking_money(&self) -> i64 {
        self.parking_money
    }

    /// Every participant in turn order, eliminated ones included.
    pub fn participants(&self) -> &[PlayerState] {
        &self.players
    }

    /// Players still in the game, in turn order (`ordered_players`).
    pub fn ordered_players(&self) -> impl Iterator<Item = PlayerId> + '_ {
        self.players.iter().filter(|p| p.in_game).map(|p| p.id)
    }

    /// A participant by id.
    pub fn player(&self, id: PlayerId) -> Option<&PlayerState> {
        self.players.iter().find(|p| p.id == id)
    }

    /// True if the player is still in the game.
    pub fn is_in_game(&self, id: PlayerId) -> bool {
        self.player(id).is_some_and(|p| p.in_game)
    }

    /// Who owns a square, if anyone.
    pub fn holding(&self, square: SquareId) -> Option<Holding> {
        self.board
            .index_of(square)
            .and_then(|i| self.squares[i].holding)
    }

    /// Every ownership record, in ascending square order.
    pub fn holdings(&self) -> impl Iterator<Item = (SquareId, Holding)> + '_ {
        self.board
            .squares()
            .iter()
            .zip(&self.squares)
            .filter_map(|(square, state)| state.holding.map(|h| (square.id, h)))
    }

    /// True if the player has declined this square in this game (and may not bid on it).
    pub fn has_declined(&self, player: PlayerId, square: SquareId) -> bool {
        match (self.seat(player), self.board.index_of(square)) {
            (Some(seat), Some(index)) => self.squares[index].declined & (1 << seat) != 0,
            _ => false,
        }
    }

    /// True once a trade was proposed this turn.
    pub fn trade_proposed_this_turn(&self) -> bool {
        self.trade_proposed_this_turn
    }

    /// The turn player's business actions this turn.
    pub fn business_actions_this_turn(&self) -> &[BusinessAction] {
        &self.business_actions_this_turn
    }

    /// House rules.
    pub fn rules(&self) -> &HouseRules {
        &self.rules
    }

    /// Timer settings.
    pub fn timer_settings(&self) -> &TimerSettings {
        &self.timer_settings
    }

    /// When the game was created.
    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }

    /// The latest `now` the game has seen.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The seed.
    pub fn seed(&self) -> Seed {
        self.rng.seed()
    }

    /// True once the game has ended.
    pub fn is_finished(&self) -> bool {
        self.outcome.is_some()
    }

    /// The outcome, once the game has ended.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The winner, once the game has ended.
    pub fn winner(&self) -> Option<PlayerId> {
        self.outcome.as_ref().map(|o| o.winner)
    }

    /// The bank's net position: money it received minus money it paid out, including cash that
    /// vanished with bankrupt players. `sum(money) + parking + bank` never changes.
    pub fn bank_balance(&self) -> i64 {
        self.bank
    }

    /// The common view (money, positions, phase, active players); [`View::apply`] keeps a copy
    /// up to date from the events.
    pub fn view(&self) -> View {
        let mut money = BTreeMap::new();
        let mut positions = BTreeMap::new();
        for p in self.players.iter().filter(|p| p.in_game) {
            money.insert(p.id, p.money);
            positions.insert(p.id, p.position);
        }
        View {
            money,
            positions,
            phase: self.phase.name(),
            active_phase_player: self.active_phase,
            active_turn_player: self.active_turn,
        }
    }

    // ----- internal helpers shared by the rule modules -----------------------------------

    pub(crate) fn seat(&self, id: PlayerId) -> Option<usize> {
        self.players.iter().position(|p| p.id == id)
    }

    pub(crate) fn p(&self, id: PlayerId) -> &PlayerState {
        self.player(id)
            .expect("invariant: ids stored in the game name participants")
    }

    pub(crate) fn p_mut(&mut self, id: PlayerId) -> &mut PlayerState {
        self.players
            .iter_mut()
            .find(|p| p.id == id)
            .expect("invariant: ids stored in the game name participants")
    }

    pub(crate) fn money(&self, id: PlayerId) -> i64 {
        self.player(id).map_or(0, |p| p.money)
    }

    pub(crate) fn in_game_count(&self) -> usize {
        self.players.iter().filter(|p| p.in_game).count()
    }

    /// The next player in the game after `id` in turn order (wrapping), if any other remains.
    pub(crate) fn next_in_game_after(&self, id: PlayerId) -> Option<PlayerId> {
        let seat = self.seat(id)?;
        let n = self.players.len();
        (1..=n)
            .map(|k| &self.players[(seat + k) % n])
            .find(|p| p.in_game && p.id != id)
            .map(|p| p.id)
    }

    /// Adds a domain fact, after the view facts of what changed since the last one.
    pub(crate) fn push_event(&self, events: &mut EventLog, event: Event) {
        events.push(self, event);
    }

    /// Receives `amount` from the bank (counted as won money).
    pub(crate) fn credit(&mut self, id: PlayerId, amount: i64) {
        self.bank = self.bank.saturating_sub(amount);
        let p = self.p_mut(id);
        p.money = p.money.saturating_add(amount);
        p.stats.won_money = p.stats.won_money.saturating_add(amount.unsigned_abs());
    }

    /// Pays `amount` to the bank (counted as lost money).
    pub(crate) fn debit(&mut self, id: PlayerId, amount: i64) {
        self.bank = self.bank.saturating_add(amount);
        let p = self.p_mut(id);
        p.money = p.money.saturating_sub(amount);
        p.stats.lost_money = p.stats.lost_money.saturating_add(amount.unsigned_abs());
    }

    /// Pays `amount` from one player to another (counted for both).
    pub(crate) fn transfer(&mut self, from: PlayerId, to: PlayerId, amount: i64) {
        let payer = self.p_mut(from);
        payer.money = payer.money.saturating_sub(amount);
        payer.stats.lost_money = payer.stats.lost_money.saturating_add(amount.unsigned_abs());
        let payee = self.p_mut(to);
        payee.money = payee.money.saturating_add(amount);
        payee.stats.won_money = payee.stats.won_money.saturating_add(amount.unsigned_abs());
    }

    /// Sets a balance, the difference flowing from or to the bank (signed-delta rule, D-32).
    pub(crate) fn set_money(&mut self, id: PlayerId, new: i64) {
        let old = self.money(id);
        if new > old {
            self.credit(id, new - old);
        } else if old > new {
            self.debit(id, old - new);
        }
    }

    pub(crate) fn square_state_mut(&mut self, square: SquareId) -> Option<&mut SquareState> {
        self.board.index_of(square).map(|i| &mut self.squares[i])
    }

    pub(crate) fn set_holding(&mut self, square: SquareId, holding: Option<Holding>) {
        if let Some(state) = self.square_state_mut(square) {
            state.holding = holding;
        }
    }

    /// Checks that a deserialized game is consistent enough that no rule can panic on it.
    fn check_consistency(&self) -> Result<(), String> {
        if !crate::setup::PLAYER_COUNT.contains(&self.players.len()) {
            return Err(format!(
                "a game has 2 to 4 participants, found {}",
                self.players.len()
            ));
        }
        if self.squares.len() != self.board.len() {
            return Err(format!(
                "expected {} squares, found {}",
                self.board.len(),
                self.squares.len()
            ));
        }
        for (i, p) in self.players.iter().enumerate() {
            if self.players[..i].iter().any(|q| q.id == p.id) {
                return Err(format!("player {} is listed twice", p.id));
            }
            if self.board.square(p.position).is_none() {
                return Err(format!(
                    "player {} stands on unknown square {}",
                    p.id, p.position
                ));
            }
        }
        let known = |id: PlayerId| self.players.iter().any(|p| p.id == id);
        if self.in_game_count() == 0 {
            return Err("no player is left in the game".into());
        }
        if !self.is_finished() && self.in_game_count() < 2 {
            return Err("an unfinished game needs two players".into());
        }
        if !known(self.active_turn) || !known(self.active_phase) {
            return Err("the active players must be participants".into());
        }
        for (square, holding) in self.holdings() {
            if !known(holding.owner) || !(-1..=5).contains(&holding.houses) {
                return Err(format!("bad ownership record on square {square}"));
            }
        }
        match &self.phase {
            Phase::Auction(auction) => {
                if self.board.square(auction.square).is_none() || !known(auction.dropper) {
                    return Err("bad auction".into());
                }
                if auction.bids.iter().any(|(id, _)| !known(*id)) {
                    return Err("bad auction bid".into());
                }
            }
            Phase::ProposalAcceptance(proposal)
                if !known(proposal.player) || !known(proposal.destination_user) =>
            {
                return Err("bad proposal".into());
            }
            Phase::ChooseSquare { destinations }
                if destinations.is_empty()
                    || destinations.keys().any(|s| self.board.square(*s).is_none()) =>
            {
                return Err("bad destinations".into());
            }
            _ => {}
        }
        if self.outcome.as_ref().is_some_and(|o| !known(o.winner)) {
            return Err("unknown winner".into());
        }
        for deadline in &self.deadlines {
            if deadline.timer.player().is_some_and(|id| !known(id)) {
                return Err("a deadline names an unknown player".into());
            }
        }
        Ok(())
    }
}

/// The phase table of docs/rules.md (surrender is handled before it).
fn allowed_in(kind: ActionKind, phase: PhaseName) -> bool {
    use ActionKind as A;
    use PhaseName as P;
    match kind {
        A::ThrowDice | A::PayBail => phase == P::RollTheDices,
        A::MoveTo => phase == P::ChooseSquare,
        A::ChooseCard => phase == P::ChooseFantasy,
        A::BuySquare | A::DropPurchase | A::TakeTram => phase == P::Management,
        A::NextPhase => matches!(phase, P::Management | P::Business | P::Liquidation),
        A::Build | A::Demolish | A::MortgageSet | A::MortgageUnset | A::TradeProposal => {
            matches!(phase, P::Business | P::Liquidation)
        }
        A::TradeAnswer => phase == P::ProposalAcceptance,
        A::Bid => phase == P::Auction,
        A::Surrender => phase != P::EndGame,
    }
}
