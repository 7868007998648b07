// The event log in words: what each echo and response means for a person.

import { money } from "./ui.js";

/** Phase names as shown. */
export const PHASES = {
  roll_the_dices: "throw the dice",
  choose_square: "choose a destination",
  choose_fantasy: "choose a fantasy card",
  management: "buy or decline",
  business: "build, trade or end the turn",
  liquidation: "raise money (negative balance)",
  auction: "auction",
  proposal_acceptance: "answer a trade",
  end_game: "game over",
};

const CARDS = {
  winPlainMoney: "wins money",
  winRatioMoney: "wins a share of their money",
  losePlainMoney: "loses money",
  loseRatioMoney: "loses a share of their money",
  breakOpponentHouse: "breaks an opponent's house",
  breakOwnHouse: "breaks one of their own houses",
  shufflePositions: "shuffles everybody's positions",
  moveAnywhereRandom: "moves to a random square",
  moveOpponentAnywhereRandom: "moves an opponent to a random square",
  shareMoneyAll: "shares money with everybody",
  freeHouse: "gets a free house",
  goToJail: "goes to jail",
  sendToJail: "sends an opponent to jail",
  everybodyToJail: "sends everybody to jail",
  doubleOrNothing: "plays double or nothing",
  getParkingMoney: "takes the parking money",
  reviveProperty: "revives a property",
  earthquake: "earthquake: buildings fall",
  everybodySendsYouMoney: "gets money from everybody",
  magnetism: "pulls the others closer",
  goToStart: "goes back to the start",
};

/** Words for a fantasy card object. */
export function cardWords(card) {
  if (!card) return "";
  const value = card.value === null || card.value === undefined ? "" : ` (${card.value})`;
  return `${CARDS[card.fantasy_type] || card.fantasy_type}${value}`;
}

/** A line for a `game_action` echo, or null when the response will say it better. */
export function actionWords(data, name, squareName) {
  const who = name(data.player);
  const square = () => squareName(Number(data.square));
  switch (data.type) {
    case "ActionThrowDices":
      return null;
    case "ActionMoveTo":
      return `${who} chose to move to ${square()}.`;
    case "ActionChooseCard":
      return `${who} ${data.chosen_revealed_card || data.chosen_card ? "took the revealed card" : "drew a blind card"}.`;
    case "ActionBuySquare":
      return `${who} bought ${square()}.`;
    case "ActionDropPurchase":
      return `${who} declined ${square()}: it goes to auction.`;
    case "ActionTakeTram":
      return `${who} took the tram to ${square()}.`;
    case "ActionBuild":
      return `${who} built on ${square()}.`;
    case "ActionDemolish":
      return `${who} demolished a building on ${square()}.`;
    case "ActionMortgageSet":
      return `${who} mortgaged ${square()}.`;
    case "ActionMortgageUnset":
      return `${who} lifted the mortgage on ${square()}.`;
    case "ActionPayBail":
      return `${who} paid the bail.`;
    case "ActionTradeProposal":
      return `${who} proposed a trade to ${name(Number(data.destination_user))}.`;
    case "ActionTradeAnswer":
      return `${who} ${data.choose || data.accept ? "accepted" : "rejected"} the trade.`;
    case "ActionNextPhase":
      return null;
    case "ActionSurrender":
      return `${who} surrendered.`;
    default:
      return `${who}: ${data.type}.`;
  }
}

/** Lines for a `game_response`, given the money before it. */
export function responseWords(data, before, name, squareName) {
  const lines = [];
  switch (data.type) {
    case "ResponseThrowDices": {
      const who = name(data.active_turn_player);
      lines.push(`${who} threw ${data.dice1} and ${data.dice2}, bus ${data.dice_bus}${data.triple ? " (a triple!)" : ""}.`);
      if (data.destinations.length === 1) lines.push(`${who} moved to ${squareName(data.destinations[0])}.`);
      else if (data.destinations.length === 0) lines.push(`${who} stays in jail.`);
      if (data.fantasy_event) lines.push(`Fantasy card revealed: ${cardWords(data.fantasy_event)}.`);
      break;
    }
    case "ResponseChooseSquare":
      if (data.fantasy_event) lines.push(`Fantasy card revealed: ${cardWords(data.fantasy_event)}.`);
      break;
    case "ResponseChooseFantasy":
      lines.push(`${name(data.active_turn_player)}'s card: ${cardWords(data.fantasy_result?.fantasy_event)}.`);
      break;
    case "ResponseAuction": {
      const where = squareName(data.auction?.square);
      if (data.sold) lines.push(`${name(data.winner)} won the auction for ${where} with ${money(data.final_amount)}.`);
      else if (data.is_tie) lines.push(`The auction for ${where} ended in a tie: nobody buys it.`);
      else lines.push(`Nobody bought ${where} at auction.`);
      break;
    }
    case "ResponseSkipPhase":
      lines.push("Time ran out: the game moved on.");
      break;
    case "ResponseBonus":
      lines.push(`The game is over: ${name(data.winner)} wins${data.reason === "turn_limit" ? " (turn limit reached)" : ""}.`);
      break;
  }
  lines.push(...moneyWords(before, data.money, name, data.type === "ResponseAuction"));
  return lines;
}

/** Who paid whom, from the money before and after. */
function moneyWords(before, after, name, skipSingle) {
  if (!before) return [];
  const changes = [];
  for (const [id, amount] of Object.entries(after || {})) {
    const previous = before[id];
    if (previous !== undefined && previous !== amount) changes.push([Number(id), amount - previous]);
  }
  if (changes.length === 2 && changes[0][1] === -changes[1][1]) {
    const [payer, payee] = changes[0][1] < 0 ? changes : [changes[1], changes[0]];
    return [`${name(payer[0])} paid ${money(-payer[1])} to ${name(payee[0])}.`];
  }
  if (skipSingle) return [];
  return changes.map(([id, delta]) => (delta > 0 ? `${name(id)} received ${money(delta)}.` : `${name(id)} paid ${money(-delta)}.`));
}
