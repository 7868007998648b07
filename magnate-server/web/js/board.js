// The board as SVG: 40 outer squares on an 11 × 11 grid, the 14 inner squares in two rows
// between the bridges, the jail cell, owners, buildings, mortgages and pieces.

const SVG = "http://www.w3.org/2000/svg";
const CELL = 80;
const SIZE = CELL * 11;

/** Colour of each colour group (1–8 outer ring, 9–12 inner segment). */
export const GROUP_COLOURS = {
  1: "#8b5a2b", 2: "#7fc8f8", 3: "#d63384", 4: "#f08c00", 5: "#e03131", 6: "#f4d03f",
  7: "#2f9e44", 8: "#1c3faa", 9: "#12b5a5", 10: "#8a9a1b", 11: "#7048e8", 12: "#495057",
};

/** Grid cell `[column, row]` of a square id. */
export function cellOf(id) {
  if (id >= 0 && id <= 10) return [10 - id, 10];
  if (id > 10 && id <= 20) return [0, 10 - (id - 10)];
  if (id > 20 && id <= 30) return [id - 20, 0];
  if (id > 30 && id < 40) return [10, id - 30];
  if (id >= 106 && id <= 112) return [id - 104, 4];
  if (id === 113) return [8, 6];
  if (id >= 100 && id <= 105) return [7 - (id - 100), 6];
  if (id === 201) return [3, 7];
  return [5, 5];
}

function el(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

function wrap(name) {
  const words = name.split(" ");
  const lines = [];
  for (const word of words) {
    const last = lines[lines.length - 1];
    if (last && (last + " " + word).length <= 11) lines[lines.length - 1] = last + " " + word;
    else lines.push(word);
  }
  return lines.slice(0, 3);
}

function kindLabel(square) {
  switch (square.kind) {
    case "property":
    case "bridge":
    case "server":
      return `₥${square.price}`;
    case "tram":
      return `tram ₥${square.fare}`;
    case "exit":
      return `+₥${square.salary}`;
    case "jail":
      return `bail ₥${square.bail}`;
    default:
      return "";
  }
}

/**
 * Draws the board.
 * - `squares`: Map id → square from `GET /board/`;
 * - `state`: a `game_state` snapshot (or null);
 * - `players`: Map id → {name, colour, piece};
 * - `choices`: Map square id → label for squares the player may pick (click or Enter);
 * - `onChoose(id)`: called with the picked square.
 */
export function drawBoard(squares, state, players, choices = new Map(), onChoose = () => {}, centre = null) {
  const svg = el("svg", { viewBox: `0 0 ${SIZE} ${SIZE}`, class: "board", role: "group", "aria-label": "Board" });
  svg.append(el("rect", { x: 0, y: 0, width: SIZE, height: SIZE, class: "board-bg" }));
  const holdings = new Map();
  for (const relation of state?.property_relationships || []) holdings.set(relation.square, relation);

  // Connectors from the bridges to the inner rows.
  svg.append(el("path", { d: `M ${CELL} ${CELL * 5.5} H ${CELL * 2} V ${CELL * 4.5} M ${CELL * 2} ${CELL * 5.5} V ${CELL * 6.5}`, class: "bridge-link" }));
  svg.append(el("path", { d: `M ${CELL * 10} ${CELL * 5.5} H ${CELL * 9} V ${CELL * 4.5} M ${CELL * 9} ${CELL * 5.5} V ${CELL * 6.5}`, class: "bridge-link" }));

  for (const square of squares.values()) {
    const [column, row] = cellOf(square.id);
    const x = column * CELL;
    const y = row * CELL;
    const holding = holdings.get(square.id);
    const choice = choices.get(square.id);
    const group = el("g", { class: `square kind-${square.kind}${choice ? " choice" : ""}`, "data-square": square.id });
    const title = [`${square.name} (square ${square.id})`];
    if (square.price) title.push(`price ₥${square.price}`);
    if (holding) {
      const owner = players.get(holding.owner);
      title.push(`owned by ${owner ? owner.name : holding.owner}`);
      if (holding.houses > 0) title.push(holding.houses === 5 ? "hotel" : `${holding.houses} houses`);
      if (holding.mortgage) title.push("mortgaged");
    }
    group.append(el("title", {}, title.join(", ")));
    group.append(el("rect", { x: x + 1, y: y + 1, width: CELL - 2, height: CELL - 2, class: "cell" }));
    if (square.kind === "property") {
      group.append(el("rect", { x: x + 1, y: y + 1, width: CELL - 2, height: 14, fill: GROUP_COLOURS[square.group] || "#999" }));
    }
    wrap(square.name).forEach((line, index) => {
      group.append(el("text", { x: x + CELL / 2, y: y + 28 + index * 11, class: "name" }, line));
    });
    const label = kindLabel(square);
    if (label) group.append(el("text", { x: x + CELL / 2, y: y + CELL - 20, class: "price" }, label));
    if (holding) {
      const owner = players.get(holding.owner);
      const colour = owner ? owner.colour : "#333";
      group.append(el("rect", { x: x + 3, y: y + CELL - 9, width: CELL - 6, height: 6, fill: colour, class: "owner" }));
      if (holding.houses === 5) {
        group.append(el("rect", { x: x + CELL - 22, y: y + 3, width: 18, height: 9, class: "hotel" }));
      } else {
        for (let n = 0; n < Math.max(0, holding.houses); n++) {
          group.append(el("rect", { x: x + 4 + n * 10, y: y + 4, width: 7, height: 7, class: "house" }));
        }
      }
      if (holding.mortgage) {
        group.append(el("rect", { x: x + 1, y: y + 1, width: CELL - 2, height: CELL - 2, class: "mortgaged" }));
        group.append(el("text", { x: x + CELL / 2, y: y + CELL - 11, class: "mortgage-mark" }, "MORTGAGED"));
      }
    }
    if (choice) {
      group.setAttribute("tabindex", "0");
      group.setAttribute("role", "button");
      group.setAttribute("aria-label", choice);
      group.addEventListener("click", () => onChoose(square.id));
      group.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          onChoose(square.id);
        }
      });
    }
    svg.append(group);
  }

  // Pieces: one disc per player still in the game, spread inside the square.
  const here = new Map();
  for (const [id, square] of Object.entries(state?.positions || {})) {
    if (!here.has(square)) here.set(square, []);
    here.get(square).push(Number(id));
  }
  for (const [square, ids] of here) {
    const [column, row] = cellOf(Number(square));
    ids.forEach((id, index) => {
      const player = players.get(id);
      const cx = column * CELL + 13 + (index % 2) * 54;
      const cy = row * CELL + 50 + Math.floor(index / 2) * 18;
      const piece = el("g", { class: "piece", "data-player": id });
      piece.append(el("title", {}, `${player ? player.name : id}`));
      piece.append(el("circle", { cx, cy, r: 9.5, fill: player ? player.colour : "#000" }));
      piece.append(el("text", { x: cx, y: cy + 4, class: "piece-label" }, player ? player.name.slice(0, 1).toUpperCase() : "?"));
      svg.append(piece);
    });
  }
  if (centre) {
    centre.forEach((line, index) => {
      svg.append(el("text", { x: SIZE / 2, y: CELL * 2 + 10 + index * 30, class: `centre ${index === 0 ? "big" : ""}` }, line));
    });
  }
  return svg;
}
