// What the player may do now, as controls built from the server's `legal_actions` frame.

import { h, money, confirmDialog } from "./ui.js";

const PER_SQUARE = [
  ["ActionBuild", "Build", "build"],
  ["ActionDemolish", "Demolish", "demolish"],
  ["ActionMortgageSet", "Mortgage", "mortgage"],
  ["ActionMortgageUnset", "Unmortgage", "unmortgage"],
];

/** A destination's label: its name, and how far it is (two squares may share a name). */
function moveLabel(square, state, squareName) {
  const steps = state?.possible_destinations?.[square];
  const far = steps ? `${steps} step${steps === 1 ? "" : "s"}` : `square ${square}`;
  return `Move to ${squareName(square)} (${far})`;
}

/** Square choices for the board: id → label (the offered destinations). */
export function boardChoices(actions, squareName, state) {
  const choices = new Map();
  for (const { frame } of actions) {
    if (frame.type === "ActionMoveTo") choices.set(frame.square, moveLabel(frame.square, state, squareName));
  }
  return choices;
}

/**
 * The controls for `actions` (the `legal_actions` list).
 * `context`: {state, squares, name, squareName, players (ids), me, send}.
 */
export function buildControls(actions, context) {
  const { state, squares, squareName, send } = context;
  const byType = new Map();
  for (const action of actions) {
    if (!byType.has(action.frame.type)) byType.set(action.frame.type, []);
    byType.get(action.frame.type).push(action);
  }
  const parts = [];
  const button = (label, frame, attributes = {}) =>
    h("button", { ...attributes, onclick: () => send(frame) }, label);

  if (byType.has("ActionThrowDices")) parts.push(button("Throw the dice", { type: "ActionThrowDices" }, { class: "primary", "data-action": "throw" }));
  for (const { frame } of byType.get("ActionMoveTo") || []) {
    parts.push(button(moveLabel(frame.square, state, squareName), frame, { "data-action": "move", "data-square": frame.square }));
  }
  for (const { frame } of byType.get("ActionChooseCard") || []) {
    const revealed = frame.chosen_revealed_card;
    parts.push(button(revealed ? "Take the revealed card" : "Draw a blind card", frame, { "data-action": revealed ? "card-revealed" : "card-blind" }));
  }
  for (const { frame } of byType.get("ActionBuySquare") || []) {
    const square = squares.get(frame.square);
    parts.push(button(`Buy ${squareName(frame.square)} for ${money(square?.price ?? 0)}`, frame, { class: "primary", "data-action": "buy" }));
  }
  for (const { frame } of byType.get("ActionDropPurchase") || []) {
    parts.push(button("Decline (auction it)", frame, { "data-action": "decline" }));
  }
  for (const { frame } of byType.get("ActionTakeTram") || []) {
    parts.push(button(frame.square === state.positions[context.me] ? "Stay here (no tram)" : `Take the tram to ${squareName(frame.square)}`, frame, { "data-action": "tram", "data-square": frame.square }));
  }
  if (byType.has("ActionPayBail")) parts.push(button("Pay the bail", { type: "ActionPayBail" }, { "data-action": "bail" }));
  for (const action of byType.get("ActionBid") || []) parts.push(bidForm(action, context));
  for (const { frame } of byType.get("ActionTradeAnswer") || []) {
    parts.push(button(frame.choose ? "Accept the trade" : "Reject the trade", frame, { class: frame.choose ? "primary" : "", "data-action": frame.choose ? "trade-accept" : "trade-reject" }));
  }
  if (byType.has("ActionNextPhase")) {
    const label = state.phase === "management" ? "Done here (next phase)" : "End the turn";
    parts.push(button(label, { type: "ActionNextPhase" }, { "data-action": "next-phase" }));
  }

  const manage = [];
  for (const [type, label, key] of PER_SQUARE) {
    for (const { frame } of byType.get(type) || []) {
      const full = { ...frame };
      if (type === "ActionDemolish" || type === "ActionBuild") full.houses = 1;
      manage.push(button(`${label} ${squareName(frame.square)}`, full, { class: "small", "data-action": key, "data-square": frame.square }));
    }
  }
  const trades = byType.get("ActionTradeProposal") || [];
  const extra = [];
  if (manage.length) extra.push(h("div", { class: "manage", role: "group", "aria-label": "Manage properties" }, h("h3", {}, "Properties"), manage));
  if (trades.length) extra.push(tradeComposer(trades, context));
  if (byType.has("ActionSurrender")) {
    extra.push(
      h("button", {
        class: "danger small",
        "data-action": "surrender",
        onclick: async () => {
          if (await confirmDialog("Surrender and leave this game? You can keep watching.", "Surrender")) send({ type: "ActionSurrender" });
        },
      }, "Surrender"),
    );
  }
  return [h("div", { class: "actions", role: "group", "aria-label": "Your move" }, parts), ...extra];
}

