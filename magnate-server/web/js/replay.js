// A finished game's replay: every recorded step, with a slider and step buttons.

import { api, getBoard } from "./api.js";
import { h, mount, money, pieceSymbol } from "./ui.js";
import { drawBoard } from "./board.js";
import { actionWords, PHASES } from "./words.js";
import { loadPlayers } from "./game.js";

export async function showReplay(gameId) {
  const squares = await getBoard();
  const squareName = (id) => squares.get(Number(id))?.name || `square ${id}`;
  const replay = await api("GET", `/game/replay/${gameId}/`);
  const steps = replay.steps;
  const ids = new Set();
  for (const id of Object.keys(steps[0].worth)) ids.add(Number(id));
  const players = await loadPlayers(ids);
  const name = (id) => players.get(Number(id))?.name || `#${id}`;
  let index = 0;
  let playing = null;

  const boardBox = h("div", { class: "board-wrap", id: "replay-board" });
  const slider = h("input", { id: "replay-slider", type: "range", min: 0, max: steps.length - 1, value: 0, "aria-label": "Step" });
  const where = h("p", { id: "replay-step", role: "status" });
  const what = h("p", { id: "replay-action" });
  const table = h("div", { id: "replay-players" });
  const play = h("button", { id: "replay-play", onclick: togglePlay }, "Play");
  slider.addEventListener("input", () => go(Number(slider.value)));

  function describe(step) {
    if (step.action.type === "Start") return "The game begins.";
    if (step.action.type === "Tick") return "A timer fired (auction close, time-out or a bot's move).";
    return actionWords({ ...step.action, player: step.actor }, name, squareName) ||
      (step.action.type === "ActionThrowDices" ? `${name(step.actor)} threw the dice.` : `${name(step.actor)} ended the phase.`);
  }

  function go(target) {
    index = Math.max(0, Math.min(steps.length - 1, target));
    const step = steps[index];
    const state = step.state;
    slider.value = index;
    where.textContent = `Step ${index} of ${steps.length - 1} · turn ${state.current_turn} · ${PHASES[state.phase] || state.phase}`;
    what.textContent = describe(step);
    boardBox.replaceChildren(drawBoard(squares, state, players, new Map(), () => {}, [`Replay of game ${gameId}`, `Turn ${state.current_turn}`]));
    const rows = [...players.keys()].sort((a, b) => a - b).map((id) => {
      const player = players.get(id);
      const inGame = state.players.includes(id);
      return h("tr", { class: inGame ? "" : "out" },
        h("td", {}, h("span", { class: "swatch", style: `background:${player.colour}` }, pieceSymbol(player.piece)), " ", player.name),
        h("td", { class: "num" }, inGame ? money(state.money[id]) : "out"),
        h("td", { class: "num", "data-worth": player.name }, money(step.worth[id] ?? 0)));
    });
    table.replaceChildren(h("table", { class: "players" }, h("thead", {}, h("tr", {}, h("th", {}, "Player"), h("th", {}, "Money"), h("th", {}, "Worth"))), h("tbody", {}, rows)));
  }

  function togglePlay() {
    if (playing) {
      clearInterval(playing);
      playing = null;
      play.textContent = "Play";
      return;
    }
    if (index >= steps.length - 1) go(0);
    play.textContent = "Pause";
    playing = setInterval(() => {
      if (index >= steps.length - 1) togglePlay();
      else go(index + 1);
    }, 400);
  }

  const keys = (event) => {
    if (event.target.tagName === "INPUT" && event.target !== slider) return;
    if (event.key === "ArrowRight" && event.target !== slider) go(index + 1);
    if (event.key === "ArrowLeft" && event.target !== slider) go(index - 1);
  };
  document.addEventListener("keydown", keys);

  mount(
    h("h1", {}, `Replay of game ${gameId}`),
    h("div", { class: "game" },
      boardBox,
      h("div", { class: "side" },
        h("section", { class: "card" },
          h("div", { class: "row" },
            h("button", { id: "replay-first", onclick: () => go(0), "aria-label": "First step" }, "First"),
            h("button", { id: "replay-back", onclick: () => go(index - 1), "aria-label": "Step back" }, "◀ Back"),
            play,
            h("button", { id: "replay-forward", onclick: () => go(index + 1), "aria-label": "Step forward" }, "Forward ▶"),
            h("button", { id: "replay-last", onclick: () => go(steps.length - 1), "aria-label": "Last step" }, "Last")),
          slider, where, what),
        h("section", { class: "card" }, h("h2", {}, "Players"), table),
        h("a", { class: "button", href: "#/profile" }, "Back to my games"))),
  );
  go(0);
  return () => {
    if (playing) clearInterval(playing);
    document.removeEventListener("keydown", keys);
  };
}
