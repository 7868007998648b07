// A live game: the socket (with legal actions, snapshots and deadlines), the board, the
// controls, the event log, chat and the end screen.

import { api, socketUrl, session, userName, getBoard } from "./api.js";
import { h, mount, notify, money, PLAYER_COLOURS, pieceSymbol } from "./ui.js";
import { drawBoard } from "./board.js";
import { buildControls, boardChoices } from "./controls.js";
import { actionWords, responseWords, cardWords, PHASES } from "./words.js";

let active = null;

/** Closes the current game's socket (logging out, leaving the view). */
export function leaveGame() {
  if (active) active();
  active = null;
}

/** Loads the names and colours of a game's players (seat order = ascending id). */
export async function loadPlayers(ids) {
  const players = new Map();
  const sorted = [...ids].sort((a, b) => a - b);
  await Promise.all(
    sorted.map(async (id, seat) => {
      const info = await userName(id);
      players.set(id, { name: info.username, piece: info.piece, colour: PLAYER_COLOURS[seat % PLAYER_COLOURS.length] });
    }),
  );
  return players;
}

export async function showGame(gameId) {
  const me = session().user.pk;
  const squares = await getBoard();
  const squareName = (id) => squares.get(Number(id))?.name || `square ${id}`;
  let players = new Map();
  let everyone = [];
  const name = (id) => players.get(Number(id))?.name || `#${id}`;
  let state = null;
  let actions = [];
  let actionsKey = "";
  let lastMoney = null;
  let deadline = null;
  let dice = null;
  let bonus = null;
  let socket = null;
  let closed = false;
  let retry = null;
  let endShown = false;

  const boardBox = h("div", { class: "board-wrap", id: "board" });
  const status = h("section", { class: "card status", id: "status", "aria-live": "polite" });
  const playersBox = h("section", { class: "card", id: "players" });
  const controls = h("section", { class: "card controls", id: "controls", "aria-label": "Your move" });
  const log = h("ol", { class: "log", id: "log", "aria-live": "polite" });
  const chatLog = h("ol", { class: "chat", id: "chat" });
  const chatText = h("input", { id: "chat-text", maxlength: 500, "aria-label": "Chat message", autocomplete: "off" });
  const chatForm = h("form", { class: "row" }, chatText, h("button", { type: "submit" }, "Send"));
  const endBox = h("section", { class: "card end", id: "end", hidden: true });
  const connection = h("p", { class: "connection", id: "connection", role: "status" });
  chatForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (chatText.value.trim()) send({ type: "ChatMessage", msg: chatText.value });
    chatText.value = "";
  });

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      notify("Not connected to the game: reconnecting…");
      return;
    }
    socket.send(JSON.stringify(frame));
  }

  function addLog(text, kind = "") {
    log.append(h("li", { class: kind }, text));
    while (log.children.length > 300) log.firstChild.remove();
    log.scrollTop = log.scrollHeight;
  }

  function renderBoard() {
    const choices = boardChoices(actions, squareName, state);
    const centre = [`Turn ${state.current_turn}${state.max_turns ? ` of ${state.max_turns}` : ""}`];
    if (dice) centre.push(`Dice ${dice.dice1} · ${dice.dice2} · bus ${dice.dice_bus}`);
    if (state.parking_money) centre.push(`Parking ${money(state.parking_money)}`);
    boardBox.replaceChildren(drawBoard(squares, state, players, choices, (square) => send({ type: "ActionMoveTo", square }), centre));
  }

  function renderStatus() {
    const mine = state.active_phase_player === me;
    const lines = [
      h("h2", {}, `Game ${gameId}`),
      state.finished
        ? h("p", { id: "turn-line" }, `Ended on turn ${state.current_turn}.`)
        : h("p", { id: "turn-line" }, `Turn ${state.current_turn}: `, h("strong", {}, state.active_turn_player === me ? "your turn" : `${name(state.active_turn_player)}'s turn`)),
      h("p", { id: "phase-line", "data-phase": state.phase }, "Now: ", h("strong", {}, PHASES[state.phase] || state.phase), state.finished ? "" : mine ? " — it is up to you" : ` — waiting for ${name(state.active_phase_player)}`),
    ];
    if (dice) lines.push(h("p", { class: "dice", id: "dice", "aria-label": "Last throw" }, h("span", { class: "die" }, dice.dice1), h("span", { class: "die" }, dice.dice2), h("span", { class: "die bus" }, dice.dice_bus)));
    if (state.current_auction) lines.push(h("p", { id: "auction-line" }, `Auction for ${squareName(state.current_auction.square)} (sealed bids).`));
    if (state.fantasy_event) lines.push(h("p", {}, `Revealed card: ${cardWords(state.fantasy_event)}.`));
    if (state.proposal) lines.push(proposalBox(state.proposal));
    lines.push(h("p", { id: "countdown", class: "countdown" }));
    if (!state.players.includes(me) && !state.finished) lines.push(h("p", { class: "out" }, "You are out of this game; you can keep watching and chatting."));
    lines.push(connection);
    status.replaceChildren(...lines);
    tick();
  }

  function proposalBox(proposal) {
    const items = (list) => (list.length ? list.map((id) => squareName(relationSquare(id))).join(", ") : "no property");
    return h("div", { class: "proposal", id: "proposal" },
      h("p", {}, `${name(proposal.player)} offers ${name(proposal.destination_user)} a trade:`),
      h("ul", {},
        h("li", {}, `gives ${items(proposal.offered_properties)} and ${money(proposal.offered_money)}`),
        h("li", {}, `asks for ${items(proposal.asked_properties)} and ${money(proposal.asked_money)}`)));
  }

  function relationSquare(id) {
    const relation = state.property_relationships.find((r) => r.id === id);
    return relation ? relation.square : id;
  }

  function renderPlayers() {
    const rows = everyone.map((id) => {
      const player = players.get(id);
      const inGame = state.players.includes(id);
      const jail = state.jail_remaining_turns[id];
      const owned = state.property_relationships.filter((r) => r.owner === id).length;
      return h("tr", { class: inGame ? "" : "out", "data-player": id },
        h("td", {}, h("span", { class: "swatch", style: `background:${player?.colour}` }, pieceSymbol(player?.piece)), " ", player?.name || id, id === me ? " (you)" : "", id === state.active_turn_player && inGame ? " ◀" : ""),
        h("td", { class: "num", "data-money": id }, inGame ? money(state.money[id]) : "out"),
        h("td", { class: "num" }, owned),
        h("td", {}, jail ? `jail (${jail})` : ""));
    });
    playersBox.replaceChildren(h("h2", {}, "Players"), h("table", { class: "players" }, h("thead", {}, h("tr", {}, h("th", {}, "Player"), h("th", {}, "Money"), h("th", {}, "Squares"), h("th", {}, ""))), h("tbody", {}, rows)));
  }

  function renderControls() {
    if (state.finished) {
      controls.replaceChildren(h("h2", {}, "Your move"), h("p", {}, "The game has ended."));
      return;
    }
    const built = actions.length ? buildControls(actions, { state, squares, name, squareName, me, send }) : [h("p", {}, state.players.includes(me) ? `Waiting for ${name(state.active_phase_player)}…` : "You are watching.")];
    controls.replaceChildren(h("h2", {}, "Your move"), ...built);
  }

  function tick() {
    const countdown = status.querySelector("#countdown");
    if (!countdown) return;
    if (!deadline || state.finished) {
      countdown.textContent = "";
      return;
    }
    const seconds = Math.max(0, Math.ceil((deadline.at - Date.now()) / 1000));
    const left = seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${Math.floor(seconds / 60)} min` : `${Math.floor(seconds / 3600)} h`;
    const what = deadline.timer === "auction_close" ? "The auction closes" : deadline.timer === "kick_out" ? `${name(deadline.player)} is removed for idling` : `${name(deadline.player)}'s time runs out`;
    countdown.textContent = `${what} in ${left}.`;
  }
  const clock = setInterval(tick, 500);

  async function showEnd() {
    if (endShown) return;
    endShown = true;
    endBox.hidden = false;
    endBox.replaceChildren(h("h2", {}, "Game over"), h("p", {}, "Loading the results…"));
    let summary = null;
    for (let attempt = 0; attempt < 10 && !summary; attempt++) {
      summary = await api("GET", `/game/summary/${gameId}/`).catch(() => null);
      if (!summary) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const worth = summary ? Object.entries(summary.final_money).sort((a, b) => b[1] - a[1]) : [];
    const winnerId = bonus?.winner ?? (state.players.length === 1 ? state.players[0] : null);
    const winner = winnerId ? (players.get(winnerId)?.name || `#${winnerId}`) : worth[0]?.[0];
    const bonuses = bonus && Object.keys(bonus.bonuses || {}).length
      ? h("ul", {}, Object.entries(bonus.bonuses).map(([stat, award]) => h("li", {}, `${stat}: ${money(award.bonus_amount)} to ${award.winners.map(name).join(", ")}`)))
      : h("p", {}, "Bonuses: none this game.");
    endBox.replaceChildren(
      h("h2", {}, "Game over"),
      h("p", { class: "winner", id: "winner" }, `Winner: ${winner || "—"}`, bonus?.reason === "turn_limit" ? " (turn limit reached: the richest player wins)" : ""),
      bonuses,
      h("h3", {}, "Final worth"),
      h("table", { class: "worth", id: "final-worth" }, h("tbody", {}, worth.map(([user, amount]) => h("tr", {}, h("td", {}, user), h("td", { class: "num", "data-worth": user }, money(amount)))))),
      h("div", { class: "row" }, h("a", { class: "button primary", href: `#/replay/${gameId}` }, "Watch the replay"), h("a", { class: "button", href: "#/" }, "Back to the lobby")),
    );
    endBox.scrollIntoView({ block: "nearest" });
  }

  async function onFrame(frame) {
    switch (frame.event_type) {
      case "game_state": {
        const first = state === null;
        state = frame.game_state;
        if (first || state.players.some((id) => !players.has(id))) {
          const ids = new Set([...players.keys(), ...state.players, ...state.property_relationships.map((r) => r.owner)]);
          players = await loadPlayers(ids);
          everyone = [...players.keys()].sort((a, b) => a - b);
          if (first && !state.players.includes(me)) addLog("You are no longer in this game: watching.", "notice");
        }
        if (!lastMoney) lastMoney = state.money;
        renderBoard();
        renderStatus();
        renderPlayers();
        renderControls();
        if (state.finished) showEnd();
        break;
      }
      case "deadlines": {
        const next = frame.deadlines.sort((a, b) => a.in_ms - b.in_ms)[0];
        deadline = next ? { ...next, at: Date.now() + next.in_ms } : null;
        tick();
        break;
      }
      case "legal_actions": {
        const key = JSON.stringify(frame.actions);
        actions = frame.actions;
        if (key !== actionsKey && state) {
          actionsKey = key;
          renderControls();
          renderBoard();
        }
        break;
      }
      case "game_action": {
        const line = actionWords(frame.data, name, squareName);
        if (line) addLog(line);
        break;
      }
      case "game_response": {
        const data = frame.data;
        if (data.type === "ResponseThrowDices") dice = data;
        if (data.type === "ResponseBonus") bonus = data;
        for (const line of responseWords(data, lastMoney, name, squareName)) addLog(line, data.type === "ResponseBonus" ? "notice" : "");
        if (data.active_turn_player !== state?.active_turn_player && data.phase === "roll_the_dices") addLog(`— ${name(data.active_turn_player)}'s turn —`, "turn");
        lastMoney = data.money;
        break;
      }
      case "chat_message": {
        const text = typeof frame.msg === "string" ? frame.msg : frame.msg?.text;
        chatLog.append(h("li", {}, h("strong", {}, frame.user), ": ", text));
        while (chatLog.children.length > 200) chatLog.firstChild.remove();
        chatLog.scrollTop = chatLog.scrollHeight;
        break;
      }
      case "error":
        notify(frame.message);
        addLog(`Refused: ${frame.message}`, "error");
        break;
    }
  }

  let queue = Promise.resolve();
  let opened = 0;
  async function connect() {
    connection.textContent = "Connecting…";
    try {
      socket = new WebSocket(await socketUrl(`/ws/game/${gameId}/`, "&legal=1&snapshots=1"));
    } catch (error) {
      notify(error.message);
      retry = setTimeout(connect, 2000);
      return;
    }
    const mySocket = socket;
    mySocket.onopen = () => {
      connection.textContent = "";
      opened += 1;
      connection.dataset.opened = String(opened);
    };
    mySocket.onmessage = (message) => {
      // Frames are handled one at a time, in order (name look-ups are asynchronous).
      queue = queue.then(() => onFrame(JSON.parse(message.data))).catch((error) => notify(error.message));
    };
    mySocket.onclose = (event) => {
      if (closed || mySocket !== socket) return;
      connection.textContent = "Connection lost: reconnecting…";
      if (event.code === 1008) notify("Too many actions too fast: the server closed the connection.");
      retry = setTimeout(connect, 1000);
    };
  }

  mount(
    h("h1", { class: "visually-hidden" }, `Game ${gameId}`),
    h("div", { class: "game" },
      boardBox,
      h("div", { class: "side" }, status, endBox, controls, playersBox,
        h("section", { class: "card" }, h("h2", {}, "What happened"), log),
        h("section", { class: "card" }, h("h2", {}, "Chat"), chatLog, chatForm))),
  );
  await connect();
  const stop = () => {
    closed = true;
    clearInterval(clock);
    clearTimeout(retry);
    if (socket) socket.close();
  };
  active = stop;
  return stop;
}