function bidForm({ frame, max_amount: max }, { send }) {
  const amount = h("input", { id: "bid-amount", type: "number", min: 0, max, step: 1, value: Math.min(max, 10), "aria-label": "Bid amount" });
  const form = h(
    "form",
    { class: "row bid", "aria-label": "Your sealed bid" },
    h("label", { for: "bid-amount" }, `Your sealed bid (up to ${money(max)})`),
    amount,
    h("button", { type: "submit", class: "primary", "data-action": "bid" }, "Bid"),
    h("button", { type: "button", "data-action": "pass", onclick: () => send({ ...frame, amount: 0 }) }, "Pass"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = Math.max(0, Math.min(max, Math.floor(Number(amount.value) || 0)));
    send({ ...frame, amount: value });
  });
  return form;
}

function tradeComposer(trades, { name, squareName, send }) {
  const who = h("select", { id: "trade-to", "aria-label": "Trade with" }, trades.map(({ frame }) => h("option", { value: frame.destination_user }, name(frame.destination_user))));
  const body = h("div", { class: "trade-body" });
  const offeredMoney = h("input", { id: "trade-offer-money", type: "number", min: 0, step: 1, value: 0 });
  const askedMoney = h("input", { id: "trade-ask-money", type: "number", min: 0, step: 1, value: 0 });
  function checkboxes(list, side) {
    if (!list.length) return h("p", { class: "hint" }, "nothing");
    return h("div", { class: "checks" }, list.map((square) =>
      h("label", { class: "check" }, h("input", { type: "checkbox", value: square, "data-side": side, "data-square": square }), squareName(square))));
  }
  function fill() {
    const chosen = trades.find(({ frame }) => String(frame.destination_user) === who.value) || trades[0];
    body.replaceChildren(
      h("fieldset", {}, h("legend", {}, "You give"), checkboxes(chosen.offerable || [], "offer"), h("label", { for: "trade-offer-money" }, "Money"), offeredMoney),
      h("fieldset", {}, h("legend", {}, "You ask for"), checkboxes(chosen.askable || [], "ask"), h("label", { for: "trade-ask-money" }, "Money"), askedMoney),
    );
  }
  who.addEventListener("change", fill);
  fill();
  const form = h("form", { class: "trade", "aria-label": "Propose a trade" },
    h("h3", {}, "Propose a trade"), h("label", { for: "trade-to" }, "With"), who, body,
    h("button", { type: "submit", "data-action": "trade-propose" }, "Propose"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const pick = (side) => [...body.querySelectorAll(`input[data-side=${side}]:checked`)].map((box) => Number(box.value));
    send({
      type: "ActionTradeProposal",
      destination_user: Number(who.value),
      offered_money: Math.max(0, Math.floor(Number(offeredMoney.value) || 0)),
      asked_money: Math.max(0, Math.floor(Number(askedMoney.value) || 0)),
      offered_properties: pick("offer"),
      asked_properties: pick("ask"),
    });
  });
  return h("details", { class: "trade-box" }, h("summary", {}, "Trade"), form);
}
